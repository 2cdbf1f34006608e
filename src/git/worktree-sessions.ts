import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AssistError, refusal, usageError } from '../errors.js';
import { requireChainTip, writeEvent } from './chain.js';
import { autoName, checkpointLocked } from './checkpoints.js';
import { commitOnUserBranch } from './commit-journal.js';
import { beginFinish, mergeTrees, sessionSummaryMessage } from './finish.js';
import { acquireLock } from './lock.js';
import { refuseIfOperationInProgress } from './operation.js';
import { journaledMove } from './recovery.js';
import { Repo, type RefUpdate } from './repo.js';
import { checkpointRef, newSessionId, sessionBranchName } from './session-id.js';
import { ensureNotesRewrite, writeBranchConfig } from './sessions.js';
import { StoreCore } from './store-core.js';
import type { FinishMode, FinishResult, SessionInfo } from './store-types.js';
import { moveTo } from './worktree-move.js';

/** A worktree session's linked worktree, as `session list` shows it. */
export interface WorktreeState {
  path: string;
  /** False when the directory is gone (removed by hand; `git worktree prune` forgets it). */
  exists: boolean;
  /** Files `git status` reports (tracked changes and untracked files, ignored ones not). */
  dirty: string[];
}

/** One entry of `git worktree list --porcelain`. */
interface LinkedWorktree {
  path: string;
  branch: string | null;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Where worktree sessions live: `<git common dir>/assist/worktrees/<name>` (DESIGN §6b). */
export function worktreesDir(core: StoreCore): string {
  return join(core.repo.paths.sharedAssistDir, 'worktrees');
}

/**
 * The worktree of `--worktree[=NAME]`: an existing one of that name is reused (its session goes
 * on); else a new session is started on `assist/<id>` at HEAD, recorded like any session (branch
 * config, chain, auto-start checkpoint) plus `branch.<name>.assistWorktree`, and checked out in a
 * new linked worktree. The person's work tree, index and HEAD are not touched, so their
 * uncommitted work stays where it is (and is not carried along). Creations are serialised by a
 * lock in the common dir (they write the shared config); the sessions then run each under their
 * own worktree's lock.
 */
export async function openWorktreeSession(core: StoreCore, name?: string): Promise<{ path: string; session: SessionInfo; created: boolean }> {
  if (name !== undefined && !NAME.test(name)) {
    throw usageError('cli.bad-worktree-name', `not a worktree name: ${name}`, 'use letters, digits, `.`, `_` and `-` (up to 64), starting with a letter or digit');
  }
  refuseIfOperationInProgress(core.repo.paths);
  using lock = await acquireLock(join(core.repo.paths.sharedAssistDir, 'worktrees-lock'), { command: core.command, waitMs: 10_000 });
  void lock;
  await core.repo.reloadConfig();
  if (name !== undefined) {
    const path = join(worktreesDir(core), name);
    const found = (await linkedWorktrees(core)).find((w) => w.path === path);
    if (found) {
      const branch = found.branch?.replace(/^refs\/heads\//, '') ?? '';
      const id = core.repo.configGet(`branch.${branch}.assistsession`);
      if (!id) throw refusal('git.worktree-not-a-session', `the worktree ${path} is not on a session branch`, `finish or remove it (\`git worktree remove ${path}\`), or choose another name`);
      return { path, session: await core.session(id), created: false };
    }
    if (existsSync(path)) throw refusal('git.worktree-path-taken', `${path} exists but is not a worktree of this repository`, 'choose another name, or remove that directory');
  }
  const head = core.repo.head();
  if (!head.oid) throw refusal('git.worktree-unborn', 'this repository has no commit yet: a worktree session starts from one', 'make a first commit, or run without --worktree');
  const id = newSessionId();
  const branch = sessionBranchName(id);
  core.refuseIfBranchBlocked(branch);
  const path = join(worktreesDir(core), name ?? id);
  await ensureNotesRewrite(core);
  let info: SessionInfo;
  try {
    info = await writeBranchConfig(core, branch, id, head);
    await core.repo.setConfig(`branch.${branch}.assistWorktree`, path);
    const started = writeEvent(core.repo, id, null, { type: 'session-started', branch: info.ref, base: info.base, noBranch: false, command: core.command }, { tip: head.oid, lastEdit: null, redo: null });
    await core.repo.updateRefs(
      [
        { ref: info.ref, value: head.oid, old: null },
        { ref: checkpointRef(id, 'auto-start'), value: head.oid, old: null },
        started.update,
      ],
      `assist: start worktree session ${id}`,
    );
  } catch (error) {
    await core.repo.unsetConfigSection(`branch.${branch}`).catch(() => undefined);
    throw error;
  }
  // The checkout is assist's own scratch space: the repository's post-checkout hook is not run for it.
  const added = await core.repo.git(['-c', 'core.hooksPath=/dev/null', 'worktree', 'add', '--quiet', path, branch], { okCodes: [0, 128, 255] });
  if (added.code !== 0) {
    throw new AssistError('git.worktree-add-failed', `could not create the worktree ${path}: ${added.stderr.trim().split('\n')[0] ?? ''}`, {
      hint: `the session ${id} and its branch ${branch} exist; \`assist session list\` shows them`,
    });
  }
  return { path, session: info, created: true };
}

/** The linked worktrees git knows, with the branch each has checked out. */
export async function linkedWorktrees(core: StoreCore): Promise<LinkedWorktree[]> {
  const out = await core.repo.gitText(['worktree', 'list', '--porcelain', '-z']);
  const list: LinkedWorktree[] = [];
  let current: LinkedWorktree | null = null;
  for (const field of out.split('\0')) {
    if (field.startsWith('worktree ')) {
      current = { path: field.slice('worktree '.length), branch: null };
      list.push(current);
    } else if (field.startsWith('branch ') && current) current.branch = field.slice('branch '.length);
  }
  return list;
}

/** The worktree recorded for session branch `branch`, or null for a session without one. */
export function worktreeOf(core: StoreCore, branch: string | null): string | null {
  return (branch ? core.repo.configGet(`branch.${branch}.assistworktree`) : null) ?? null;
}

/** What `session list` shows of a worktree: there or not, and its uncommitted files. */
export async function worktreeState(core: StoreCore, path: string): Promise<WorktreeState> {
  if (!existsSync(path)) return { path, exists: false, dirty: [] };
  return { path, exists: true, dirty: await dirtyFiles(core, path) };
}

async function dirtyFiles(core: StoreCore, path: string): Promise<string[]> {
  const out = await core.repo.gitText(['-C', path, 'status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames']);
  return out
    .split('\0')
    .filter((r) => r.length > 3)
    .map((r) => r.slice(3));
}

/**
 * `session finish` of a worktree session, from inside its worktree (where HEAD is on the session,
 * as for every session). Everything is checked before anything moves: the worktree must be
 * clean (a dirty or untracked file is named and nothing happens, whatever the mode, since
 * removing the worktree would lose it); squash or merge land on the base as `finish` does; where
 * the base is checked out (usually the person's main work tree) its index and files move with
 * it, their uncommitted changes carried along (a conflict with them refuses, nothing changed).
 * Then the worktree is removed (`git worktree remove`, which refuses itself on anything unsaved)
 * and the branch deleted only when its commits are on the base (squash, merge) or `--discard`
 * said so; `--keep` keeps the branch. The auto checkpoint `finish` keeps every commit reachable.
 */
export async function finishWorktreeSession(core: StoreCore, session: SessionInfo, path: string, options: { mode?: FinishMode; message?: string } = {}): Promise<FinishResult & { worktree: string }> {
  const mode = options.mode ?? 'squash';
  const start = await beginFinish(core, session);
  using lock = start.lock;
  void lock;
  const { head, tip: tip0 } = start;
  const dirty = await dirtyFiles(core, path);
  if (dirty.length > 0) {
    throw refusal(
      'git.worktree-dirty',
      `the worktree ${path} has uncommitted changes, which removing it would lose: ${dirty.slice(0, 10).join(', ')}${dirty.length > 10 ? ` and ${dirty.length - 10} more` : ''}`,
      'commit them (`git commit` there; finish carries your commits along) or remove them yourself; nothing was changed',
      { files: dirty },
    );
  }
  const sessionTip = head.oid;
  const baseRef = session.base.ref ? `refs/heads/${session.base.ref}` : null;
  const baseOid = baseRef ? core.repo.readRef(baseRef) : session.base.commit;
  // Where the base is checked out, its work tree moves with the ref, or it would show the landed change reversed.
  const holder = baseRef ? (await linkedWorktrees(core)).find((w) => w.branch === baseRef && w.path !== core.repo.root) : undefined;
  if (sessionTip) await checkpointLocked(core, session, tip0, head, autoName('finish'), true);
  const tip = await requireChainTip(core.repo, session.id);
  const hasWork = sessionTip !== null && sessionTip !== session.base.commit;

  let landed: string | null = null;
  if ((mode === 'squash' || mode === 'merge') && hasWork && sessionTip) {
    if (!baseOid) throw refusal('git.base-gone', `the base branch ${session.base.ref ?? ''} no longer exists`, 'recreate it, or use --keep');
    const baseMoved = baseOid !== session.base.commit;
    const tree = baseMoved ? await mergeTrees(core, baseOid, sessionTip) : (await core.repo.objects.readCommit(sessionTip)).tree;
    if (mode === 'merge' && !baseMoved) landed = sessionTip;
    else {
      const message = options.message ?? (await sessionSummaryMessage(core, session, mode, sessionTip));
      landed = await commitOnUserBranch(core, session, null, tree, mode === 'merge' ? [baseOid, sessionTip] : [baseOid], message, mode === 'merge' ? ['pre-merge-commit'] : ['pre-commit']);
    }
  }
  const deleteBranch = mode === 'discard' || ((mode === 'squash' || mode === 'merge') && (!hasWork || landed !== null));
  const ev = writeEvent(core.repo, session.id, tip, { type: 'finish', mode, onto: session.base.ref ?? session.base.commit, commit: landed }, { tip: sessionTip });
  const updates: RefUpdate[] = [];
  if (baseRef && landed && landed !== baseOid) updates.push({ ref: baseRef, value: landed, old: baseOid });
  updates.push(ev.update);
  if (holder && baseRef && landed && baseOid && landed !== baseOid) {
    const [from, to] = [baseOid, landed];
    const baseRepo = await Repo.open(holder.path, core.repo.env);
    try {
      const baseCore = new StoreCore(baseRepo, core.options);
      using baseLock = await baseCore.lock();
      void baseLock;
      const now = baseRepo.head();
      if (now.ref !== baseRef || now.oid !== baseOid) throw refusal('git.ref-moved', `${session.base.ref ?? ''} moved in ${holder.path} while finishing`, 'try again');
      await journaledMove(
        baseCore,
        { op: 'finish', session: session.id, ref: baseRef, from: baseOid, to: landed, restoreSnapshots: [], resetSnapshots: [], updates, event: ev.id },
        async () => moveTo(baseCore, from, to, []),
        `assist: finish ${session.id} (${mode})`,
      );
    } finally {
      baseRepo.close();
    }
  } else await core.repo.updateRefs(updates, `assist: finish ${session.id} (${mode})`);
  // The session's work is on the base (or kept on its branch) by now: only then does the worktree
  // go. Its HEAD is detached first so the branch can be deleted while it still exists.
  if (sessionTip) await core.repo.git(['update-ref', '--no-deref', '-m', `assist: finish ${session.id}`, 'HEAD', sessionTip]);
  if (deleteBranch && sessionTip) await core.repo.updateRefs([{ ref: session.ref, value: null, old: sessionTip }], `assist: finish ${session.id}`);
  if (deleteBranch && session.branch) await core.repo.unsetConfigSection(`branch.${session.branch}`);
  else if (session.branch) await core.repo.git(['config', '--unset', `branch.${session.branch}.assistWorktree`], { okCodes: [0, 5] });
  // Last: git calls from this process run in the worktree, which is gone after this one.
  const removed = await core.repo.git(['worktree', 'remove', path], { okCodes: [0, 128] });
  if (removed.code !== 0) {
    throw new AssistError('git.worktree-remove-failed', `landed, but the worktree ${path} was not removed: ${removed.stderr.trim().split('\n')[0] ?? ''}`, {
      hint: `nothing is lost (its HEAD is detached at the session's last commit): look at it, then \`git worktree remove ${path}\``,
    });
  }
  return { mode, onto: session.base.ref ?? session.base.commit, commit: landed, branchDeleted: deleteBranch, branch: session.branch, worktree: path };
}
