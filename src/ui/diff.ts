import { structuredPatch } from 'diff';
import picocolors from 'picocolors';
import { countLines, DIFF_TIMEOUT_MS, isBinary, printable, type FileChange } from '../edits/diff.js';
import { classifyProtected, type ProtectedKind } from '../sandbox/index.js';

export { renderBatchDiff, renderFileDiff, type DiffRenderOptions, type FileChange } from '../edits/diff.js';

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
