import { refusal } from '../errors.js';
import { replayChain, requireChainTip, writeEvent } from './chain.js';
import { checkpointLocked, autoName } from './checkpoints.js';
import { commitOnUserBranch, commitMessage } from './commit-journal.js';
import type { EditEvent, ReplayedEvent } from './events.js';
import type { WriteLock } from './lock.js';
import { refuseIfOperationInProgress } from './operation.js';
import { pauseAt } from './pause.js';
import { journaledMove, switchHead, recoverLocked } from './recovery.js';
import type { RefUpdate } from './repo.js';
import type { StoreCore } from './store-core.js';
import type { SessionInfo, FinishMode, FinishResult } from './store-types.js';
import { moveTo } from './worktree-move.js';

/**
 * What every finish (of a session here, or of a worktree session) starts with: no git operation in
 * progress, the write lock, what a crash left recovered, no pending batch, and the branch where the
 * chain left it — the person's own commits on top of assist's are carried along (issue 24 item 14).
 * The lock is the caller's to release; it is released here when a check refuses.
 */
export async function beginFinish(core: StoreCore, session: SessionInfo): Promise<{ lock: WriteLock } & Awaited<ReturnType<StoreCore['guard']>>> {
  refuseIfOperationInProgress(core.repo.paths);
  const lock = await core.lock();
  try {
    await recoverLocked(core, session);
    if (core.journal.read()?.pending) throw refusal('git.batch-pending', 'a batch is pending: commit or drop it first', 'drop it with `assist undo`');
    return { lock, ...(await core.guard(session, { allowAhead: true })) };
  } catch (error) {
    lock.release();
    throw error;
  }
}

/**
 * Lands the session on its base: squash (one commit, default), merge (every commit), keep
 * (switch back, keep the branch) or discard (switch back, delete the branch). Commits on the
 * base run the user's hooks and signing. Everything is checked before anything moves.
 */
export async function finishSession(core: StoreCore, options: { mode?: FinishMode; message?: string; session?: string } = {}): Promise<FinishResult> {
  const mode = options.mode ?? 'squash';
  const session = await core.requireSession(options.session);
  const start = await beginFinish(core, session);
  using lock = start.lock;
  void lock;
  const { head, tip: tip0 } = start;
  if (session.noBranch) {
    const ev = writeEvent(core.repo, session.id, tip0, { type: 'finish', mode, onto: session.branch, commit: null });
    await core.repo.updateRefs([ev.update]);
    await core.repo.git(['config', '--unset', session.branch ? `branch.${session.branch}.assistNoBranchSession` : 'assist.detachedSession'], { okCodes: [0, 5] });
    return { mode, onto: session.branch, commit: null, branchDeleted: false, branch: session.branch };
  }
  const sessionTip = head.oid;
  const baseRef = session.base.ref ? `refs/heads/${session.base.ref}` : null;
  const baseOid = baseRef ? core.repo.readRef(baseRef) : session.base.commit;
  if (sessionTip) await checkpointLocked(core, session, tip0, head, autoName('finish'), true);
  const tip = await requireChainTip(core.repo, session.id);
  const hasWork = sessionTip !== null && sessionTip !== session.base.commit;

  let newBase: string | null = baseOid;
  let landed: string | null = null;
  if ((mode === 'squash' || mode === 'merge') && hasWork && sessionTip) {
    const baseMoved = baseOid !== session.base.commit;
    let tree: string;
    if (!baseMoved) tree = (await core.repo.objects.readCommit(sessionTip)).tree;
    else {
      if (!baseOid) throw refusal('git.base-gone', `the base branch ${session.base.ref ?? ''} no longer exists`, 'recreate it, or use --keep');
      tree = await mergeTrees(core, baseOid, sessionTip);
    }
    if (mode === 'merge' && !baseMoved) landed = sessionTip;
    else {
      const message = options.message ?? (await sessionSummaryMessage(core, session, mode, sessionTip));
      const parents = mode === 'merge' ? [baseOid, sessionTip] : [baseOid];
      landed = await commitOnUserBranch(core, session, null, tree, parents, message, mode === 'merge' ? ['pre-merge-commit'] : ['pre-commit']);
    }
    newBase = landed;
  }
  const targetTree = newBase ?? null;
  const deleteBranch = mode === 'discard' || (mode !== 'keep' && (hasWork ? landed !== null : true));
  const updates: RefUpdate[] = [];
  if (baseRef && landed && landed !== baseOid) updates.push({ ref: baseRef, value: landed, old: baseOid });
  if (deleteBranch && sessionTip) updates.push({ ref: session.ref, value: null, old: sessionTip });
  const ev = writeEvent(core.repo, session.id, tip, { type: 'finish', mode, onto: session.base.ref ?? session.base.commit, commit: landed }, { tip: sessionTip });
  updates.push(ev.update);
  const headTo = baseRef ? { symbolic: baseRef } : newBase ? { detach: newBase } : undefined;
  const unsetSection = deleteBranch && session.branch ? `branch.${session.branch}` : undefined;
  // Work tree and index first (nothing moves if a local change is in the way), then HEAD, then refs.
  await journaledMove(core, 
    {
      op: 'finish',
      session: session.id,
      ref: session.ref,
      from: sessionTip,
      to: targetTree,
      restoreSnapshots: [],
      resetSnapshots: [],
      updates,
      event: ev.id,
      ...(headTo ? { headTo } : {}),
      ...(unsetSection ? { unsetSection } : {}),
    },
    async () => {
      pauseAt('finish-after-land', core.repo.env);
      if (sessionTip !== targetTree) await moveTo(core, sessionTip, targetTree, []);
      pauseAt('finish-after-move', core.repo.env);
      if (headTo) await switchHead(core, headTo, session.id);
      pauseAt('finish-after-head', core.repo.env);
      return [];
    },
    `assist: finish ${session.id} (${mode})`,
  );
  return { mode, onto: session.base.ref ?? session.base.commit, commit: landed, branchDeleted: deleteBranch, branch: session.branch };
}

export async function mergeTrees(core: StoreCore, base: string, session: string): Promise<string> {
  const result = await core.repo.git(['merge-tree', '--write-tree', '--name-only', '-z', '--no-messages', base, session], { okCodes: [0, 1] });
  const parts = result.stdout.toString('utf8').split('\0').filter(Boolean);
  const tree = parts[0] ?? '';
  if (result.code === 1) {
    const files = [...new Set(parts.slice(1))];
    throw refusal('git.finish-conflict', `the base moved and the session's changes conflict with it in: ${files.join(', ')}`, 'rebase the session branch onto the base yourself, or finish with --keep; nothing was changed', { files });
  }
  return tree;
}

/**
 * The message of a squash or merge: the model's edits listed, and the person's own content kept
 * apart (issue 24 item 18): what snapshots and `/commit` carried along, and their own commits on
 * the session branch.
 */
export async function sessionSummaryMessage(core: StoreCore, session: SessionInfo, mode: FinishMode, sessionTip: string): Promise<string> {
  const events = await replayChain(core.repo, session.id);
  const all = events.filter((e): e is ReplayedEvent & EditEvent => e.type === 'edit');
  const live = all.filter((e) => !e.reverted);
  const edits = live.filter((e) => e.model !== 'user');
  const carried = [...new Set(live.flatMap((e) => (e.model === 'user' ? e.files.map((f) => f.path) : (e.snapshot?.index.map((i) => i.path) ?? []))))].sort();
  const assists = new Set(all.flatMap((e) => [e.commit, ...(e.snapshot ? [e.snapshot.commit] : [])]));
  const range = session.base.commit ? [`${session.base.commit}..${sessionTip}`] : [sessionTip];
  const yours = (await core.repo.gitText(['log', '--reverse', '--format=%H %s', ...range]))
    .split('\n')
    .filter((l) => l !== '' && !assists.has(l.slice(0, l.indexOf(' '))))
    .map((l) => `${l.slice(0, 10)}${l.slice(l.indexOf(' '))}`);
  const first = edits[0]?.summary ?? yours[0]?.slice(11) ?? `assist session ${session.id}`;
  const title = edits.length > 1 ? `${first} (and ${edits.length - 1} more)` : first;
  const parts = [edits.map((e) => `- ${e.summary}`).join('\n')];
  if (carried.length > 0) parts.push(`Your changes carried along: ${carried.join(', ')}`);
  if (yours.length > 0) parts.push(`Your commits: ${yours.join('; ')}`);
  return commitMessage(title, parts.filter(Boolean).join('\n\n'), { session: session.id, event: mode === 'merge' ? 'merge' : 'squash' });
}
