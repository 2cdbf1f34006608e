/** Token usage of one model reply. */
export interface Usage {
  input_tokens: number;
  output_tokens: number;
  /** True when the server reported none and assist estimated it. */
  estimated?: boolean;
}

/** A file of an edit commit: A added, M modified, D deleted. */
export interface FileChange {
  path: string;
  change: 'A' | 'M' | 'D';
}

/** The user's index entry for a file before a snapshot (null: not in the index). */
export interface IndexEntry {
  path: string;
  entry: { mode: string; oid: string } | null;
}

/** Fields every event carries (the chain's state travels with each event, so no write needs the whole chain). */
export interface EventBase {
  v: 1;
  at: string;
  session: string;
  /** The session branch's tip as assist last left it (null: unborn). */
  tip: string | null;
  /** Chain id of the newest live edit event, or null. */
  lastEdit: string | null;
  /** Chain id of the newest undo/restore event that redo would reverse, or null. */
  redo: string | null;
}

export interface SessionStartedEvent extends EventBase {
  type: 'session-started';
  /**
   * Full ref the session writes to (`refs/heads/assist/<id>`), or null: detached with --no-branch,
   * or not created yet (`pendingBranch`).
   */
  branch: string | null;
  /**
   * Set when the session starts without its branch (a chat or run on a branch that is not a session
   * branch): the full ref its first edit creates, from the HEAD of that moment (a `branch-created` event).
   */
  pendingBranch?: string;
  /** Where the session started: the branch name (or null when detached) and its commit (null: unborn). */
  base: { ref: string | null; commit: string | null };
  noBranch: boolean;
  command?: string;
}

/** The first edit of a session that started without its branch created it (and switched HEAD to it). */
export interface BranchCreatedEvent extends EventBase {
  type: 'branch-created';
  /** Full ref (`refs/heads/assist/<id>`). */
  branch: string;
  /** What it was created from: the branch HEAD was on (null: detached) and its commit (null: unborn). */
  base: { ref: string | null; commit: string | null };
  /** Where the session had started, when HEAD moved between its start and its first edit. */
  movedFrom?: { ref: string | null; commit: string | null };
}

/**
 * A --no-branch batch a hook or signing had left pending was settled another way than assist's own
 * commit: the person committed exactly its content themselves (`commit`).
 */
export interface PendingSettledEvent extends EventBase {
  type: 'pending-settled';
  how: 'committed-by-you';
  commit: string;
  files: string[];
}

/** A git-ignored file an edit wrote but never committed (contents kept under `<gitDir>/assist/ignored/`). */
export interface IgnoredWrite {
  path: string;
  /** Blob id (computed, never stored in git) and mode of what it held before; null: it did not exist. */
  old: { oid: string; mode: string } | null;
  /** Blob id of what the edit wrote; null: the edit deleted it. */
  new: string | null;
}

export interface MessageEvent extends EventBase {
  type: 'message';
  request: string;
  text: string;
}

export interface ReplyEvent extends EventBase {
  type: 'reply';
  request: string;
  text: string;
  model: string;
  usage?: Usage;
  /** A step of a tool loop: the request id of the turn's message (absent: the reply answers `request` itself). */
  turn?: string;
  /** The tool calls this reply made (a step of a tool loop). */
  toolCalls?: Array<{ id: string; name: string; arguments: string; signature?: string }>;
  /** Provider items sent back with this reply in later requests (see llm ChatMessage `replay`). */
  replay?: { provider: string; items: unknown[] };
}

/** One tool call of a tool loop and what it came to; `result` is the text the model got back. */
export interface ToolEvent extends EventBase {
  type: 'tool';
  /** The step's request id (the reply that made the call). */
  request: string;
  /** The turn's message request id. */
  turn: string;
  call: string;
  name: string;
  arguments: string;
  ok: boolean;
  ms: number;
  /** Size of the result in characters. */
  chars: number;
  result: string;
  /** The one-line status shown to the person (`read src/a.ts (42 lines)`). */
  status: string;
}

export interface EditEvent extends EventBase {
  type: 'edit';
  request: string;
  model: string;
  summary: string;
  commit: string;
  /** Branch tip before this edit (and before its snapshot). */
  parent: string | null;
  snapshot: { commit: string; index: IndexEntry[] } | null;
  files: FileChange[];
  /** The live edit before this one. */
  prevEdit: string | null;
  journal?: string;
  /**
   * Git-ignored files the edit wrote and did not commit (a file added to the chat by name): undo and
   * redo put their contents back. With only such files, `commit` is `parent` (no commit was made).
   */
  ignored?: IgnoredWrite[];
}

export interface RefusedEvent extends EventBase {
  type: 'refused';
  request?: string;
  reason: string;
  files?: string[];
  output?: string;
}

export interface UndoEvent extends EventBase {
  type: 'undo';
  /** Chain ids of the undone edits, newest first. */
  undone: string[];
  from: string | null;
  to: string | null;
  /** State before, so redo can return to it. */
  before: { lastEdit: string | null; redo: string | null };
  pendingDropped?: string[];
}

export interface RestoreEvent extends EventBase {
  type: 'restore';
  name: string;
  undone: string[];
  from: string | null;
  to: string | null;
  before: { lastEdit: string | null; redo: string | null };
}

export interface RedoEvent extends EventBase {
  type: 'redo';
  /** Chain id of the undo or restore event reversed. */
  of: string;
  redone: string[];
  from: string | null;
  to: string | null;
}

export interface CheckpointEvent extends EventBase {
  type: 'checkpoint';
  name: string;
  commit: string | null;
  auto: boolean;
}

export interface FinishEvent extends EventBase {
  type: 'finish';
  mode: 'squash' | 'merge' | 'keep' | 'discard';
  /** The base it landed on and the commit made there (null for keep/discard). */
  onto: string | null;
  commit: string | null;
}

export type SessionEvent =
  | SessionStartedEvent
  | BranchCreatedEvent
  | PendingSettledEvent
  | MessageEvent
  | ReplyEvent
  | ToolEvent
  | EditEvent
  | RefusedEvent
  | UndoEvent
  | RestoreEvent
  | RedoEvent
  | CheckpointEvent
  | FinishEvent;

export type EventType = SessionEvent['type'];

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** What a caller passes to append: the chain fills in the common fields. */
export type NewEvent = DistributiveOmit<SessionEvent, keyof EventBase>;

/** An event read back from the chain, with its id (the chain commit) and whether an undo or restore has taken it out (`reverted`). */
export type ReplayedEvent = SessionEvent & { id: string; reverted: boolean };

export function serializeEvent(event: SessionEvent): string {
  return `${JSON.stringify(event)}\n`;
}

export function parseEvent(message: string): SessionEvent | null {
  const text = message.trim();
  if (!text.startsWith('{')) return null;
  try {
    const value = JSON.parse(text) as SessionEvent;
    return value && typeof value === 'object' && typeof value.type === 'string' ? value : null;
  } catch {
    return null;
  }
}
