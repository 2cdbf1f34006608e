import picomatch from 'picomatch';
import { AssistError, ExitCode } from '../../errors.js';
import type { Config, McpServerConfig } from '../../config/types.js';
import { estimateTextTokens } from '../../llm/estimate.js';
import { objectSchema } from '../args.js';
import { failure } from '../common.js';
import type { Tool, ToolContext, ToolOutcome } from '../types.js';
import type { McpConnection, ServerTool } from './connection.js';
import { providerKeyNames } from './env.js';
import { fitToolNames } from './names.js';
import { mcpStateDir } from './paths.js';
import { renderCallResult } from './render.js';

/** A server's state as `assist mcp list` shows it. */
export type McpServerState = 'ok' | 'failed' | 'disabled' | 'untrusted' | 'needs-login' | 'not-started';

/** One server, for `assist mcp list` and `doctor`. */
export interface McpServerReport {
  name: string;
  transport: 'stdio' | 'http';
  state: McpServerState;
  /** Why it failed, for `failed` and `needs-login`. */
  reason?: string;
  /** `modern` (2026-07-28, stateless) or `legacy` (the initialize handshake), once connected. */
  era?: 'modern' | 'legacy';
  /** The negotiated revision. */
  version?: string;
  /** Its tools: the server's name and the name the model sees. */
  tools: Array<{ name: string; modelName: string; description: string }>;
}

export interface McpManagerOptions {
  config: Config;
  /** assist's environment (servers get only what their entries name from it). */
  env: NodeJS.ProcessEnv;
  /** The repository root: stdio servers run there. */
  cwd: string;
  /** One-line notices for the person (a server that failed to start, or went away between calls). */
  onStatus?(message: string): void;
  /** Default: `$XDG_STATE_HOME/assist/mcp`. */
  stateDir?: string;
  clientVersion?: string;
}

interface ServerSlot {
  name: string;
  config: McpServerConfig;
  state: McpServerState;
  reason?: string;
  connection?: McpConnection;
  /** Calls under way: a server that dies during one is reported by the call, not twice. */
  inFlight: number;
}

interface OfferedTool {
  server: string;
  info: ServerTool;
  tool: Tool;
}

// Every live manager, so that leaving the process (even through process.exit) stops their servers.
const live = new Set<McpManager>();
let exitHook = false;
function stopAllAtExit(): void {
  for (const manager of live) manager.close();
}

const SEARCH_LIMIT = 5;

function words(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 1);
}

/** Whether `approval.mcp_tools` lists a call: `server/tool` or a glob such as `server/*`. */
export function listedInApproval(globs: readonly string[], server: string, tool: string): boolean {
  return globs.some((glob) => picomatch.isMatch(`${server}/${tool}`, glob, { dot: true }));
}

/**
 * The MCP servers of one session (DESIGN.md §4 "MCP"): started together on first use, their tools
 * offered as `Tool`s the loop runs like any other, faults reported in one line with the server's
 * tools withdrawn, and every server stopped when the session closes or the process leaves.
 */
export class McpManager {
  private readonly slots = new Map<string, ServerSlot>();
  private started: Promise<void> | null = null;
  private offered: OfferedTool[] = [];
  private readonly loaded: string[] = [];
  private searchTool: Tool | null = null;
  /** Changes whenever the tools to offer change (a server withdrawn, definitions loaded by `mcp_tools`). */
  version = 0;
  private readonly stateDir: string;

  constructor(private readonly options: McpManagerOptions) {
    this.stateDir = options.stateDir ?? mcpStateDir(options.env);
    for (const name of Object.keys(options.config.mcp.servers).sort()) {
      const config = options.config.mcp.servers[name]!;
      this.slots.set(name, { name, config, state: config.enabled ? 'not-started' : 'disabled', inFlight: 0 });
    }
  }

  /** Whether any server would be started. */
  get hasServers(): boolean {
    return [...this.slots.values()].some((s) => s.state !== 'disabled');
  }

  /**
   * Starts every enabled server at once (the first call does; later calls wait for the same start).
   * `signal` (Ctrl-C) stops the waiting, not the start: the servers stay usable for the next turn.
   */
  start(signal?: AbortSignal): Promise<void> {
    this.started ??= this.startAll();
    if (!signal) return this.started;
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(new AssistError('session.interrupted', 'interrupted while the MCP servers were starting', { exitCode: ExitCode.interrupted }));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.started!.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private async startAll(): Promise<void> {
    live.add(this);
    if (!exitHook) {
      exitHook = true;
      process.once('exit', stopAllAtExit);
    }
    const { McpConnection, McpStartError } = await import('./connection.js');
    const keyNames = providerKeyNames(this.options.config);
    const clientVersion = this.options.clientVersion ?? '0';
    await Promise.all(
      [...this.slots.values()]
        .filter((slot) => slot.state === 'not-started')
        .map(async (slot) => {
          try {
            slot.connection = await McpConnection.open(
              {
                name: slot.name,
                config: slot.config,
                env: this.options.env,
                cwd: this.options.cwd,
                stateDir: this.stateDir,
                providerKeyNames: keyNames,
                clientVersion,
                onGone: (reason) => this.gone(slot, reason),
              },
            );
            slot.state = 'ok';
          } catch (error) {
            const needsLogin = error instanceof McpStartError && error.needsLogin;
            slot.state = needsLogin ? 'needs-login' : 'failed';
            slot.reason = (error as Error).message;
            this.options.onStatus?.(needsLogin ? `MCP server "${slot.name}" ${slot.reason}; its tools are not offered` : `MCP server "${slot.name}" failed to start: ${slot.reason}; its tools are not offered`);
          }
        }),
    );
    this.offered = this.buildTools();
  }

  private buildTools(): OfferedTool[] {
    const pairs: Array<{ server: string; info: ServerTool }> = [];
    for (const slot of this.slots.values()) if (slot.state === 'ok') for (const info of slot.connection?.tools ?? []) pairs.push({ server: slot.name, info });
    const names = fitToolNames(pairs.map((p) => ({ server: p.server, tool: p.info.name })));
    return pairs.map(({ server, info }) => ({ server, info, tool: this.mcpTool(server, info, names.get(`${server}\0${info.name}`)!) }));
  }

  /** A server went away outside a call: withdrawn, and said once. */
  private gone(slot: ServerSlot, reason: string): void {
    if (slot.state !== 'ok') return;
    const duringCall = slot.inFlight > 0;
    this.withdraw(slot, reason);
    if (!duringCall) this.options.onStatus?.(`MCP server "${slot.name}" ${reason}; its tools are withdrawn for this session`);
  }

  private withdraw(slot: ServerSlot, reason: string): void {
    if (slot.state !== 'ok') return;
    slot.state = 'failed';
    slot.reason = reason;
    slot.connection?.close();
    this.version++;
  }

  /**
   * The tools to offer the model, servers started first. When their definitions would take more
   * than `budgetTokens` (a tenth of the model's window), `mcp_tools` is offered instead, followed by
   * the definitions it has loaded so far, in the order they were loaded (so the tool list only
   * grows at its end and the prefix before it stays byte-stable).
   */
  async tools(budgetTokens: number, signal?: AbortSignal): Promise<Tool[]> {
    await this.start(signal);
    const available = this.offered.filter((o) => this.slots.get(o.server)?.state === 'ok');
    if (available.length === 0) return [];
    const size = estimateTextTokens(JSON.stringify(this.offered.map((o) => o.tool.spec)));
    if (size <= budgetTokens) return available.map((o) => o.tool);
    this.searchTool ??= this.makeSearchTool();
    const byName = new Map<string, Tool>(available.map((o) => [o.tool.spec.name, o.tool]));
    return [this.searchTool, ...this.loaded.map((name) => byName.get(name)).filter((t): t is Tool => t !== undefined)];
  }

  /** Every configured server with its state, era and tools (starting them if needed): `assist mcp list`. */
  async report(signal?: AbortSignal): Promise<McpServerReport[]> {
    await this.start(signal);
    return [...this.slots.values()].map((slot) => ({
      name: slot.name,
      transport: slot.config.url ? 'http' : 'stdio',
      state: slot.state,
      ...(slot.reason ? { reason: slot.reason } : {}),
      ...(slot.connection?.era ? { era: slot.connection.era } : {}),
      ...(slot.connection?.version ? { version: slot.connection.version } : {}),
      tools: this.offered.filter((o) => o.server === slot.name).map((o) => ({ name: o.info.name, modelName: o.tool.spec.name, description: o.info.description })),
    }));
  }

  /** Stops every server now (synchronously signals stdio servers' process groups). */
  close(): void {
    live.delete(this);
    for (const slot of this.slots.values()) {
      slot.connection?.close();
      if (slot.state === 'ok') slot.state = 'not-started';
    }
  }

  private mcpTool(server: string, info: ServerTool, modelName: string): Tool {
    const { $schema: _drop, ...schema } = info.inputSchema;
    const parameters: Record<string, unknown> = { ...schema, type: 'object', ...(schema.properties === undefined ? { properties: {} } : {}) };
    return {
      spec: { name: modelName as `mcp__${string}`, description: info.description || `Tool ${info.name} of the MCP server ${server}.`, parameters },
      kind: 'mcp',
      run: (args, ctx) => this.callTool(server, info.name, modelName, args, ctx),
    };
  }

  private async callTool(server: string, tool: string, modelName: string, args: Record<string, unknown>, ctx: ToolContext): Promise<ToolOutcome> {
    const slot = this.slots.get(server);
    const what = `${server}/${tool}`;
    const audit = async (result: string, reason?: string): Promise<void> => void (await ctx.audit.append({ op: 'mcp', path: what, result, ...(reason ? { reason } : {}), requestId: ctx.requestId }));
    if (!slot?.connection || slot.state !== 'ok') {
      return failure(`The MCP server "${server}" is not available (${slot?.reason ?? 'not running'}); its tools are withdrawn for this session. Do not call them again.`, `${modelName}: server ${server} is not available`);
    }
    if (!listedInApproval(ctx.config.approval.mcpTools, server, tool)) {
      if (ctx.yes) {
        await audit('denied', 'not listed in approval.mcp_tools (--yes or pr)');
        return failure(
          `Not run: ${what} is not listed in approval.mcp_tools, and with --yes (or in pr) only listed MCP tools run. Do without it, or tell the person to list it.`,
          `${modelName}: refused (not in approval.mcp_tools)`,
        );
      }
      if (!ctx.interactive || !ctx.approveMcpCall) {
        await audit('denied', 'needs approval and nobody can be asked');
        return failure(`Not run: ${what} needs the person's approval and there is no terminal to ask.`, `${modelName}: refused (needs approval)`);
      }
      if (!(await ctx.approveMcpCall({ server, tool, arguments: args }))) {
        await audit('declined', 'declined by the person');
        return failure(`declined: the person did not approve this call of ${what}.`, `${modelName}: declined`);
      }
    }
    slot.inFlight++;
    let result;
    try {
      result = await slot.connection.call(tool, args, { timeoutMs: Math.max(1, slot.config.timeoutS * 1000), ...(ctx.signal ? { signal: ctx.signal } : {}) });
    } catch (error) {
      if (ctx.signal?.aborted) throw error;
      const { McpFaultError } = await import('./connection.js');
      if (!(error instanceof McpFaultError)) throw error;
      this.withdraw(slot, error.message);
      await audit('failed', error.message);
      return failure(
        `The MCP server "${server}" ${error.message}. Its tools are withdrawn for this session; go on without them.`,
        `${modelName}: server ${server} ${error.message}; its tools are withdrawn`,
      );
    } finally {
      slot.inFlight--;
    }
    const text = renderCallResult(result);
    await audit(result.isError ? 'error' : 'ok');
    return { kind: 'result', ok: result.isError !== true, text, status: `${what}${result.isError ? ' (the tool reported an error)' : ''} (${text.length} chars)` };
  }

  private makeSearchTool(): Tool {
    const servers = [...this.slots.values()].filter((s) => s.state === 'ok').map((s) => s.name);
    return {
      spec: {
        name: 'mcp_tools' as const,
        description: `Finds tools of the MCP servers ${servers.join(', ')} (${this.offered.length} tools, too many to list here) by words, and makes the ones found callable: it returns their names, descriptions and parameter schemas.`,
        parameters: objectSchema(
          {
            query: { type: 'string', description: 'words describing what the tool should do, or its name' },
            limit: { type: 'integer', description: `how many tools at most (default ${SEARCH_LIMIT})`, minimum: 1, maximum: 20 },
          },
          ['query'],
        ),
      },
      kind: 'read',
      run: async (args) => this.search(String(args.query), typeof args.limit === 'number' ? args.limit : SEARCH_LIMIT),
    };
  }

  private search(query: string, limit: number): ToolOutcome {
    const available = this.offered.filter((o) => this.slots.get(o.server)?.state === 'ok');
    const wanted = words(query);
    const scored = available
      .map((o) => {
        const nameWords = new Set([...words(o.info.name), ...words(o.server)]);
        const descWords = new Set(words(o.info.description));
        let score = 0;
        for (const w of wanted) {
          if (nameWords.has(w) || o.tool.spec.name.toLowerCase().includes(w)) score += 3;
          if (descWords.has(w)) score += 1;
        }
        return { o, score };
      })
      .filter((s) => s.score > 0)
      .sort((a, b) => b.score - a.score || (a.o.tool.spec.name < b.o.tool.spec.name ? -1 : 1))
      .slice(0, limit);
    if (scored.length === 0) {
      const names = available.slice(0, 60).map((o) => o.tool.spec.name);
      return { kind: 'result', ok: true, text: `No MCP tool matched "${query}". Some of the tools: ${names.join(', ')}.`, status: `mcp_tools "${query}": no match` };
    }
    let added = 0;
    for (const { o } of scored) {
      if (this.loaded.includes(o.tool.spec.name)) continue;
      this.loaded.push(o.tool.spec.name);
      added++;
    }
    if (added > 0) this.version++;
    const text = scored
      .map(({ o }) => `${o.tool.spec.name}\n  ${o.tool.spec.description.replace(/\n+/g, ' ')}\n  parameters: ${JSON.stringify(o.tool.spec.parameters)}`)
      .join('\n\n');
    return {
      kind: 'result',
      ok: true,
      text: `${scored.length} MCP tool${scored.length === 1 ? '' : 's'} found; from your next step you can call ${scored.length === 1 ? 'it' : 'them'} by ${scored.length === 1 ? 'this name' : 'these names'}:\n\n${text}`,
      status: `mcp_tools "${query}": ${scored.length} found`,
    };
  }
}
