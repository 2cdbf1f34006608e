export { HOOK_NAMES, BLOCK_BEGIN, BLOCK_END, lineToAdd } from './block.js';
export type { HookName } from './block.js';
export { installHooks, uninstallHooks, hooksStatus, locateHooks, defaultEntryPath } from './install.js';
export type {
  HookInstallOptions,
  HooksLocation,
  ManagedElsewhere,
  HookAction,
  HookReport,
  HooksChangeReport,
  HookState,
  HookStatusEntry,
  HooksStatus,
} from './install.js';
export { hookCoalescing, runRefresher, refresherStatus, refresherIdle, refresherFiles, kickRefresher, waitForRefresher } from './refresher.js';
export type { RefresherOptions, RefreshOutcome, RefresherStatus, RefresherFiles, KickOptions } from './refresher.js';
export { RefresherRegistry, refresherRegistry } from './registry.js';
export type { Refresher } from './registry.js';
export { readRefreshState, updateRefreshState, refreshStateFile } from './refresh-state.js';
export type { RefreshState, PendingChange, RefreshRunRecord } from './refresh-state.js';
export { formatChangeReport, formatStatus } from './format.js';
