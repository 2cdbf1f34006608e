export { reviewBatch } from './analyze.js';
export type { ReviewOptions } from './analyze.js';
export { GROUP_LABEL, impactLine, mergeReviews, reviewJson, reviewText } from './format.js';
export { diffCounts, isWhitespaceOnlyHunk, REVIEW_CONTEXT } from './hunks.js';
export { isDocPath, isTestPath, manifestDependencies, risksOf } from './risks.js';
export { GROUP_ORDER } from './types.js';
export type {
  BreakingChange,
  DefinitionChange,
  FileReview,
  ReferenceSite,
  Review,
  ReviewChange,
  ReviewDef,
  ReviewGroup,
  ReviewJson,
  ReviewTags,
  Risk,
  RiskKind,
  TagsLookup,
} from './types.js';
