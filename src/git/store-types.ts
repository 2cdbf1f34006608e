import type { FileChange } from './events.js';
import type { BatchMeta, MoveJournal } from './journal.js';

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
  /** A worktree session's worktree (`--worktree`): where, and its uncommitted files. */
  worktree?: { path: string; exists: boolean; dirty: string[] };
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
