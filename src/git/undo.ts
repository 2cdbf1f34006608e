import { AssistError, refusal } from '../errors.js';
import { liveLastEdit, readEvent, redoTop, requireChainTip, writeEvent } from './chain.js';
import { branchUpdate } from './commit-journal.js';
import type { EditEvent } from './events.js';
import { refuseIfOperationInProgress } from './operation.js';
import { pauseAt } from './pause.js';
import { journaledMove, recoverLocked, dropPending } from './recovery.js';
import type { StoreCore } from './store-core.js';
import type { SessionInfo, UndoResult, RedoResult } from './store-types.js';
import { moveTo, moveIgnored, resetToHeadIfSnapshot, movedPaths } from './worktree-move.js';

/**
 * Undoes the newest `count` edits of the session (with their snapshots, whose content comes
 * back as uncommitted changes). Refuses when they are not at the tip, are on a remote-tracking
 * branch (unless `force`), or a file they touched has uncommitted changes.
 */
export async function undo(core: StoreCore, options: { count?: number; force?: boolean; session?: string } = {}): Promise<UndoResult> {
  const session = options.session ? await core.session(options.session) : core.currentSession();
  if (!session) {
    const head = core.repo.head();
    throw refusal(
      'git.nothing-to-undo',
      `nothing to undo: HEAD (${head.ref?.replace(/^refs\/heads\//, '') ?? 'detached'}) is not on an assist session branch`,
      'a session gets its branch at its first edit, and undo takes back only its edits; `assist session list` shows the sessions',
    );
  }
  refuseIfOperationInProgress(core.repo.paths);
  using lock = await core.lock();
  void lock;
  await recoverLocked(core, session);
  const pending = core.journal.read();
  if (pending?.pending) {
    const dropped = await dropPending(core, pending);
    const tip = await requireChainTip(core.repo, session.id);
    const ev = writeEvent(core.repo, session.id, tip, {
      type: 'undo',
      undone: [],
      from: tip.event.tip,
      to: tip.event.tip,
      before: { lastEdit: liveLastEdit(tip), redo: redoTop(tip) },
      pendingDropped: dropped,
    });
    await core.repo.updateRefs([ev.update]);
    return { undone: [], from: tip.event.tip, to: tip.event.tip, restored: [], pendingDropped: dropped };
  }
  const count = options.count ?? 1;
  if (!Number.isInteger(count) || count < 1) throw new AssistError('git.bad-count', `undo needs a positive whole number, got ${count}`, { exitCode: 2 });
  const { head, tip } = await core.guard(session, { purpose: 'undo' });
  const edits: { id: string; event: EditEvent }[] = [];
  let next = liveLastEdit(tip);
  while (edits.length < count && next) {
    const event = await readEvent(core.repo, next);
    if (event.type !== 'edit') throw new AssistError('git.chain-corrupt', `event ${next.slice(0, 12)} is not an edit`);
    edits.push({ id: next, event });
    next = event.prevEdit;
  }
  if (edits.length < count) {
    throw refusal('git.nothing-to-undo', edits.length === 0 ? 'nothing to undo in this session' : `only ${edits.length} edit(s) of this session can be undone`, undefined, { available: edits.length });
  }
  const newest = edits[0]?.event;
  const oldest = edits[edits.length - 1]?.event;
  if (!newest || !oldest) throw new AssistError('git.nothing-to-undo', 'nothing to undo');
  if (newest.commit !== head.oid) {
    throw refusal(
      'git.undo-not-at-tip',
      `the session's last edit ${newest.commit.slice(0, 12)} is not at the tip of ${session.branch ?? 'HEAD'}: a commit that is not assist's is on top of it`,
      `undo takes back only assist's own newest commits, and leaves yours; \`git revert ${newest.commit.slice(0, 12)}\` takes the edit back as a new commit`,
    );
  }
  // An edit of git-ignored files alone made no commit: its `commit` is its parent, maybe long pushed.
  const committed = edits.filter((e) => e.event.commit !== e.event.parent);
  if (!options.force && committed.length > 0) await refuseIfPushed(core, session, committed.map((e) => e.event.snapshot?.commit ?? e.event.commit));
  const target = oldest.parent;
  const ev = writeEvent(
    core.repo,
    session.id,
    tip,
    { type: 'undo', undone: edits.map((e) => e.id), from: head.oid, to: target, before: { lastEdit: liveLastEdit(tip), redo: redoTop(tip) } },
    { tip: target, lastEdit: oldest.prevEdit, redo: redoTop(tip) },
  );
  const updates = [branchUpdate(session, target, head.oid), ev.update];
  const restored = await journaledMove(core, 
    { op: 'undo', session: session.id, ref: session.ref, from: head.oid, to: target, restoreSnapshots: edits.map((e) => e.id), resetSnapshots: [], updates, event: ev.id },
    async () => {
      pauseAt('undo-before-read-tree', core.repo.env);
      const files = await moveTo(core, head.oid, target, edits.map((e) => e.event), movedPaths(edits.map((e) => e.event)));
      pauseAt('undo-before-ref', core.repo.env);
      return files;
    },
    `assist: undo ${count}`,
  );
  return { undone: edits.map((e) => ({ commit: e.event.commit, summary: e.event.summary, files: e.event.files.map((f) => f.path) })), from: head.oid, to: target, restored };
}

export async function refuseIfPushed(core: StoreCore, session: SessionInfo, commits: readonly string[]): Promise<void> {
  // Refs are read from files (Repo.open refuses a reftable repository).
  const remote = core.repo.refIdsUnder('refs/remotes/');
  // The commits to undo were made on top of the session's base, so a remote-tracking branch
  // still at the base cannot contain them: no need to ask git (the usual case after a fetch).
  if (session.base.commit !== null) remote.delete(session.base.commit);
  if (remote.size === 0) return;
  const oldest = commits[commits.length - 1];
  if (!oldest) return;
  const out = await core.repo.gitText(['for-each-ref', '--contains', oldest, '--format=%(refname:short)', 'refs/remotes/']);
  const on = out.split('\n').filter(Boolean);
  if (on.length > 0) {
    throw refusal('git.undo-pushed', `the commits to undo are already on ${on.join(', ')}`, 'undoing them rewrites published history; use `assist undo --force` if you mean it', { remotes: on });
  }
}

/** Redoes the newest undo (or checkpoint restore) that nothing has been committed after. */
export async function redo(core: StoreCore, options: { session?: string } = {}): Promise<RedoResult> {
  const session = await core.requireSession(options.session);
  refuseIfOperationInProgress(core.repo.paths);
  using lock = await core.lock();
  void lock;
  await recoverLocked(core, session);
  const { head, tip } = await core.guard(session);
  const top = redoTop(tip);
  if (!top) throw refusal('git.nothing-to-redo', 'nothing to redo', 'redo only follows an undo or a checkpoint restore with no edit since');
  const u = await readEvent(core.repo, top);
  if (u.type !== 'undo' && u.type !== 'restore') throw new AssistError('git.chain-corrupt', 'redo points at an event that is not an undo');
  if (u.to !== head.oid) throw refusal('git.branch-moved', 'the branch is not where the undo left it', undefined);
  // Files the undo handed back as uncommitted changes go back into their snapshot commits.
  const edits = await Promise.all(u.undone.map(async (id) => readEvent(core.repo, id)));
  const snapPaths: string[] = [];
  for (const e of edits) if (e.type === 'edit' && e.snapshot) snapPaths.push(...e.snapshot.index.map((i) => i.path));
  const ev = writeEvent(
    core.repo,
    session.id,
    tip,
    { type: 'redo', of: top, redone: u.undone, from: head.oid, to: u.from },
    { tip: u.from, lastEdit: u.before.lastEdit, redo: u.before.redo },
  );
  const updates = [branchUpdate(session, u.from, head.oid), ev.update];
  const resetSnapshots = snapPaths.length ? u.undone : [];
  await journaledMove(core, 
    { op: 'redo', session: session.id, ref: session.ref, from: head.oid, to: u.from, restoreSnapshots: [], resetSnapshots, updates, event: ev.id },
    async () => {
      if (snapPaths.length) await resetToHeadIfSnapshot(core, head.oid, edits.filter((e): e is EditEvent => e.type === 'edit'));
      pauseAt('redo-after-reset', core.repo.env);
      await moveTo(core, head.oid, u.from, [], movedPaths(edits.filter((e): e is EditEvent => e.type === 'edit')));
      moveIgnored(core, edits.filter((e): e is EditEvent => e.type === 'edit'), 'forward');
      pauseAt('redo-before-ref', core.repo.env);
      return [];
    },
    'assist: redo',
  );
  return { redone: u.undone.length, from: head.oid, to: u.from };
}
