import type { FileReview, Review, ReviewGroup, ReviewJson } from './types.js';

/** How each group is named where it is shown. */
export const GROUP_LABEL: Record<ReviewGroup, string> = {
  breaking: 'breaking changes',
  behaviour: 'behaviour changes',
  tests: 'test changes',
  docs: 'docs and formatting changes',
};

/** One line of what a file's definitions did: `changes applyDiscount; adds formatPrice; removes oldPrice`. */
export function impactLine(file: FileReview, max = 4): string {
  const part = (verb: string, names: string[]): string | undefined => {
    if (names.length === 0) return undefined;
    const shown = names.slice(0, max).join(', ');
    return `${verb} ${names.length > max ? `${shown} +${names.length - max} more` : shown}`;
  };
  const of = (change: string): string[] => file.definitions.filter((d) => d.change === change).map((d) => d.name);
  const parts = [part('changes', of('changed')), part('adds', of('added')), part('removes', of('removed'))].filter((p): p is string => p !== undefined);
  if (file.formattingOnly) parts.push('formatting only');
  else if (file.whitespaceHunks > 0) parts.push(`${file.whitespaceHunks} whitespace-only ${file.whitespaceHunks === 1 ? 'hunk' : 'hunks'} folded`);
  return parts.join('; ');
}

/** The `--json` form of a review's files (DESIGN §3 `review`). */
export function reviewJson(files: readonly FileReview[]): ReviewJson[] {
  return files.map((f) => ({
    file: f.file,
    impact: {
      group: f.group,
      status: f.status,
      added_lines: f.lines.added,
      removed_lines: f.lines.removed,
      definitions: {
        added: f.definitions.filter((d) => d.change === 'added').map((d) => d.name),
        removed: f.definitions.filter((d) => d.change === 'removed').map((d) => d.name),
        changed: f.definitions.filter((d) => d.change === 'changed').map((d) => d.name),
      },
      whitespace_hunks_folded: f.whitespaceHunks,
    },
    breaking: f.breaking.map((b) => b.text),
    risks: f.risks.map((r) => ({ kind: r.kind, tag: r.tag, reason: r.reason })),
  }));
}

/**
 * The reviews of several batches (the steps of one turn) as one list: a file reviewed twice keeps
 * its latest group and impact, and the breaking lines and risks of every batch (without repeats).
 */
export function mergeReviews(files: readonly FileReview[]): FileReview[] {
  const byFile = new Map<string, FileReview>();
  for (const f of files) {
    const seen = byFile.get(f.file);
    if (!seen) {
      byFile.set(f.file, { ...f, breaking: [...f.breaking], risks: [...f.risks] });
      continue;
    }
    const breaking = [...seen.breaking];
    for (const b of f.breaking) if (!breaking.some((x) => x.text === b.text)) breaking.push(b);
    const risks = [...seen.risks];
    for (const r of f.risks) if (!risks.some((x) => x.kind === r.kind && x.tag === r.tag)) risks.push(r);
    byFile.set(f.file, { ...f, breaking, risks, group: breaking.length > 0 ? 'breaking' : f.group });
  }
  return [...byFile.values()];
}

/**
 * The review as plain text, for the exchange note in git and logs: the breaking lines first,
 * then one line per file with its group, counts, impact and risk tags.
 */
export function reviewText(review: Pick<Review, 'files' | 'breaking'>): string {
  const lines: string[] = [];
  for (const b of review.breaking) lines.push(`breaking: ${b.text}`);
  for (const f of review.files) {
    const tags = f.risks.length > 0 ? ` [${f.risks.map((r) => r.tag).join('] [')}]` : '';
    const impact = impactLine(f);
    lines.push(`${f.group.padEnd(9)} ${f.file} +${f.lines.added} -${f.lines.removed}${impact ? ` — ${impact}` : ''}${tags}`);
  }
  for (const f of review.files) for (const r of f.risks) lines.push(`risk: ${f.file}: ${r.reason}`);
  return lines.join('\n');
}
