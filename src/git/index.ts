export { openStore, GitStore, NOTES_REF, commitMessage } from './store.js';
export type {
  SessionInfo,
  BatchFile,
  EditBatch,
  BatchResult,
  RecoveryReport,
  StoreOptions,
  UndoResult,
  RedoResult,
  Checkpoint,
  RestoreResult,
  SessionSummary,
  SessionDetails,
  FinishMode,
  FinishResult,
} from './store-types.js';
export type { BatchMeta } from './journal.js';
export type {
  SessionEvent,
  ReplayedEvent,
  NewEvent,
  EventType,
  Usage,
  FileChange,
  EditEvent,
  MessageEvent,
  ReplyEvent,
  ToolEvent,
  RefusedEvent,
  TurnContext,
} from './events.js';
export { newSessionId, isSessionId, sessionBranchName, chainRef, checkpointRef } from './session-id.js';
export { acquireLock, type LockHolder, type WriteLock } from './lock.js';
export { PAUSE_POINTS, BATCH_PAUSE_POINTS, type PausePoint } from './pause.js';
export { resolveRepoPaths, type RepoPaths } from './repo-paths.js';
export { operationInProgress, refuseIfOperationInProgress, type OperationInProgress } from './operation.js';
export { describeRecovery } from './recovery-text.js';
export { squashSessionBranch, dropEmptySession, type SquashOptions, type SquashResult } from './pr-branch.js';
