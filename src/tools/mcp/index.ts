import type * as OAuthModule from './oauth.js';

export { McpManager, listedInApproval, type McpManagerOptions, type McpServerReport, type McpServerState } from './manager.js';
export { fitToolNames, TOOL_NAME_RULE } from './names.js';
export { renderCallResult, type McpCallResult, type McpContentBlock } from './render.js';
export { mcpStateDir, entryHash } from './paths.js';
export { EraStore, type RememberedEra } from './era-store.js';
export { providerKeyNames, serverEnv } from './env.js';

/** `assist mcp login` / `logout` (the OAuth module loads the MCP SDK: imported only when needed). */
export async function loadOAuth(): Promise<typeof OAuthModule> {
  return import('./oauth.js');
}
