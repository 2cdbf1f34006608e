import { Client, StreamableHTTPClientTransport, type DiscoverResult, type PriorDiscovery, type Transport } from '@modelcontextprotocol/client';
import type { McpServerConfig } from '../../config/types.js';
import { EntryError, serverEnv, serverHeaders } from './env.js';
import { EraStore } from './era-store.js';
import { NeedsLoginError, runtimeProvider } from './oauth.js';
import { entryHash } from './paths.js';
import type { McpCallResult } from './render.js';
import { GroupStdioTransport } from './stdio-transport.js';

/** One tool as the server declares it. */
export interface ServerTool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

export interface ConnectionOptions {
  name: string;
  config: McpServerConfig;
  /** assist's environment: `${VAR}` in the entry reads it; the server never gets it whole. */
  env: NodeJS.ProcessEnv;
  /** Where stdio servers run: the repository root. */
  cwd: string;
  stateDir: string;
  providerKeyNames: readonly string[];
  clientVersion: string;
  /** Called once when the server goes away on its own (a crash, a dropped connection). */
  onGone?(reason: string): void;
}

/** Why a server could not be used, in one line; `needsLogin` when OAuth is what is missing. */
export class McpStartError extends Error {
  constructor(
    message: string,
    readonly needsLogin = false,
  ) {
    super(message);
  }
}

/** Why a call failed on the server's side (it died, timed out or the connection broke): its tools are withdrawn. */
export class McpFaultError extends Error {}

/** The least time a server gets to start and list its tools. */
const START_TIMEOUT_MS = 30_000;

/** A probe on stdio waits this long for `server/discover` before taking silence as a legacy server. */
const PROBE_TIMEOUT_MS = 5_000;

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

function isUnauthorized(error: unknown): boolean {
  const e = error as { name?: string; code?: unknown; data?: { status?: number } } | null;
  return e?.name === 'UnauthorizedError' || e?.data?.status === 401 || errorCode(error) === 'CLIENT_HTTP_AUTHENTICATION' || error instanceof NeedsLoginError;
}

/** A URL for messages: no query string or credentials (they may carry tokens). */
export function printableUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * One running MCP server: the official client over our stdio transport or Streamable HTTP,
 * connected in the protocol era found once and remembered (DESIGN.md §4 "MCP").
 */
export class McpConnection {
  era: 'modern' | 'legacy' | undefined;
  version: string | undefined;
  tools: ServerTool[] = [];
  private client: Client | undefined;
  private transport: Transport | undefined;
  private closing = false;

  private constructor(private readonly options: ConnectionOptions) {}

  /** Starts (or reaches) the server, settles its era, and lists its tools, all within `timeout_s`. */
  static async open(options: ConnectionOptions, signal?: AbortSignal): Promise<McpConnection> {
    const connection = new McpConnection(options);
    // `timeout_s` bounds a call; a start gets at least START_TIMEOUT_MS (`npx -y` may download first).
    const timeoutMs = Math.max(START_TIMEOUT_MS, options.config.timeoutS * 1000);
    try {
      await connection.start(timeoutMs, signal);
    } catch (error) {
      // Described before closing: the description reads how the server process ended.
      const described = connection.startError(error, timeoutMs);
      connection.close();
      throw described;
    }
    return connection;
  }

  private startError(error: unknown, timeoutMs: number): Error {
    if (error instanceof McpStartError) return error;
    if (error instanceof EntryError) return new McpStartError(error.message);
    if (isUnauthorized(error)) return new McpStartError(`needs authorization: run \`assist mcp login ${this.options.name}\``, true);
    const stdio = this.transport instanceof GroupStdioTransport ? this.transport : undefined;
    if (stdio?.exit) return new McpStartError(this.exitText(stdio));
    if (errorCode(error) === 'REQUEST_TIMEOUT' || (error as Error | null)?.name === 'TimeoutError') return new McpStartError(`did not start within ${Math.round(timeoutMs / 100) / 10} s`);
    const cause = (error as { cause?: { code?: string } } | null)?.cause;
    if (cause?.code === 'ECONNREFUSED' && this.options.config.url) return new McpStartError(`cannot connect to ${printableUrl(this.options.config.url)}: connection refused`);
    return new McpStartError(firstLine(error instanceof Error ? error.message : String(error)));
  }

  /** `exited with code 3 during the call: <its last stderr line>`. */
  private exitText(stdio: GroupStdioTransport, when = ''): string {
    const exit = stdio.exit;
    const how = exit?.signal ? `was killed by ${exit.signal}` : `exited with code ${exit?.code ?? '?'}`;
    const said = stdio.lastStderrLine();
    return `${how}${when}${said ? `: ${said}` : ''}`;
  }

  private async newTransport(): Promise<Transport> {
    const { name, config } = this.options;
    if (config.url) {
      const headers = serverHeaders(name, config, this.options.env, this.options.providerKeyNames);
      const authProvider = await runtimeProvider(this.options.stateDir, name, config.url);
      return new StreamableHTTPClientTransport(new URL(config.url), { requestInit: { headers }, ...(authProvider ? { authProvider } : {}) });
    }
    if (!config.command) throw new McpStartError(`mcp.servers.${name} has neither command nor url`);
    return new GroupStdioTransport({ command: config.command, args: config.args, env: serverEnv(name, config, this.options.env, this.options.providerKeyNames), cwd: this.options.cwd });
  }

  private newClient(auto: boolean): Client {
    const client = new Client(
      { name: 'assist', version: this.options.clientVersion },
      { capabilities: {}, ...(auto ? { versionNegotiation: { mode: 'auto' as const, probe: { timeoutMs: PROBE_TIMEOUT_MS } } } : {}) },
    );
    client.onclose = () => {
      if (this.closing || this.client !== client) return;
      const stdio = this.transport instanceof GroupStdioTransport ? this.transport : undefined;
      this.options.onGone?.(stdio ? this.exitText(stdio) : 'the connection closed');
    };
    // Protocol noise (a stray stdout line) is not a fault; a dead server shows up as onclose.
    client.onerror = () => undefined;
    return client;
  }

  private async connect(prior: PriorDiscovery | undefined, timeoutMs: number, signal: AbortSignal): Promise<void> {
    const transport = await this.newTransport();
    const client = this.newClient(prior === undefined);
    this.transport = transport;
    this.client = client;
    await client.connect(transport, { timeout: timeoutMs, signal, ...(prior ? { prior } : {}) });
  }

  private async start(timeoutMs: number, outer?: AbortSignal): Promise<void> {
    const signal = outer ? AbortSignal.any([outer, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
    const eras = new EraStore(this.options.stateDir);
    const hash = entryHash(this.options.config);
    const remembered = await eras.get(hash);
    let prior: PriorDiscovery | undefined;
    if (remembered?.era === 'legacy') prior = { kind: 'legacy' };
    else if (remembered?.era === 'modern' && remembered.discover) prior = { kind: 'modern', discover: remembered.discover as DiscoverResult };

    if (prior) {
      try {
        await this.connect(prior, timeoutMs, signal);
        await this.listTools(timeoutMs, signal);
        return;
      } catch (error) {
        // A verdict gone stale (the server was upgraded or replaced) shows as a protocol error: find out again.
        const stale = errorCode(error) === 'ERA_NEGOTIATION_FAILED' || typeof (error as { code?: unknown } | null)?.code === 'number';
        if (!stale) throw error;
        await this.closeCurrent();
        await eras.set(hash, null);
      }
    }

    try {
      await this.connect(undefined, timeoutMs, signal);
    } catch (error) {
      // A stdio server that exits when asked `server/discover` before `initialize` is a legacy one:
      // probing ran in place (this transport owns its process group), so start it once more.
      const closedDuringProbe = errorCode(error) === 'ERA_NEGOTIATION_FAILED' && /closed/i.test((error as Error).message) && !this.options.config.url;
      if (!closedDuringProbe) throw error;
      await this.closeCurrent();
      await this.connect({ kind: 'legacy' }, timeoutMs, signal);
    }
    await this.listTools(timeoutMs, signal);
    const client = this.client!;
    const era = client.getProtocolEra() ?? 'legacy';
    const version = client.getNegotiatedProtocolVersion();
    const discover = client.getDiscoverResult();
    await eras.set(hash, { era, ...(version ? { version } : {}), ...(era === 'modern' && discover ? { discover } : {}), at: new Date().toISOString() }).catch(() => undefined);
  }

  private async listTools(timeoutMs: number, signal: AbortSignal): Promise<void> {
    const client = this.client!;
    this.era = client.getProtocolEra();
    this.version = client.getNegotiatedProtocolVersion();
    const listed = await client.listTools(undefined, { timeout: timeoutMs, signal });
    this.tools = listed.tools.map((tool) => ({
      name: tool.name,
      description: tool.description ?? '',
      inputSchema: tool.inputSchema as Record<string, unknown>,
    }));
  }

  private async closeCurrent(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    const transport = this.transport;
    this.transport = undefined;
    await client?.close().catch(() => undefined);
    await transport?.close().catch(() => undefined);
  }

  /**
   * Calls a tool. A result the server marks as an error comes back as such; the server dying,
   * timing out or the connection breaking throws {@link McpFaultError} (one line); Ctrl-C
   * (`signal`) throws the SDK's abort error.
   */
  async call(tool: string, args: Record<string, unknown>, options: { timeoutMs: number; signal?: AbortSignal }): Promise<McpCallResult> {
    const client = this.client;
    // Kept now: a crash withdraws the server (and drops its transport) before the call hears of it.
    const stdio = this.transport instanceof GroupStdioTransport ? this.transport : undefined;
    if (!client) throw new McpFaultError('is not running');
    try {
      return (await client.callTool({ name: tool, arguments: args }, { timeout: options.timeoutMs, ...(options.signal ? { signal: options.signal } : {}) })) as McpCallResult;
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const code = errorCode(error);
      if (code === 'REQUEST_TIMEOUT') throw new McpFaultError(`did not answer within ${Math.round(options.timeoutMs / 100) / 10} s (mcp.servers.${this.options.name}.timeout_s)`);
      if (code === 'CONNECTION_CLOSED' || code === 'NOT_CONNECTED' || code === 'SEND_FAILED' || stdio?.exit) {
        if (stdio) await new Promise((resolve) => setImmediate(resolve));
        throw new McpFaultError(stdio?.exit ? this.exitText(stdio, ' during the call') : 'the connection closed during the call');
      }
      if (isUnauthorized(error)) throw new McpFaultError(`needs authorization: run \`assist mcp login ${this.options.name}\``);
      if (error instanceof NeedsLoginError) throw new McpFaultError(error.message);
      if (typeof (error as { code?: unknown })?.code === 'number') {
        // A JSON-RPC error from the server (unknown tool, invalid arguments): the model can fix that.
        return { content: [{ type: 'text', text: firstLine((error as Error).message) }], isError: true };
      }
      const cause = (error as { cause?: { code?: string } } | null)?.cause;
      if (cause?.code === 'ECONNREFUSED' || cause?.code === 'ECONNRESET' || (error as Error).name === 'TypeError') throw new McpFaultError(`the connection failed during the call (${firstLine((error as Error).message)})`);
      throw new McpFaultError(firstLine((error as Error).message));
    }
  }

  /** The server's pid for a stdio server (tests, `mcp list`), null over HTTP. */
  get pid(): number | null {
    return this.transport instanceof GroupStdioTransport ? this.transport.pid : null;
  }

  /** Stops the server at once: its process group is signalled synchronously (safe at exit). */
  close(): void {
    this.closing = true;
    if (this.transport instanceof GroupStdioTransport) this.transport.kill();
    void this.closeCurrent();
  }
}
