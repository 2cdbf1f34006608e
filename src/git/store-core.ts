import { AssistError, refusal } from '../errors.js';
import { readEvent, replayChain, requireChainTip, type ChainTip } from './chain.js';
import type { BranchCreatedEvent, ReplayedEvent, SessionStartedEvent } from './events.js';
import { JournalStore, MoveJournalStore } from './journal.js';
import { acquireLock, type WriteLock } from './lock.js';
import { refuseIfOperationInProgress } from './operation.js';
import type { HeadState, Repo } from './repo.js';
import { chainRef, isSessionId, newSessionId, sessionBranchName } from './session-id.js';
import type { SessionInfo, StoreOptions } from './store-types.js';

/**
 * What every part of the store shares (DESIGN.md §2): the repository, the two crash journals, the
 * write lock, which session HEAD is on, and the guard every write passes first. The parts (edit
 * commits, recovery, undo and redo, checkpoints, finish) are functions taking it; `GitStore` is
 * their surface.
 */
export class StoreCore {
  readonly journal: JournalStore;
  readonly moves: MoveJournalStore;
  readonly command: string;

  constructor(
    readonly repo: Repo,
    readonly options: StoreOptions,
  ) {
    this.journal = new JournalStore(repo.paths.worktreeAssistDir);
    this.moves = new MoveJournalStore(repo.paths.worktreeAssistDir);
    this.command = options.command ?? 'assist';
  }

  get root(): string {
    return this.repo.root;
  }

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

  private async startedEvent(id: string): Promise<SessionStartedEvent> {
    const ref = chainRef(id);
    if (this.repo.readRef(ref) === null) throw new AssistError('git.no-such-session', `no session ${id}`, { hint: 'see `assist session list`' });
    const out = await this.repo.gitText(['rev-list', '--max-parents=0', ref]);
    const root = out.trim().split('\n')[0] ?? '';
    const event = await readEvent(this.repo, root);
    if (event.type !== 'session-started') throw new AssistError('git.chain-corrupt', `the chain of ${id} does not start with session-started`);
    return event;
  }

  requireSession(id?: string): SessionInfo | Promise<SessionInfo> {
    if (id) return this.session(id);
    const current = this.currentSession();
    if (!current) {
      throw refusal('git.no-session', 'HEAD is not on an assist session', 'start one with `assist chat`, or switch to a session branch (`assist session list`)');
    }
    return current;
  }

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
      found.set(path, outsideSparseHit(path));
    }
    return found;
  }

  readonly deferredNotes: { commit: string; text: string }[] = [];
}

/** Why a skip-worktree file (outside the sparse checkout) is refused, and how to widen the cone. */
export function outsideSparseHit(path: string): { reason: string; code: string } {
  const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '.';
  return { reason: `outside the sparse checkout (skip-worktree): widen it with \`git sparse-checkout add ${dir}\` to edit it`, code: 'git.outside-sparse-checkout' };
}

/** `:(literal)` pathspec, so a file named `*.ts` or `:x` means itself. */
export function literal(path: string): string {
  return `:(literal)${path}`;
}
