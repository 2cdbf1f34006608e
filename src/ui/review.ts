import picocolors from 'picocolors';
import { GROUP_LABEL, impactLine, type FileReview, type Review, type ReviewGroup } from '../review/index.js';

const STATUS: Record<FileReview['status'], string> = { new: 'A', deleted: 'D', modified: 'M' };

// Paths and names come from the repository and the model: no control characters reach the terminal.
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x08\x0a-\x1f\x7f-\x9f]/g, '?');
}

/** The tags on a file's diff header: `breaking` first, then its risk tags. */
export function headerTags(file: FileReview | undefined): string[] {
  if (!file) return [];
  return [...(file.breaking.length > 0 ? ['breaking'] : []), ...file.risks.map((r) => r.tag)];
}

/**
 * The review of a batch as shown above its diffs: a count line, the breaking changes (first,
 * in red), one line per file in review order (group, status, counts, impact, risk tags), and
 * the risks spelled out.
 */
export function renderReview(review: Review, options: { color: boolean }): string {
  const c = picocolors.createColors(options.color);
  const risks = review.files.reduce((n, f) => n + f.risks.length, 0);
  const groups = review.groups.map((g) => `${g.files.length} ${g.group === 'docs' ? 'docs/formatting' : g.group}`).join(', ');
  const n = review.files.length;
  const lines = [c.bold(`review: ${n} ${n === 1 ? 'file' : 'files'} (${groups})${risks > 0 ? `, ${risks} ${risks === 1 ? 'risk' : 'risks'}` : ''}`)];
  for (const b of review.breaking) lines.push(`${c.red(c.bold('breaking:'))} ${clean(b.text)}`);
  const width = Math.min(50, Math.max(0, ...review.files.map((f) => f.file.length)));
  for (const f of review.files) {
    const group = f.group === 'breaking' ? c.red(f.group.padEnd(9)) : f.group === 'behaviour' ? f.group.padEnd(9) : c.dim(f.group.padEnd(9));
    const counts = `${c.green(`+${f.lines.added}`)} ${c.red(`-${f.lines.removed}`)}`;
    const impact = impactLine(f);
    const tags = f.risks.length > 0 ? `  ${c.yellow(f.risks.map((r) => `[${clean(r.tag)}]`).join(' '))}` : '';
    const unknown = f.referencesUnknown ? c.dim(' (users unknown: no repo map yet)') : '';
    lines.push(`  ${group} ${STATUS[f.status]} ${clean(f.file).padEnd(width)}  ${counts}${impact ? `  ${c.dim(clean(impact))}` : ''}${tags}${unknown}`);
  }
  for (const f of review.files) for (const r of f.risks) lines.push(c.yellow(`  ! ${clean(f.file)}: ${clean(r.reason)}`));
  return `${lines.join('\n')}\n`;
}

/** The question asked once for several files of a group. */
export function groupQuestion(group: ReviewGroup, files: readonly string[]): string {
  const shown = files.slice(0, 4).map(clean).join(', ');
  return `Apply the ${files.length} ${GROUP_LABEL[group]} (${files.length > 4 ? `${shown}, +${files.length - 4} more` : shown})?`;
}
