import { randomBytes } from 'node:crypto';
import { AssistError, refusal } from '../errors.js';
import { liveLastEdit, readEvent, redoTop, requireChainTip, writeEvent, type ChainTip } from './chain.js';
import { branchUpdate } from './commit-journal.js';
import type { EditEvent } from './events.js';
import { refuseIfOperationInProgress } from './operation.js';
import { pauseAt } from './pause.js';
import { journaledMove, recoverLocked } from './recovery.js';
import type { HeadState, RefUpdate } from './repo.js';
import { checkpointRef } from './session-id.js';
import type { StoreCore } from './store-core.js';
import type { SessionInfo, Checkpoint, RestoreResult } from './store-types.js';
import { moveTo } from './worktree-move.js';

export async function createCheckpoint(core: StoreCore, name: string, options: { auto?: boolean; session?: string } = {}): Promise<Checkpoint> {
  const session = await core.requireSession(options.session);
  checkName(name);
  using lock = await core.lock();
  void lock;
  await recoverLocked(core, session);
  const { head, tip } = await core.guard(session);
  return await checkpointLocked(core, session, tip, head, name, options.auto ?? false);
}

export async function checkpointLocked(core: StoreCore, session: SessionInfo, tip: ChainTip, head: HeadState, name: string, auto: boolean): Promise<Checkpoint> {
  if (!head.oid) throw refusal('git.nothing-to-checkpoint', 'the session has no commit yet to checkpoint');
  const ref = checkpointRef(session.id, name);
  const existing = core.repo.readRef(ref);
  if (existing && !auto) throw refusal('git.checkpoint-exists', `checkpoint ${name} already exists`, 'choose another name');
  const ev = writeEvent(core.repo, session.id, tip, { type: 'checkpoint', name, commit: head.oid, auto });
  const updates: RefUpdate[] = [{ ref, value: head.oid, old: existing }, ev.update];
  if (auto) {
    const kept = core.options.checkpointsKept ?? 10;
    const autos = [...(await core.repo.listRefs(`refs/assist/checkpoints/${session.id}/`)).keys()].filter((r) => /\/auto-\d/.test(r) && r !== ref).sort();
    for (const old of autos.slice(0, Math.max(0, autos.length - (kept - 1)))) updates.push({ ref: old, value: null });
  }
  pauseAt('checkpoint-before-ref', core.repo.env);
  await core.repo.updateRefs(updates, `assist: checkpoint ${name}`);
  return { name, commit: head.oid, auto, ref };
}

export async function listCheckpoints(core: StoreCore, sessionId?: string): Promise<Checkpoint[]> {
  const session = await core.requireSession(sessionId);
  const prefix = `refs/assist/checkpoints/${session.id}/`;
  const refs = await core.repo.listRefs(prefix);
  return [...refs].map(([ref, commit]) => {
    const name = ref.slice(prefix.length);
    return { name, commit, auto: name.startsWith('auto-'), ref };
  });
}

/** Moves the session back (or forward) to a checkpoint with the safety rules of undo; an automatic checkpoint keeps where it was. */
export async function restoreCheckpoint(core: StoreCore, name: string, options: { session?: string } = {}): Promise<RestoreResult> {
  const session = await core.requireSession(options.session);
  refuseIfOperationInProgress(core.repo.paths);
  using lock = await core.lock();
  void lock;
  await recoverLocked(core, session);
  const { head, tip: tip0 } = await core.guard(session);
  const target = core.repo.readRef(checkpointRef(session.id, name));
  if (!target) throw refusal('git.no-such-checkpoint', `no checkpoint ${name} in session ${session.id}`, 'see `assist checkpoint list`');
  if (target === head.oid) return { name, from: head.oid, to: target, undone: 0 };
  await checkpointLocked(core, session, tip0, head, autoName('restore'), true);
  const tip = await requireChainTip(core.repo, session.id);
  const reachable = new Set((await core.repo.gitText(['rev-list', target, ...(session.base.commit ? [`^${session.base.commit}`] : [])])).split('\n').filter(Boolean));
  const undone: { id: string; event: EditEvent }[] = [];
  let next = liveLastEdit(tip);
  let lastEdit: string | null = null;
  while (next) {
    const event = await readEvent(core.repo, next);
    if (event.type !== 'edit') break;
    if (reachable.has(event.commit)) {
      lastEdit = next;
      break;
    }
    undone.push({ id: next, event });
    next = event.prevEdit;
  }
  const ev = writeEvent(
    core.repo,
    session.id,
    tip,
    { type: 'restore', name, undone: undone.map((u) => u.id), from: head.oid, to: target, before: { lastEdit: liveLastEdit(tip), redo: redoTop(tip) } },
    { tip: target, lastEdit, redo: redoTop(tip) },
  );
  const updates = [branchUpdate(session, target, head.oid), ev.update];
  await journaledMove(core, 
    { op: 'restore', session: session.id, ref: session.ref, from: head.oid, to: target, restoreSnapshots: undone.map((u) => u.id), resetSnapshots: [], updates, event: ev.id },
    async () => {
      pauseAt('restore-before-move', core.repo.env);
      await moveTo(core, head.oid, target, undone.map((u) => u.event));
      pauseAt('restore-before-ref', core.repo.env);
      return [];
    },
    `assist: restore ${name}`,
  );
  return { name, from: head.oid, to: target, undone: undone.length };
}

export function autoName(reason: string): string {
  return `auto-${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(2).toString('hex')}-${reason}`;
}

function checkName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name) || name.endsWith('.lock') || name.includes('..') || name.startsWith('auto-')) {
    throw new AssistError('git.bad-checkpoint-name', `not a usable checkpoint name: ${JSON.stringify(name)}`, {
      exitCode: 2,
      hint: 'letters, digits, ".", "_" and "-"; names starting with auto- are assist\'s own',
    });
  }
}
