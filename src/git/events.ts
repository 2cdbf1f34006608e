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
  /** What context the turn sent with the message (DESIGN §6 "Effectiveness"); absent in older chains. */
  context?: TurnContext;
}

/** The context a turn sent the model besides the conversation: which files, chunks and summaries, and their tokens. */
export interface TurnContext {
  /** `context.strategy` of the turn. */
  strategy: string;
  /** Files of the chat, sent whole. */
  files: string[];
  /** Files the repo map showed. */
  map: string[];
  /** Chunks sent, as `path:start-end`. */
  chunks: string[];
  /** Files whose summaries were sent (`''`: the repository's roll-up). */
  summaries: string[];
  /** Tokens of each part (the map's exact, the rest estimated where no budget applied). */
  tokens: { map: number; chunks: number; summaries: number; files: number };
  /** `hybrid`: what represented files outside the chat, per language the figures decided (`chunks`, `summaries`, `map`); absent languages had `chunks`. */
  languages?: Record<string, string>;
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

/** A plan-mode turn's plan (DESIGN §6b): its final reply, and the files it names. */
export interface PlanEvent extends EventBase {
  type: 'plan';
  /** The turn's message request id. */
  request: string;
  text: string;
  files: string[];
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
  | PlanEvent
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

/** A payload over this many bytes (a huge reply, message or tool result) is stored as a blob, never inline. */
export const INLINE_PAYLOAD_LIMIT = 64 * 1024;

/** What the event JSON holds in place of a payload stored as a blob (the field is listed in `blobs`). */
export interface BlobRef {
  blob: string;
  /** Size of the stored payload in bytes. */
  bytes: number;
  /** The payload was not a string: the blob holds its JSON. */
  json?: true;
}

/** A payload moved out of the event JSON: the field it came from and the bytes to store. */
export interface Payload {
  field: string;
  body: Buffer;
  json: boolean;
}

// Fields every event needs to be found and chained; never moved out.
const KEEP_INLINE = new Set(['v', 'type', 'at', 'session', 'tip', 'lastEdit', 'redo', 'request', 'blobs']);

/**
 * Splits the payloads over {@link INLINE_PAYLOAD_LIMIT} out of an event (any top-level field but
 * the chain's own): `store` writes each and returns its blob id, which the event then names.
 */
export function externalise(event: SessionEvent, store: (payload: Payload) => string): { record: Record<string, unknown>; payloads: Array<Payload & { oid: string }> } {
  const record: Record<string, unknown> = { ...event };
  const payloads: Array<Payload & { oid: string }> = [];
  for (const [field, value] of Object.entries(event as unknown as Record<string, unknown>)) {
    if (KEEP_INLINE.has(field) || value === undefined || value === null) continue;
    // A string can only be over the limit when its UTF-16 length is over a third of it.
    if (typeof value === 'string' && value.length * 3 <= INLINE_PAYLOAD_LIMIT) continue;
    if (typeof value !== 'string' && typeof value !== 'object') continue;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    const body = Buffer.from(text, 'utf8');
    if (body.length <= INLINE_PAYLOAD_LIMIT) continue;
    const payload: Payload = { field, body, json: typeof value !== 'string' };
    const oid = store(payload);
    payloads.push({ ...payload, oid });
    record[field] = { blob: oid, bytes: body.length, ...(payload.json ? { json: true } : {}) } satisfies BlobRef;
  }
  if (payloads.length > 0) record.blobs = payloads.map((p) => p.field);
  return { record, payloads };
}

/**
 * The commit message of an event: a subject people can read in `git log --all`
 * (`assist <session-id>: <event> <short summary>`), then the event as JSON in the body.
 */
export function eventMessage(event: SessionEvent, record: Record<string, unknown> = event as unknown as Record<string, unknown>): string {
  return `assist ${event.session}: ${eventSubject(event)}\n\n${JSON.stringify(record)}\n`;
}

const SUBJECT_SUMMARY_CHARS = 72;

/** One line, no control characters, at most `max` characters (an ellipsis marks a cut). */
function oneLine(text: string, max = SUBJECT_SUMMARY_CHARS): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1).trimEnd()}…` : flat;
}

const quoted = (text: string, max = SUBJECT_SUMMARY_CHARS): string => `"${oneLine(text, Math.max(8, max - 2))}"`;
const short = (oid: string | null | undefined): string => (oid ? oid.slice(0, 12) : 'nothing');
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The first string among a tool call's arguments that says what it worked on (a path, a pattern, a command). */
function toolTarget(args: unknown): string {
  let value = args;
  if (typeof args === 'string') {
    try {
      value = JSON.parse(args) as unknown;
    } catch {
      return args;
    }
  }
  if (!value || typeof value !== 'object') return '';
  const record = value as Record<string, unknown>;
  for (const key of ['path', 'file', 'paths', 'pattern', 'query', 'cmd', 'command']) {
    const v = record[key];
    if (typeof v === 'string') return v;
    if (Array.isArray(v) && typeof v[0] === 'string') return v.length > 1 ? `${v[0]} (+${v.length - 1})` : v[0];
  }
  const first = Object.values(record).find((v): v is string => typeof v === 'string');
  return first ?? '';
}

/**
 * `<event> <short summary>` for the subject of an event's commit. Any event type gets a line:
 * one this version does not know shows its type and a name or summary field when it has one.
 */
export function eventSubject(event: SessionEvent | ({ type: string } & Record<string, unknown>)): string {
  const e = event as SessionEvent;
  switch (e.type) {
    case 'session-started':
      return oneLine(`session-started from ${e.base.ref?.replace(/^refs\/heads\//, '') ?? short(e.base.commit)}${e.noBranch ? ' (--no-branch)' : ''}`);
    case 'branch-created':
      return oneLine(`branch-created ${e.branch.replace(/^refs\/heads\//, '')} from ${e.base.ref?.replace(/^refs\/heads\//, '') ?? short(e.base.commit)}`);
    case 'message':
      return `message ${quoted(e.text)}`;
    case 'reply': {
      const model = oneLine(e.model, 40);
      return `reply ${model} ${quoted(e.text, SUBJECT_SUMMARY_CHARS - model.length - 1)}`;
    }
    case 'edit':
      return `edit ${oneLine(e.summary)}`;
    case 'plan':
      return `plan ${quoted(e.text)}`;
    case 'refused':
      return `refused ${oneLine(e.reason)}`;
    case 'undo':
      return e.pendingDropped ? 'undo the pending batch' : `undo ${plural(e.undone.length, 'edit')}`;
    case 'redo':
      return `redo ${plural(e.redone.length, 'edit')}`;
    case 'restore':
      return `restore ${oneLine(e.name)}`;
    case 'checkpoint':
      return `checkpoint ${oneLine(e.name)}${e.auto ? ' (automatic)' : ''}`;
    case 'finish':
      return `finish ${e.mode}${e.commit ? ` as ${short(e.commit)}` : ''}`;
  }
  const other = event as { type: string } & Record<string, unknown>;
  const type = oneLine(String(other.type), 40);
  if (type === 'tool') {
    const name = typeof other.name === 'string' ? other.name : '?';
    const target = toolTarget(other.arguments);
    return `tool ${oneLine(`${name}${target ? ` ${target}` : ''}${other.ok === false ? ' (failed)' : ''}`)}`;
  }
  for (const key of ['name', 'summary', 'reason', 'text']) {
    const label = other[key];
    if (typeof label === 'string') return `${type} ${oneLine(label)}`;
  }
  return type;
}

/** The event JSON of a chain commit's message: the body after the subject, or (sessions before the subject) the whole message. */
export function parseEvent(message: string): SessionEvent | null {
  let text = message.trim();
  if (!text.startsWith('{')) {
    const body = text.indexOf('\n\n');
    if (body < 0) return null;
    text = text.slice(body + 2).trim();
    if (!text.startsWith('{')) return null;
  }
  try {
    const value = JSON.parse(text) as SessionEvent;
    return value && typeof value === 'object' && typeof value.type === 'string' ? value : null;
  } catch {
    return null;
  }
}

/** The fields of a parsed event whose payload is in a blob, with their references. */
export function blobRefs(event: SessionEvent): Array<{ field: string; ref: BlobRef }> {
  const record = event as unknown as Record<string, unknown>;
  const fields = record.blobs;
  if (!Array.isArray(fields)) return [];
  const refs: Array<{ field: string; ref: BlobRef }> = [];
  for (const field of fields) {
    const ref = typeof field === 'string' ? record[field] : undefined;
    if (ref && typeof ref === 'object' && typeof (ref as BlobRef).blob === 'string') refs.push({ field, ref: ref as BlobRef });
  }
  return refs;
}
