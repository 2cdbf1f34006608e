/** The programmatic API of assist (docs/api.md). */
export { AssistError, ExitCode, isAssistError } from './errors.js';
// From the modules themselves, not config/index.js: the declarations then reach no dev dependency's types.
export { loadConfig, type LoadedConfig } from './config/load.js';
export type { Config } from './config/types.js';
export { resolveRepoPaths, type RepoPaths } from './git/repo-paths.js';
export { createSession, Session, type SessionOptions, type SessionUI, type ToolCallApproval, type TurnResult, type TokenReport } from './session/index.js';
export { explain, type ExplainOptions, type ExplainResult, type Citation } from './session/index.js';
export { generateTests, type GenerateTestsOptions, type GenerateTestsResult, type MutantOutcome, type TestTarget } from './session/index.js';
