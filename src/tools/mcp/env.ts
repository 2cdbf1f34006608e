import type { Config, McpServerConfig } from '../../config/types.js';

/** Variables that hold provider keys: a server never gets them (DESIGN.md §4 "MCP"). */
export function providerKeyNames(config: Pick<Config, 'llm'>): string[] {
  const names = new Set(['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'GEMINI_API_KEY', 'GOOGLE_API_KEY']);
  for (const provider of Object.values(config.llm)) if (provider.api_key_env) names.add(provider.api_key_env);
  return [...names];
}

/** A server entry that cannot be started as written; the message names the key. */
export class EntryError extends Error {}

/**
 * `${VAR}` in an entry's `env` and `headers` values takes VAR from assist's environment (an unset
 * VAR is empty): the entry names what the server gets. A provider key is refused by name and by
 * value, whatever way it is written.
 */
function expand(value: string, where: string, env: NodeJS.ProcessEnv, keyNames: readonly string[]): string {
  const expanded = value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    if (keyNames.includes(name)) throw new EntryError(`${where} takes \${${name}}: an MCP server never gets provider keys`);
    return env[name] ?? '';
  });
  for (const name of keyNames) {
    const secret = env[name];
    if (secret && secret.length >= 8 && expanded.includes(secret)) throw new EntryError(`${where} holds the value of ${name}: an MCP server never gets provider keys`);
  }
  return expanded;
}

/**
 * The environment of a stdio server: `PATH` and `HOME` from assist's, and what its entry's `env`
 * names; nothing else (no provider keys, no tokens of other tools).
 */
export function serverEnv(name: string, entry: McpServerConfig, env: NodeJS.ProcessEnv, keyNames: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const base of ['PATH', 'HOME']) {
    const value = env[base];
    if (value !== undefined) out[base] = value;
  }
  for (const [key, value] of Object.entries(entry.env)) {
    if (keyNames.includes(key)) throw new EntryError(`mcp.servers.${name}.env.${key}: an MCP server never gets provider keys`);
    out[key] = expand(value, `mcp.servers.${name}.env.${key}`, env, keyNames);
  }
  return out;
}

/** The headers of an HTTP server, `${VAR}` expanded. Their values are never logged. */
export function serverHeaders(name: string, entry: McpServerConfig, env: NodeJS.ProcessEnv, keyNames: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(entry.headers)) out[key] = expand(value, `mcp.servers.${name}.headers.${key}`, env, keyNames);
  return out;
}
