import { diffWordsWithSpace, structuredPatch } from 'diff';
import picocolors from 'picocolors';
import { isWhitespaceOnlyHunk } from '../review/index.js';
import { classifyProtected, type ProtectedKind } from '../sandbox/index.js';

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

/** Why a file in a batch deserves a second look. */
export type RiskKind = ProtectedKind | 'mass-deletion';

export interface RiskMark {
  kind: RiskKind;
  reason: string;
}

/** Counts for one file of a batch. */
export interface FileSummary {
  path: string;
  status: 'new' | 'deleted' | 'modified' | 'unchanged';
  added: number;
  removed: number;
  binary: boolean;
  risks: RiskMark[];
}

/** Counts for a whole batch. */
export interface BatchSummary {
  files: FileSummary[];
  added: number;
  removed: number;
  created: string[];
  deleted: string[];
  /** Every risk mark of the batch, with its file. */
  risks: Array<RiskMark & { path: string }>;
}

export interface SummaryOptions {
  /** Net lines deleted from one file that count as "many"; default 50. */
  manyLines?: number;
}

const DIFF_TIMEOUT_MS = 2000;
// A changed line whose words are mostly different reads better without word highlights.
const MIN_SHARED_FOR_WORDS = 0.4;

type Colors = ReturnType<typeof picocolors.createColors>;

/**
 * Makes content safe for a terminal: a file could carry escape sequences that repaint the
 * screen and hide what the diff really does, so control characters other than tab are shown
 * as `\xNN`. One trailing CR (CRLF files) is dropped.
 */
function printable(line: string): string {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (ch) => {
    const code = ch.codePointAt(0) ?? 0;
    return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
  });
}

function isBinary(text: string | null): boolean {
  return text !== null && text.includes('\0');
}

function countLines(text: string | null): number {
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

function fileSummary(change: FileChange, manyLines: number): FileSummary {
  const status: FileSummary['status'] =
    change.before === null ? 'new' : change.after === null ? 'deleted' : change.before === change.after ? 'unchanged' : 'modified';
  const binary = isBinary(change.before) || isBinary(change.after);
  let added = 0;
  let removed = 0;
  if (!binary) {
    const patch = structuredPatch('a', 'b', change.before ?? '', change.after ?? '', undefined, undefined, { context: 0, timeout: DIFF_TIMEOUT_MS });
    if (patch === undefined) {
      removed = countLines(change.before);
      added = countLines(change.after);
    } else {
      for (const hunk of patch.hunks) {
        for (const line of hunk.lines) {
          if (line.startsWith('+')) added += 1;
          else if (line.startsWith('-')) removed += 1;
        }
      }
    }
  }
  const risks: RiskMark[] = [];
  const prot = classifyProtected(change.path);
  if (prot) risks.push({ kind: prot.kind, reason: prot.reason });
  const before = countLines(change.before);
  const net = removed - added;
  if (net >= manyLines || (before >= 20 && net * 2 > before)) {
    risks.push({ kind: 'mass-deletion', reason: status === 'deleted' ? `deletes a file of ${before} lines` : `deletes ${net} of ${before} lines` });
  }
  return { path: change.path, status, added, removed, binary, risks };
}

/**
 * Counts a batch: lines added and removed, new and deleted files, and risk marks for CI
 * configuration, lockfiles, hooks, assist's config and edits that delete many lines (net
 * `manyLines` or more, or more than half of a file of at least 20 lines).
 */
export function summarizeBatch(changes: readonly FileChange[], options: SummaryOptions = {}): BatchSummary {
  const manyLines = options.manyLines ?? 50;
  const files = changes.map((change) => fileSummary(change, manyLines));
  return {
    files,
    added: files.reduce((n, f) => n + f.added, 0),
    removed: files.reduce((n, f) => n + f.removed, 0),
    created: files.filter((f) => f.status === 'new').map((f) => f.path),
    deleted: files.filter((f) => f.status === 'deleted').map((f) => f.path),
    risks: files.flatMap((f) => f.risks.map((r) => ({ ...r, path: f.path }))),
  };
}

const STATUS_LETTER: Record<FileSummary['status'], string> = { new: 'A', deleted: 'D', modified: 'M', unchanged: ' ' };

/** The summary shown above a batch's diffs. */
export function renderBatchSummary(summary: BatchSummary, options: { color: boolean }): string {
  const c = picocolors.createColors(options.color);
  const count = summary.files.length;
  const extras: string[] = [];
  if (summary.created.length > 0) extras.push(`${summary.created.length} new`);
  if (summary.deleted.length > 0) extras.push(`${summary.deleted.length} deleted`);
  const lines = [
    `${count} ${count === 1 ? 'file' : 'files'} changed, ${c.green(`+${summary.added}`)} ${c.red(`-${summary.removed}`)}${extras.length > 0 ? ` (${extras.join(', ')})` : ''}`,
  ];
  const width = Math.min(60, Math.max(0, ...summary.files.map((f) => printable(f.path).length)));
  for (const file of summary.files) {
    const counts = file.binary ? c.yellow('binary') : `${c.green(`+${file.added}`)} ${c.red(`-${file.removed}`)}`;
    const marks = file.risks.length > 0 ? `  ${c.yellow(`! ${file.risks.map((r) => r.kind).join(', ')}`)}` : '';
    lines.push(`  ${STATUS_LETTER[file.status]} ${printable(file.path).padEnd(width)}  ${counts}${marks}`);
  }
  for (const risk of summary.risks) lines.push(c.yellow(`! ${printable(risk.path)}: ${risk.reason}`));
  return `${lines.join('\n')}\n`;
}
