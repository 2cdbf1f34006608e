import type { AssistError } from '../errors.js';
import { appendEvent, appendEvents, chainEventsSince, liveLastEdit, readChainTip, readEvent, replayChain, type ChainTip } from './chain.js';
import { createCheckpoint, listCheckpoints, restoreCheckpoint } from './checkpoints.js';
import { applyBatch, commitPending, commitUserChanges, ignoredPaths, pendingBatch, refuseIfPending } from './edit-batch.js';
import type { EditEvent, NewEvent, ReplayedEvent, SessionEvent } from './events.js';
import { finishSession } from './finish.js';
import type { JournalStore, MoveJournalStore } from './journal.js';
import type { WriteLock } from './lock.js';
import { recover } from './recovery.js';
import { Repo, type HeadState } from './repo.js';
import { listSessions, showSession } from './session-list.js';
import { createSessionBranch, resumeRefusal, startSession } from './sessions.js';
import { StoreCore } from './store-core.js';
import type { BatchResult, Checkpoint, EditBatch, FinishMode, FinishResult, RecoveryReport, RedoResult, RestoreResult, SessionDetails, SessionInfo, SessionSummary, StoreOptions, UndoResult } from './store-types.js';
import { redo, undo } from './undo.js';
import { finishWorktreeSession, openWorktreeSession, worktreeOf } from './worktree-sessions.js';

export { NOTES_REF, commitMessage } from './commit-journal.js';
export type { SessionEvent };

/** Opens the event store of the repository around `cwd`. */
export async function openStore(options: StoreOptions): Promise<GitStore> {
  const repo = await Repo.open(options.cwd, options.env ?? process.env);
  return new GitStore(repo, options);
}

/**
 * The event store: sessions, the event chain, commit per edit, undo/redo, checkpoints, finish,
 * the write lock and the crash journal. Every write runs under the worktree's lock and checks
 * first that HEAD and the branch are where the chain left them. Each concern has its module
 * (`sessions.ts`, `edit-batch.ts` and `commit-journal.ts`, `recovery.ts`, `undo.ts`,
 * `checkpoints.ts`, `finish.ts`), sharing one `StoreCore`; this class is their surface.
 */
export class GitStore {
  readonly journal: JournalStore;
  readonly moves: MoveJournalStore;
  private readonly core: StoreCore;

  constructor(
    readonly repo: Repo,
    options: StoreOptions,
  ) {
    this.core = new StoreCore(repo, options);
    this.journal = this.core.journal;
    this.moves = this.core.moves;
  }

  get root(): string {
    return this.repo.root;
  }

  close(): void {
    this.repo.close();
  }

  /** The session HEAD is on: a session branch, or a --no-branch session recorded for this branch. */
  currentSession(): SessionInfo | null {
    return this.core.currentSession();
  }

  /** A session by id (its branch config when it has one, else its first event). */
  session(id: string): Promise<SessionInfo> {
    return this.core.session(id);
  }

  /** Why session `id` cannot be continued here (`chat --resume=ID` while HEAD is elsewhere). */
  resumeRefusal(id: string): Promise<AssistError> {
    return resumeRefusal(this.core, id);
  }

  /** Starts a session, or continues the one HEAD is on. */
  startSession(options: { noBranch?: boolean; branchName?: (id: string) => string; deferBranch?: boolean } = {}): Promise<{ session: SessionInfo; created: boolean }> {
    return startSession(this.core, options);
  }

  /** The first edit of a session that started without its branch (`startSession({deferBranch})`). */
  createSessionBranch(id: string): Promise<{ session: SessionInfo; joined: boolean; movedFrom: { ref: string | null; commit: string | null } | null }> {
    return createSessionBranch(this.core, id);
  }

  /** Appends events in order with one ref update; returns the id of the last. */
  async appendEvents(sessionId: string, events: readonly NewEvent[]): Promise<string | null> {
    using lock = await this.lock();
    void lock;
    const tip = await appendEvents(this.repo, sessionId, events);
    return tip?.id ?? null;
  }

  /** Appends a conversational event (message, reply, refused) to the session's chain. */
  async appendEvent(sessionId: string, event: NewEvent): Promise<string> {
    // Under the write lock: an append racing a batch's ref transaction would make the batch fail its compare-and-swap.
    using lock = await this.lock();
    void lock;
    const tip = await appendEvent(this.repo, sessionId, event);
    return tip.id;
  }

  /** Every event of the session (the current one by default), oldest first; undone exchanges are marked. */
  async replay(sessionId?: string): Promise<ReplayedEvent[]> {
    const session = await this.core.requireSession(sessionId);
    return replayChain(this.repo, session.id);
  }

  /**
   * The session's events after `since`, an earlier tip of its chain, read without starting git;
   * null when `since` is not within `limit` events of the tip (replay the session instead).
   */
  replaySince(sessionId: string, since: string, limit: number): Promise<ReplayedEvent[] | null> {
    return chainEventsSince(this.repo, sessionId, since, limit);
  }

  lock(): Promise<WriteLock> {
    return this.core.lock();
  }

  /** Before every write: HEAD must still be the session's branch and the branch tip what the chain last recorded. */
  guard(session: SessionInfo, options: { allowAhead?: boolean; purpose?: 'write' | 'undo' } = {}): Promise<{ head: HeadState; tip: ChainTip }> {
    return this.core.guard(session, options);
  }

  /** Everything that would refuse the next write, checked before a paid request (issue 24 item 12). */
  preflight(options: { noBranch?: boolean; session?: SessionInfo | null; branchName?: string } = {}): Promise<void> {
    return this.core.preflight(options);
  }

  /** A branch at a leading part of `name` (`assist` for `assist/<id>`) makes the ref impossible. */
  refuseIfBranchBlocked(name: string): void {
    this.core.refuseIfBranchBlocked(name);
  }

  /** The files among `paths` that a sparse checkout keeps out of the work tree (the skip-worktree bit, `S` in `git ls-files -t`). */
  outsideSparseCone(paths: readonly string[]): Promise<Map<string, { reason: string; code: string }>> {
    return this.core.outsideSparseCone(paths);
  }

  /** Writes an approved edit batch and commits exactly those files on the session's branch. */
  applyBatch(sessionId: string | undefined, batch: EditBatch): Promise<BatchResult> {
    return applyBatch(this.core, sessionId, batch);
  }

  /** Commits the user's own uncommitted changes to tracked files on the session's branch. */
  commitUserChanges(sessionId: string | undefined, options: { message?: string; request: string }): Promise<BatchResult> {
    return commitUserChanges(this.core, sessionId, options);
  }

  /** A batch a commit hook rejected blocks the next write until it is committed or dropped. */
  refuseIfPending(): void {
    refuseIfPending(this.core);
  }

  /** The batch a hook or signing left pending (its files written, its commit not made), or null. */
  pendingBatch(): { files: string[]; reason: string; output: string; summary: string } | null {
    return pendingBatch(this.core);
  }

  /** Git-ignored, untracked files among `paths`. */
  ignoredPaths(paths: readonly string[]): Promise<Set<string>> {
    return ignoredPaths(this.core, paths);
  }

  /** Commits a batch a hook rejected, once what the hook reported is fixed (the files as they are now). */
  commitPending(): Promise<BatchResult> {
    return commitPending(this.core);
  }

  /** Finishes or rolls back a batch a crash left behind; null when there was none. Takes the lock. */
  recover(): Promise<RecoveryReport | null> {
    return recover(this.core);
  }

  /** Undoes the newest `count` edits of the session (with their snapshots, whose content comes back as uncommitted changes). */
  undo(options: { count?: number; force?: boolean; session?: string } = {}): Promise<UndoResult> {
    return undo(this.core, options);
  }

  /** Redoes the newest undo (or checkpoint restore) that nothing has been committed after. */
  redo(options: { session?: string } = {}): Promise<RedoResult> {
    return redo(this.core, options);
  }

  createCheckpoint(name: string, options: { auto?: boolean; session?: string } = {}): Promise<Checkpoint> {
    return createCheckpoint(this.core, name, options);
  }

  listCheckpoints(sessionId?: string): Promise<Checkpoint[]> {
    return listCheckpoints(this.core, sessionId);
  }

  /** Moves the session back (or forward) to a checkpoint with the safety rules of undo; an automatic checkpoint keeps where it was. */
  restoreCheckpoint(name: string, options: { session?: string } = {}): Promise<RestoreResult> {
    return restoreCheckpoint(this.core, name, options);
  }

  /** Every session of the repository, newest first. */
  listSessions(): Promise<SessionSummary[]> {
    return listSessions(this.core);
  }

  /** Lands the session on its base: squash (default), merge, keep or discard. */
  async finishSession(options: { mode?: FinishMode; message?: string; session?: string } = {}): Promise<FinishResult & { worktree?: string }> {
    const current = options.session ? null : this.core.currentSession();
    const worktree = current ? worktreeOf(this.core, current.branch) : null;
    // A worktree session finished from inside its worktree lands, then removes the worktree.
    if (current && worktree === this.repo.root) return finishWorktreeSession(this.core, current, worktree, options);
    return finishSession(this.core, options);
  }

  /**
   * `--worktree[=NAME]`: the linked worktree a session runs in (DESIGN §6b), made with its session
   * on a new branch, or the existing one of that name.
   */
  openWorktreeSession(name?: string): Promise<{ path: string; session: SessionInfo; created: boolean }> {
    return openWorktreeSession(this.core, name);
  }

  /** The session's newest live edit (what undo would take back), or null: none yet, or all undone. */
  async lastEdit(sessionId: string): Promise<EditEvent | null> {
    const tip = await readChainTip(this.repo, sessionId);
    const id = tip ? liveLastEdit(tip) : null;
    if (!id) return null;
    const event = await readEvent(this.repo, id);
    return event.type === 'edit' ? event : null;
  }

  /** Events, edits and state of one session for `session show`. */
  showSession(sessionId?: string): Promise<SessionDetails> {
    return showSession(this.core, sessionId);
  }
}
