import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { McpServerConfig } from '../../config/types.js';

/** `$XDG_STATE_HOME/assist/mcp`, else `~/.local/state/assist/mcp`: remembered eras and OAuth tokens. */
export function mcpStateDir(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_STATE_HOME;
  const home = env.HOME && env.HOME !== '' ? env.HOME : homedir();
  return join(xdg && xdg !== '' ? xdg : join(home, '.local', 'state'), 'assist', 'mcp');
}

/**
 * A server entry's identity: what it runs or where it is, and what it is given. A changed entry is
 * another server as far as remembered eras go. Values are hashed, never stored.
 */
export function entryHash(entry: McpServerConfig): string {
  const sorted = (record: Record<string, string>): Array<[string, string]> => Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const identity = JSON.stringify({ command: entry.command ?? null, args: entry.args, env: sorted(entry.env), url: entry.url ?? null, headers: sorted(entry.headers) });
  return createHash('sha256').update(identity).digest('hex').slice(0, 32);
}
