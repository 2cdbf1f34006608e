/**
 * The programmatic API of assist. The session engine (`createSession`) lands with the
 * models-and-chat work; what is exported here is stable.
 */
export { AssistError, ExitCode, isAssistError } from './errors.js';
export { loadConfig, type Config, type LoadedConfig } from './config/index.js';
export { resolveRepoPaths, type RepoPaths } from './git/repo-paths.js';
