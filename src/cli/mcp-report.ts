import type { LoadedConfig } from '../config/index.js';
import type { McpServerReport } from '../tools/index.js';
import type { AssistCommand } from './base.js';

/** Servers named only by an untrusted project file: their keys were ignored, so they are not started. */
function untrustedServers(loaded: LoadedConfig): string[] {
  const names = new Set<string>();
  for (const key of loaded.ignoredUntrusted) {
    const match = /^mcp\.servers\.("(?:[^"]|\\")*"|[^.]+)\./.exec(key);
    if (!match) continue;
    const name = match[1]!.startsWith('"') ? (JSON.parse(match[1]!) as string) : match[1]!;
    if (!(name in loaded.config.mcp.servers)) names.add(name);
  }
  return [...names].sort();
}

/**
 * Every MCP server of the config with its state, era and tools: the enabled ones are started (and
 * stopped again) to find out. `assist mcp list` and `assist doctor` show this.
 */
export async function mcpReports(command: AssistCommand, loaded: LoadedConfig, root: string): Promise<McpServerReport[]> {
  const reports: McpServerReport[] = [];
  if (Object.keys(loaded.config.mcp.servers).length > 0) {
    const { loadMcp } = await import('../tools/index.js');
    const { McpManager } = await loadMcp();
    const manager = new McpManager({ config: loaded.config, env: command.context.env, cwd: root });
    try {
      reports.push(...(await manager.report()));
    } finally {
      manager.close();
    }
  }
  for (const name of untrustedServers(loaded)) {
    reports.push({ name, transport: 'stdio', state: 'untrusted', reason: 'it is defined in .assist.toml, which is not trusted: review it, then run `assist trust`', tools: [] });
  }
  return reports.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
