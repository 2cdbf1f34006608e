/* global setInterval */
// The tools every test server offers, written once for both SDK lines. Plain JavaScript: stdio
// servers run as their own node processes.
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';

/** Tool declarations as JSON Schema (the 1.x low-level server sends them as they are). */
export const TOOLS = [
  {
    name: 'echo',
    description: 'Echoes the text back, with the name of the server that answered.',
    inputSchema: { type: 'object', properties: { text: { type: 'string', description: 'what to echo' } }, required: ['text'] },
  },
  { name: 'show_env', description: 'Shows the environment the server runs with, as JSON.', inputSchema: { type: 'object', properties: {} } },
  { name: 'crash', description: 'Exits the server in the middle of the call.', inputSchema: { type: 'object', properties: {} } },
  { name: 'hang', description: 'Never answers.', inputSchema: { type: 'object', properties: {} } },
  { name: 'weather', description: 'Structured weather report for a city.', inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  { name: 'whoami', description: 'The process id of the server.', inputSchema: { type: 'object', properties: {} } },
];

/** Records that a server process started (tests count starts, or assert there were none). */
export function markStart(label) {
  const log = process.env.MCP_START_LOG;
  if (log) appendFileSync(log, `${label} ${process.pid}\n`);
  // Like many real servers (a wrapper and its child, open handles): one that does not go away when
  // its stdin closes, and has a child of its own.
  if (process.env.MCP_STUBBORN === '1' && label !== 'hang') {
    setInterval(() => undefined, 1 << 30);
    const child = spawn('sleep', ['600'], { stdio: 'ignore' });
    if (log) appendFileSync(log, `child ${child.pid}\n`);
  }
}

/** Runs a tool; `who` names the server in the echo so a test sees which one answered. */
export async function runTool(who, name, args) {
  switch (name) {
    case 'echo':
      return { content: [{ type: 'text', text: `${who} echo: ${args?.text ?? ''}` }] };
    case 'show_env':
      return { content: [{ type: 'text', text: JSON.stringify(process.env) }] };
    case 'crash':
      process.stderr.write('boom: the crash tool exits on purpose\n');
      setTimeout(() => process.exit(3), 0);
      return new Promise(() => undefined);
    case 'hang':
      markStart('hang');
      return new Promise(() => undefined);
    case 'weather':
      return { content: [{ type: 'text', text: `Weather in ${args?.city}` }], structuredContent: { city: args?.city, celsius: 21, sky: 'clear' } };
    case 'whoami':
      return { content: [{ type: 'text', text: String(process.pid) }] };
    default:
      return { content: [{ type: 'text', text: `no tool ${name}` }], isError: true };
  }
}
