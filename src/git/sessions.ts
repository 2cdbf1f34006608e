import { refusal, type AssistError } from '../errors.js';
import { readChainTip, replayChain, requireChainTip, writeEvent, type ChainTip } from './chain.js';
import { NOTES_REF } from './commit-journal.js';
import type { NewEvent } from './events.js';
import { refuseIfOperationInProgress } from './operation.js';
import { pauseAt } from './pause.js';
import type { HeadState, RefUpdate } from './repo.js';
import { chainRef, checkpointRef, newSessionId, sessionBranchName } from './session-id.js';
import type { StoreCore } from './store-core.js';
import type { SessionInfo } from './store-types.js';

/**
 * Why session `id` cannot be continued here (`chat --resume=ID` while HEAD is elsewhere): a
 * finished session, or one whose branch is gone, is never sent to a branch that no longer exists.
 */
export async function resumeRefusal(core: StoreCore, id: string): Promise<AssistError> {
  const info = await core.session(id);
  if (info.pendingBranch) {
    const here = core.currentSession();
    return refusal(
      'session.resume-elsewhere',
      `session ${id} has made no edit yet, so it has no branch; HEAD is on ${here?.branch ?? 'a session branch'} of session ${here?.id ?? '?'}`,
      'switch to a branch that is not a session branch (its first edit will create the session branch from there), then resume it',
    );
  }
  const tip = await readChainTip(core.repo, id);
  const branchExists = info.branch !== null && core.repo.readRef(`refs/heads/${info.branch}`) !== null;
  if (tip?.event.type === 'finish' && !branchExists) {
    const onto = tip.event.onto ? ` onto ${tip.event.onto}` : '';
    return refusal('session.resume-finished', `session ${id} was finished (${tip.event.mode}${onto}) and cannot be continued`, `\`assist log ${id}\` shows it; start a new chat to go on from here`);
  }
  if (info.branch !== null && !branchExists) {
    return refusal('session.resume-branch-gone', `session ${id} cannot be continued: its branch ${info.branch} no longer exists`, `\`assist log ${id}\` shows it; start a new chat to go on from here`);
  }
  return refusal('session.resume-elsewhere', `session ${id} is on ${info.branch ?? 'a detached HEAD'}, not checked out here`, info.branch ? `switch to it first: \`git switch ${info.branch}\`` : 'check it out first');
}

/**
 * Starts a session, or continues the one HEAD is on. A new session gets its branch
 * `assist/<id>` at HEAD and HEAD switches to it (index and work tree untouched, so uncommitted
 * work comes along); with `noBranch` it records on the current branch instead. `branchName`
 * names the new branch from the session id (`pr` uses `assist/pr-<slug>-<id>`).
 */
export async function startSession(core: StoreCore, options: { noBranch?: boolean; branchName?: (id: string) => string; deferBranch?: boolean } = {}): Promise<{ session: SessionInfo; created: boolean }> {
  const current = core.currentSession();
  if (current && (!current.noBranch || options.noBranch)) return { session: current, created: false };
  refuseIfOperationInProgress(core.repo.paths);
  using lock = await core.lock();
  void lock;
  // Another assist may have started one while we waited for the lock (two runs at once): continue it, as a later run would.
  await core.repo.reloadConfig();
  const meanwhile = core.currentSession();
  if (meanwhile && (!meanwhile.noBranch || options.noBranch)) return { session: meanwhile, created: false };
  const head = core.repo.head();
  const id = newSessionId();
  const name = options.noBranch ? null : options.branchName ? options.branchName(id) : sessionBranchName(id);
  if (name !== null) core.refuseIfBranchBlocked(name);
  if (name !== null && options.deferBranch) {
    // Only the chain: no branch, no config, HEAD where it is, until the first edit (DESIGN §2).
    const base = { ref: head.ref?.replace(/^refs\/heads\//, '') ?? null, commit: head.oid };
    const started = writeEvent(
      core.repo,
      id,
      null,
      { type: 'session-started', branch: null, pendingBranch: `refs/heads/${name}`, base, noBranch: false, command: core.command },
      { tip: head.oid, lastEdit: null, redo: null },
    );
    await core.repo.updateRefs([started.update], `assist: start session ${id}`);
    return { session: { id, ref: 'HEAD', branch: null, base, noBranch: false, pendingBranch: name }, created: true };
  }
  await ensureNotesRewrite(core);
  const updates: RefUpdate[] = [];
  let info: SessionInfo;
  // What the config of a start that fails is removed with: a failed start leaves nothing behind.
  let forget: () => Promise<void>;
  try {
    if (name === null) {
      const branch = head.ref?.replace(/^refs\/heads\//, '') ?? null;
      const key = branch ? `branch.${branch}.assistNoBranchSession` : 'assist.detachedSession';
      forget = async () => {
        await core.repo.git(['config', '--unset', key], { okCodes: [0, 5] });
        await core.repo.reloadConfig();
      };
      await core.repo.setConfig(key, id);
      info = { id, ref: head.ref ?? 'HEAD', branch, base: { ref: branch, commit: head.oid }, noBranch: true };
    } else {
      forget = () => core.repo.unsetConfigSection(`branch.${name}`);
      info = await writeBranchConfig(core, name, id, head);
      if (head.oid) updates.push({ ref: `refs/heads/${name}`, value: head.oid, old: null });
    }
  } catch (error) {
    if (name !== null) await core.repo.unsetConfigSection(`branch.${name}`).catch(() => undefined);
    throw error;
  }
  if (head.oid) updates.push({ ref: checkpointRef(id, 'auto-start'), value: head.oid, old: null });
  try {
    const started = writeEvent(
      core.repo,
      id,
      null,
      { type: 'session-started', branch: info.ref === 'HEAD' ? null : info.ref, base: info.base, noBranch: info.noBranch, command: core.command },
      { tip: head.oid, lastEdit: null, redo: null },
    );
    updates.push(started.update);
    pauseAt('session-before-refs', core.repo.env);
    await core.repo.updateRefs(updates, `assist: start session ${id}`);
  } catch (error) {
    await forget().catch(() => undefined);
    throw error;
  }
  pauseAt('session-before-switch', core.repo.env);
  if (!options.noBranch) await core.repo.git(['symbolic-ref', '-m', `assist: session ${id}`, 'HEAD', info.ref]);
  return { session: info, created: true };
}

/** The config that makes `name` the session branch of `id`, based on HEAD as it is. */
export async function writeBranchConfig(core: StoreCore, name: string, id: string, head: HeadState): Promise<SessionInfo> {
  const baseName = head.ref?.replace(/^refs\/heads\//, '') ?? head.oid ?? '';
  await core.repo.setConfig(`branch.${name}.assistSession`, id);
  await core.repo.setConfig(`branch.${name}.assistBase`, baseName);
  if (head.oid) await core.repo.setConfig(`branch.${name}.assistBaseCommit`, head.oid);
  return { id, ref: `refs/heads/${name}`, branch: name, base: { ref: head.ref ? baseName : null, commit: head.oid }, noBranch: false };
}

/**
 * The first edit of a session that started without its branch (`startSession({deferBranch})`):
 * creates `assist/<id>` from HEAD as it is now and switches to it (index and work tree untouched).
 * `movedFrom` says where the session had started when HEAD moved in between. When HEAD is by now
 * on another session's branch (a second run started one meanwhile), this session joins it: its
 * events move into that session's chain, as a later run there would continue it.
 */
export async function createSessionBranch(core: StoreCore, id: string): Promise<{ session: SessionInfo; joined: boolean; movedFrom: { ref: string | null; commit: string | null } | null }> {
  refuseIfOperationInProgress(core.repo.paths);
  using lock = await core.lock();
  void lock;
  await core.repo.reloadConfig();
  const info = await core.session(id);
  if (!info.pendingBranch) return { session: info, joined: false, movedFrom: null };
  const current = core.currentSession();
  if (current && !current.noBranch) {
    await moveEvents(core, id, current.id);
    return { session: current, joined: true, movedFrom: null };
  }
  const name = info.pendingBranch;
  core.refuseIfBranchBlocked(name);
  await ensureNotesRewrite(core);
  const head = core.repo.head();
  const tip = await requireChainTip(core.repo, id);
  let created: SessionInfo;
  try {
    created = await writeBranchConfig(core, name, id, head);
  } catch (error) {
    await core.repo.unsetConfigSection(`branch.${name}`).catch(() => undefined);
    throw error;
  }
  const moved = created.base.ref !== info.base.ref || created.base.commit !== info.base.commit;
  const updates: RefUpdate[] = [];
  if (head.oid) updates.push({ ref: created.ref, value: head.oid, old: null }, { ref: checkpointRef(id, 'auto-start'), value: head.oid, old: null });
  const event = writeEvent(
    core.repo,
    id,
    tip,
    { type: 'branch-created', branch: created.ref, base: created.base, ...(moved ? { movedFrom: info.base } : {}) },
    { tip: head.oid },
  );
  updates.push(event.update);
  try {
    pauseAt('session-before-refs', core.repo.env);
    await core.repo.updateRefs(updates, `assist: session ${id} branch`);
  } catch (error) {
    await core.repo.unsetConfigSection(`branch.${name}`).catch(() => undefined);
    throw error;
  }
  pauseAt('session-before-switch', core.repo.env);
  await core.repo.git(['symbolic-ref', '-m', `assist: session ${id}`, 'HEAD', created.ref]);
  return { session: created, joined: false, movedFrom: moved ? info.base : null };
}

/** Moves the events of a session that never had a branch into another session's chain, and removes its chain. */
export async function moveEvents(core: StoreCore, from: string, into: string): Promise<void> {
  const events = (await replayChain(core.repo, from)).filter((e) => e.type !== 'session-started');
  const fromTip = core.repo.readRef(chainRef(from));
  const start = await requireChainTip(core.repo, into);
  let tip: ChainTip = start;
  for (const e of events) {
    const copy: Record<string, unknown> = { ...e };
    for (const key of ['v', 'at', 'session', 'tip', 'lastEdit', 'redo', 'id', 'reverted']) delete copy[key];
    const written = writeEvent(core.repo, into, tip, copy as unknown as NewEvent);
    tip = { id: written.id, event: written.event };
  }
  await core.repo.updateRefs(
    [
      { ref: chainRef(into), value: tip.id, old: start.id },
      { ref: chainRef(from), value: null, old: fromTip },
    ],
    `assist: session ${from} continues in ${into}`,
  );
}

export async function ensureNotesRewrite(core: StoreCore): Promise<void> {
  if (!core.repo.configAll('notes.rewriteref').includes(NOTES_REF)) {
    await core.repo.git(['config', '--add', 'notes.rewriteRef', NOTES_REF]);
    await core.repo.reloadConfig();
  }
}
