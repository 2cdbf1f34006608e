/** The programmatic API of assist (docs/api.md). */
export { AssistError, ExitCode, isAssistError } from './errors.js';
export { loadConfig, type Config, type LoadedConfig } from './config/index.js';
export { resolveRepoPaths, type RepoPaths } from './git/repo-paths.js';
export { createSession, Session, type SessionOptions, type SessionUI, type ToolCallApproval, type TurnResult, type TokenReport } from './session/index.js';
