import type { McpManager } from '../tools/index.js';
import type * as ToolsModule from '../tools/index.js';
import type { Tool } from '../tools/types.js';
import type { SessionCore } from './core.js';
import { planModeTools } from './plan-mode.js';

/** The tools a session offers the model, its MCP servers among them (DESIGN §4 "Tools", "MCP"). */
export class SessionTools {
  private toolsCache: { key: string; tools: readonly Tool[] } | null = null;

  /** The MCP servers of this session: made on first use, null when none is configured (or none applies). */
  private mcp: McpManager | null | undefined;

  /** The tools module, once a turn has loaded it. */
  private toolsModule: typeof ToolsModule | undefined;

  constructor(private readonly core: SessionCore) {}

  /** The list the last {@link list} call returned (none before the first). */
  get cached(): readonly Tool[] {
    return this.toolsCache?.tools ?? [];
  }

  /** Whether MCP servers were started: only their tool list can change within a turn. */
  get hasMcp(): boolean {
    return Boolean(this.mcp);
  }

  close(): void {
    this.mcp?.close();
    // The search's git shell (src/tools/launcher.ts) ends with the session, not after the process.
    this.toolsModule?.closeGitShell();
  }

  private async mcpManager(): Promise<McpManager | null> {
    if (this.mcp !== undefined) return this.mcp;
    const { config, options, ui } = this.core;
    // MCP tools can act outside the repository: never in a dry run or in `explain`.
    const servers = Object.values(config.mcp.servers);
    if (options.dryRun || options.mode === 'explain' || !servers.some((s) => s.enabled)) return (this.mcp = null);
    const { loadMcp } = await import('../tools/index.js');
    const { McpManager } = await loadMcp();
    this.mcp = new McpManager({ config, env: options.env, cwd: this.core.root, onStatus: (message) => ui.status?.(message) });
    return this.mcp;
  }

  /** The tools this session offers: read-only ones for `explain` and plan mode; no commands in a dry run (they could write); MCP tools (DESIGN §4 "MCP"). */
  async list(signal?: AbortSignal): Promise<readonly Tool[]> {
    const { options } = this.core;
    // Plan mode and `explain` offer the read-only tools only (one filter for both) and start no MCP server:
    // an MCP tool can do anything, so it is never part of a turn that promises to change nothing.
    const plan = this.core.planMode;
    const readOnly = plan || options.mode === 'explain';
    const mcp = readOnly ? null : await this.mcpManager();
    // A tenth of the window for MCP definitions; past that, `mcp_tools` finds them on demand.
    const mcpBudget = Math.floor(this.core.modelInfo(this.core.model).contextWindow / 10);
    const mcpTools = mcp ? await mcp.tools(mcpBudget, signal) : [];
    const key = `${options.mode ?? 'chat'}:${options.dryRun ? 'dry' : ''}:${plan ? 'plan' : ''}:${mcpTools.map((t) => t.spec.name).join(',')}`;
    if (this.toolsCache?.key === key) return this.toolsCache.tools;
    this.toolsModule ??= await import('../tools/index.js');
    const { allTools } = this.toolsModule;
    let tools: readonly Tool[] = readOnly ? planModeTools(allTools()) : allTools();
    if (options.dryRun) tools = tools.filter((t) => t.kind !== 'run');
    tools = [...tools, ...mcpTools];
    this.toolsCache = { key, tools };
    return tools;
  }
}
