export type {
  AppliedEdit,
  ApplyOptions,
  ApplyResult,
  EditBlock,
  EditParseError,
  EditReading,
  FailedEdit,
  FailureReason,
  FileInput,
  LineRange,
  MatchRule,
  ParseOptions,
  ParseResult,
  PathMatchKind,
  PathResolution,
  ResolvedEditBlock,
} from './types.js';
export { parseEditBlocks } from './parse.js';
export { createPathResolver, resolveBlocks, resolveEditPath, normalizeWrittenPath, type PathContext } from './resolve-path.js';
export { applyEdits, DEFAULT_MAX_FILE_BYTES } from './apply.js';
export { renderEditFeedback, closestLines, replaceAlreadyPresent, failedBlockNames, type ClosestLines, type FeedbackInput, type FailedBlockName } from './feedback.js';
export { renderFileDiff, renderBatchDiff, type FileChange, type DiffRenderOptions } from './diff.js';
