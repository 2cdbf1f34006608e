// A stateless server of the 2026-07-28 revision on the v2 SDK's own classes, over stdio. It
// refuses the initialize handshake (legacy: 'reject'), so only a client that speaks the
// stateless revision can use it.
import { McpServer, fromJsonSchema } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { TOOLS, markStart, runTool } from './tools.mjs';

markStart('v2-stdio');
serveStdio(
  () => {
    const server = new McpServer({ name: 'v2-stdio', version: '2.0.0' }, { capabilities: { tools: {} } });
    for (const tool of TOOLS) {
      server.registerTool(tool.name, { description: tool.description, inputSchema: fromJsonSchema(tool.inputSchema) }, async (args) => runTool('v2', tool.name, args));
    }
    return server;
  },
  { legacy: 'reject' },
);
