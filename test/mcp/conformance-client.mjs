#!/usr/bin/env node
/* global fetch */
// assist's MCP client as a client under test for @modelcontextprotocol/conformance (see docs/mcp.md,
// "Conformance"). The framework runs `node test/mcp/conformance-client.mjs <server-url>` with
// MCP_CONFORMANCE_SCENARIO set. It drives the built client code (dist/, `npm run build` first):
// `auth/*` scenarios log in as `assist mcp login` does (this script plays the person at the
// browser by following the authorization URL), then every scenario lists the server's tools and
// calls them as the tool loop would.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist');
const { buildConfig } = await import(join(dist, 'config', 'index.js'));
const { defaultEntries } = await import(join(dist, 'config', 'schema.js'));
const { McpManager, loadOAuth } = await import(join(dist, 'tools', 'mcp', 'index.js'));

const url = process.argv.at(-1);
const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '';
const stateDir = mkdtempSync(join(tmpdir(), 'assist-conformance-'));
const config = buildConfig(new Map(defaultEntries().map(([k, v]) => [k, { value: v, origin: { kind: 'default' } }])));
config.mcp.servers.conformance = { url, args: [], env: {}, headers: {}, enabled: true, timeoutS: 30 };
config.approval.mcpTools = ['*/*'];

async function browse(authorizationUrl) {
  // The person at the browser: the test authorization server consents at once and redirects back.
  let next = authorizationUrl.href;
  for (let hops = 0; hops < 5 && next; hops++) {
    const response = await fetch(next, { redirect: 'manual' });
    next = response.headers.get('location') ? new URL(response.headers.get('location'), next).href : null;
    await response.arrayBuffer();
  }
}

if (scenario.startsWith('auth/')) {
  const { login } = await loadOAuth();
  await login({ stateDir, server: 'conformance', url, onAuthorizationUrl: (u) => void browse(u).catch((e) => console.error(`browser: ${e.message}`)) });
  console.error('login: ok');
}

const manager = new McpManager({ config, env: process.env, cwd: process.cwd(), stateDir, onStatus: (m) => console.error(m) });
try {
  const tools = await manager.tools(1e9);
  console.error(`tools: ${tools.map((t) => t.spec.name).join(', ') || '(none)'}`);
  const ctx = { config, audit: { append: async () => undefined }, requestId: 'conformance', yes: true, interactive: false };
  for (const tool of tools) {
    const properties = tool.spec.parameters.properties ?? {};
    const args = Object.fromEntries(Object.entries(properties).map(([name, schema]) => [name, schema.type === 'number' || schema.type === 'integer' ? 2 : 'x']));
    const outcome = await tool.run(args, ctx);
    console.error(`${tool.spec.name}: ${outcome.ok ? 'ok' : 'error'}: ${outcome.text.slice(0, 200)}`);
  }
} finally {
  manager.close();
}
