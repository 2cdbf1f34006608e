// A handshake-era server (protocol 2025-11-25 and older) on the 1.x SDK's own classes, over stdio.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { TOOLS, markStart, runTool } from './tools.mjs';

markStart('v1-stdio');
const server = new Server({ name: 'v1-stdio', version: '1.0.0' }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: TOOLS }));
server.setRequestHandler(CallToolRequestSchema, async (request) => runTool('v1', request.params.name, request.params.arguments));
await server.connect(new StdioServerTransport());
