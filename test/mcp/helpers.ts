import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, watch, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { McpServer, createMcpHandler, fromJsonSchema } from '@modelcontextprotocol/server';
import { Server as V1Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema, isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { TOOLS, runTool } from './servers/tools.mjs';
import type { TempRepo } from '../helpers/git-repo.js';

export const SERVERS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'servers');

/** A TOML string literal. */
export const toml = (value: string): string => JSON.stringify(value);

/** A `[mcp.servers.NAME]` table for one of the stdio test servers. */
export function stdioServer(name: string, kind: 'v1' | 'v2', options: { env?: Record<string, string>; timeoutS?: number } = {}): string {
  const env = Object.entries(options.env ?? {})
    .map(([k, v]) => `${k} = ${toml(v)}`)
    .join(', ');
  return [
    `[mcp.servers.${name}]`,
    `command = ${toml(process.execPath)}`,
    `args = [${toml(join(SERVERS_DIR, `${kind}-stdio.mjs`))}]`,
    ...(env ? [`env = { ${env} }`] : []),
    ...(options.timeoutS !== undefined ? [`timeout_s = ${options.timeoutS}`] : []),
    '',
  ].join('\n');
}

/** A `[mcp.servers.NAME]` table for an HTTP server. */
export function httpServer(name: string, url: string, headers: Record<string, string> = {}): string {
  const h = Object.entries(headers)
    .map(([k, v]) => `${toml(k)} = ${toml(v)}`)
    .join(', ');
  return [`[mcp.servers.${name}]`, `url = ${toml(url)}`, ...(h ? [`headers = { ${h} }`] : []), ''].join('\n');
}

/** Writes the person's own config file (`$XDG_CONFIG_HOME/assist/config.toml`) of a temp repo. */
export function writeUserConfig(repo: TempRepo, text: string): void {
  const dir = join(repo.home, '.config', 'assist');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.toml'), text);
}

/** Lines a start log has (each server process writes `label pid` when it starts). */
export function startLines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

/** One HTTP request an MCP test server received (headers only). */
export interface SeenRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface HttpMcpServer {
  url: string;
  requests: SeenRequest[];
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Answers 401 with the RFC 9728 challenge unless `allow` says the request may pass. */
export interface Guard {
  allow(req: IncomingMessage): boolean;
  resourceMetadataUrl: string;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function listen(server: Server, handler: (req: IncomingMessage, res: ServerResponse, url: string) => Promise<void>, guard?: Guard, extra?: (req: IncomingMessage, res: ServerResponse) => boolean): Promise<HttpMcpServer> {
  const requests: SeenRequest[] = [];
  let url = '';
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (extra?.(req, res)) return;
    requests.push({ method: req.method ?? '', headers: { ...req.headers } });
    if (guard && !guard.allow(req)) {
      res.writeHead(401, { 'www-authenticate': `Bearer resource_metadata="${guard.resourceMetadataUrl}"`, 'content-type': 'application/json' }).end('{"error":"invalid_token"}');
      return;
    }
    handler(req, res, url).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  const close = async (): Promise<void> => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { url, requests, close, [Symbol.asyncDispose]: close };
}

/**
 * A stateless server of the 2026-07-28 revision on the v2 SDK (`createMcpHandler`, with the
 * handshake refused: `legacy: 'reject'`), over Streamable HTTP on 127.0.0.1.
 */
export async function startV2Http(options: { guard?: Guard; extra?: (req: IncomingMessage, res: ServerResponse) => boolean } = {}): Promise<HttpMcpServer> {
  const handler = createMcpHandler(
    () => {
      const server = new McpServer({ name: 'v2-http', version: '2.0.0' }, { capabilities: { tools: {} } });
      for (const tool of TOOLS) server.registerTool(tool.name, { description: tool.description, inputSchema: fromJsonSchema(tool.inputSchema as never) }, async (args) => (await runTool('v2-http', tool.name, args as Record<string, unknown>)) as never);
      return server;
    },
    { legacy: 'reject' },
  );
  const http = createServer();
  const served = await listen(
    http,
    async (req, res, url) => {
      const body = req.method === 'POST' ? await readBody(req) : undefined;
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
      const response = await handler.fetch(new Request(new URL(req.url ?? '/', url), { method: req.method ?? 'GET', headers, ...(body ? { body } : {}) }));
      res.writeHead(response.status, Object.fromEntries(response.headers));
      if (response.body) for await (const chunk of response.body) res.write(chunk);
      res.end();
    },
    options.guard,
    options.extra,
  );
  const close = served.close;
  return {
    ...served,
    close: async () => {
      await handler.close();
      await close();
    },
    [Symbol.asyncDispose]: async () => {
      await handler.close();
      await close();
    },
  };
}

/** A handshake-era server on the 1.x SDK (stateful Streamable HTTP, one session per initialize). */
export async function startV1Http(): Promise<HttpMcpServer> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const http = createServer();
  return listen(http, async (req, res) => {
    const id = req.headers['mcp-session-id'];
    const body = req.method === 'POST' ? (JSON.parse((await readBody(req)).toString('utf8') || 'null') as unknown) : undefined;
    let transport = typeof id === 'string' ? sessions.get(id) : undefined;
    if (!transport && req.method === 'POST' && isInitializeRequest(body)) {
      transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (sid) => void sessions.set(sid, transport!) });
      const server = new V1Server({ name: 'v1-http', version: '1.0.0' }, { capabilities: { tools: {} } });
      server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: TOOLS }));
      server.setRequestHandler(CallToolRequestSchema, async (request) => runTool('v1-http', request.params.name, request.params.arguments) as never);
      await server.connect(transport);
    }
    if (!transport) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'Bad Request: No valid session ID provided' }, id: null }));
      return;
    }
    await transport.handleRequest(req, res, body);
  });
}

/** Waits until `file` has a line matching `pattern` (woken by the folder's change events, re-checked every 100 ms). */
export function waitForLine(file: string, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const line = startLines(file).find((l) => pattern.test(l));
      if (line === undefined) return;
      stop();
      resolve(line);
    };
    mkdirSync(dirname(file), { recursive: true });
    const watcher = watch(dirname(file), check);
    const poll = setInterval(check, 100);
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no line like ${pattern} in ${file} within ${timeoutMs} ms`));
    }, timeoutMs);
    const stop = (): void => {
      clearInterval(poll);
      clearTimeout(timer);
      watcher.close();
    };
    check();
  });
}

/** Whether any process of the group `pgid` is left. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Waits until no process of the group `pgid` is left. A process that is not ours sends no event
 * when it ends, so this looks every 50 ms, up to `timeoutMs`; resolves with whether it is gone.
 */
export async function groupGone(pgid: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pgid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}
