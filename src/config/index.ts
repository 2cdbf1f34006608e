export type { AgentHookConfig, Config, McpServerConfig, ProviderConfig, ModelOverride } from './types.js';
export { AGENT_HOOK_EVENTS, type AgentHookEvent, KEYS, PROVIDERS, findKeyDef, splitKey, joinKey, describeType, type KeyDef, type ConfigValue, type ProviderName } from './schema.js';
export {
  loadConfig,
  buildConfig,
  DEFAULT_HOOK_TIMEOUT_S,
  formatOrigin,
  userConfigDir,
  userConfigFile,
  keyToEnvName,
  envNameToKey,
  PROJECT_FILE_NAME,
  type LoadConfigOptions,
  type LoadedConfig,
  type Origin,
  type ResolvedValue,
} from './load.js';
export { setConfigValue, setKeyInText, parseKeyValue, tomlValue } from './set.js';
export { parseConfigText } from './toml-file.js';
export { isProjectFileTrusted, setProjectTrust, hashProjectFile } from './trust.js';
export { watchConfig, type ConfigWatcher } from './watch.js';
