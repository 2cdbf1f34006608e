import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';
import { resolveInside } from '../sandbox/index.js';
import { objectSchema } from './args.js';
import { charBudget, formatCount } from './cap.js';
import { denied, extraGitDirs, failure, result, shortPath } from './common.js';
import type { Tool, ToolContext, ToolOutcome } from './types.js';

export const DEFAULT_READ_LIMIT = 2000;
const MAX_READ_LIMIT = 10_000;
const MAX_LINE_CHARS = 2000;
// Room for the trailing note about the rest of the file.
const NOTE_RESERVE = 240;

type Loaded = { ok: true; text: string; notes: string[] } | { ok: false; message: string };

async function load(abs: string, display: string, maxBytes: number): Promise<Loaded> {
  // O_NOFOLLOW: the policy resolved every link; a link swapped in since then is not followed.
  // O_NONBLOCK: a FIFO swapped in would otherwise block the open forever.
  const handle = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return { ok: false, message: `${display} is not a regular file.` };
    if (stats.size > maxBytes) {
      return {
        ok: false,
        message: `${display} is ${formatCount(stats.size)} bytes, over context.max_file_bytes (${formatCount(maxBytes)}); use search to find the lines you need.`,
      };
    }
    const buf = await handle.readFile();
    if (buf.length > maxBytes) return { ok: false, message: `${display} grew past context.max_file_bytes while it was read.` };
    if (buf.indexOf(0) !== -1) return { ok: false, message: `${display} is a binary file (it contains NUL bytes); read_file shows text files only.` };
    const notes = isUtf8(buf) ? [] : ['(the file is not valid UTF-8; invalid bytes are shown as \uFFFD)'];
    let text = buf.toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { ok: true, text, notes };
  } finally {
    await handle.close();
  }
}

function countLines(text: string): number {
  if (text.length === 0) return 0;
  let count = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) count++;
  return text.endsWith('\n') ? count : count + 1;
}

/** What part of a text {@link numberLines} showed. */
export interface NumberedLines {
  text: string;
  /** 1-based first and last line shown. */
  first: number;
  last: number;
  total: number;
  /** True when the character budget, not `limit` or the end, stopped the listing. */
  budgetStopped: boolean;
}

/**
 * Lines `offset`..`offset + limit - 1` of `text`, each as `N\t<line>\n`, at least one line and
 * no more than `budget` characters otherwise; lines longer than 2,000 characters are cut with a
 * mark. Scans only as far as needed, plus one count of the newlines.
 */
export function numberLines(text: string, offset: number, limit: number, budget: number): NumberedLines {
  const total = countLines(text);
  let pos = 0;
  for (let n = 1; n < offset && pos <= text.length; n++) {
    const nl = text.indexOf('\n', pos);
    pos = nl === -1 ? text.length + 1 : nl + 1;
  }
  const parts: string[] = [];
  let used = 0;
  let n = offset;
  let budgetStopped = false;
  while (n < offset + limit && n <= total) {
    const nl = text.indexOf('\n', pos);
    const end = nl === -1 ? text.length : nl;
    let line = text.slice(pos, end > pos && text.charCodeAt(end - 1) === 13 ? end - 1 : end);
    if (line.length > MAX_LINE_CHARS) {
      const cut = (line.charCodeAt(MAX_LINE_CHARS - 1) & 0xfc00) === 0xd800 ? MAX_LINE_CHARS - 1 : MAX_LINE_CHARS;
      line = `${line.slice(0, cut)} [… line cut: ${formatCount(line.length)} characters]`;
    }
    const rendered = `${n}\t${line}\n`;
    if (parts.length > 0 && used + rendered.length > budget) {
      budgetStopped = true;
      break;
    }
    parts.push(rendered);
    used += rendered.length;
    pos = end + 1;
    n++;
  }
  return { text: parts.join(''), first: offset, last: n - 1, total, budgetStopped };
}

async function run(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolOutcome> {
  const path = args['path'] as string;
  const offset = (args['offset'] as number | undefined) ?? 1;
  const limit = (args['limit'] as number | undefined) ?? DEFAULT_READ_LIMIT;
  const checked = await resolveInside(ctx.root, path, {
    mode: 'read',
    readPaths: ctx.config.sandbox.readPaths,
    addedByName: ctx.addedByName,
    checkIgnored: true,
    ...(ctx.knownNotIgnored ? { knownNotIgnored: ctx.knownNotIgnored } : {}),
    gitDirs: extraGitDirs(ctx),
    env: ctx.env,
  });
  if (!checked.ok) return denied(ctx, 'read', checked);
  const display = shortPath(checked.rel, 400);
  const pending = checked.inRepo ? ctx.pending.get(checked.rel) : undefined;
  let loaded: Loaded;
  if (pending !== undefined) loaded = { ok: true, text: pending, notes: ['(this is the file with your edits of this step, not yet approved)'] };
  else if (!checked.exists) return failure(`${display} does not exist; list_files shows the files.`, `read ${shortPath(checked.rel)}: not found`);
  else loaded = await load(checked.abs, display, ctx.config.context.maxFileBytes);
  if (!loaded.ok) return failure(loaded.message, `read ${shortPath(checked.rel)}: refused`);

  const view = numberLines(loaded.text, offset, limit, charBudget(ctx.config.tools.maxResultTokens) - NOTE_RESERVE);
  if (view.total > 0 && offset > view.total) {
    return failure(`offset ${offset} is past the end of ${display} (${formatCount(view.total)} lines).`, `read ${shortPath(checked.rel)}: offset past the end`);
  }
  await ctx.audit.append({ op: 'read', path: checked.rel, result: 'ok', requestId: ctx.requestId });
  if (checked.inRepo) ctx.readFiles.add(checked.rel);

  const notes = [...loaded.notes];
  if (view.total === 0) notes.push('(empty file)');
  else if (view.first > 1 || view.last < view.total) {
    const range = `lines ${view.first}-${view.last} of ${view.total}`;
    if (view.last < view.total) {
      notes.push(`(${range}; ${view.budgetStopped ? 'the result cap stopped here; ' : ''}more with offset=${view.last + 1})`);
    } else {
      notes.push(`(${range})`);
    }
  }
  const whole = view.total > 0 && view.first === 1 && view.last === view.total;
  const status = whole || view.total === 0 ? `read ${shortPath(checked.rel)} (${formatCount(view.total)} line${view.total === 1 ? '' : 's'})` : `read ${shortPath(checked.rel)} (lines ${view.first}-${view.last} of ${view.total})`;
  return result(true, (view.text + notes.join('\n')).replace(/\n$/, ''), status);
}

/** `read_file`: numbered lines of a text file, through the read policy of DESIGN.md §7. */
export const readFileTool: Tool = {
  kind: 'read',
  spec: {
    name: 'read_file',
    description:
      'Read a text file of the repository. `path` is relative to the repository root. Returns the lines, each prefixed with its line number and a tab, ' +
      `${DEFAULT_READ_LIMIT} lines from \`offset\` (1-based) by default; a note at the end says when more follow and which offset to ask for. ` +
      'Results are capped in size; long lines are cut. Git-ignored files, .env files and .git are not readable unless the person added them.',
    parameters: objectSchema(
      {
        path: { type: 'string', description: 'file path relative to the repository root, e.g. src/app.ts' },
        offset: { type: 'integer', description: 'first line to show, 1-based (default 1)', minimum: 1 },
        limit: { type: 'integer', description: `number of lines to show (default ${DEFAULT_READ_LIMIT})`, minimum: 1, maximum: MAX_READ_LIMIT },
      },
      ['path'],
    ),
  },
  run,
};
