import { AssistError } from '../errors.js';
import type { Repo, RefUpdate } from './repo.js';
import { pauseAt } from './pause.js';
import { chainRef } from './session-id.js';
import { serializeTree } from './objects.js';
import { blobRefs, eventMessage, externalise, parseEvent, type EventBase, type NewEvent, type ReplayedEvent, type SessionEvent } from './events.js';

/** The newest event of a session's chain and its id. */
export interface ChainTip {
  id: string;
  event: SessionEvent;
}

export async function readEvent(repo: Repo, id: string): Promise<SessionEvent> {
  const commit = await repo.objects.readCommit(id);
  const event = parseEvent(commit.message);
  if (!event) throw new AssistError('git.chain-corrupt', `event ${id.slice(0, 12)} of the session's chain is not an assist event`);
  return withPayloads(repo, id, event);
}

/** The event with each payload stored as a blob read back into its field, as it was written. */
async function withPayloads(repo: Repo, id: string, event: SessionEvent): Promise<SessionEvent> {
  const refs = blobRefs(event);
  if (refs.length === 0) return event;
  const record = { ...event } as unknown as Record<string, unknown>;
  await Promise.all(
    refs.map(async ({ field, ref }) => {
      const object = await repo.objects.read(ref.blob);
      if (!object || object.type !== 'blob') {
        throw new AssistError('git.chain-corrupt', `the ${field} of event ${id.slice(0, 12)} is missing from the object store (blob ${ref.blob.slice(0, 12)})`);
      }
      const text = object.body.toString('utf8');
      record[field] = ref.json ? (JSON.parse(text) as unknown) : text;
    }),
  );
  delete record.blobs;
  return record as unknown as SessionEvent;
}

export async function readChainTip(repo: Repo, session: string): Promise<ChainTip | null> {
  const id = repo.readRef(chainRef(session));
  if (id === null) return null;
  return { id, event: await readEvent(repo, id) };
}

export async function requireChainTip(repo: Repo, session: string): Promise<ChainTip> {
  const tip = await readChainTip(repo, session);
  if (!tip) throw new AssistError('git.no-such-session', `no session ${session}`, { hint: 'see `assist session list`' });
  return tip;
}

/**
 * Writes the commit of a new event on top of `prev` (the chain commit itself; the ref is moved by
 * the caller's transaction, so an event and the branch move it records land together or not at all).
 */
export function writeEvent(
  repo: Repo,
  session: string,
  prev: ChainTip | null,
  event: NewEvent,
  state: Partial<Pick<EventBase, 'tip' | 'lastEdit' | 'redo'>> = {},
): { id: string; event: SessionEvent; update: RefUpdate } {
  const base: EventBase = {
    v: 1,
    at: new Date().toISOString(),
    session,
    tip: state.tip !== undefined ? state.tip : (prev?.event.tip ?? null),
    lastEdit: state.lastEdit !== undefined ? state.lastEdit : prev ? liveLastEdit(prev) : null,
    redo: state.redo !== undefined ? state.redo : prev ? redoTop(prev) : null,
  };
  const full = { ...base, ...event } as SessionEvent;
  // A payload over 64 KiB goes to a blob the event names; the commit's tree holds it, so it stays
  // reachable (gc, fetch, push) exactly as long as the event does.
  const { record, payloads } = externalise(full, (payload) => repo.objects.write('blob', payload.body));
  const tree =
    payloads.length === 0
      ? repo.objects.emptyTree
      : repo.objects.write('tree', serializeTree(payloads.map((p) => ({ mode: '100644', name: p.field, oid: p.oid }))));
  const id = repo.writeCommit(tree, prev ? [prev.id] : [], eventMessage(full, record));
  repo.objects.write('tree', Buffer.alloc(0));
  return { id, event: full, update: { ref: chainRef(session), value: id, old: prev ? prev.id : null } };
}

/** Appends one event on its own (message, reply, refusal): compare-and-swap on the chain ref. */
export async function appendEvent(repo: Repo, session: string, event: NewEvent, prev?: ChainTip | null): Promise<ChainTip> {
  for (let attempt = 0; ; attempt++) {
    const before = prev === undefined ? await readChainTip(repo, session) : prev;
    const written = writeEvent(repo, session, before, event);
    pauseAt('event-before-ref', repo.env);
    try {
      await repo.updateRefs([written.update]);
      return { id: written.id, event: written.event };
    } catch (error) {
      // Another process appended first (two chats on one session): re-read the tip and append after it.
      const moved = repo.readRef(chainRef(session)) !== (before?.id ?? null);
      if (prev !== undefined || !moved || attempt >= 5) throw error;
    }
  }
}

/**
 * The tip each repository's last {@link appendEvents} left. An event is the content of its commit
 * id, so while the chain's ref still holds that id the tip needs no read (a tool loop appends once
 * a step: its commit read and inflated each time).
 */
const lastAppended = new WeakMap<Repo, ChainTip>();

/** Appends several events in order with one ref update (a message and its reply): one git process, not one per event. */
export async function appendEvents(repo: Repo, session: string, events: readonly NewEvent[]): Promise<ChainTip | null> {
  for (let attempt = 0; ; attempt++) {
    const at = repo.readRef(chainRef(session));
    const known = lastAppended.get(repo);
    const before = at === null ? null : known?.id === at ? known : { id: at, event: await readEvent(repo, at) };
    let tip: ChainTip | null = before;
    for (const event of events) {
      const written = writeEvent(repo, session, tip, event);
      tip = { id: written.id, event: written.event };
    }
    if (tip === before || tip === null) return before;
    pauseAt('event-before-ref', repo.env);
    try {
      await repo.updateRefs([{ ref: chainRef(session), value: tip.id, old: before ? before.id : null }]);
      lastAppended.set(repo, tip);
      return tip;
    } catch (error) {
      const moved = repo.readRef(chainRef(session)) !== (before?.id ?? null);
      if (!moved || attempt >= 5) throw error;
    }
  }
}

/** Every event of a session, oldest first, with undone edits and their exchanges marked. One `git log`. */
export async function replayChain(repo: Repo, session: string): Promise<ReplayedEvent[]> {
  const ref = chainRef(session);
  if (repo.readRef(ref) === null) throw new AssistError('git.no-such-session', `no session ${session}`, { hint: 'see `assist session list`' });
  const out = await repo.gitText(['log', '--reverse', '--first-parent', '--format=%H%x00%B%x1e', ref]);
  const events: ReplayedEvent[] = [];
  const pending: Array<Promise<void>> = [];
  for (const record of out.split('\x1e')) {
    const text = record.replace(/^\n/, '');
    const nul = text.indexOf('\0');
    if (nul < 0) continue;
    const event = parseEvent(text.slice(nul + 1));
    if (!event) continue;
    const replayed = { ...event, id: text.slice(0, nul), reverted: false } as ReplayedEvent;
    const at = events.push(replayed) - 1;
    if (blobRefs(event).length > 0) {
      pending.push(withPayloads(repo, replayed.id, replayed).then((full) => void (events[at] = full as ReplayedEvent)));
    }
  }
  await Promise.all(pending);
  markUndone(events);
  return events;
}

/**
 * The events of a session's chain after `since` (an earlier tip of the same chain), oldest first,
 * read from the object store without starting git: what moved since a reader last looked. Null
 * when `since` is not among the tip's first `limit` first parents (the chain moved further, or
 * `since` is not on it): replay the chain whole then. Undone edits are not marked (`reverted` is
 * false): an undo after `since` can name an edit before it.
 */
export async function chainEventsSince(repo: Repo, session: string, since: string, limit: number): Promise<ReplayedEvent[] | null> {
  let id = repo.readRef(chainRef(session));
  const found: Array<{ id: string; event: SessionEvent }> = [];
  for (let walked = 0; id !== since; walked++) {
    if (id === null || walked >= limit) return null;
    const commit = await repo.objects.readCommit(id);
    const event = parseEvent(commit.message);
    if (event) found.push({ id, event });
    id = commit.parents[0] ?? null;
  }
  found.reverse();
  return Promise.all(found.map(async ({ id: at, event }) => ({ ...(blobRefs(event).length > 0 ? await withPayloads(repo, at, event) : event), id: at, reverted: false }) as ReplayedEvent));
}

function markUndone(events: ReplayedEvent[]): void {
  const undone = new Set<string>();
  const byId = new Map(events.map((e) => [e.id, e]));
  for (const e of events) {
    if (e.type === 'undo' || e.type === 'restore') for (const id of e.undone) undone.add(id);
    if (e.type === 'redo') for (const id of e.redone) undone.delete(id);
  }
  const requests = new Set<string>();
  for (const id of undone) {
    const e = byId.get(id);
    if (e && e.type === 'edit') {
      e.reverted = true;
      requests.add(e.request);
    }
  }
  for (const e of events) {
    if ((e.type === 'message' || e.type === 'reply' || e.type === 'refused') && e.request !== undefined && requests.has(e.request)) e.reverted = true;
  }
}

/** The newest live edit after this event (an edit event is itself the newest). */
export function liveLastEdit(tip: ChainTip): string | null {
  return tip.event.type === 'edit' ? tip.id : tip.event.lastEdit;
}

/** The undo or restore that redo would reverse after this event. */
export function redoTop(tip: ChainTip): string | null {
  return tip.event.type === 'undo' || tip.event.type === 'restore' ? (tip.event.undone.length ? tip.id : tip.event.redo) : tip.event.redo;
}
