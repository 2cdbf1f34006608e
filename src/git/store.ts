import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AssistError, refusal } from '../errors.js';
import { appendEvent, appendEvents, liveLastEdit, readChainTip, readEvent, redoTop, replayChain, requireChainTip, writeEvent, type ChainTip } from './chain.js';
import type { BranchCreatedEvent, EditEvent, FileChange, IgnoredWrite, IndexEntry, NewEvent, ReplayedEvent, SessionEvent, SessionStartedEvent } from './events.js';
import { JournalStore, MoveJournalStore, sha256, type BatchMeta, type Journal, type MoveJournal } from './journal.js';
import { acquireLock, type WriteLock } from './lock.js';
import { hashObject } from './objects.js';
import { pauseAt } from './pause.js';
import { Repo, type HeadState, type RefUpdate } from './repo.js';
import { refuseIfOperationInProgress } from './operation.js';
import { chainRef, checkpointRef, isSessionId, newSessionId, sessionBranchName } from './session-id.js';
import { checkRepoPath, readWorktree, worktreeMode, writeWorktreeAtomic } from './worktree-files.js';

/** A session as the store knows it. */
export interface SessionInfo {
  id: string;
  /** The ref its commits go to: `refs/heads/<branch>`, or `HEAD` when detached with --no-branch. */
  ref: string;
  /** Short branch name (`assist/<id>`), or null when detached. */
  branch: string | null;
  /** Where it started: branch name (null when detached) and commit (null: unborn). */
  base: { ref: string | null; commit: string | null };
  noBranch: boolean;
  /**
   * Set while the session has no branch yet (it made no edit): the short name (`assist/<id>`) its
   * first edit creates from the HEAD of that moment ({@link GitStore.createSessionBranch}).
   */
  pendingBranch?: string;
}

/** One file an edit batch writes: full new content, or null to delete it. Paths are repo-relative with `/`. */
export interface BatchFile {
  path: string;
  content: string | Buffer | null;
  /**
   * Assist itself already wrote this content (a command of the tool loop did): the file's difference
   * from HEAD is the step's change, not the person's work, so it takes no snapshot.
   */
  writtenByAssist?: boolean;
}

/** One approved edit batch (one model reply = one commit). */
export interface EditBatch extends BatchMeta {
  files: readonly BatchFile[];
}

export interface BatchResult {
  /** The edit commit, or null when the files already held this content. */
  commit: string | null;
  snapshot: string | null;
  files: FileChange[];
  event: string | null;
  /** Git-ignored files it wrote and did not commit. */
  ignored?: string[];
  /** Set by {@link GitStore.commitPending} when the person had committed the pending batch themselves. */
  committedByYou?: boolean;
}

/** What recovery did with a batch left by a crash. */
export interface RecoveryReport {
  journal: string;
  /**
   * `abandoned`: an interrupted undo, redo, restore or finish whose HEAD was moved by hand since; its
   * files are left as they are. `committed-by-you`: a pending batch the person committed themselves.
   */
  action: 'finished' | 'rolled-back' | 'pending' | 'abandoned' | 'committed-by-you';
  files: string[];
  /** Files rolled back were skipped because they no longer held what assist wrote. */
  leftAlone: string[];
  commit?: string | null;
  /** Set when what a crash interrupted was an undo, redo, checkpoint restore or finish rather than an edit batch. */
  op?: MoveJournal['op'];
}

export interface StoreOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Names the lock holder ("assist chat"). */
  command?: string;
  lockWaitMs?: number;
  /** `git.checkpoints_kept` (default 10). */
  checkpointsKept?: number;
}

export const NOTES_REF = 'refs/notes/assist';

/** Opens the event store of the repository around `cwd`. */
export async function openStore(options: StoreOptions): Promise<GitStore> {
  const repo = await Repo.open(options.cwd, options.env ?? process.env);
  return new GitStore(repo, options);
}

/**
 * The event store: sessions, the event chain, commit per edit, undo/redo, checkpoints, finish,
 * the write lock and the crash journal. Every write runs under the worktree's lock and checks
 * first that HEAD and the branch are where the chain left them.
 */
export class GitStore {
  readonly journal: JournalStore;
  readonly moves: MoveJournalStore;
  private readonly command: string;

  constructor(
    readonly repo: Repo,
    private readonly options: StoreOptions,
  ) {
    this.journal = new JournalStore(repo.paths.worktreeAssistDir);
    this.moves = new MoveJournalStore(repo.paths.worktreeAssistDir);
    this.command = options.command ?? 'assist';
  }

  get root(): string {
    return this.repo.root;
  }

  close(): void {
    this.repo.close();
  }

  // ---------------------------------------------------------------- sessions

  /** The session HEAD is on: a session branch, or a --no-branch session recorded for this branch. */
  currentSession(): SessionInfo | null {
    const head = this.repo.head();
    if (head.ref === null) {
      const id = this.repo.configGet('assist.detachedsession');
      return id ? this.noBranchInfo(id, 'HEAD', null) : null;
    }
    if (!head.ref.startsWith('refs/heads/')) return null;
    const name = head.ref.slice('refs/heads/'.length);
    const id = this.repo.configGet(`branch.${name}.assistsession`);
    if (id) return this.branchInfo(name, id);
    const nb = this.repo.configGet(`branch.${name}.assistnobranchsession`);
    return nb ? this.noBranchInfo(nb, head.ref, name) : null;
  }

  private branchInfo(name: string, id: string): SessionInfo {
    const base = this.repo.configGet(`branch.${name}.assistbase`) ?? '';
    const baseCommit = this.repo.configGet(`branch.${name}.assistbasecommit`) ?? '';
    const detached = /^[0-9a-f]{40,64}$/.test(base);
    return {
      id,
      ref: `refs/heads/${name}`,
      branch: name,
      base: { ref: detached || base === '' ? null : base, commit: baseCommit === '' ? (detached ? base : null) : baseCommit },
      noBranch: false,
    };
  }

  private noBranchInfo(id: string, ref: string, branch: string | null): SessionInfo {
    return { id, ref, branch, base: { ref: branch, commit: null }, noBranch: true };
  }

  /** A session by id (its branch config when it has one, else its first event). */
  async session(id: string): Promise<SessionInfo> {
    if (!isSessionId(id)) throw new AssistError('git.bad-session-id', `not a session id: ${id}`, { exitCode: 2, hint: 'ids look like 20250101-120000-ab12' });
    const name = sessionBranchName(id);
    if (this.repo.configGet(`branch.${name}.assistsession`) === id) return this.branchInfo(name, id);
    const started = await this.startedEvent(id);
    if (started.pendingBranch) {
      const created = (await replayChain(this.repo, id)).find((e): e is ReplayedEvent & BranchCreatedEvent => e.type === 'branch-created');
      if (created) return { id, ref: created.branch, branch: created.branch.replace(/^refs\/heads\//, ''), base: created.base, noBranch: false };
      return { id, ref: 'HEAD', branch: null, base: started.base, noBranch: false, pendingBranch: started.pendingBranch.replace(/^refs\/heads\//, '') };
    }
    return {
      id,
      ref: started.branch ?? 'HEAD',
      branch: started.branch?.replace(/^refs\/heads\//, '') ?? null,
      base: started.base,
      noBranch: started.noBranch,
    };
  }

  /**
   * Why session `id` cannot be continued here (`chat --resume=ID` while HEAD is elsewhere): a
   * finished session, or one whose branch is gone, is never sent to a branch that no longer exists.
   */
  async resumeRefusal(id: string): Promise<AssistError> {
    const info = await this.session(id);
    if (info.pendingBranch) {
      const here = this.currentSession();
      return refusal(
        'session.resume-elsewhere',
        `session ${id} has made no edit yet, so it has no branch; HEAD is on ${here?.branch ?? 'a session branch'} of session ${here?.id ?? '?'}`,
        'switch to a branch that is not a session branch (its first edit will create the session branch from there), then resume it',
      );
    }
    const tip = await readChainTip(this.repo, id);
    const branchExists = info.branch !== null && this.repo.readRef(`refs/heads/${info.branch}`) !== null;
    if (tip?.event.type === 'finish' && !branchExists) {
      const onto = tip.event.onto ? ` onto ${tip.event.onto}` : '';
      return refusal('session.resume-finished', `session ${id} was finished (${tip.event.mode}${onto}) and cannot be continued`, `\`assist log ${id}\` shows it; start a new chat to go on from here`);
    }
    if (info.branch !== null && !branchExists) {
      return refusal('session.resume-branch-gone', `session ${id} cannot be continued: its branch ${info.branch} no longer exists`, `\`assist log ${id}\` shows it; start a new chat to go on from here`);
    }
    return refusal('session.resume-elsewhere', `session ${id} is on ${info.branch ?? 'a detached HEAD'}, not checked out here`, info.branch ? `switch to it first: \`git switch ${info.branch}\`` : 'check it out first');
  }

  private async startedEvent(id: string): Promise<SessionStartedEvent> {
    const ref = chainRef(id);
    if (this.repo.readRef(ref) === null) throw new AssistError('git.no-such-session', `no session ${id}`, { hint: 'see `assist session list`' });
    const out = await this.repo.gitText(['rev-list', '--max-parents=0', ref]);
    const root = out.trim().split('\n')[0] ?? '';
    const event = await readEvent(this.repo, root);
    if (event.type !== 'session-started') throw new AssistError('git.chain-corrupt', `the chain of ${id} does not start with session-started`);
    return event;
  }

  /**
   * Starts a session, or continues the one HEAD is on. A new session gets its branch
   * `assist/<id>` at HEAD and HEAD switches to it (index and work tree untouched, so uncommitted
   * work comes along); with `noBranch` it records on the current branch instead. `branchName`
   * names the new branch from the session id (`pr` uses `assist/pr-<slug>-<id>`).
   */
  async startSession(options: { noBranch?: boolean; branchName?: (id: string) => string; deferBranch?: boolean } = {}): Promise<{ session: SessionInfo; created: boolean }> {
    const current = this.currentSession();
    if (current && (!current.noBranch || options.noBranch)) return { session: current, created: false };
    refuseIfOperationInProgress(this.repo.paths);
    using lock = await this.lock();
    void lock;
    // Another assist may have started one while we waited for the lock (two runs at once): continue it, as a later run would.
    await this.repo.reloadConfig();
    const meanwhile = this.currentSession();
    if (meanwhile && (!meanwhile.noBranch || options.noBranch)) return { session: meanwhile, created: false };
    const head = this.repo.head();
    const id = newSessionId();
    const name = options.noBranch ? null : options.branchName ? options.branchName(id) : sessionBranchName(id);
    if (name !== null) this.refuseIfBranchBlocked(name);
    if (name !== null && options.deferBranch) {
      // Only the chain: no branch, no config, HEAD where it is, until the first edit (DESIGN §2).
      const base = { ref: head.ref?.replace(/^refs\/heads\//, '') ?? null, commit: head.oid };
      const started = writeEvent(
        this.repo,
        id,
        null,
        { type: 'session-started', branch: null, pendingBranch: `refs/heads/${name}`, base, noBranch: false, command: this.command },
        { tip: head.oid, lastEdit: null, redo: null },
      );
      await this.repo.updateRefs([started.update], `assist: start session ${id}`);
      return { session: { id, ref: 'HEAD', branch: null, base, noBranch: false, pendingBranch: name }, created: true };
    }
    await this.ensureNotesRewrite();
    const updates: RefUpdate[] = [];
    let info: SessionInfo;
    // What the config of a start that fails is removed with: a failed start leaves nothing behind.
    let forget: () => Promise<void>;
    try {
      if (name === null) {
        const branch = head.ref?.replace(/^refs\/heads\//, '') ?? null;
        const key = branch ? `branch.${branch}.assistNoBranchSession` : 'assist.detachedSession';
        forget = async () => {
          await this.repo.git(['config', '--unset', key], { okCodes: [0, 5] });
          await this.repo.reloadConfig();
        };
        await this.repo.setConfig(key, id);
        info = { id, ref: head.ref ?? 'HEAD', branch, base: { ref: branch, commit: head.oid }, noBranch: true };
      } else {
        forget = () => this.repo.unsetConfigSection(`branch.${name}`);
        info = await this.writeBranchConfig(name, id, head);
        if (head.oid) updates.push({ ref: `refs/heads/${name}`, value: head.oid, old: null });
      }
    } catch (error) {
      if (name !== null) await this.repo.unsetConfigSection(`branch.${name}`).catch(() => undefined);
      throw error;
    }
    if (head.oid) updates.push({ ref: checkpointRef(id, 'auto-start'), value: head.oid, old: null });
    try {
      const started = writeEvent(
        this.repo,
        id,
        null,
        { type: 'session-started', branch: info.ref === 'HEAD' ? null : info.ref, base: info.base, noBranch: info.noBranch, command: this.command },
        { tip: head.oid, lastEdit: null, redo: null },
      );
      updates.push(started.update);
      pauseAt('session-before-refs', this.repo.env);
      await this.repo.updateRefs(updates, `assist: start session ${id}`);
    } catch (error) {
      await forget().catch(() => undefined);
      throw error;
    }
    pauseAt('session-before-switch', this.repo.env);
    if (!options.noBranch) await this.repo.git(['symbolic-ref', '-m', `assist: session ${id}`, 'HEAD', info.ref]);
    return { session: info, created: true };
  }

  /** The config that makes `name` the session branch of `id`, based on HEAD as it is. */
  private async writeBranchConfig(name: string, id: string, head: HeadState): Promise<SessionInfo> {
    const baseName = head.ref?.replace(/^refs\/heads\//, '') ?? head.oid ?? '';
    await this.repo.setConfig(`branch.${name}.assistSession`, id);
    await this.repo.setConfig(`branch.${name}.assistBase`, baseName);
    if (head.oid) await this.repo.setConfig(`branch.${name}.assistBaseCommit`, head.oid);
    return { id, ref: `refs/heads/${name}`, branch: name, base: { ref: head.ref ? baseName : null, commit: head.oid }, noBranch: false };
  }

  /**
   * The first edit of a session that started without its branch (`startSession({deferBranch})`):
   * creates `assist/<id>` from HEAD as it is now and switches to it (index and work tree untouched).
   * `movedFrom` says where the session had started when HEAD moved in between. When HEAD is by now
   * on another session's branch (a second run started one meanwhile), this session joins it: its
   * events move into that session's chain, as a later run there would continue it.
   */
  async createSessionBranch(id: string): Promise<{ session: SessionInfo; joined: boolean; movedFrom: { ref: string | null; commit: string | null } | null }> {
    refuseIfOperationInProgress(this.repo.paths);
    using lock = await this.lock();
    void lock;
    await this.repo.reloadConfig();
    const info = await this.session(id);
    if (!info.pendingBranch) return { session: info, joined: false, movedFrom: null };
    const current = this.currentSession();
    if (current && !current.noBranch) {
      await this.moveEvents(id, current.id);
      return { session: current, joined: true, movedFrom: null };
    }
    const name = info.pendingBranch;
    this.refuseIfBranchBlocked(name);
    await this.ensureNotesRewrite();
    const head = this.repo.head();
    const tip = await requireChainTip(this.repo, id);
    let created: SessionInfo;
    try {
      created = await this.writeBranchConfig(name, id, head);
    } catch (error) {
      await this.repo.unsetConfigSection(`branch.${name}`).catch(() => undefined);
      throw error;
    }
    const moved = created.base.ref !== info.base.ref || created.base.commit !== info.base.commit;
    const updates: RefUpdate[] = [];
    if (head.oid) updates.push({ ref: created.ref, value: head.oid, old: null }, { ref: checkpointRef(id, 'auto-start'), value: head.oid, old: null });
    const event = writeEvent(
      this.repo,
      id,
      tip,
      { type: 'branch-created', branch: created.ref, base: created.base, ...(moved ? { movedFrom: info.base } : {}) },
      { tip: head.oid },
    );
    updates.push(event.update);
    try {
      pauseAt('session-before-refs', this.repo.env);
      await this.repo.updateRefs(updates, `assist: session ${id} branch`);
    } catch (error) {
      await this.repo.unsetConfigSection(`branch.${name}`).catch(() => undefined);
      throw error;
    }
    pauseAt('session-before-switch', this.repo.env);
    await this.repo.git(['symbolic-ref', '-m', `assist: session ${id}`, 'HEAD', created.ref]);
    return { session: created, joined: false, movedFrom: moved ? info.base : null };
  }

  /** Moves the events of a session that never had a branch into another session's chain, and removes its chain. */
  private async moveEvents(from: string, into: string): Promise<void> {
    const events = (await replayChain(this.repo, from)).filter((e) => e.type !== 'session-started');
    const fromTip = this.repo.readRef(chainRef(from));
    const start = await requireChainTip(this.repo, into);
    let tip: ChainTip = start;
    for (const e of events) {
      const copy: Record<string, unknown> = { ...e };
      for (const key of ['v', 'at', 'session', 'tip', 'lastEdit', 'redo', 'id', 'reverted']) delete copy[key];
      const written = writeEvent(this.repo, into, tip, copy as unknown as NewEvent);
      tip = { id: written.id, event: written.event };
    }
    await this.repo.updateRefs(
      [
        { ref: chainRef(into), value: tip.id, old: start.id },
        { ref: chainRef(from), value: null, old: fromTip },
      ],
      `assist: session ${from} continues in ${into}`,
    );
  }

  private async ensureNotesRewrite(): Promise<void> {
    if (!this.repo.configAll('notes.rewriteref').includes(NOTES_REF)) {
      await this.repo.git(['config', '--add', 'notes.rewriteRef', NOTES_REF]);
      await this.repo.reloadConfig();
    }
  }

  private requireSession(id?: string): SessionInfo | Promise<SessionInfo> {
    if (id) return this.session(id);
    const current = this.currentSession();
    if (!current) {
      throw refusal('git.no-session', 'HEAD is not on an assist session', 'start one with `assist chat`, or switch to a session branch (`assist session list`)');
    }
    return current;
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
    const session = await this.requireSession(sessionId);
    return replayChain(this.repo, session.id);
  }

  // ---------------------------------------------------------------- guard and lock

  async lock(): Promise<WriteLock> {
    return acquireLock(this.repo.paths.worktreeAssistDir, { command: this.command, ...(this.options.lockWaitMs === undefined ? {} : { waitMs: this.options.lockWaitMs }) });
  }

  /**
   * Before every write: HEAD must still be the session's branch and the branch tip what the chain
   * last recorded (a --no-branch session only needs HEAD on its branch: it shares it with the user).
   */
  async guard(session: SessionInfo, options: { allowAhead?: boolean; purpose?: 'write' | 'undo' } = {}): Promise<{ head: HeadState; tip: ChainTip }> {
    if (session.pendingBranch) {
      throw refusal('git.no-branch-yet', `session ${session.id} has made no edit yet, so it has no branch to write to`, 'its first edit creates the branch');
    }
    const head = this.repo.head();
    const tip = await requireChainTip(this.repo, session.id);
    const expectedRef = session.ref === 'HEAD' ? null : session.ref;
    if (head.ref !== expectedRef) {
      throw refusal(
        'git.head-moved',
        `HEAD moved off the session: it is on ${head.ref ?? `a detached ${head.oid?.slice(0, 12) ?? 'HEAD'}`}, the session writes to ${session.branch ?? 'a detached HEAD'}`,
        session.branch ? `switch back with \`git switch ${session.branch}\`, or start a new session` : 'start a new session',
        { expected: expectedRef, actual: head.ref },
      );
    }
    if (!session.noBranch && head.oid !== tip.event.tip) {
      // The person's own commits on top of assist's last one: finish may carry them along.
      if (options.allowAhead && tip.event.tip && head.oid && (await this.isAncestor(tip.event.tip, head.oid))) return { head, tip };
      throw await this.branchMovedRefusal(session, head.oid, tip.event.tip, options.purpose ?? 'write');
    }
    return { head, tip };
  }

  private async isAncestor(ancestor: string, of: string): Promise<boolean> {
    return (await this.repo.git(['merge-base', '--is-ancestor', ancestor, of], { okCodes: [0, 1, 128] })).code === 0;
  }

  /**
   * Why assist will not write to a session branch that moved, with a way on that loses nothing: the
   * person's commits on top are landed by `session finish` (never `git reset --keep`, which would
   * drop them); a branch moved back can be put forward again; a diverged one is kept apart first.
   */
  private async branchMovedRefusal(session: SessionInfo, head: string | null, tip: string | null, purpose: 'write' | 'undo'): Promise<AssistError> {
    const branch = session.branch ?? 'HEAD';
    const data = { expected: tip, actual: head };
    if (tip && head && (await this.isAncestor(tip, head))) {
      const theirs = (await this.repo.gitText(['log', '--format=%H %s', `${tip}..${head}`])).split('\n').filter(Boolean).map((l) => `${l.slice(0, 10)}${l.slice(l.indexOf(' '))}`);
      const named = theirs.length === 1 ? `your commit ${theirs[0] ?? ''}` : `your ${theirs.length} commits (the newest ${theirs[0] ?? ''})`;
      if (purpose === 'undo') {
        return refusal('git.undo-not-at-tip', `nothing of assist's is at the tip of ${branch}: ${named} is on top of its last edit, and undo takes back only assist's own newest commits`, `\`assist session finish\` lands the session with your commit on its base; \`git revert ${tip.slice(0, 10)}\` takes assist's last edit back as a new commit and keeps yours`, data);
      }
      return refusal('git.branch-moved', `the session branch ${branch} moved under assist: ${named} is on top of assist's last commit, and assist writes only on top of its own`, '`assist session finish` lands the session with your commit on its base (nothing is lost); then start a new session', data);
    }
    if (tip && (head === null || (await this.isAncestor(head, tip)))) {
      return refusal(
        'git.branch-moved',
        `the session branch ${branch} moved back under assist: it is at ${head?.slice(0, 12) ?? '(unborn)'}, assist left it at ${tip.slice(0, 12)}`,
        `\`git reset --keep ${tip}\` puts it forward again (your uncommitted changes stay), or finish this session and start a new one`,
        data,
      );
    }
    return refusal(
      'git.branch-moved',
      `the session branch ${branch} moved under assist: it is at ${head?.slice(0, 12) ?? '(unborn)'}, assist left it at ${tip?.slice(0, 12) ?? '(unborn)'}, and neither contains the other`,
      tip ? `\`git branch assist-kept ${tip}\` keeps assist's last commit apart; compare with \`git log --oneline ${tip.slice(0, 12)}...HEAD\`, then start a new session` : 'start a new session',
      data,
    );
  }

  /**
   * Everything that would refuse the next write, checked before a paid request (issue 24 item 12):
   * an operation in progress (merge, rebase, ...), HEAD off the session or its branch moved under
   * assist, and a branch that blocks the `assist/` namespace when a session branch would be
   * created. `session` is the session a running chat writes to; without it, the one HEAD is on (or
   * the new one `startSession` would make). A pending batch is not checked here: the session
   * retries its commit first (issue 24 item 6), then `refuseIfPending`. Reads only; takes no lock.
   */
  async preflight(options: { noBranch?: boolean; session?: SessionInfo | null; branchName?: string } = {}): Promise<void> {
    refuseIfOperationInProgress(this.repo.paths);
    const current = options.session ?? this.currentSession();
    if (current?.pendingBranch) {
      // A session whose first edit is still to come writes nothing yet; its branch must be possible.
      this.refuseIfBranchBlocked(current.pendingBranch);
      return;
    }
    if (current && (options.session || !current.noBranch || options.noBranch)) {
      await this.guard(current);
      return;
    }
    if (!options.noBranch) this.refuseIfBranchBlocked(options.branchName ?? sessionBranchName(newSessionId()));
  }

  /**
   * A branch at a leading part of `name` (`assist` for `assist/<id>`) makes the ref impossible:
   * git keeps `refs/heads/assist` as a file where `refs/heads/assist/<id>` needs a directory.
   */
  refuseIfBranchBlocked(name: string): void {
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (this.repo.readRef(`refs/heads/${prefix}`) === null) continue;
      throw refusal(
        'git.branch-namespace-taken',
        `a branch named \`${prefix}\` is in the way of assist's session branches (\`${prefix}/<id>\`): rename it with \`git branch -m ${prefix} <new-name>\`, or run with --no-branch`,
        undefined,
        { branch: prefix },
      );
    }
  }

  /**
   * The files among `paths` that a sparse checkout keeps out of the work tree (the skip-worktree
   * bit, `S` in `git ls-files -t`): absent from disk but not deleted, so reading them as absent
   * would turn an append into a replacement and record a deletion that never happened. Paths
   * are repo-relative; the reason is for the person and the model.
   */
  async outsideSparseCone(paths: readonly string[]): Promise<Map<string, { reason: string; code: string }>> {
    const found = new Map<string, { reason: string; code: string }>();
    if (paths.length === 0) return found;
    const out = await this.repo.gitText(['ls-files', '-t', '-z', '--', ...paths.map(literal)]);
    for (const record of out.split('\0')) {
      if (!record.startsWith('S ')) continue;
      const path = record.slice(2);
      const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '.';
      found.set(path, {
        reason: `outside the sparse checkout (skip-worktree): widen it with \`git sparse-checkout add ${dir}\` to edit it`,
        code: 'git.outside-sparse-checkout',
      });
    }
    return found;
  }

  // ---------------------------------------------------------------- commit per edit

  /**
   * Writes an approved edit batch and commits exactly those files on the session's branch.
   * Files with uncommitted changes are first committed as a snapshot. The batch is journaled
   * before any file is written; the user's index keeps its other entries (staged stays staged).
   */
  async applyBatch(sessionId: string | undefined, batch: EditBatch): Promise<BatchResult> {
    const session = await this.requireSession(sessionId);
    refuseIfOperationInProgress(this.repo.paths);
    using lock = await this.lock();
    void lock;
    await this.recoverLocked(session);
    this.refuseIfPending();
    const { head, tip } = await this.guard(session);
    const seen = new Set<string>();
    const files = batch.files.map((f) => {
      const path = checkRepoPath(this.root, f.path);
      if (seen.has(path)) throw new AssistError('git.duplicate-path', `${path} appears twice in one batch`);
      seen.add(path);
      return { path, content: f.content === null ? null : Buffer.isBuffer(f.content) ? f.content : Buffer.from(f.content, 'utf8') };
    });
    if (files.length === 0) throw new AssistError('git.empty-batch', 'an edit batch needs at least one file', { exitCode: 5 });
    // One `git ls-files --stage -t`: the skip-worktree bit and the user's index entries.
    const { sparse, entries: indexEntries } = await this.indexEntriesTagged(files.map((f) => f.path));
    if (sparse.size > 0) {
      const [path, hit] = [...sparse][0]!;
      throw refusal(hit.code, `refusing to write ${path}: ${hit.reason}`, undefined, { files: [...sparse.keys()] });
    }

    const headTree = head.oid ? (await this.repo.objects.readCommit(head.oid)).tree : null;
    const headEntries = await Promise.all(files.map((f) => this.repo.objects.entryAt(headTree, f.path)));
    const current = files.map((f) => readWorktree(this.root, f.path));
    // Written but never committed, never snapshotted, never in the object store (issue 24 item 2).
    const ignored = await this.ignoredPaths(files.filter((f, i) => !indexEntries.has(f.path) && !headEntries[i]).map((f) => f.path));

    // What the user has that HEAD does not: those files are snapshotted first.
    const format = this.repo.objects.format;
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
    const snapOids = await this.hashPaths(maybeDirty.filter((i) => current[i] !== null).map((i) => files[i]?.path ?? ''), true);
    const snapChanges = new Map<string, { mode: string; oid: string } | null>();
    const snapIndex: IndexEntry[] = [];
    for (const i of maybeDirty) {
      const f = files[i];
      if (!f) continue;
      const h = headEntries[i] ?? null;
      const idx = indexEntries.get(f.path) ?? null;
      const wt = current[i] === null ? null : { mode: worktreeMode(this.root, f.path), oid: snapOids.get(f.path) ?? '' };
      if ((wt?.oid ?? null) === (h?.oid ?? null) && (idx?.oid ?? null) === (h?.oid ?? null) && (wt === null || wt.mode === h?.mode)) continue;
      snapChanges.set(f.path, wt);
      snapIndex.push({ path: f.path, entry: idx });
    }
    let snapshot: Journal['snapshot'] = null;
    if (snapChanges.size > 0) {
      const tree = await this.repo.objects.updateTree(headTree, snapChanges);
      const message = commitMessage(`Snapshot of uncommitted changes before an assist edit`, `${[...snapChanges.keys()].join('\n')}`, {
        session: session.id,
        event: 'snapshot',
        model: batch.model,
        request: batch.request,
      });
      snapshot = { commit: this.repo.writeCommit(tree, [head.oid], message), index: snapIndex };
      pauseAt('snapshot-written', this.repo.env);
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
          return { path: f.path, old: cur === null ? null : { oid: this.keepIgnored(cur), mode: worktreeMode(this.root, f.path) }, newSha256: f.content === null ? null : sha256(f.content), ignored: true as const };
        }
        return {
          path: f.path,
          old: cur === null ? null : { oid: snapOids.get(f.path) ?? hashObject(format, 'blob', cur), mode: worktreeMode(this.root, f.path) },
          newSha256: f.content === null ? null : sha256(f.content),
        };
      }),
      meta: { summary: batch.summary, model: batch.model, request: batch.request, ...(batch.body === undefined ? {} : { body: batch.body }), ...(batch.exchange ? { exchange: batch.exchange } : {}) },
    };
    this.journal.begin(
      journal,
      files.map((f) => f.content),
    );
    pauseAt('before-write', this.repo.env);
    const tmpDir = join(this.repo.paths.worktreeAssistDir, 'tmp');
    files.forEach((f, i) => {
      writeWorktreeAtomic(this.root, f.path, f.content, tmpDir, headEntries[i]?.mode ?? journal.files[i]?.old?.mode);
      if (i === 0) pauseAt('between-writes', this.repo.env);
    });
    pauseAt('after-write', this.repo.env);
    // `return await`: a bare `return` would dispose the lock as soon as commitJournal starts, not when it ends.
    return await this.commitJournal(session, journal, tip, head);
  }

  /**
   * Commits the user's own uncommitted changes to tracked files on the session's branch: what
   * `git commit -a` takes (staged and unstaged changes, deletions, files staged as new; untracked
   * files stay out). It is an edit of model `user` whose commit is its own snapshot (trailer
   * `Assist-Event: snapshot`): undo gives the changes back as uncommitted, staged as they were,
   * and redo commits them again. Journaled like an edit batch, though it writes no file.
   */
  async commitUserChanges(sessionId: string | undefined, options: { message?: string; request: string }): Promise<BatchResult> {
    const session = await this.requireSession(sessionId);
    refuseIfOperationInProgress(this.repo.paths);
    using lock = await this.lock();
    void lock;
    await this.recoverLocked(session);
    this.refuseIfPending();
    const { head, tip } = await this.guard(session);
    await this.repo.git(['update-index', '-q', '--refresh'], { okCodes: [0, 1] });
    const against = head.oid ?? this.repo.objects.emptyTree;
    const [worktree, staged] = await Promise.all([
      this.repo.gitText(['diff-index', '--name-only', '-z', '--no-renames', against]),
      this.repo.gitText(['diff-index', '--cached', '--name-only', '-z', '--no-renames', against]),
    ]);
    const paths = [...new Set([...worktree.split('\0'), ...staged.split('\0')])].filter(Boolean).sort();
    if (paths.length === 0) throw new AssistError('git.nothing-to-commit', 'nothing to commit: no tracked file has uncommitted changes', { exitCode: 5, hint: 'new files need `git add` first, as with `git commit -a`' });
    const indexEntries = await this.indexEntries(paths);
    const current = paths.map((p) => readWorktree(this.root, p));
    const oids = await this.hashPaths(paths.filter((_, i) => current[i] !== null), true);
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
        return { path, old: content === null ? null : { oid: oids.get(path) ?? '', mode: worktreeMode(this.root, path) }, newSha256: content === null ? null : sha256(content) };
      }),
      meta: {
        summary: options.message?.trim() || `Your changes to ${listed}`,
        model: 'user',
        request: options.request,
        userIndex: paths.map((path) => ({ path, entry: indexEntries.get(path) ?? null })),
      },
    };
    this.journal.begin(journal, []);
    return await this.commitJournal(session, journal, tip, head);
  }

  /** A batch a commit hook rejected blocks the next write until it is committed or dropped. */
  refuseIfPending(): void {
    const pending = this.journal.read();
    if (pending?.pending) {
      throw refusal('git.batch-pending', `an earlier batch is pending: ${pendingReason(pending.pending)} (${pending.files.map((f) => f.path).join(', ')})`, PENDING_WAY_ON, {
        output: pending.pending.output,
      });
    }
  }

  /** The batch a hook or signing left pending (its files written, its commit not made), or null. */
  pendingBatch(): { files: string[]; reason: string; output: string; summary: string } | null {
    const journal = this.journal.read();
    if (!journal?.pending) return null;
    return { files: journal.files.map((f) => f.path), reason: pendingReason(journal.pending), output: journal.pending.output, summary: journal.meta.summary };
  }

  /**
   * Whether the person committed a pending batch themselves: HEAD, on the batch's branch, has moved
   * and holds exactly what assist wrote in every file of it. Returns that commit.
   */
  private async pendingCommittedByYou(journal: Journal): Promise<string | null> {
    const head = this.repo.head();
    if (!head.oid || head.oid === journal.parent || (head.ref ?? 'HEAD') !== journal.ref) return null;
    const files = journal.files.filter((f) => !f.ignored);
    if (files.length === 0) return null;
    const tree = (await this.repo.objects.readCommit(head.oid)).tree;
    for (const f of files) {
      const entry = await this.repo.objects.entryAt(tree, f.path);
      if (f.newSha256 === null ? entry !== null : entry === null) return null;
      if (entry && f.newSha256 !== null) {
        const body = (await this.repo.objects.read(entry.oid))?.body;
        if (!body || sha256(body) !== f.newSha256) return null;
      }
    }
    return head.oid;
  }

  /** Ends a pending batch the person committed: no revert of their commit, an event saying so. */
  private async settlePending(journal: Journal, commit: string): Promise<void> {
    await appendEvent(this.repo, journal.session, { type: 'pending-settled', how: 'committed-by-you', commit, files: journal.files.map((f) => f.path) });
    this.journal.remove();
  }

  /**
   * Git-ignored, untracked files among `paths`: a file the person added to the chat by name may be
   * written, but is never committed (DESIGN §2 "the user's uncommitted work", §7).
   */
  async ignoredPaths(paths: readonly string[]): Promise<Set<string>> {
    if (paths.length === 0) return new Set();
    // Tracked files are never reported: exclude rules do not apply to them.
    const out = await this.repo.git(['check-ignore', '-z', '--stdin'], { input: `${paths.join('\0')}\0`, okCodes: [0, 1] });
    return new Set(out.stdout.toString('utf8').split('\0').filter(Boolean));
  }

  private get ignoredDir(): string {
    return join(this.repo.paths.worktreeAssistDir, 'ignored');
  }

  /** Keeps the content of a git-ignored file (by its blob id, never in the object store) for undo and redo. */
  private keepIgnored(content: Buffer): string {
    const oid = hashObject(this.repo.objects.format, 'blob', content);
    const file = join(this.ignoredDir, oid);
    if (!existsSync(file)) {
      mkdirSync(this.ignoredDir, { recursive: true, mode: 0o700 });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, content, { mode: 0o600 });
      renameSync(tmp, file);
    }
    return oid;
  }

  private keptIgnored(oid: string): Buffer | null {
    try {
      return readFileSync(join(this.ignoredDir, oid));
    } catch {
      return null;
    }
  }

  /** What a journaled file held before the batch: a blob in the object store, or kept apart when ignored. */
  private async oldContent(f: Journal['files'][number]): Promise<Buffer | null> {
    if (!f.old) return null;
    return f.ignored ? this.keptIgnored(f.old.oid) : ((await this.repo.objects.read(f.old.oid))?.body ?? null);
  }

  /** {@link outsideSparseCone} and {@link indexEntries} of the same paths, from one `git ls-files --stage -t`. */
  private async indexEntriesTagged(paths: readonly string[]): Promise<{ sparse: Map<string, { reason: string; code: string }>; entries: Map<string, { mode: string; oid: string }> }> {
    const out = await this.repo.gitText(['ls-files', '--stage', '-t', '-z', '--', ...paths.map(literal)]);
    const sparse = new Map<string, { reason: string; code: string }>();
    const entries = new Map<string, { mode: string; oid: string }>();
    for (const rec of out.split('\0')) {
      const m = /^(\S) (\d+) ([0-9a-f]+) (\d)\t(.*)$/s.exec(rec);
      if (!m) continue;
      const path = m[5] ?? '';
      if (m[1] === 'S') {
        const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '.';
        sparse.set(path, { reason: `outside the sparse checkout (skip-worktree): widen it with \`git sparse-checkout add ${dir}\` to edit it`, code: 'git.outside-sparse-checkout' });
      }
      if (m[4] === '0') entries.set(path, { mode: m[2] ?? '', oid: m[3] ?? '' });
    }
    return { sparse, entries };
  }

  /** `git ls-files --stage` for these paths: the user's index entries (stage 0). */
  private async indexEntries(paths: readonly string[]): Promise<Map<string, { mode: string; oid: string }>> {
    const out = await this.repo.gitText(['ls-files', '--stage', '-z', '--', ...paths.map(literal)]);
    const map = new Map<string, { mode: string; oid: string }>();
    for (const rec of out.split('\0')) {
      const m = /^(\d+) ([0-9a-f]+) (\d)\t(.*)$/s.exec(rec);
      if (m && m[3] === '0') map.set(m[4] ?? '', { mode: m[1] ?? '', oid: m[2] ?? '' });
    }
    return map;
  }

  /** Blob ids of work tree files as git would store them (filters applied); `write` puts them in the store. */
  private async hashPaths(paths: readonly string[], write: boolean): Promise<Map<string, string>> {
    const map = new Map<string, string>();
    if (paths.length === 0) return map;
    const out = await this.repo.gitText(['hash-object', ...(write ? ['-w'] : []), '--stdin-paths'], { input: `${paths.join('\n')}\n` });
    out.split('\n').forEach((oid, i) => {
      const p = paths[i];
      if (p !== undefined && oid) map.set(p, oid);
    });
    return map;
  }

  /** Commits what a journal's files hold now, with snapshot, note and edit event, then fixes the index. */
  private async commitJournal(session: SessionInfo, journal: Journal, tip: ChainTip, head: HeadState): Promise<BatchResult> {
    const paths = journal.files.filter((f) => !f.ignored).map((f) => f.path);
    const ignored: IgnoredWrite[] = [];
    for (const f of journal.files) {
      if (!f.ignored) continue;
      const now = readWorktree(this.root, f.path);
      const written = now === null ? null : this.keepIgnored(now);
      if (written !== (f.old?.oid ?? null)) ignored.push({ path: f.path, old: f.old, new: written });
    }
    const present = paths.filter((p) => readWorktree(this.root, p) !== null);
    const oids = await this.hashPaths(present, true);
    const parentCommit = journal.snapshot?.commit ?? journal.parent;
    const baseTree = parentCommit ? (await this.repo.objects.readCommit(parentCommit)).tree : null;
    const changes = new Map<string, { mode: string; oid: string } | null>();
    const fileChanges: FileChange[] = [];
    for (const path of paths) {
      const before = await this.repo.objects.entryAt(baseTree, path);
      const oid = oids.get(path);
      const entry = oid ? { mode: worktreeMode(this.root, path), oid } : null;
      changes.set(path, entry);
      if (!entry && before) fileChanges.push({ path, change: 'D' });
      else if (entry && !before) fileChanges.push({ path, change: 'A' });
      else if (entry && before && (entry.oid !== before.oid || entry.mode !== before.mode)) fileChanges.push({ path, change: 'M' });
    }
    const tree = await this.repo.objects.updateTree(baseTree, changes);
    if (fileChanges.length === 0 && !journal.snapshot) {
      if (paths.length > 0) await this.syncIndex(paths);
      let event: string | null = null;
      if (ignored.length > 0 && journal.parent !== null) {
        // Only git-ignored files changed: no commit, but an edit event, so undo and redo know them.
        const prevEdit = liveLastEdit(tip);
        const written = writeEvent(
          this.repo,
          session.id,
          tip,
          { type: 'edit', request: journal.meta.request, model: journal.meta.model, summary: journal.meta.summary, commit: journal.parent, parent: journal.parent, snapshot: null, files: [], prevEdit, journal: journal.id, ignored },
          { tip: tip.event.tip, lastEdit: prevEdit, redo: null },
        );
        await this.repo.updateRefs([written.update], `assist: ${journal.meta.summary}`);
        event = written.id;
      }
      this.journal.remove();
      return { commit: null, snapshot: null, files: [], event, ignored: ignored.map((w) => w.path) };
    }
    const userIndex = journal.meta.userIndex;
    const message = commitMessage(journal.meta.summary, journal.meta.body ?? '', {
      session: session.id,
      event: userIndex ? 'snapshot' : 'edit',
      model: journal.meta.model,
      request: journal.meta.request,
    });
    const commit = session.noBranch
      ? await this.commitOnUserBranch(session, journal, tree, [parentCommit], message)
      : this.repo.writeCommit(tree, [parentCommit], message);

    const prevEdit = liveLastEdit(tip);
    const event = writeEvent(
      this.repo,
      session.id,
      tip,
      {
        type: 'edit',
        request: journal.meta.request,
        model: journal.meta.model,
        summary: journal.meta.summary,
        commit,
        parent: journal.parent,
        snapshot: userIndex ? { commit, index: userIndex } : journal.snapshot,
        files: fileChanges,
        prevEdit,
        journal: journal.id,
        ...(ignored.length > 0 ? { ignored } : {}),
      },
      { tip: commit, lastEdit: prevEdit, redo: null },
    );
    pauseAt('before-commit', this.repo.env);
    // refs/notes/assist is shared by every session and worktree: when only it moved, note again on its new tip.
    for (let attempt = 0; ; attempt++) {
      const notes = await this.noteUpdate(commit, journal.meta);
      const updates: RefUpdate[] = [this.branchUpdate(session, commit, head.oid), event.update, ...(notes ? [notes] : [])];
      try {
        await this.repo.updateRefs(updates, `assist: ${journal.meta.summary}`);
        break;
      } catch (error) {
        const onlyNotesMoved = notes && this.repo.readRef(NOTES_REF) !== notes.old && this.repo.readRef(event.update.ref) === event.update.old;
        if (!onlyNotesMoved || attempt >= 5) throw error;
      }
    }
    pauseAt('after-commit', this.repo.env);
    for (const note of this.deferredNotes.splice(0)) {
      await this.repo.git(['notes', `--ref=${NOTES_REF}`, 'add', '-f', '-F', '-', note.commit], { input: note.text });
    }
    pauseAt('before-index-sync', this.repo.env);
    await this.syncIndex(paths);
    pauseAt('before-journal-remove', this.repo.env);
    this.journal.remove();
    return { commit, snapshot: journal.snapshot?.commit ?? null, files: fileChanges, event: event.id, ...(ignored.length > 0 ? { ignored: ignored.map((w) => w.path) } : {}) };
  }

  /** Makes the real index agree with the work tree for exactly these paths (so `git status` is clean for them). */
  private async syncIndex(paths: readonly string[]): Promise<void> {
    await this.repo.git(['update-index', '--add', '--remove', '-z', '--stdin'], { input: `${paths.join('\0')}\0` });
  }

  /** The next commit of refs/notes/assist with the exchange noted on `commit`, flat (no fan-out) while assist writes it. */
  private async noteUpdate(commit: string, meta: BatchMeta): Promise<RefUpdate | null> {
    const text = noteText(meta);
    const old = this.repo.readRef(NOTES_REF);
    const oldTree = old ? (await this.repo.objects.readCommit(old)).tree : null;
    if (oldTree && (await this.repo.objects.readTree(oldTree)).some((e) => e.mode === '40000')) {
      // git fanned the notes tree out: let git add this one after the commit lands.
      this.deferredNotes.push({ commit, text });
      return null;
    }
    const blob = this.repo.objects.write('blob', Buffer.from(text, 'utf8'));
    const tree = await this.repo.objects.updateTree(oldTree, new Map([[commit, { mode: '100644', oid: blob }]]));
    const notesCommit = this.repo.writeCommit(tree, [old], 'Notes added by assist\n');
    return { ref: NOTES_REF, value: notesCommit, old };
  }

  private deferredNotes: { commit: string; text: string }[] = [];

  /**
   * A commit that lands on the user's own branch: runs pre-commit (on an index holding exactly the
   * commit's tree) and commit-msg, and signs when commit.gpgsign says so. A rejection leaves the
   * batch journaled as pending.
   */
  private async commitOnUserBranch(session: SessionInfo, journal: Journal | null, tree: string, parents: (string | null)[], message: string, hooks: string[] = ['pre-commit']): Promise<string> {
    const dir = this.repo.paths.worktreeAssistDir;
    const indexFile = join(dir, 'hook-index');
    const msgFile = join(dir, 'COMMIT_EDITMSG');
    const { writeFileSync, readFileSync, rmSync } = await import('node:fs');
    writeFileSync(msgFile, message);
    const env = { GIT_INDEX_FILE: indexFile };
    try {
      await this.repo.git(['read-tree', tree], { extraEnv: env });
      for (const hook of [...hooks, 'commit-msg']) {
        const args = ['hook', 'run', '--ignore-missing', hook, ...(hook === 'commit-msg' ? ['--', msgFile] : [])];
        const result = await this.repo.git(args, { extraEnv: env, okCodes: [0, 1, 2, 126, 127, 128, 255] });
        if (result.code !== 0) {
          const output = `${result.stdout.toString('utf8')}${result.stderr}`.trim();
          if (journal) {
            journal.pending = { hook, output };
            this.journal.save(journal);
            await appendEvent(this.repo, session.id, { type: 'refused', request: journal.meta.request, reason: `${hook} hook rejected the commit`, files: journal.files.map((f) => f.path), output });
          }
          throw new AssistError('git.hook-rejected', `the ${hook} hook rejected the commit${output ? `: ${output.split('\n')[0] ?? ''}` : ''}`, {
            hint: journal ? `the files are written and the batch is pending: fix what the hook reported; ${PENDING_WAY_ON}` : 'fix what the hook reported and try again',
            data: { hook, output },
          });
        }
      }
      const finalMessage = readFileSync(msgFile, 'utf8');
      if (this.repo.configGet('commit.gpgsign') === 'true') {
        const args = ['commit-tree', '-S', tree, ...parents.filter((p): p is string => p !== null).flatMap((p) => ['-p', p]), '-F', msgFile];
        const signed = await this.repo.git(args, { okCodes: ANY_EXIT });
        if (signed.code === 0) return signed.stdout.toString('utf8').trim();
        // A key that cannot sign is rejected like a hook: the batch stays pending, with a way on.
        const output = signed.stderr.trim();
        if (journal) {
          journal.pending = { hook: 'signing', output };
          this.journal.save(journal);
          await appendEvent(this.repo, session.id, { type: 'refused', request: journal.meta.request, reason: 'signing the commit failed', files: journal.files.map((f) => f.path), output });
        }
        throw new AssistError('git.sign-failed', `signing the commit failed (commit.gpgsign is true): ${signingLine(output)}`, {
          hint: `fix the signing key, or turn signing off for this repository with \`git config commit.gpgsign false\`${journal ? `; the files are written and the batch is pending: ${PENDING_WAY_ON}` : ', and try again'}`,
          data: { hook: 'signing', output },
        });
      }
      return this.repo.writeCommit(tree, parents, finalMessage);
    } finally {
      rmSync(indexFile, { force: true });
      rmSync(msgFile, { force: true });
    }
  }

  /** Commits a batch a hook rejected, once what the hook reported is fixed (the files as they are now). */
  async commitPending(): Promise<BatchResult> {
    refuseIfOperationInProgress(this.repo.paths);
    using lock = await this.lock();
    void lock;
    const journal = this.journal.read();
    if (!journal?.pending) throw new AssistError('git.no-pending-batch', 'no pending batch to commit', { exitCode: 5 });
    const mine = await this.pendingCommittedByYou(journal);
    if (mine) {
      await this.settlePending(journal, mine);
      return { commit: mine, snapshot: null, files: [], event: null, committedByYou: true };
    }
    const session = await this.session(journal.session);
    const { head, tip } = await this.guard(session);
    delete journal.pending;
    this.journal.save(journal);
    return await this.commitJournal(session, journal, tip, head);
  }

  // ---------------------------------------------------------------- crash recovery

  /** Finishes or rolls back a batch a crash left behind; null when there was none. Takes the lock. */
  async recover(): Promise<RecoveryReport | null> {
    refuseIfOperationInProgress(this.repo.paths);
    using lock = await this.lock();
    void lock;
    const move = await this.recoverMoveLocked();
    const journal = this.journal.read();
    if (!journal) return move;
    return await this.recoverLocked(await this.session(journal.session));
  }

  /**
   * Runs `move` (the index and work tree part of an undo, redo, restore or finish) under a move
   * journal, then the ref transaction that completes it. A crash in between is rolled forward by
   * the next start; a refusal from the move itself (a local change in the way) changes nothing.
   */
  private async journaledMove(journal: Omit<MoveJournal, 'v'>, move: () => Promise<string[]>, reflog: string): Promise<string[]> {
    this.moves.begin({ v: 1, ...journal });
    let files: string[];
    try {
      files = await move();
    } catch (error) {
      if (error instanceof AssistError && error.code === 'git.dirty-files') this.moves.remove();
      throw error;
    }
    await this.repo.updateRefs(journal.updates, reflog);
    pauseAt('finish-before-config', this.repo.env);
    if (journal.unsetSection) await this.repo.unsetConfigSection(journal.unsetSection);
    this.moves.remove();
    return files;
  }

  private async switchHead(to: NonNullable<MoveJournal['headTo']>, session: string): Promise<void> {
    if ('symbolic' in to) await this.repo.git(['symbolic-ref', '-m', `assist: finish ${session}`, 'HEAD', to.symbolic]);
    else await this.repo.git(['update-ref', '--no-deref', '-m', `assist: finish ${session}`, 'HEAD', to.detach]);
  }

  /** Rolls forward an undo, redo, restore or finish a crash interrupted (see {@link journaledMove}). */
  private async recoverMoveLocked(): Promise<RecoveryReport | null> {
    const m = this.moves.read();
    if (!m) return null;
    const changed = async (): Promise<string[]> =>
      (await this.repo.gitText(['diff', '--name-only', '-z', m.from ?? this.repo.objects.emptyTree, m.to ?? this.repo.objects.emptyTree], { okCodes: [0, 128] })).split('\0').filter(Boolean);
    const chain = this.repo.readRef(chainRef(m.session));
    const refsDone = chain !== null && (chain === m.event || (await this.repo.git(['merge-base', '--is-ancestor', m.event, chain], { okCodes: [0, 1, 128] })).code === 0);
    if (!refsDone) {
      const head = this.repo.head();
      const atStart = (head.ref ?? 'HEAD') === m.ref && head.oid === m.from;
      const switched = m.headTo !== undefined && ('symbolic' in m.headTo ? head.ref === m.headTo.symbolic : head.ref === null && head.oid === m.headTo.detach);
      if (!atStart && !switched) {
        // HEAD was moved by hand since: finishing the move could overwrite what the person did.
        this.moves.remove();
        return { journal: `${m.op}-${m.event.slice(0, 12)}`, action: 'abandoned', files: [], leftAlone: await changed(), op: m.op };
      }
      try {
        if (m.resetSnapshots.length) {
          const edits = (await Promise.all(m.resetSnapshots.map((id) => readEvent(this.repo, id)))).filter((e): e is EditEvent => e.type === 'edit');
          await this.resetToHeadIfSnapshot(m.from, edits);
        }
        const restore = (await Promise.all(m.restoreSnapshots.map((id) => readEvent(this.repo, id)))).filter((e): e is EditEvent => e.type === 'edit');
        if (m.from !== m.to) await this.moveTo(m.from, m.to, restore);
        if (m.headTo && !switched) await this.switchHead(m.headTo, m.session);
        await this.repo.updateRefs(m.updates, `assist: finish interrupted ${m.op}`);
      } catch (error) {
        // Never leave a journal every later command trips over: say what is left to do instead.
        this.moves.remove();
        throw new AssistError('git.recovery-failed', `could not finish an interrupted ${m.op}: ${(error as Error).message.split('\n')[0] ?? ''}`, {
          hint: `check \`git status\`: the ${m.op}'s changes may show as uncommitted; \`git reset --keep ${m.from ?? 'HEAD'}\` returns to where it started`,
          cause: error,
        });
      }
    }
    if (m.unsetSection) await this.repo.unsetConfigSection(m.unsetSection);
    this.moves.remove();
    return { journal: `${m.op}-${m.event.slice(0, 12)}`, action: 'finished', files: await changed(), leftAlone: [], op: m.op };
  }

  private async recoverLocked(_current: SessionInfo): Promise<RecoveryReport | null> {
    const move = await this.recoverMoveLocked();
    const journal = this.journal.read();
    if (!journal) return move;
    const paths = journal.files.map((f) => f.path);
    if (journal.pending) {
      const mine = await this.pendingCommittedByYou(journal);
      if (!mine) return { journal: journal.id, action: 'pending', files: paths, leftAlone: [] };
      await this.settlePending(journal, mine);
      return { journal: journal.id, action: 'committed-by-you', files: paths, leftAlone: [], commit: mine };
    }
    const session = await this.session(journal.session);
    const tip = await readChainTip(this.repo, session.id);
    if (tip && tip.event.type === 'edit' && tip.event.journal === journal.id) {
      await this.syncIndex(journal.files.filter((f) => !f.ignored).map((f) => f.path));
      this.journal.remove();
      return { journal: journal.id, action: 'finished', files: paths, leftAlone: [], commit: tip.event.commit };
    }
    const states = journal.files.map((f) => {
      const cur = readWorktree(this.root, f.path);
      const isNew = f.newSha256 === null ? cur === null : cur !== null && sha256(cur) === f.newSha256;
      const isOld = f.old === null ? cur === null : cur !== null && hashObject(this.repo.objects.format, 'blob', cur) === f.old.oid;
      return { f, isNew, isOld };
    });
    const head = this.repo.head();
    const headOk = (head.ref ?? 'HEAD') === journal.ref && head.oid === journal.parent;
    if (tip && headOk && states.every((s) => s.isNew)) {
      const result = await this.commitJournal(session, journal, tip, head);
      return { journal: journal.id, action: 'finished', files: paths, leftAlone: [], commit: result.commit };
    }
    const leftAlone: string[] = [];
    const tmpDir = join(this.repo.paths.worktreeAssistDir, 'tmp');
    for (const s of states) {
      if (s.isOld) continue;
      if (!s.isNew) {
        leftAlone.push(s.f.path);
        continue;
      }
      const content = await this.oldContent(s.f);
      if (s.f.old && content === null) {
        leftAlone.push(s.f.path);
        continue;
      }
      writeWorktreeAtomic(this.root, s.f.path, content, tmpDir, s.f.old?.mode);
      pauseAt('recover-mid-rollback', this.repo.env);
    }
    pauseAt('recover-before-remove', this.repo.env);
    this.journal.remove();
    return { journal: journal.id, action: 'rolled-back', files: paths, leftAlone };
  }

  /** Rolls back a pending (hook-rejected) batch: files that still hold what assist wrote get their old content. */
  private async dropPending(journal: Journal): Promise<string[]> {
    delete journal.pending;
    this.journal.save(journal);
    const tmpDir = join(this.repo.paths.worktreeAssistDir, 'tmp');
    const dropped: string[] = [];
    for (const f of journal.files) {
      const cur = readWorktree(this.root, f.path);
      const isNew = f.newSha256 === null ? cur === null : cur !== null && sha256(cur) === f.newSha256;
      if (!isNew) continue;
      const content = await this.oldContent(f);
      if (f.old && content === null) continue;
      writeWorktreeAtomic(this.root, f.path, content, tmpDir, f.old?.mode);
      dropped.push(f.path);
      pauseAt('drop-pending-mid', this.repo.env);
    }
    // The batch never reached the index (its commit failed before the index was synced): the
    // person's entries, staged or not, are as they had them. Only the stat data is refreshed.
    if (dropped.length > 0) await this.repo.git(['update-index', '-q', '--refresh'], { okCodes: [0, 1] });
    this.journal.remove();
    return dropped;
  }

  // ---------------------------------------------------------------- undo / redo / restore

  /**
   * Undoes the newest `count` edits of the session (with their snapshots, whose content comes
   * back as uncommitted changes). Refuses when they are not at the tip, are on a remote-tracking
   * branch (unless `force`), or a file they touched has uncommitted changes.
   */
  async undo(options: { count?: number; force?: boolean; session?: string } = {}): Promise<UndoResult> {
    const session = options.session ? await this.session(options.session) : this.currentSession();
    if (!session) {
      const head = this.repo.head();
      throw refusal(
        'git.nothing-to-undo',
        `nothing to undo: HEAD (${head.ref?.replace(/^refs\/heads\//, '') ?? 'detached'}) is not on an assist session branch`,
        'a session gets its branch at its first edit, and undo takes back only its edits; `assist session list` shows the sessions',
      );
    }
    refuseIfOperationInProgress(this.repo.paths);
    using lock = await this.lock();
    void lock;
    await this.recoverLocked(session);
    const pending = this.journal.read();
    if (pending?.pending) {
      const dropped = await this.dropPending(pending);
      const tip = await requireChainTip(this.repo, session.id);
      const ev = writeEvent(this.repo, session.id, tip, {
        type: 'undo',
        undone: [],
        from: tip.event.tip,
        to: tip.event.tip,
        before: { lastEdit: liveLastEdit(tip), redo: redoTop(tip) },
        pendingDropped: dropped,
      });
      await this.repo.updateRefs([ev.update]);
      return { undone: [], from: tip.event.tip, to: tip.event.tip, restored: [], pendingDropped: dropped };
    }
    const count = options.count ?? 1;
    if (!Number.isInteger(count) || count < 1) throw new AssistError('git.bad-count', `undo needs a positive whole number, got ${count}`, { exitCode: 2 });
    const { head, tip } = await this.guard(session, { purpose: 'undo' });
    const edits: { id: string; event: EditEvent }[] = [];
    let next = liveLastEdit(tip);
    while (edits.length < count && next) {
      const event = await readEvent(this.repo, next);
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
    if (!options.force && committed.length > 0) await this.refuseIfPushed(session, committed.map((e) => e.event.snapshot?.commit ?? e.event.commit));
    const target = oldest.parent;
    const ev = writeEvent(
      this.repo,
      session.id,
      tip,
      { type: 'undo', undone: edits.map((e) => e.id), from: head.oid, to: target, before: { lastEdit: liveLastEdit(tip), redo: redoTop(tip) } },
      { tip: target, lastEdit: oldest.prevEdit, redo: redoTop(tip) },
    );
    const updates = [this.branchUpdate(session, target, head.oid), ev.update];
    const restored = await this.journaledMove(
      { op: 'undo', session: session.id, ref: session.ref, from: head.oid, to: target, restoreSnapshots: edits.map((e) => e.id), resetSnapshots: [], updates, event: ev.id },
      async () => {
        pauseAt('undo-before-read-tree', this.repo.env);
        const files = await this.moveTo(head.oid, target, edits.map((e) => e.event), movedPaths(edits.map((e) => e.event)));
        pauseAt('undo-before-ref', this.repo.env);
        return files;
      },
      `assist: undo ${count}`,
    );
    return { undone: edits.map((e) => ({ commit: e.event.commit, summary: e.event.summary, files: e.event.files.map((f) => f.path) })), from: head.oid, to: target, restored };
  }

  private branchUpdate(session: SessionInfo, value: string | null, old: string | null): RefUpdate {
    return { ref: session.ref, value, old, ...(session.ref === 'HEAD' ? { noDeref: true } : {}) };
  }

  private async refuseIfPushed(session: SessionInfo, commits: readonly string[]): Promise<void> {
    // Refs are read from files (Repo.open refuses a reftable repository).
    const remote = this.repo.refIdsUnder('refs/remotes/');
    // The commits to undo were made on top of the session's base, so a remote-tracking branch
    // still at the base cannot contain them: no need to ask git (the usual case after a fetch).
    if (session.base.commit !== null) remote.delete(session.base.commit);
    if (remote.size === 0) return;
    const oldest = commits[commits.length - 1];
    if (!oldest) return;
    const out = await this.repo.gitText(['for-each-ref', '--contains', oldest, '--format=%(refname:short)', 'refs/remotes/']);
    const on = out.split('\n').filter(Boolean);
    if (on.length > 0) {
      throw refusal('git.undo-pushed', `the commits to undo are already on ${on.join(', ')}`, 'undoing them rewrites published history; use `assist undo --force` if you mean it', { remotes: on });
    }
  }

  /**
   * Moves index and work tree from `from` to `to` (local changes to other files stay exactly as
   * they are, staged or not), then gives back the snapshots of `undone` edits as uncommitted
   * changes. The caller moves the ref. With `paths`, the only paths the two commits differ in,
   * the quick move on just those is tried first ({@link movePaths}); else `read-tree -m -u`.
   */
  private async moveTo(from: string | null, to: string | null, undone: readonly EditEvent[], paths: readonly string[] | null = null): Promise<string[]> {
    if (paths && from && to && (await this.movePaths(to, paths))) return this.giveBackSnapshots(undone);
    const fromTree = from ? from : this.repo.objects.emptyTree;
    const toTree = to ? to : this.repo.objects.write('tree', Buffer.alloc(0));
    if (!from) this.repo.objects.write('tree', Buffer.alloc(0));
    const readTree = () => this.repo.git(['read-tree', '-m', '-u', fromTree, toTree], { okCodes: [0, 128] });
    // read-tree checks only the entries it changes, and refuses one whose stat data is stale even
    // when its content is clean. Refreshing the whole index first costs a process and a scan of
    // every file on each undo; refreshing only after a refusal costs that in the rare case alone.
    // read-tree writes nothing when it refuses, so the retry starts from the same state.
    let result = await readTree();
    if (result.code !== 0) {
      await this.repo.git(['update-index', '-q', '--refresh'], { okCodes: [0, 1] });
      result = await readTree();
    }
    if (result.code !== 0) {
      const changed = await this.repo.gitText(['diff', '--name-only', '-z', fromTree, toTree]);
      const touched = changed.split('\0').filter(Boolean);
      const dirty = touched.length
        ? (await this.repo.gitText(['diff-index', '--name-only', '-z', 'HEAD', '--', ...touched.map(literal)], { okCodes: [0, 128] })).split('\0').filter(Boolean)
        : [];
      const untracked = result.stderr.match(/^\t(.+)$/gm)?.map((l) => l.trim()) ?? [];
      const files = [...new Set([...dirty, ...untracked])];
      throw refusal('git.dirty-files', `refusing: ${files.length ? files.join(', ') : 'files it would change'} ${files.length === 1 ? 'has' : 'have'} uncommitted changes that would be overwritten`, 'commit, stash or revert those changes first; nothing was changed', {
        files,
        stderr: result.stderr,
      });
    }
    return this.giveBackSnapshots(undone);
  }

  /**
   * The quick way for a move between two commits known to differ only in `paths` (the files of
   * the edits an undo or redo moves over), with HEAD at the first: `read-tree -m -u` walks both
   * whole trees (about 30 ms on a 2,000-file repository), `git restore` only these paths. It runs
   * only when `git status` finds all of them clean. An untracked or ignored file at one of them is
   * refused here; a tracked change, or a path in neither commit, changes nothing and returns false,
   * and the caller's read-tree gives git's own verdict.
   */
  private async movePaths(to: string, paths: readonly string[]): Promise<boolean> {
    const unique = [...new Set(paths)];
    if (unique.length === 0 || unique.length > 500 || this.repo.configGet('core.sparsecheckout') === 'true') return false;
    const literal = { GIT_LITERAL_PATHSPECS: '1' };
    const status = await this.repo.git(['status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignored=matching', '--no-renames', '--', ...unique], {
      okCodes: [0, 128],
      extraEnv: { ...literal, GIT_OPTIONAL_LOCKS: '0' },
    });
    if (status.code !== 0) return false;
    const listed = status.stdout.toString('utf8').split('\0').filter(Boolean);
    // read-tree refuses an untracked file it would overwrite but, like all of git since 2.35,
    // takes an ignored one as expendable; assist keeps both, and names them.
    const strays = listed.filter((l) => l.startsWith('?? ') || l.startsWith('!! ')).map((l) => l.slice(3));
    if (strays.length) {
      throw refusal('git.dirty-files', `refusing: ${strays.join(', ')} ${strays.length === 1 ? 'is' : 'are'} not tracked but would be overwritten`, 'move, commit or delete those files first; nothing was changed', { files: strays });
    }
    if (listed.length > 0) return false;
    const restore = await this.repo.git(['restore', `--source=${to}`, '--staged', '--worktree', '--pathspec-from-file=-', '--pathspec-file-nul'], {
      input: `${unique.join('\0')}\0`,
      okCodes: [0, 1, 128],
      // In the C locale, so that the one refusal this tells apart reads the same everywhere.
      extraEnv: { ...literal, LC_ALL: 'C' },
    });
    if (restore.code === 0) return true;
    // git checks every path before it writes anything: a path in neither commit fails here, untouched.
    if (/did not match any file/.test(restore.stderr)) return false;
    throw new AssistError('git.command-failed', `git restore failed: ${restore.stderr.trim().split('\n')[0] ?? `exit ${restore.code}`}`, { data: { stderr: restore.stderr } });
  }

  /** After a move: the snapshots of `undone` edits come back as uncommitted changes (see {@link moveTo}). */
  private async giveBackSnapshots(undone: readonly EditEvent[]): Promise<string[]> {
    pauseAt('undo-after-read-tree', this.repo.env);
    const restored: string[] = [];
    const indexInfo: string[] = [];
    const tmpDir = join(this.repo.paths.worktreeAssistDir, 'tmp');
    // Newest first, so the oldest snapshot of a file wins: that is what the user had before any of them.
    for (const edit of undone) {
      if (!edit.snapshot) continue;
      const snapTree = (await this.repo.objects.readCommit(edit.snapshot.commit)).tree;
      for (const { path, entry } of edit.snapshot.index) {
        const snap = await this.repo.objects.entryAt(snapTree, path);
        const content = snap ? ((await this.repo.objects.read(snap.oid))?.body ?? null) : null;
        writeWorktreeAtomic(this.root, path, content, tmpDir, snap?.mode);
        indexInfo.push(entry ? `${entry.mode} ${entry.oid}\t${path}` : `0 ${this.repo.zeroOid}\t${path}`);
        restored.push(path);
      }
    }
    if (restored.length) pauseAt('undo-after-restore', this.repo.env);
    if (indexInfo.length) await this.repo.git(['update-index', '--index-info'], { input: `${indexInfo.join('\n')}\n` });
    restored.push(...this.moveIgnored(undone, 'back'));
    return [...new Set(restored)];
  }

  /**
   * Git-ignored files of these edits (newest first) go back to what they held before (`back`, undo)
   * or forward to what the edits wrote (`forward`, redo), each only while it holds exactly what the
   * other side left there: anything else the person put there since stays.
   */
  private moveIgnored(edits: readonly EditEvent[], direction: 'back' | 'forward'): string[] {
    const moved: string[] = [];
    const tmpDir = join(this.repo.paths.worktreeAssistDir, 'tmp');
    const ordered = direction === 'back' ? edits : [...edits].reverse();
    for (const edit of ordered) {
      for (const w of edit.ignored ?? []) {
        const [from, to] = direction === 'back' ? [w.new, w.old?.oid ?? null] : [w.old?.oid ?? null, w.new];
        const cur = readWorktree(this.root, w.path);
        if ((cur === null ? null : hashObject(this.repo.objects.format, 'blob', cur)) !== from) continue;
        const content = to === null ? null : this.keptIgnored(to);
        if (to !== null && content === null) continue;
        writeWorktreeAtomic(this.root, w.path, content, tmpDir, w.old?.mode);
        moved.push(w.path);
      }
    }
    return moved;
  }

  /** Redoes the newest undo (or checkpoint restore) that nothing has been committed after. */
  async redo(options: { session?: string } = {}): Promise<RedoResult> {
    const session = await this.requireSession(options.session);
    refuseIfOperationInProgress(this.repo.paths);
    using lock = await this.lock();
    void lock;
    await this.recoverLocked(session);
    const { head, tip } = await this.guard(session);
    const top = redoTop(tip);
    if (!top) throw refusal('git.nothing-to-redo', 'nothing to redo', 'redo only follows an undo or a checkpoint restore with no edit since');
    const u = await readEvent(this.repo, top);
    if (u.type !== 'undo' && u.type !== 'restore') throw new AssistError('git.chain-corrupt', 'redo points at an event that is not an undo');
    if (u.to !== head.oid) throw refusal('git.branch-moved', 'the branch is not where the undo left it', undefined);
    // Files the undo handed back as uncommitted changes go back into their snapshot commits.
    const edits = await Promise.all(u.undone.map(async (id) => readEvent(this.repo, id)));
    const snapPaths: string[] = [];
    for (const e of edits) if (e.type === 'edit' && e.snapshot) snapPaths.push(...e.snapshot.index.map((i) => i.path));
    const ev = writeEvent(
      this.repo,
      session.id,
      tip,
      { type: 'redo', of: top, redone: u.undone, from: head.oid, to: u.from },
      { tip: u.from, lastEdit: u.before.lastEdit, redo: u.before.redo },
    );
    const updates = [this.branchUpdate(session, u.from, head.oid), ev.update];
    const resetSnapshots = snapPaths.length ? u.undone : [];
    await this.journaledMove(
      { op: 'redo', session: session.id, ref: session.ref, from: head.oid, to: u.from, restoreSnapshots: [], resetSnapshots, updates, event: ev.id },
      async () => {
        if (snapPaths.length) await this.resetToHeadIfSnapshot(head.oid, edits.filter((e): e is EditEvent => e.type === 'edit'));
        pauseAt('redo-after-reset', this.repo.env);
        await this.moveTo(head.oid, u.from, [], movedPaths(edits.filter((e): e is EditEvent => e.type === 'edit')));
        this.moveIgnored(edits.filter((e): e is EditEvent => e.type === 'edit'), 'forward');
        pauseAt('redo-before-ref', this.repo.env);
        return [];
      },
      'assist: redo',
    );
    return { redone: u.undone.length, from: head.oid, to: u.from };
  }

  /** Files that still hold exactly what an undo restored from their snapshot go back to HEAD, so redo can move them. */
  private async resetToHeadIfSnapshot(headOid: string | null, edits: readonly EditEvent[]): Promise<void> {
    const headTree = headOid ? (await this.repo.objects.readCommit(headOid)).tree : null;
    const tmpDir = join(this.repo.paths.worktreeAssistDir, 'tmp');
    const info: string[] = [];
    for (const edit of [...edits].reverse()) {
      if (!edit.snapshot) continue;
      const snapTree = (await this.repo.objects.readCommit(edit.snapshot.commit)).tree;
      for (const { path } of edit.snapshot.index) {
        const snap = await this.repo.objects.entryAt(snapTree, path);
        const cur = readWorktree(this.root, path);
        const same = snap === null ? cur === null : cur !== null && hashObject(this.repo.objects.format, 'blob', cur) === snap.oid;
        if (!same) continue;
        const h = await this.repo.objects.entryAt(headTree, path);
        writeWorktreeAtomic(this.root, path, h ? ((await this.repo.objects.read(h.oid))?.body ?? null) : null, tmpDir, h?.mode);
        info.push(h ? `${h.mode} ${h.oid}\t${path}` : `0 ${this.repo.zeroOid}\t${path}`);
      }
    }
    if (info.length) {
      await this.repo.git(['update-index', '--index-info'], { input: `${info.join('\n')}\n` });
      await this.repo.git(['update-index', '-q', '--refresh'], { okCodes: [0, 1] });
    }
  }

  // ---------------------------------------------------------------- checkpoints

  async createCheckpoint(name: string, options: { auto?: boolean; session?: string } = {}): Promise<Checkpoint> {
    const session = await this.requireSession(options.session);
    checkName(name);
    using lock = await this.lock();
    void lock;
    await this.recoverLocked(session);
    const { head, tip } = await this.guard(session);
    return await this.checkpointLocked(session, tip, head, name, options.auto ?? false);
  }

  private async checkpointLocked(session: SessionInfo, tip: ChainTip, head: HeadState, name: string, auto: boolean): Promise<Checkpoint> {
    if (!head.oid) throw refusal('git.nothing-to-checkpoint', 'the session has no commit yet to checkpoint');
    const ref = checkpointRef(session.id, name);
    const existing = this.repo.readRef(ref);
    if (existing && !auto) throw refusal('git.checkpoint-exists', `checkpoint ${name} already exists`, 'choose another name');
    const ev = writeEvent(this.repo, session.id, tip, { type: 'checkpoint', name, commit: head.oid, auto });
    const updates: RefUpdate[] = [{ ref, value: head.oid, old: existing }, ev.update];
    if (auto) {
      const kept = this.options.checkpointsKept ?? 10;
      const autos = [...(await this.repo.listRefs(`refs/assist/checkpoints/${session.id}/`)).keys()].filter((r) => /\/auto-\d/.test(r) && r !== ref).sort();
      for (const old of autos.slice(0, Math.max(0, autos.length - (kept - 1)))) updates.push({ ref: old, value: null });
    }
    pauseAt('checkpoint-before-ref', this.repo.env);
    await this.repo.updateRefs(updates, `assist: checkpoint ${name}`);
    return { name, commit: head.oid, auto, ref };
  }

  async listCheckpoints(sessionId?: string): Promise<Checkpoint[]> {
    const session = await this.requireSession(sessionId);
    const prefix = `refs/assist/checkpoints/${session.id}/`;
    const refs = await this.repo.listRefs(prefix);
    return [...refs].map(([ref, commit]) => {
      const name = ref.slice(prefix.length);
      return { name, commit, auto: name.startsWith('auto-'), ref };
    });
  }

  /** Moves the session back (or forward) to a checkpoint with the safety rules of undo; an automatic checkpoint keeps where it was. */
  async restoreCheckpoint(name: string, options: { session?: string } = {}): Promise<RestoreResult> {
    const session = await this.requireSession(options.session);
    refuseIfOperationInProgress(this.repo.paths);
    using lock = await this.lock();
    void lock;
    await this.recoverLocked(session);
    const { head, tip: tip0 } = await this.guard(session);
    const target = this.repo.readRef(checkpointRef(session.id, name));
    if (!target) throw refusal('git.no-such-checkpoint', `no checkpoint ${name} in session ${session.id}`, 'see `assist checkpoint list`');
    if (target === head.oid) return { name, from: head.oid, to: target, undone: 0 };
    await this.checkpointLocked(session, tip0, head, autoName('restore'), true);
    const tip = await requireChainTip(this.repo, session.id);
    const reachable = new Set((await this.repo.gitText(['rev-list', target, ...(session.base.commit ? [`^${session.base.commit}`] : [])])).split('\n').filter(Boolean));
    const undone: { id: string; event: EditEvent }[] = [];
    let next = liveLastEdit(tip);
    let lastEdit: string | null = null;
    while (next) {
      const event = await readEvent(this.repo, next);
      if (event.type !== 'edit') break;
      if (reachable.has(event.commit)) {
        lastEdit = next;
        break;
      }
      undone.push({ id: next, event });
      next = event.prevEdit;
    }
    const ev = writeEvent(
      this.repo,
      session.id,
      tip,
      { type: 'restore', name, undone: undone.map((u) => u.id), from: head.oid, to: target, before: { lastEdit: liveLastEdit(tip), redo: redoTop(tip) } },
      { tip: target, lastEdit, redo: redoTop(tip) },
    );
    const updates = [this.branchUpdate(session, target, head.oid), ev.update];
    await this.journaledMove(
      { op: 'restore', session: session.id, ref: session.ref, from: head.oid, to: target, restoreSnapshots: undone.map((u) => u.id), resetSnapshots: [], updates, event: ev.id },
      async () => {
        pauseAt('restore-before-move', this.repo.env);
        await this.moveTo(head.oid, target, undone.map((u) => u.event));
        pauseAt('restore-before-ref', this.repo.env);
        return [];
      },
      `assist: restore ${name}`,
    );
    return { name, from: head.oid, to: target, undone: undone.length };
  }

  // ---------------------------------------------------------------- listing and finish

  /** Every session of the repository, newest first. */
  async listSessions(): Promise<SessionSummary[]> {
    const refs = await this.repo.listRefs('refs/assist/log/');
    const current = this.currentSession();
    const out: SessionSummary[] = [];
    for (const [ref, id] of refs) {
      const sid = ref.slice('refs/assist/log/'.length);
      const tip = await readEvent(this.repo, id);
      let info: SessionInfo | null = null;
      try {
        info = await this.session(sid);
      } catch {
        info = null;
      }
      const branchOid = info?.branch && !info.noBranch ? this.repo.readRef(`refs/heads/${info.branch}`) : null;
      let commits = 0;
      if (branchOid) {
        const range = info?.base.commit ? [`${info.base.commit}..${branchOid}`] : [branchOid];
        commits = Number((await this.repo.gitText(['rev-list', '--count', ...range])).trim());
      }
      out.push({
        id: sid,
        ...(info?.pendingBranch ? { branchPending: true } : {}),
        branch: branchOid ? (info?.branch ?? null) : null,
        base: info?.base.ref ?? info?.base.commit?.slice(0, 12) ?? null,
        commits,
        lastActivity: tip.at,
        finished: tip.type === 'finish' ? tip.mode : null,
        current: current?.id === sid,
        noBranch: info?.noBranch ?? false,
      });
    }
    return out.sort((a, b) => (a.id < b.id ? 1 : -1));
  }

  /**
   * Lands the session on its base: squash (one commit, default), merge (every commit), keep
   * (switch back, keep the branch) or discard (switch back, delete the branch). Commits on the
   * base run the user's hooks and signing. Everything is checked before anything moves.
   */
  async finishSession(options: { mode?: FinishMode; message?: string; session?: string } = {}): Promise<FinishResult> {
    const mode = options.mode ?? 'squash';
    const session = await this.requireSession(options.session);
    refuseIfOperationInProgress(this.repo.paths);
    using lock = await this.lock();
    void lock;
    await this.recoverLocked(session);
    if (this.journal.read()?.pending) throw refusal('git.batch-pending', 'a batch is pending: commit or drop it first', 'drop it with `assist undo`');
    // The person's own commits on top of assist's are carried along (issue 24 item 14).
    const { head, tip: tip0 } = await this.guard(session, { allowAhead: true });
    if (session.noBranch) {
      const ev = writeEvent(this.repo, session.id, tip0, { type: 'finish', mode, onto: session.branch, commit: null });
      await this.repo.updateRefs([ev.update]);
      await this.repo.git(['config', '--unset', session.branch ? `branch.${session.branch}.assistNoBranchSession` : 'assist.detachedSession'], { okCodes: [0, 5] });
      return { mode, onto: session.branch, commit: null, branchDeleted: false, branch: session.branch };
    }
    const sessionTip = head.oid;
    const baseRef = session.base.ref ? `refs/heads/${session.base.ref}` : null;
    const baseOid = baseRef ? this.repo.readRef(baseRef) : session.base.commit;
    if (sessionTip) await this.checkpointLocked(session, tip0, head, autoName('finish'), true);
    const tip = await requireChainTip(this.repo, session.id);
    const hasWork = sessionTip !== null && sessionTip !== session.base.commit;

    let newBase: string | null = baseOid;
    let landed: string | null = null;
    if ((mode === 'squash' || mode === 'merge') && hasWork && sessionTip) {
      const baseMoved = baseOid !== session.base.commit;
      let tree: string;
      if (!baseMoved) tree = (await this.repo.objects.readCommit(sessionTip)).tree;
      else {
        if (!baseOid) throw refusal('git.base-gone', `the base branch ${session.base.ref ?? ''} no longer exists`, 'recreate it, or use --keep');
        tree = await this.mergeTrees(baseOid, sessionTip);
      }
      if (mode === 'merge' && !baseMoved) landed = sessionTip;
      else {
        const message = options.message ?? (await this.sessionSummaryMessage(session, mode, sessionTip));
        const parents = mode === 'merge' ? [baseOid, sessionTip] : [baseOid];
        landed = await this.commitOnUserBranch(session, null, tree, parents, message, mode === 'merge' ? ['pre-merge-commit'] : ['pre-commit']);
      }
      newBase = landed;
    }
    const targetTree = newBase ?? null;
    const deleteBranch = mode === 'discard' || (mode !== 'keep' && (hasWork ? landed !== null : true));
    const updates: RefUpdate[] = [];
    if (baseRef && landed && landed !== baseOid) updates.push({ ref: baseRef, value: landed, old: baseOid });
    if (deleteBranch && sessionTip) updates.push({ ref: session.ref, value: null, old: sessionTip });
    const ev = writeEvent(this.repo, session.id, tip, { type: 'finish', mode, onto: session.base.ref ?? session.base.commit, commit: landed }, { tip: sessionTip });
    updates.push(ev.update);
    const headTo = baseRef ? { symbolic: baseRef } : newBase ? { detach: newBase } : undefined;
    const unsetSection = deleteBranch && session.branch ? `branch.${session.branch}` : undefined;
    // Work tree and index first (nothing moves if a local change is in the way), then HEAD, then refs.
    await this.journaledMove(
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
        pauseAt('finish-after-land', this.repo.env);
        if (sessionTip !== targetTree) await this.moveTo(sessionTip, targetTree, []);
        pauseAt('finish-after-move', this.repo.env);
        if (headTo) await this.switchHead(headTo, session.id);
        pauseAt('finish-after-head', this.repo.env);
        return [];
      },
      `assist: finish ${session.id} (${mode})`,
    );
    return { mode, onto: session.base.ref ?? session.base.commit, commit: landed, branchDeleted: deleteBranch, branch: session.branch };
  }

  private async mergeTrees(base: string, session: string): Promise<string> {
    const result = await this.repo.git(['merge-tree', '--write-tree', '--name-only', '-z', '--no-messages', base, session], { okCodes: [0, 1] });
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
  private async sessionSummaryMessage(session: SessionInfo, mode: FinishMode, sessionTip: string): Promise<string> {
    const events = await replayChain(this.repo, session.id);
    const all = events.filter((e): e is ReplayedEvent & EditEvent => e.type === 'edit');
    const live = all.filter((e) => !e.reverted);
    const edits = live.filter((e) => e.model !== 'user');
    const carried = [...new Set(live.flatMap((e) => (e.model === 'user' ? e.files.map((f) => f.path) : (e.snapshot?.index.map((i) => i.path) ?? []))))].sort();
    const assists = new Set(all.flatMap((e) => [e.commit, ...(e.snapshot ? [e.snapshot.commit] : [])]));
    const range = session.base.commit ? [`${session.base.commit}..${sessionTip}`] : [sessionTip];
    const yours = (await this.repo.gitText(['log', '--reverse', '--format=%H %s', ...range]))
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

  /** The session's newest live edit (what undo would take back), or null: none yet, or all undone. */
  async lastEdit(sessionId: string): Promise<EditEvent | null> {
    const tip = await readChainTip(this.repo, sessionId);
    const id = tip ? liveLastEdit(tip) : null;
    if (!id) return null;
    const event = await readEvent(this.repo, id);
    return event.type === 'edit' ? event : null;
  }

  /** Events, edits and state of one session for `session show`. */
  async showSession(sessionId?: string): Promise<SessionDetails> {
    const session = await this.requireSession(sessionId);
    const events = await replayChain(this.repo, session.id);
    const edits = events.filter((e): e is ReplayedEvent & EditEvent => e.type === 'edit');
    return {
      session,
      events: events.length,
      edits: edits.map((e) => ({ commit: e.commit, summary: e.summary, files: e.files, undone: e.reverted, at: e.at })),
      checkpoints: await this.listCheckpoints(session.id),
      usage: sumUsage(events),
      lastActivity: events[events.length - 1]?.at ?? null,
      finished: events.find((e) => e.type === 'finish')?.at ?? null,
    };
  }
}

export type FinishMode = 'squash' | 'merge' | 'keep' | 'discard';

export interface UndoResult {
  undone: { commit: string; summary: string; files: string[] }[];
  from: string | null;
  to: string | null;
  /** Files whose own uncommitted content (from a snapshot) came back. */
  restored: string[];
  /** Files of a hook-rejected pending batch that were rolled back instead. */
  pendingDropped?: string[];
}

export interface RedoResult {
  redone: number;
  from: string | null;
  to: string | null;
}

export interface Checkpoint {
  name: string;
  commit: string;
  auto: boolean;
  ref: string;
}

export interface RestoreResult {
  name: string;
  from: string | null;
  to: string;
  undone: number;
}

export interface SessionSummary {
  id: string;
  /** The session branch while it exists. */
  branch: string | null;
  base: string | null;
  commits: number;
  lastActivity: string;
  finished: FinishMode | null;
  current: boolean;
  noBranch: boolean;
  /** Set while the session has made no edit, so has no branch yet. */
  branchPending?: true;
}

export interface SessionDetails {
  session: SessionInfo;
  events: number;
  edits: { commit: string; summary: string; files: FileChange[]; undone: boolean; at: string }[];
  checkpoints: Checkpoint[];
  /** Tokens of every reply in the session, or null when none reported usage. */
  usage: { input_tokens: number; output_tokens: number } | null;
  lastActivity: string | null;
  finished: string | null;
}

export interface FinishResult {
  mode: FinishMode;
  onto: string | null;
  commit: string | null;
  branchDeleted: boolean;
  branch: string | null;
}

function sumUsage(events: readonly ReplayedEvent[]): { input_tokens: number; output_tokens: number } | null {
  let total: { input_tokens: number; output_tokens: number } | null = null;
  for (const e of events) {
    if (e.type !== 'reply' || !e.usage) continue;
    total ??= { input_tokens: 0, output_tokens: 0 };
    total.input_tokens += e.usage.input_tokens;
    total.output_tokens += e.usage.output_tokens;
  }
  return total;
}

function autoName(reason: string): string {
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

/** Every exit code: the caller reads the result. */
const ANY_EXIT: readonly number[] = Array.from({ length: 256 }, (_, i) => i);

/** How a pending batch goes on, for every message that names one. */
const PENDING_WAY_ON = 'the next `assist run` or `assist chat` retries its commit (in a chat, `/commit` does), and `assist undo` drops it';

function pendingReason(pending: { hook: string }): string {
  return pending.hook === 'signing' ? 'signing its commit failed' : `the ${pending.hook} hook rejected its commit`;
}

/** The line of a failed `commit-tree -S` that says why: gpg's own, else git's. */
function signingLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const line = lines.find((l) => /^gpg:|ssh|key/i.test(l) && !/^(error|fatal):/.test(l)) ?? lines[0] ?? 'no output';
  return line.replace(/^(error|fatal):\s*/, '');
}

/** `:(literal)` pathspec, so a file named `*.ts` or `:x` means itself. */
function literal(path: string): string {
  return `:(literal)${path}`;
}

/** Summary line, body, then the trailers of DESIGN.md §2. */
export function commitMessage(summary: string, body: string, t: { session: string; event: string; model?: string; request?: string }): string {
  const title = summary.split('\n')[0]?.trim() || 'assist edit';
  const trailers = [`Assist-Session: ${t.session}`, `Assist-Event: ${t.event}`];
  if (t.model) trailers.push(`Assist-Model: ${t.model}`);
  if (t.request) trailers.push(`Assist-Request: ${t.request}`);
  return `${title}\n\n${body.trim() ? `${body.trim()}\n\n` : ''}${trailers.join('\n')}\n`;
}

function noteText(meta: BatchMeta): string {
  const ex = meta.exchange;
  const lines = [`Model: ${meta.model}`, `Request: ${meta.request}`];
  if (ex?.usage) lines.push(`Usage: ${ex.usage.input_tokens} input, ${ex.usage.output_tokens} output tokens${ex.usage.estimated ? ' (estimated)' : ''}`);
  if (ex) lines.push('', 'User:', ex.message, '', 'Assistant:', ex.reply);
  return `${lines.join('\n')}\n`;
}

export type { SessionEvent };

/** Every path the commits of these edits (and their snapshots) touched. */
function movedPaths(edits: readonly EditEvent[]): string[] {
  const paths: string[] = [];
  for (const e of edits) {
    for (const f of e.files) paths.push(f.path);
    for (const i of e.snapshot?.index ?? []) paths.push(i.path);
  }
  return paths;
}
