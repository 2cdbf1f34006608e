import { diffWordsWithSpace, structuredPatch } from 'diff';
import picocolors from 'picocolors';
import { isWhitespaceOnlyHunk } from '../review/index.js';

// Rendering a change as a unified diff: text only (colour codes when asked), nothing printed. Here
// rather than in ui/ because the session shows the same diff to the weak model for a commit message.

/** One file of an edit batch. */
export interface FileChange {
  /** Repo-relative posix path. */
  path: string;
  /** Content before the edit; null when the edit creates the file. */
  before: string | null;
  /** Content after the edit; null when the edit deletes the file. */
  after: string | null;
  /** A git-ignored file (added to the chat by name): written, never committed. */
  ignored?: boolean;
}

/** How to render. Whether colour is on (NO_COLOR, --no-color, non-TTY) is the caller's decision. */
export interface DiffRenderOptions {
  color: boolean;
  /** Lines of context around each change; default 3, as git. */
  context?: number;
  /** Cap on the lines shown per file; the rest is counted, not shown. Default: no cap. */
  maxLines?: number;
  /** Short tags for the header line (the review's risk tags, `breaking`). */
  tags?: readonly string[];
  /** Fold hunks that change only whitespace into a count. */
  foldWhitespace?: boolean;
}

/** How long one file's diff may take before it is shown as too large. */
export const DIFF_TIMEOUT_MS = 2000;
// A changed line whose words are mostly different reads better without word highlights.
const MIN_SHARED_FOR_WORDS = 0.4;

type Colors = ReturnType<typeof picocolors.createColors>;

/**
 * Makes content safe for a terminal: a file could carry escape sequences that repaint the
 * screen and hide what the diff really does, so control characters other than tab are shown
 * as `\xNN`. One trailing CR (CRLF files) is dropped.
 */
export function printable(line: string): string {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (ch) => {
    const code = ch.codePointAt(0) ?? 0;
    return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
  });
}

/** A NUL byte marks binary content, as git judges it. */
export function isBinary(text: string | null): boolean {
  return text !== null && text.includes('\0');
}

/** Lines of a content (a last line without a newline counts). */
export function countLines(text: string | null): number {
  if (text === null || text === '') return 0;
  const n = text.split('\n').length;
  return text.endsWith('\n') ? n - 1 : n;
}

interface Entry {
  kind: ' ' | '-' | '+';
  text: string;
  noEol: boolean;
}

function toEntries(lines: readonly string[]): Entry[] {
  const entries: Entry[] = [];
  for (const line of lines) {
    const first = line[0];
    if (first === '\\') {
      const last = entries[entries.length - 1];
      if (last) last.noEol = true;
      continue;
    }
    entries.push({ kind: first === '-' || first === '+' ? first : ' ', text: printable(line.slice(1)), noEol: false });
  }
  return entries;
}

function wordPair(oldText: string, newText: string, c: Colors): [string, string] | undefined {
  const parts = diffWordsWithSpace(oldText, newText);
  let shared = 0;
  for (const part of parts) if (!part.added && !part.removed) shared += part.value.length;
  if (shared / Math.max(oldText.length, newText.length, 1) < MIN_SHARED_FOR_WORDS) return undefined;
  let oldOut = '';
  let newOut = '';
  for (const part of parts) {
    if (part.removed) oldOut += c.inverse(c.red(part.value));
    else if (part.added) newOut += c.inverse(c.green(part.value));
    else {
      oldOut += c.red(part.value);
      newOut += c.green(part.value);
    }
  }
  return [oldOut, newOut];
}

function renderEntries(entries: Entry[], c: Colors, color: boolean): string[] {
  const out: string[] = [];
  const noEol = (e: Entry): string[] => (e.noEol ? [c.dim('\\ No newline at end of file')] : []);
  let i = 0;
  while (i < entries.length) {
    const entry = entries[i] as Entry;
    if (entry.kind === ' ') {
      out.push(color ? c.dim(` ${entry.text}`) : ` ${entry.text}`, ...noEol(entry));
      i += 1;
      continue;
    }
    const removed: Entry[] = [];
    const added: Entry[] = [];
    while (i < entries.length && entries[i]?.kind === '-') removed.push(entries[i++] as Entry);
    while (i < entries.length && entries[i]?.kind === '+') added.push(entries[i++] as Entry);
    const pairs = color ? removed.map((r, k) => (added[k] ? wordPair(r.text, (added[k] as Entry).text, c) : undefined)) : [];
    removed.forEach((r, k) => {
      const words = pairs[k];
      out.push(words ? `${c.red('-')}${words[0]}` : c.red(`-${r.text}`), ...noEol(r));
    });
    added.forEach((a, k) => {
      const words = pairs[k];
      out.push(words ? `${c.green('+')}${words[1]}` : c.green(`+${a.text}`), ...noEol(a));
    });
  }
  return out;
}

function header(change: FileChange, c: Colors, tags: readonly string[] = []): string[] {
  const path = printable(change.path);
  const marks = tags.map((t) => (t === 'breaking' ? c.red(c.bold(`[${t}]`)) : c.yellow(`[${printable(t)}]`))).join(' ');
  const lines = [`${c.bold(`diff --git a/${path} b/${path}`)}${marks ? `  ${marks}` : ''}`];
  if (change.before === null) lines.push(c.bold('new file'));
  if (change.after === null) lines.push(c.bold('deleted file'));
  if (change.ignored) lines.push(c.yellow('ignored: not committed (git ignores this file; it is written, and undo restores it)'));
  lines.push(c.bold(change.before === null ? '--- /dev/null' : `--- a/${path}`));
  lines.push(c.bold(change.after === null ? '+++ /dev/null' : `+++ b/${path}`));
  return lines;
}

// As git prints a hunk range: an empty range starts at the line before, a count of 1 is implied.
function range(start: number, count: number): string {
  if (count === 0) return `${start - 1},0`;
  return count === 1 ? `${start}` : `${start},${count}`;
}

/** A git-style unified diff of one file, coloured with word-level highlights when `color` is set. */
export function renderFileDiff(change: FileChange, options: DiffRenderOptions): string {
  const c = picocolors.createColors(options.color);
  const lines = header(change, c, options.tags);
  if (isBinary(change.before) || isBinary(change.after)) {
    lines.push(c.yellow('Binary file differs'));
    return `${lines.join('\n')}\n`;
  }
  const patch = structuredPatch('a', 'b', change.before ?? '', change.after ?? '', undefined, undefined, {
    context: options.context ?? 3,
    timeout: DIFF_TIMEOUT_MS,
  });
  if (patch === undefined) {
    lines.push(c.yellow(`diff too large to show: ${countLines(change.before)} lines before, ${countLines(change.after)} after`));
    return `${lines.join('\n')}\n`;
  }
  if (patch.hunks.length === 0) {
    lines.push(c.dim(change.before === change.after ? 'no change' : 'only line endings changed'));
    return `${lines.join('\n')}\n`;
  }
  const body: string[] = [];
  let folded = 0;
  for (const hunk of patch.hunks) {
    if (options.foldWhitespace && isWhitespaceOnlyHunk(hunk.lines)) {
      folded++;
      continue;
    }
    body.push(c.cyan(`@@ -${range(hunk.oldStart, hunk.oldLines)} +${range(hunk.newStart, hunk.newLines)} @@`));
    body.push(...renderEntries(toEntries(hunk.lines), c, options.color));
  }
  if (folded > 0) {
    const what = `${folded} whitespace-only ${folded === 1 ? 'hunk' : 'hunks'} folded`;
    body.push(c.dim(folded === patch.hunks.length ? `formatting only: ${what}` : `… ${what}`));
  }
  const max = options.maxLines ?? Number.POSITIVE_INFINITY;
  if (body.length > max) {
    const hidden = body.length - max;
    body.length = max;
    body.push(c.dim(`… ${hidden} more lines not shown`));
  }
  return `${[...lines, ...body].join('\n')}\n`;
}

/** The diffs of a whole batch, one file after another. */
export function renderBatchDiff(changes: readonly FileChange[], options: DiffRenderOptions): string {
  return changes.map((change) => renderFileDiff(change, options)).join('');
}
