import { lineSimilarity } from './similarity.js';
import { decodeFile, textLines } from './text.js';
import type { EditParseError, FailedEdit, FileInput } from './types.js';

/** The file lines most like a SEARCH text, with their 1-based first line. */
export interface ClosestLines {
  startLine: number;
  lines: string[];
  /** Mean per-line similarity, 0..1. */
  score: number;
}

const WINDOW_WORK_MAX = 3_000_000;

/**
 * The window of the file that best resembles `search` (per-line bigram similarity), or
 * undefined when nothing is at least `minScore` alike.
 */
export function closestLines(content: string, search: string, minScore = 0.5): ClosestLines | undefined {
  const file = textLines(content.replace(/\r\n/g, '\n').replace(/^\uFEFF/, ''));
  const want = textLines(search).filter((l) => l.trim() !== '');
  if (want.length === 0 || file.length === 0) return undefined;
  const n = Math.min(want.length, file.length);
  const cache = new Map<string, Map<string, number>>();
  // Score each file line against each search line once; windows then sum a diagonal.
  const step = Math.max(1, Math.ceil((file.length * n) / WINDOW_WORK_MAX));
  let best: ClosestLines | undefined;
  const nonBlank: number[] = [];
  for (let i = 0; i < file.length; i++) if (file[i]!.trim() !== '') nonBlank.push(i);
  for (let w = 0; w + n <= nonBlank.length; w += step) {
    let sum = 0;
    for (let k = 0; k < n; k++) sum += lineSimilarity(file[nonBlank[w + k]!]!, want[k]!, cache);
    const score = sum / n;
    if (best === undefined || score > best.score) {
      const start = nonBlank[w]!;
      const end = nonBlank[w + n - 1]!;
      best = { startLine: start + 1, lines: file.slice(start, end + 1), score };
    }
  }
  return best !== undefined && best.score >= minScore ? best : undefined;
}

/** Whether the REPLACE text is already in the file (ignoring indentation). */
export function replaceAlreadyPresent(content: string, replace: string): boolean {
  const want = textLines(replace)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (want.length === 0) return false;
  const have = textLines(content.replace(/\r\n/g, '\n'))
    .map((l) => l.trim())
    .filter((l) => l !== '');
  outer: for (let i = 0; i + want.length <= have.length; i++) {
    for (let k = 0; k < want.length; k++) if (have[i + k] !== want[k]) continue outer;
    return true;
  }
  return false;
}

export interface FeedbackInput {
  failed: readonly FailedEdit[];
  parseErrors?: readonly EditParseError[];
  /** How many blocks of the same reply were applied. */
  appliedCount: number;
  /** Current contents of the files the failed blocks name (after the applied blocks). */
  files?: ReadonlyMap<string, FileInput>;
}

function fence(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`{3,}/g)].map((m) => m[0].length));
  const f = '`'.repeat(longest + 1);
  return `${f}\n${text.replace(/\n$/, '')}\n${f}`;
}

/** The most of one failed block quoted back: a huge reply must not be echoed whole into the retry. */
export const MAX_QUOTED_LINES = 40;

/** At most `max` lines of `text` (each cut at 500 characters), with a note of what was left out. */
function excerpt(text: string, max: number): string {
  const lines = textLines(text).map((l) => (l.length > 500 ? `${l.slice(0, 500)}… (${l.length - 500} more characters)` : l));
  if (lines.length <= max) return lines.map((l) => `${l}\n`).join('');
  const head = Math.ceil(max / 2);
  const tail = max - head;
  return [...lines.slice(0, head), `… (${lines.length - max} lines left out) …`, ...lines.slice(lines.length - tail)].map((l) => `${l}\n`).join('');
}

function blockText(f: FailedEdit): string {
  return `${f.block.path}\n${fence(`<<<<<<< SEARCH\n${excerpt(f.block.search, MAX_QUOTED_LINES)}=======\n${excerpt(f.block.replace, MAX_QUOTED_LINES)}>>>>>>> REPLACE`)}`;
}

function asText(input: FileInput | undefined): string | undefined {
  if (input === undefined || input === null) return undefined;
  if (typeof input === 'string') return input;
  const d = decodeFile(input, Infinity);
  return d.ok ? d.doc.lines.map((l) => l.text + '\n').join('') : undefined;
}

/**
 * The message that tells the model which blocks failed and why, with the closest real
 * lines and whether the change is already there, so it resends only the failed blocks.
 * Returns '' when nothing failed.
 */
export function renderEditFeedback(input: FeedbackInput): string {
  const errors = input.parseErrors ?? [];
  const total = input.failed.length + errors.length;
  if (total === 0) return '';
  const parts: string[] = [];
  parts.push(`${total} SEARCH/REPLACE block${total === 1 ? '' : 's'} failed.`);

  for (const e of errors) {
    parts.push(`## The block on line ${e.line} of your reply could not be read\n${e.message}\n\n${fence(excerpt(e.text, MAX_QUOTED_LINES))}`);
  }

  for (const f of input.failed) {
    const section: string[] = [`## Block ${f.block.index + 1} for ${f.file} failed: ${f.message}`, blockText(f)];
    const content = asText(input.files?.get(f.file));
    if (content !== undefined && (f.reason === 'no-match' || f.reason === 'ambiguous' || f.reason === 'elision-mismatch')) {
      if (f.reason === 'no-match') {
        const near = closestLines(content, f.block.search);
        if (near !== undefined) {
          section.push(`Did you mean these lines of ${f.file} (from line ${near.startLine})?\n${fence(excerpt(near.lines.join('\n'), MAX_QUOTED_LINES))}`);
        }
      }
      if (replaceAlreadyPresent(content, f.block.replace)) {
        section.push(`Note: the REPLACE lines are already in ${f.file}. If the change is already made, do not send this block again.`);
      }
    }
    if (f.candidatePaths !== undefined && f.candidatePaths.length > 0 && f.reason !== 'file-not-found' && f.reason !== 'path-ambiguous') {
      section.push(`Files with a similar name: ${f.candidatePaths.join(', ')}`);
    }
    parts.push(section.join('\n\n'));
  }

  parts.push(
    'The SEARCH section must match lines of the file exactly, including whitespace, comments and blank lines; ' +
      'include enough lines to match one place only.',
  );
  if (input.appliedCount > 0) {
    parts.push(
      `The other ${input.appliedCount} block${input.appliedCount === 1 ? ' was' : 's were'} applied. ` +
        'Do not send those again: reply only with fixed versions of the blocks that failed.',
    );
  } else {
    parts.push('No block was applied. Reply with fixed versions of the failed blocks.');
  }
  return parts.join('\n\n');
}

/** A block that did not apply, named for the person: its file and the first line of its SEARCH. */
export interface FailedBlockName {
  /** The file as resolved (or as written); for a block without a usable path, where it was in the reply. */
  file: string;
  firstLine: string;
}

/** Names the blocks that failed and the ones that could not be parsed, in reply order. */
export function failedBlockNames(failed: readonly FailedEdit[], parseErrors: readonly EditParseError[] = []): FailedBlockName[] {
  const firstOf = (search: string): string => {
    const line = search.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
    if (line === '') return '(empty SEARCH)';
    return line.length > 60 ? `${line.slice(0, 59)}…` : line;
  };
  const named = [
    ...failed.map((f) => ({ index: f.block.index, file: f.file, firstLine: firstOf(f.block.search) })),
    ...parseErrors.map((e) => ({ index: e.index, file: `(no usable path, reply line ${e.line})`, firstLine: firstOf(e.text.split('\n').slice(1).join('\n')) })),
  ];
  return named.sort((a, b) => a.index - b.index).map(({ file, firstLine }) => ({ file, firstLine }));
}
