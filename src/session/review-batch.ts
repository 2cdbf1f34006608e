import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Review, ReviewChange } from '../review/index.js';
import { execText } from '../util/exec.js';
import type { ApprovalGroup, FileChangePreview } from './types.js';

/** What reviewing a batch needs from the session. */
export interface ReviewContext {
  root: string;
  sharedAssistDir: string;
  maxFileBytes: number;
  env: NodeJS.ProcessEnv;
}

let batches = 0;

/** The git mode a file has in HEAD and on disk: a command that ran `chmod` changed it. */
async function modes(ctx: ReviewContext, paths: readonly string[]): Promise<Map<string, { before: string | null; after: string | null }>> {
  const out = new Map<string, { before: string | null; after: string | null }>();
  if (paths.length === 0) return out;
  const tree = await execText('git', ['ls-tree', '-z', 'HEAD', '--', ...paths.map((p) => `:(literal)${p}`)], { cwd: ctx.root, env: ctx.env }).catch(() => null);
  const head = new Map<string, string>();
  for (const entry of tree?.code === 0 ? tree.stdout.split('\0') : []) {
    const m = /^(\d+) \w+ [0-9a-f]+\t(.*)$/s.exec(entry);
    if (m) head.set(m[2]!, m[1]!);
  }
  await Promise.all(
    paths.map(async (path) => {
      const info = await lstat(join(ctx.root, path)).catch(() => null);
      const after = info === null ? null : info.isSymbolicLink() ? '120000' : (info.mode & 0o111) !== 0 ? '100755' : '100644';
      out.set(path, { before: head.get(path) ?? null, after });
    }),
  );
  return out;
}

/**
 * Reviews a batch before it is asked about (DESIGN §3 "Review"): the proposed changes, and the
 * files a command already wrote (with their modes). Sorts `changes` into review order and tags
 * each with its file review and group. A review that fails leaves the approval as it was:
 * undefined, and the reason for the log.
 */
export async function reviewForApproval(ctx: ReviewContext, changes: FileChangePreview[], written: readonly FileChangePreview[]): Promise<{ review?: Review; ordered: FileChangePreview[]; note?: string; error?: string }> {
  if (changes.length + written.length === 0) return { ordered: changes };
  try {
    const [{ openReviewLookup }, { reviewBatch, reviewText }] = await Promise.all([import('../context/index.js'), import('../review/index.js')]);
    const lookup = await openReviewLookup({ sharedAssistDir: ctx.sharedAssistDir, maxFileBytes: ctx.maxFileBytes });
    const byCommand = await modes(ctx, written.map((w) => w.path));
    const input: ReviewChange[] = [...changes, ...written].map((c) => ({ path: c.path, before: c.before, after: c.after, ...(byCommand.has(c.path) ? { mode: byCommand.get(c.path)! } : {}) }));
    const review = await reviewBatch(input, lookup);
    const id = `b${++batches}`;
    const byPath = new Map(review.files.map((f, i) => [f.file, { f, i }]));
    for (const c of [...changes, ...written]) {
      const hit = byPath.get(c.path);
      if (!hit) continue;
      c.review = hit.f;
      c.reviewGroup = { id: `${id}:${hit.f.group}`, group: hit.f.group };
    }
    const ordered = [...changes].sort((a, b) => (byPath.get(a.path)?.i ?? 0) - (byPath.get(b.path)?.i ?? 0));
    return { review, ordered, note: reviewText(review) };
  } catch (error) {
    return { ordered: changes, error: (error as Error).message };
  }
}

/**
 * The group a file is asked about in: the files of its review group from it onward that will be
 * asked about too (`asks` says which, with the answers given so far). Empty when it is alone.
 */
export function approvalGroup(change: FileChangePreview, changes: readonly FileChangePreview[], asks: (path: string) => boolean): { group?: ApprovalGroup } {
  const g = change.reviewGroup;
  if (!g) return {};
  const from = changes.indexOf(change);
  const pending = changes.slice(from).filter((c) => c.reviewGroup?.id === g.id && asks(c.path));
  return pending.length > 1 ? { group: { id: g.id, group: g.group, pending } } : {};
}
