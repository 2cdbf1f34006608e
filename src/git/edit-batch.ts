import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AssistError, refusal } from '../errors.js';
import { pendingCommittedByYou, settlePending, hashPaths, commitJournal, PENDING_WAY_ON, commitMessage } from './commit-journal.js';
import type { IndexEntry } from './events.js';
import { keepIgnored } from './ignored-files.js';
import { sha256, type Journal } from './journal.js';
import { hashObject } from './objects.js';
import { refuseIfOperationInProgress } from './operation.js';
import { pauseAt } from './pause.js';
import { recoverLocked } from './recovery.js';
import { literal, outsideSparseHit, type StoreCore } from './store-core.js';
import type { PreparedWrite } from '../util/atomic-write.js';
import type { EditBatch, BatchResult } from './store-types.js';
import { checkRepoPath, prepareWorktreeWrite, readWorktree, worktreeMode } from './worktree-files.js';

/**
 * Writes an approved edit batch and commits exactly those files on the session's branch.
 * Files with uncommitted changes are first committed as a snapshot. The batch is journaled
 * before any file is written; the user's index keeps its other entries (staged stays staged).
 */
export async function applyBatch(core: StoreCore, sessionId: string | undefined, batch: EditBatch): Promise<BatchResult> {
  const session = await core.requireSession(sessionId);
  refuseIfOperationInProgress(core.repo.paths);
  using lock = await core.lock();
  void lock;
  await recoverLocked(core, session);
  refuseIfPending(core);
  const { head, tip } = await core.guard(session);
  const seen = new Set<string>();
  const files = batch.files.map((f) => {
    const path = checkRepoPath(core.root, f.path);
    if (seen.has(path)) throw new AssistError('git.duplicate-path', `${path} appears twice in one batch`);
    seen.add(path);
    return { path, content: f.content === null ? null : Buffer.isBuffer(f.content) ? f.content : Buffer.from(f.content, 'utf8') };
  });
  if (files.length === 0) throw new AssistError('git.empty-batch', 'an edit batch needs at least one file', { exitCode: 5 });
  // One `git ls-files --stage -t`: the skip-worktree bit and the user's index entries.
  const { sparse, entries: indexEntries } = await readIndexEntriesTagged(core, files.map((f) => f.path));
  if (sparse.size > 0) {
    const [path, hit] = [...sparse][0]!;
    throw refusal(hit.code, `refusing to write ${path}: ${hit.reason}`, undefined, { files: [...sparse.keys()] });
  }

  const headTree = head.oid ? (await core.repo.objects.readCommit(head.oid)).tree : null;
  const headEntries = await Promise.all(files.map((f) => core.repo.objects.entryAt(headTree, f.path)));
  const current = files.map((f) => readWorktree(core.root, f.path));
  // Written but never committed, never snapshotted, never in the object store (issue 24 item 2).
  const ignored = await ignoredPaths(core, files.filter((f, i) => !indexEntries.has(f.path) && !headEntries[i]).map((f) => f.path));

  // What the user has that HEAD does not: those files are snapshotted first.
  const format = core.repo.objects.format;
  const maybeDirty: number[] = [];
  files.forEach((f, i) => {
    if (ignored.has(f.path)) return;
    const h = headEntries[i] ?? null;
    const idx = indexEntries.get(f.path) ?? null;
    const cur = current[i] ?? null;
    const idxDiffers = (idx?.oid ?? null) !== (h?.oid ?? null);
    const wtDiffers = cur === null ? h !== null : hashObject(format, 'blob', cur) !== (idx?.oid ?? h?.oid);
    if ((idxDiffers || wtDiffers) && !batch.files[i]?.writtenByAssist) maybeDirty.push(i);
  });
  const snapOids = await hashPaths(core, maybeDirty.filter((i) => current[i] !== null).map((i) => files[i]?.path ?? ''), true);
  const snapChanges = new Map<string, { mode: string; oid: string } | null>();
  const snapIndex: IndexEntry[] = [];
  for (const i of maybeDirty) {
    const f = files[i];
    if (!f) continue;
    const h = headEntries[i] ?? null;
    const idx = indexEntries.get(f.path) ?? null;
    const wt = current[i] === null ? null : { mode: worktreeMode(core.root, f.path), oid: snapOids.get(f.path) ?? '' };
    if ((wt?.oid ?? null) === (h?.oid ?? null) && (idx?.oid ?? null) === (h?.oid ?? null) && (wt === null || wt.mode === h?.mode)) continue;
    snapChanges.set(f.path, wt);
    snapIndex.push({ path: f.path, entry: idx });
  }
  let snapshot: Journal['snapshot'] = null;
  if (snapChanges.size > 0) {
    const tree = await core.repo.objects.updateTree(headTree, snapChanges);
    const message = commitMessage(`Snapshot of uncommitted changes before an assist edit`, `${[...snapChanges.keys()].join('\n')}`, {
      session: session.id,
      event: 'snapshot',
      model: batch.model,
      request: batch.request,
    });
    snapshot = { commit: core.repo.writeCommit(tree, [head.oid], message), index: snapIndex };
    pauseAt('snapshot-written', core.repo.env);
  }

  const journal: Journal = {
    v: 1,
    id: `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`,
    session: session.id,
    ref: session.ref,
    parent: head.oid,
    snapshot,
    files: files.map((f, i) => {
      const cur = current[i] ?? null;
      if (ignored.has(f.path)) {
        return { path: f.path, old: cur === null ? null : { oid: keepIgnored(core, cur), mode: worktreeMode(core.root, f.path) }, newSha256: f.content === null ? null : sha256(f.content), ignored: true as const };
      }
      return {
        path: f.path,
        old: cur === null ? null : { oid: snapOids.get(f.path) ?? hashObject(format, 'blob', cur), mode: worktreeMode(core.root, f.path) },
        newSha256: f.content === null ? null : sha256(f.content),
      };
    }),
    meta: { summary: batch.summary, model: batch.model, request: batch.request, ...(batch.body === undefined ? {} : { body: batch.body }), ...(batch.exchange ? { exchange: batch.exchange } : {}) },
  };
  // The new contents go to temp files in assist's own dir (the work tree does not change), synced
  // in the same wait as the journal: one wait on the disk for the batch, and no work tree file
  // changes before the journal is durable.
  const tmpDir = join(core.repo.paths.worktreeAssistDir, 'tmp');
  mkdirSync(tmpDir, { recursive: true });
  const prepared: PreparedWrite[] = [];
  try {
    files.forEach((f, i) => prepared.push(prepareWorktreeWrite(core.root, f.path, f.content, tmpDir, headEntries[i]?.mode ?? journal.files[i]?.old?.mode)));
    await core.journal.begin(
      journal,
      prepared.map((p) => p.fd).filter((fd): fd is number => fd !== null),
    );
  } catch (error) {
    // Nothing in the work tree was written: the batch ends here, as if it had not begun.
    for (const p of prepared) p.discard();
    core.journal.remove();
    throw error;
  }
  pauseAt('before-write', core.repo.env);
  try {
    prepared.forEach((p, i) => {
      p.commit();
      if (i === 0) pauseAt('between-writes', core.repo.env);
    });
  } catch (error) {
    // The journal stays: the next write rolls back what was renamed; the rest never happens.
    for (const p of prepared) p.discard();
    throw error;
  }
  pauseAt('after-write', core.repo.env);
  // `return await`: a bare `return` would dispose the lock as soon as commitJournal starts, not when it ends.
  return await commitJournal(core, session, journal, tip, head);
}

/**
 * Commits the user's own uncommitted changes to tracked files on the session's branch: what
 * `git commit -a` takes (staged and unstaged changes, deletions, files staged as new; untracked
 * files stay out). It is an edit of model `user` whose commit is its own snapshot (trailer
 * `Assist-Event: snapshot`): undo gives the changes back as uncommitted, staged as they were,
 * and redo commits them again. Journaled like an edit batch, though it writes no file.
 */
export async function commitUserChanges(core: StoreCore, sessionId: string | undefined, options: { message?: string; request: string }): Promise<BatchResult> {
  const session = await core.requireSession(sessionId);
  refuseIfOperationInProgress(core.repo.paths);
  using lock = await core.lock();
  void lock;
  await recoverLocked(core, session);
  refuseIfPending(core);
  const { head, tip } = await core.guard(session);
  await core.repo.git(['update-index', '-q', '--refresh'], { okCodes: [0, 1] });
  const against = head.oid ?? core.repo.objects.emptyTree;
  const [worktree, staged] = await Promise.all([
    core.repo.gitText(['diff-index', '--name-only', '-z', '--no-renames', against]),
    core.repo.gitText(['diff-index', '--cached', '--name-only', '-z', '--no-renames', against]),
  ]);
  const paths = [...new Set([...worktree.split('\0'), ...staged.split('\0')])].filter(Boolean).sort();
  if (paths.length === 0) throw new AssistError('git.nothing-to-commit', 'nothing to commit: no tracked file has uncommitted changes', { exitCode: 5, hint: 'new files need `git add` first, as with `git commit -a`' });
  const indexEntries = await readIndexEntries(core, paths);
  const current = paths.map((p) => readWorktree(core.root, p));
  const oids = await hashPaths(core, paths.filter((_, i) => current[i] !== null), true);
  const listed = paths.length > 3 ? `${paths.slice(0, 3).join(', ')} and ${paths.length - 3} more` : paths.join(', ');
  const journal: Journal = {
    v: 1,
    id: `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`,
    session: session.id,
    ref: session.ref,
    parent: head.oid,
    snapshot: null,
    files: paths.map((path, i) => {
      const content = current[i] ?? null;
      return { path, old: content === null ? null : { oid: oids.get(path) ?? '', mode: worktreeMode(core.root, path) }, newSha256: content === null ? null : sha256(content) };
    }),
    meta: {
      summary: options.message?.trim() || `Your changes to ${listed}`,
      model: 'user',
      request: options.request,
      userIndex: paths.map((path) => ({ path, entry: indexEntries.get(path) ?? null })),
    },
  };
  await core.journal.begin(journal);
  return await commitJournal(core, session, journal, tip, head);
}

/** Commits a batch a hook rejected, once what the hook reported is fixed (the files as they are now). */
export async function commitPending(core: StoreCore): Promise<BatchResult> {
  refuseIfOperationInProgress(core.repo.paths);
  using lock = await core.lock();
  void lock;
  const journal = core.journal.read();
  if (!journal?.pending) throw new AssistError('git.no-pending-batch', 'no pending batch to commit', { exitCode: 5 });
  const mine = await pendingCommittedByYou(core, journal);
  if (mine) {
    await settlePending(core, journal, mine);
    return { commit: mine, snapshot: null, files: [], event: null, committedByYou: true };
  }
  const session = await core.session(journal.session);
  const { head, tip } = await core.guard(session);
  delete journal.pending;
  core.journal.save(journal);
  return await commitJournal(core, session, journal, tip, head);
}

/** A batch a commit hook rejected blocks the next write until it is committed or dropped. */
export function refuseIfPending(core: StoreCore): void {
  const pending = core.journal.read();
  if (pending?.pending) {
    throw refusal('git.batch-pending', `an earlier batch is pending: ${pendingReason(pending.pending)} (${pending.files.map((f) => f.path).join(', ')})`, PENDING_WAY_ON, {
      output: pending.pending.output,
    });
  }
}

/** The batch a hook or signing left pending (its files written, its commit not made), or null. */
export function pendingBatch(core: StoreCore): { files: string[]; reason: string; output: string; summary: string } | null {
  const journal = core.journal.read();
  if (!journal?.pending) return null;
  return { files: journal.files.map((f) => f.path), reason: pendingReason(journal.pending), output: journal.pending.output, summary: journal.meta.summary };
}

/**
 * Git-ignored, untracked files among `paths`: a file the person added to the chat by name may be
 * written, but is never committed (DESIGN §2 "the user's uncommitted work", §7).
 */
export async function ignoredPaths(core: StoreCore, paths: readonly string[]): Promise<Set<string>> {
  if (paths.length === 0) return new Set();
  // Tracked files are never reported: exclude rules do not apply to them.
  const out = await core.repo.git(['check-ignore', '-z', '--stdin'], { input: `${paths.join('\0')}\0`, okCodes: [0, 1] });
  return new Set(out.stdout.toString('utf8').split('\0').filter(Boolean));
}

/** `core.outsideSparseCone` and {@link readIndexEntries} of the same paths, from one `git ls-files --stage -t`. */
async function readIndexEntriesTagged(
  core: StoreCore,
  paths: readonly string[],
): Promise<{ sparse: Map<string, { reason: string; code: string }>; entries: Map<string, { mode: string; oid: string }> }> {
  const out = await core.repo.gitText(['ls-files', '--stage', '-t', '-z', '--', ...paths.map(literal)]);
  const sparse = new Map<string, { reason: string; code: string }>();
  const entries = new Map<string, { mode: string; oid: string }>();
  for (const rec of out.split('\0')) {
    const m = /^(\S) (\d+) ([0-9a-f]+) (\d)\t(.*)$/s.exec(rec);
    if (!m) continue;
    const path = m[5] ?? '';
    if (m[1] === 'S') sparse.set(path, outsideSparseHit(path));
    if (m[4] === '0') entries.set(path, { mode: m[2] ?? '', oid: m[3] ?? '' });
  }
  return { sparse, entries };
}

/** `git ls-files --stage` for these paths: the user's index entries (stage 0). */
export async function readIndexEntries(core: StoreCore, paths: readonly string[]): Promise<Map<string, { mode: string; oid: string }>> {
  const out = await core.repo.gitText(['ls-files', '--stage', '-z', '--', ...paths.map(literal)]);
  const map = new Map<string, { mode: string; oid: string }>();
  for (const rec of out.split('\0')) {
    const m = /^(\d+) ([0-9a-f]+) (\d)\t(.*)$/s.exec(rec);
    if (m && m[3] === '0') map.set(m[4] ?? '', { mode: m[1] ?? '', oid: m[2] ?? '' });
  }
  return map;
}

function pendingReason(pending: { hook: string }): string {
  return pending.hook === 'signing' ? 'signing its commit failed' : `the ${pending.hook} hook rejected its commit`;
}
