import type { Tool } from '../tools/types.js';
import { mentionedFiles } from './chat-files.js';

/**
 * The tools plan mode offers (DESIGN §6b): they read and search, never write, run or reach outside
 * the repository. Named rather than taken by kind, so a read-kind tool added later is not offered
 * to a plan until someone decides it belongs there.
 */
export const PLAN_TOOL_NAMES: ReadonlySet<string> = new Set(['read_file', 'list_files', 'search', 'semantic_search', 'repo_map']);

/** The read-only subset of `tools`, in their order (the order is part of the cached prefix): no edit, write, command, test or MCP tool. */
export function planModeTools(tools: readonly Tool[]): readonly Tool[] {
  return tools.filter((tool) => tool.kind === 'read' && PLAN_TOOL_NAMES.has(tool.spec.name));
}

/** The system prompt of a plan-mode turn: read what the task needs, change nothing, end with a numbered plan naming files. */
export function planSystemPrompt(options: { tools: boolean }): string {
  const look = options.tools
    ? `Use the tools to find what the task needs: search for identifiers and text, list files, read the
files (or the parts of them) that matter. Do not guess at code you have not read.`
    : `Work from the repository map and the files shown; name any other file you would need to read.`;
  return `You are an expert software engineer planning a change with a person in their git repository.
This is plan mode: you cannot change files or run commands, and you must not write edits or
SEARCH/REPLACE blocks. ${look}
End your answer with the plan: a numbered list of steps, each naming the files it changes or
creates (paths relative to the repository root) and what changes in them, then how to check the
result (tests to run or add). Keep it short enough to review; say what you are unsure of.`;
}

/** What `/go` sends: the plan is the previous exchange of the conversation. */
export const GO_MESSAGE = 'Go ahead: carry out the plan above, step by step.';

/**
 * The files a plan names: tracked files (a whole path, or a file name only one tracked file has),
 * then paths of files it would create (a word with a folder and an extension, not tracked).
 */
export function planFiles(plan: string, tracked: readonly string[]): string[] {
  const known = mentionedFiles(plan, tracked);
  const trackedSet = new Set(tracked);
  const created = (plan.match(/(?<![\w./@+-])[\w@+-][\w.@+-]*(?:\/[\w.@+-]+)+\.[A-Za-z0-9]+/g) ?? []).filter((p) => !trackedSet.has(p) && !p.includes('..') && !p.startsWith('/'));
  return [...new Set([...known, ...created])];
}
