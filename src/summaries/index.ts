export { refreshSummaries, summaryMode } from './refresh.js';
export type { RefreshOptions, RefreshReport } from './refresh.js';
export { summariesFor, showSummary, summariesStatus } from './view.js';
export type { FileSummary, SummariesForOptions, ShownSummary, SummariesStatus, NotFresh } from './view.js';
export { summariesRefresher } from './hook.js';
export type { SummaryKind, RunRecord } from './store.js';
