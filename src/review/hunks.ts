import { structuredPatch } from 'diff';

/** The context lines of the diff the review counts hunks in: git's (and the approval's) 3. */
export const REVIEW_CONTEXT = 3;
const DIFF_TIMEOUT_MS = 2000;

/** One hunk's lines, as `diff` gives them (`' '`, `'-'`, `'+'`, `'\\'` prefixed). */
export type HunkLines = readonly string[];

/**
 * Whether a hunk changes only whitespace: its removed and added lines say the same once all
 * whitespace is taken out (re-indentation, trailing spaces, re-wrapped blank lines). A hunk
 * that only adds or only removes blank lines counts too.
 */
export function isWhitespaceOnlyHunk(lines: HunkLines): boolean {
  let removed = '';
  let added = '';
  let changed = false;
  for (const line of lines) {
    if (line.startsWith('-')) {
      removed += line.slice(1);
      changed = true;
    } else if (line.startsWith('+')) {
      added += line.slice(1);
      changed = true;
    }
  }
  return changed && removed.replace(/\s+/g, '') === added.replace(/\s+/g, '');
}

/** Counts of a file's diff: lines added and removed, hunks and whitespace-only hunks. */
export interface DiffCounts {
  added: number;
  removed: number;
  hunks: number;
  whitespaceHunks: number;
}

function countLines(text: string | null): number {
  if (text === null || text === '') return 0;
  const n = text.split('\n').length;
  return text.endsWith('\n') ? n - 1 : n;
}

/** A contiguous change: old lines `[start, end)` (1-based; `start === end` for an insertion before `start`) replaced by `added`. */
export interface ChangeBlock {
  start: number;
  end: number;
  removed: string[];
  added: string[];
}

/** A file's diff with 3 lines of context, computed once for the counts and the tags' shortcut. */
export interface FileDiff {
  counts: DiffCounts;
  /** Undefined when there is no line diff (a side missing, binary, or too large to diff in time). */
  blocks?: ChangeBlock[];
}

/** The diff of one file: counts, and the change blocks when both sides are text. */
export function fileDiff(before: string | null, after: string | null): FileDiff {
  if ((before?.includes('\0') ?? false) || (after?.includes('\0') ?? false)) return { counts: { added: 0, removed: 0, hunks: 0, whitespaceHunks: 0 } };
  if (before === null || after === null) return { counts: { added: countLines(after), removed: countLines(before), hunks: 1, whitespaceHunks: 0 } };
  const patch = structuredPatch('a', 'b', before, after, undefined, undefined, { context: REVIEW_CONTEXT, timeout: DIFF_TIMEOUT_MS });
  if (patch === undefined) return { counts: { added: countLines(after), removed: countLines(before), hunks: 1, whitespaceHunks: 0 } };
  const counts: DiffCounts = { added: 0, removed: 0, hunks: patch.hunks.length, whitespaceHunks: 0 };
  const blocks: ChangeBlock[] = [];
  for (const hunk of patch.hunks) {
    let old = hunk.oldStart;
    let block: ChangeBlock | undefined;
    for (const line of hunk.lines) {
      const kind = line[0];
      if (kind === '-' || kind === '+') {
        if (!block) blocks.push((block = { start: old, end: old, removed: [], added: [] }));
        if (kind === '-') {
          counts.removed++;
          block.removed.push(line.slice(1));
          block.end = ++old;
        } else {
          counts.added++;
          block.added.push(line.slice(1));
        }
      } else if (kind === ' ') {
        block = undefined;
        old++;
      }
    }
    if (isWhitespaceOnlyHunk(hunk.lines)) counts.whitespaceHunks++;
  }
  return { counts, blocks };
}

/** The diff counts of one file (binary content: none). */
export function diffCounts(before: string | null, after: string | null): DiffCounts {
  return fileDiff(before, after).counts;
}
