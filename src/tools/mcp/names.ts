import { createHash } from 'node:crypto';

/** The providers' rule for tool names (OpenAI, Anthropic, Gemini): 1 to 64 of `[a-zA-Z0-9_-]`. */
export const TOOL_NAME_RULE = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX = 64;

function clean(part: string): string {
  const cleaned = part.replace(/[^a-zA-Z0-9_-]/g, '_');
  return cleaned === '' ? '_' : cleaned;
}

function shortHash(server: string, tool: string): string {
  return createHash('sha256').update(`${server}\0${tool}`).digest('hex').slice(0, 8);
}

/**
 * Names the model sees for MCP tools: `mcp__<server>__<tool>`, with characters outside the rule
 * replaced by `_` and long names cut to 64 characters. A name that had to change, or that another
 * tool already took, gets a suffix made from a hash of its server and tool names, so the same
 * configuration always gives the same names (the tool list is part of the cached request prefix),
 * whatever order the servers answered in. Keys of the result are `server\0tool`.
 */
export function fitToolNames(tools: ReadonlyArray<{ server: string; tool: string }>): Map<string, string> {
  const sorted = [...tools].sort((a, b) => (a.server === b.server ? (a.tool < b.tool ? -1 : a.tool > b.tool ? 1 : 0) : a.server < b.server ? -1 : 1));
  const taken = new Set<string>();
  const names = new Map<string, string>();
  // Names that fit as they are go first, so a mangled name never takes an exact one's place.
  const exact = sorted.filter(({ server, tool }) => TOOL_NAME_RULE.test(`mcp__${server}__${tool}`));
  const rest = sorted.filter((t) => !exact.includes(t));
  for (const { server, tool } of exact) {
    const name = `mcp__${server}__${tool}`;
    if (taken.has(name)) continue;
    taken.add(name);
    names.set(`${server}\0${tool}`, name);
  }
  for (const { server, tool } of [...rest, ...exact.filter(({ server, tool }) => !names.has(`${server}\0${tool}`))]) {
    const suffix = `_${shortHash(server, tool)}`;
    let base = `mcp__${clean(server)}__${clean(tool)}`;
    if (base.length + suffix.length > MAX) base = base.slice(0, MAX - suffix.length);
    let name = `${base}${suffix}`;
    for (let n = 2; taken.has(name); n++) name = `${base.slice(0, MAX - suffix.length - String(n).length)}${n}${suffix}`;
    taken.add(name);
    names.set(`${server}\0${tool}`, name);
  }
  return names;
}
