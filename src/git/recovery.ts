import { join } from 'node:path';
import { AssistError } from '../errors.js';
import { readChainTip, readEvent } from './chain.js';
import { pendingCommittedByYou, settlePending, oldContent, commitJournal, syncIndex } from './commit-journal.js';
import type { EditEvent } from './events.js';
import { sha256, type Journal, type MoveJournal } from './journal.js';
import { hashObject } from './objects.js';
import { refuseIfOperationInProgress } from './operation.js';
import { pauseAt } from './pause.js';
import { chainRef } from './session-id.js';
import type { StoreCore } from './store-core.js';
import type { SessionInfo, RecoveryReport } from './store-types.js';
import { readWorktree, removeDeadTemps, writeWorktreeAtomic } from './worktree-files.js';
import { moveTo, resetToHeadIfSnapshot } from './worktree-move.js';

/** Finishes or rolls back a batch a crash left behind; null when there was none. Takes the lock. */
export async function recover(core: StoreCore): Promise<RecoveryReport | null> {
  refuseIfOperationInProgress(core.repo.paths);
  using lock = await core.lock();
  void lock;
  const move = await recoverMoveLocked(core);
  const journal = core.journal.read();
  if (!journal) return move;
  return await recoverLocked(core, await core.session(journal.session));
}

/**
 * Runs `move` (the index and work tree part of an undo, redo, restore or finish) under a move
 * journal, then the ref transaction that completes it. A crash in between is rolled forward by
 * the next start; a refusal from the move itself (a local change in the way) changes nothing.
 */
export async function journaledMove(core: StoreCore, journal: Omit<MoveJournal, 'v'>, move: () => Promise<string[]>, reflog: string): Promise<string[]> {
  core.moves.begin({ v: 1, ...journal });
  let files: string[];
  try {
    files = await move();
  } catch (error) {
    if (error instanceof AssistError && error.code === 'git.dirty-files') core.moves.remove();
    throw error;
  }
  await core.repo.updateRefs(journal.updates, reflog);
  pauseAt('finish-before-config', core.repo.env);
  if (journal.unsetSection) await core.repo.unsetConfigSection(journal.unsetSection);
  core.moves.remove();
  return files;
}

export async function switchHead(core: StoreCore, to: NonNullable<MoveJournal['headTo']>, session: string): Promise<void> {
  if ('symbolic' in to) await core.repo.git(['symbolic-ref', '-m', `assist: finish ${session}`, 'HEAD', to.symbolic]);
  else await core.repo.git(['update-ref', '--no-deref', '-m', `assist: finish ${session}`, 'HEAD', to.detach]);
}

/** Rolls forward an undo, redo, restore or finish a crash interrupted (see {@link journaledMove}). */
export async function recoverMoveLocked(core: StoreCore): Promise<RecoveryReport | null> {
  const m = core.moves.read();
  if (!m) return null;
  const changed = async (): Promise<string[]> =>
    (await core.repo.gitText(['diff', '--name-only', '-z', m.from ?? core.repo.objects.emptyTree, m.to ?? core.repo.objects.emptyTree], { okCodes: [0, 128] })).split('\0').filter(Boolean);
  const chain = core.repo.readRef(chainRef(m.session));
  const refsDone = chain !== null && (chain === m.event || (await core.repo.git(['merge-base', '--is-ancestor', m.event, chain], { okCodes: [0, 1, 128] })).code === 0);
  if (!refsDone) {
    const head = core.repo.head();
    const atStart = (head.ref ?? 'HEAD') === m.ref && head.oid === m.from;
    const switched = m.headTo !== undefined && ('symbolic' in m.headTo ? head.ref === m.headTo.symbolic : head.ref === null && head.oid === m.headTo.detach);
    if (!atStart && !switched) {
      // HEAD was moved by hand since: finishing the move could overwrite what the person did.
      core.moves.remove();
      return { journal: `${m.op}-${m.event.slice(0, 12)}`, action: 'abandoned', files: [], leftAlone: await changed(), op: m.op };
    }
    try {
      if (m.resetSnapshots.length) {
        const edits = (await Promise.all(m.resetSnapshots.map((id) => readEvent(core.repo, id)))).filter((e): e is EditEvent => e.type === 'edit');
        await resetToHeadIfSnapshot(core, m.from, edits);
      }
      const restore = (await Promise.all(m.restoreSnapshots.map((id) => readEvent(core.repo, id)))).filter((e): e is EditEvent => e.type === 'edit');
      if (m.from !== m.to) await moveTo(core, m.from, m.to, restore);
      if (m.headTo && !switched) await switchHead(core, m.headTo, m.session);
      await core.repo.updateRefs(m.updates, `assist: finish interrupted ${m.op}`);
    } catch (error) {
      // Never leave a journal every later command trips over: say what is left to do instead.
      core.moves.remove();
      throw new AssistError('git.recovery-failed', `could not finish an interrupted ${m.op}: ${(error as Error).message.split('\n')[0] ?? ''}`, {
        hint: `check \`git status\`: the ${m.op}'s changes may show as uncommitted; \`git reset --keep ${m.from ?? 'HEAD'}\` returns to where it started`,
        cause: error,
      });
    }
  }
  if (m.unsetSection) await core.repo.unsetConfigSection(m.unsetSection);
  core.moves.remove();
  return { journal: `${m.op}-${m.event.slice(0, 12)}`, action: 'finished', files: await changed(), leftAlone: [], op: m.op };
}

export async function recoverLocked(core: StoreCore, _current: SessionInfo): Promise<RecoveryReport | null> {
  const move = await recoverMoveLocked(core);
  const journal = core.journal.read();
  if (!journal) return move;
  removeDeadTemps(join(core.repo.paths.worktreeAssistDir, 'tmp'));
  const paths = journal.files.map((f) => f.path);
  if (journal.pending) {
    const mine = await pendingCommittedByYou(core, journal);
    if (!mine) return { journal: journal.id, action: 'pending', files: paths, leftAlone: [] };
    await settlePending(core, journal, mine);
    return { journal: journal.id, action: 'committed-by-you', files: paths, leftAlone: [], commit: mine };
  }
  const session = await core.session(journal.session);
  const tip = await readChainTip(core.repo, session.id);
  if (tip && tip.event.type === 'edit' && tip.event.journal === journal.id) {
    await syncIndex(core, journal.files.filter((f) => !f.ignored).map((f) => f.path));
    core.journal.remove();
    return { journal: journal.id, action: 'finished', files: paths, leftAlone: [], commit: tip.event.commit };
  }
  const states = journal.files.map((f) => {
    const cur = readWorktree(core.root, f.path);
    const isNew = f.newSha256 === null ? cur === null : cur !== null && sha256(cur) === f.newSha256;
    const isOld = f.old === null ? cur === null : cur !== null && hashObject(core.repo.objects.format, 'blob', cur) === f.old.oid;
    return { f, isNew, isOld };
  });
  const head = core.repo.head();
  const headOk = (head.ref ?? 'HEAD') === journal.ref && head.oid === journal.parent;
  if (tip && headOk && states.every((s) => s.isNew)) {
    const result = await commitJournal(core, session, journal, tip, head);
    return { journal: journal.id, action: 'finished', files: paths, leftAlone: [], commit: result.commit };
  }
  const leftAlone: string[] = [];
  const tmpDir = join(core.repo.paths.worktreeAssistDir, 'tmp');
  for (const s of states) {
    if (s.isOld) continue;
    if (!s.isNew) {
      leftAlone.push(s.f.path);
      continue;
    }
    const content = await oldContent(core, s.f);
    if (s.f.old && content === null) {
      leftAlone.push(s.f.path);
      continue;
    }
    writeWorktreeAtomic(core.root, s.f.path, content, tmpDir, s.f.old?.mode);
    pauseAt('recover-mid-rollback', core.repo.env);
  }
  pauseAt('recover-before-remove', core.repo.env);
  core.journal.remove();
  return { journal: journal.id, action: 'rolled-back', files: paths, leftAlone };
}

/** Rolls back a pending (hook-rejected) batch: files that still hold what assist wrote get their old content. */
export async function dropPending(core: StoreCore, journal: Journal): Promise<string[]> {
  delete journal.pending;
  core.journal.save(journal);
  const tmpDir = join(core.repo.paths.worktreeAssistDir, 'tmp');
  const dropped: string[] = [];
  for (const f of journal.files) {
    const cur = readWorktree(core.root, f.path);
    const isNew = f.newSha256 === null ? cur === null : cur !== null && sha256(cur) === f.newSha256;
    if (!isNew) continue;
    const content = await oldContent(core, f);
    if (f.old && content === null) continue;
    writeWorktreeAtomic(core.root, f.path, content, tmpDir, f.old?.mode);
    dropped.push(f.path);
    pauseAt('drop-pending-mid', core.repo.env);
  }
  // The batch never reached the index (its commit failed before the index was synced): the
  // person's entries, staged or not, are as they had them. Only the stat data is refreshed.
  if (dropped.length > 0) await core.repo.git(['update-index', '-q', '--refresh'], { okCodes: [0, 1] });
  core.journal.remove();
  return dropped;
}
