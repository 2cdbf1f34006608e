import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReplayedEvent } from '../git/index.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { languageFigures, mergeFigures, REPRESENTATIONS, type LanguageFigures } from './effectiveness.js';

/** Bumped when what a session's figures mean changes: an older file is rebuilt. */
const VERSION = 1;

/**
 * A session's figures up to an event before its last recorded turn, to extend from when the chain
 * moves: the events after `at` are read and their figures added, instead of the whole chain.
 */
export interface FiguresBase {
  /** The last event counted (a chain commit). */
  at: string;
  figures: LanguageFigures;
  /** The requests of the turns counted: a later event naming one of them makes the extension inexact. */
  requests: string[];
}

interface CacheFile {
  version: number;
  /** Per session: the chain tip the figures were read at, the figures, and where to extend them from. */
  sessions: Record<string, { tip: string; figures: LanguageFigures; base?: FiguresBase }>;
}

/** Where the session chains are read: a narrow seam over the store. */
export interface ChainSource {
  /** Session id -> id of its chain's tip. */
  tips(): Promise<Map<string, string>>;
  replay(session: string): Promise<ReplayedEvent[]>;
  /** The session's events after `since` (an earlier tip), or null when they cannot be read that way. */
  since?(session: string, since: string): Promise<ReplayedEvent[] | null>;
}

/** The session chains' refs. */
export const CHAIN_PREFIX = 'refs/assist/log/';

/** Session id -> chain tip, from the refs under {@link CHAIN_PREFIX} (a ref being written, `.lock`, is not one). */
export function sessionTips(refs: ReadonlyMap<string, string>): Map<string, string> {
  const tips = new Map<string, string>();
  for (const [ref, id] of refs) if (ref.startsWith(CHAIN_PREFIX) && !ref.endsWith('.lock')) tips.set(ref.slice(CHAIN_PREFIX.length), id);
  return tips;
}

/** The repository's figures, and what it cost to have them. */
export interface LoadedFigures {
  figures: LanguageFigures;
  sessions: number;
  /** Sessions whose chain was replayed (new, or moved since the cache was written). */
  replayed: number;
  /** Sessions left to read on a later call (over `maxReplays`): their turns are not in `figures` yet. */
  pending: number;
  /** Of `replayed`, the sessions read only from their cached base on (the events since their last turn began). */
  extended: number;
}

/** Events one extension reads at most (in process, a commit each); a chain that moved further is replayed. */
export const MAX_EXTEND = 256;

/** The requests an event joins a turn by, as `turnOutcomes` looks them up (a step's `<turn>.<n>` falls back to `<turn>`). */
function joinedRequests(event: ReplayedEvent): string[] {
  const request = event.type === 'message' ? (event.context ? event.request : undefined) : event.type === 'tool' ? event.turn : event.type === 'edit' || event.type === 'refused' ? event.request : undefined;
  if (request === undefined) return [];
  // A message starts its turn: only its exact request can clash with an earlier one.
  return event.type === 'message' ? [request] : [request, request.replace(/\.\d+$/, '')];
}

/**
 * The figures of `base` plus those of `events` (the chain's events after `base.at`), and the base
 * to extend from next time (before the last turn's message: that turn may still grow). Null when
 * an event joins a turn counted in `base`: only a replay of the whole chain counts that exactly.
 */
export function extendFigures(base: FiguresBase | undefined, events: readonly ReplayedEvent[]): { figures: LanguageFigures; base: FiguresBase | undefined } | null {
  const counted = new Set(base?.requests ?? []);
  for (const event of events) if (joinedRequests(event).some((r) => counted.has(r))) return null;
  const figures = base ? mergeFigures([base.figures, languageFigures(events)]) : languageFigures(events);
  // The next base ends before the last turn's message, and before any turn that a later event joins
  // (a late tool or edit event of an older turn): every turn it counts is closed.
  const started = new Map<string, number>();
  let last = -1;
  for (const [i, e] of events.entries()) {
    if (e.type === 'message' && e.context) {
      started.set(e.request, i);
      last = i;
    }
  }
  for (let moved = true; moved && last > 0; ) {
    moved = false;
    for (let i = last; i < events.length; i++) {
      for (const r of joinedRequests(events[i]!)) {
        const at = started.get(r);
        if (at !== undefined && at < last) {
          last = at;
          moved = true;
        }
      }
    }
  }
  if (last <= 0) return { figures, base };
  const done = events.slice(0, last);
  const requests = [...counted];
  for (const e of done) if (e.type === 'message' && e.context) requests.push(e.request);
  return { figures, base: { at: done[done.length - 1]!.id, figures: base ? mergeFigures([base.figures, languageFigures(done)]) : languageFigures(done), requests } };
}

/** Sessions whose base is kept (the newest by id): those that move; an older one that moves is replayed whole. */
export const MAX_BASES = 16;

/**
 * The cache's sessions with a base kept only for the {@link MAX_BASES} newest: every session read
 * pays for the file's size on each first turn, and old sessions seldom move again.
 */
function withRecentBases(sessions: CacheFile['sessions']): CacheFile['sessions'] {
  const recent = new Set(Object.keys(sessions).sort().reverse().slice(0, MAX_BASES));
  const out: CacheFile['sessions'] = {};
  for (const [id, entry] of Object.entries(sessions)) out[id] = recent.has(id) || !entry.base ? entry : { tip: entry.tip, figures: entry.figures };
  return out;
}

/** Sessions replayed at once (each is a `git log`, and its payload blobs). */
const CONCURRENCY = 4;
/** Sessions one call replays at most: a first read of a long history is spread over several turns. */
export const MAX_REPLAYS = 12;

function validFigures(value: unknown): value is LanguageFigures {
  if (typeof value !== 'object' || value === null) return false;
  for (const reps of Object.values(value as Record<string, unknown>)) {
    if (typeof reps !== 'object' || reps === null) return false;
    for (const [rep, f] of Object.entries(reps as Record<string, unknown>)) {
      if (!(REPRESENTATIONS as readonly string[]).includes(rep)) return false;
      const g = f as { turns?: unknown; hits?: unknown; misses?: unknown } | null;
      if (typeof g?.turns !== 'number' || typeof g.hits !== 'number' || typeof g.misses !== 'number') return false;
    }
  }
  return true;
}

async function readCache(path: string): Promise<CacheFile['sessions']> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<CacheFile>;
    if (parsed.version !== VERSION || typeof parsed.sessions !== 'object' || parsed.sessions === null) return {};
    const out: CacheFile['sessions'] = {};
    for (const [id, entry] of Object.entries(parsed.sessions)) {
      if (typeof entry?.tip !== 'string' || !validFigures(entry.figures)) continue;
      // A base that does not hold together is dropped: that session is replayed whole when it moves.
      const base = entry.base;
      const sound = base !== undefined && typeof base?.at === 'string' && validFigures(base.figures) && Array.isArray(base.requests) && base.requests.every((r) => typeof r === 'string');
      out[id] = sound ? { tip: entry.tip, figures: entry.figures, base } : { tip: entry.tip, figures: entry.figures };
    }
    return out;
  } catch {
    // Missing, torn or foreign: rebuilt from the chains.
    return {};
  }
}

/**
 * Hybrid's figures over every session of the repository, read cheaply: each session's figures are
 * kept under `<commonDir>/assist/effectiveness.json` with the chain tip they were read at, so only
 * a session whose chain moved is replayed, at most `maxReplays` a call (newest first; the rest on
 * later calls, so a first read of a long history never holds one turn up for long). A cache that
 * cannot be written costs a replay next time, never an error.
 */
export async function loadLanguageFigures(commonDir: string, source: ChainSource, options: { maxReplays?: number } = {}): Promise<LoadedFigures> {
  const path = join(commonDir, 'assist', 'effectiveness.json');
  const cached = await readCache(path);
  const tips = await source.tips();
  const sessions: CacheFile['sessions'] = {};
  const stale: Array<[string, string]> = [];
  for (const [id, tip] of tips) {
    const hit = cached[id];
    if (hit && hit.tip === tip) sessions[id] = hit;
    else stale.push([id, tip]);
  }
  // Newest first (session ids start with their time): the recent turns say most about today's code.
  stale.sort(([a], [b]) => (a < b ? 1 : a > b ? -1 : 0));
  const now = stale.slice(0, options.maxReplays ?? MAX_REPLAYS);
  let replayed = 0;
  let extended = 0;
  for (let i = 0; i < now.length; i += CONCURRENCY) {
    await Promise.all(
      now.slice(i, i + CONCURRENCY).map(async ([id, tip]) => {
        try {
          // A session read before usually moved by a turn or two: its events since the base are read
          // in process and added, which gives the figures a replay of the whole chain would.
          const base = cached[id]?.base;
          if (base && source.since) {
            const events = await source.since(id, base.at).catch(() => null);
            const next = events && events.length > 0 && events[events.length - 1]!.id === tip ? extendFigures(base, events) : null;
            if (next) {
              sessions[id] = next.base ? { tip, figures: next.figures, base: next.base } : { tip, figures: next.figures };
              replayed++;
              extended++;
              return;
            }
          }
          const next = extendFigures(undefined, await source.replay(id))!;
          sessions[id] = next.base ? { tip, figures: next.figures, base: next.base } : { tip, figures: next.figures };
          replayed++;
        } catch {
          // A session the store cannot read counts for nothing, as in `stats context`.
        }
      }),
    );
  }
  // A session read before but moved since keeps its old figures until its turn to be read again.
  for (const [id] of stale.slice(now.length)) if (cached[id]) sessions[id] = cached[id];
  const dropped = Object.keys(cached).some((id) => !tips.has(id));
  if (replayed > 0 || dropped) {
    try {
      await mkdir(join(commonDir, 'assist'), { recursive: true });
      await writeFileAtomic(path, JSON.stringify({ version: VERSION, sessions: withRecentBases(sessions) } satisfies CacheFile), { fsync: false });
    } catch {
      // Read-only git dir: the figures are still right, only the next read is slower.
    }
  }
  // Merged in id order: the same cache gives the same figures.
  const ordered = Object.keys(sessions).sort().map((id) => sessions[id]!.figures);
  return { figures: mergeFigures(ordered), sessions: tips.size, replayed, pending: stale.length - now.length, extended };
}

/**
 * Writes the figures of sessions already replayed by someone else (`assist stats context` reads
 * every chain anyway), so hybrid's next read finds them cached.
 */
export async function cacheSessionFigures(commonDir: string, replayed: ReadonlyArray<{ id: string; tip: string; events: readonly ReplayedEvent[] }>): Promise<void> {
  const path = join(commonDir, 'assist', 'effectiveness.json');
  const sessions = await readCache(path);
  for (const { id, tip, events } of replayed) {
    const read = extendFigures(undefined, events)!;
    sessions[id] = read.base ? { tip, figures: read.figures, base: read.base } : { tip, figures: read.figures };
  }
  try {
    await mkdir(join(commonDir, 'assist'), { recursive: true });
    await writeFileAtomic(path, JSON.stringify({ version: VERSION, sessions: withRecentBases(sessions) } satisfies CacheFile), { fsync: false });
  } catch {
    // As above: only a later read is slower.
  }
}
