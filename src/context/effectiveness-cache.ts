import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReplayedEvent } from '../git/index.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { languageFigures, mergeFigures, REPRESENTATIONS, type LanguageFigures } from './effectiveness.js';

/** Bumped when what a session's figures mean changes: an older file is rebuilt. */
const VERSION = 1;

interface CacheFile {
  version: number;
  /** Per session: the chain tip the figures were read at, and the figures. */
  sessions: Record<string, { tip: string; figures: LanguageFigures }>;
}

/** Where the session chains are read: a narrow seam over the store. */
export interface ChainSource {
  /** Session id -> id of its chain's tip. */
  tips(): Promise<Map<string, string>>;
  replay(session: string): Promise<ReplayedEvent[]>;
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
    for (const [id, entry] of Object.entries(parsed.sessions)) if (typeof entry?.tip === 'string' && validFigures(entry.figures)) out[id] = entry;
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
  for (let i = 0; i < now.length; i += CONCURRENCY) {
    await Promise.all(
      now.slice(i, i + CONCURRENCY).map(async ([id, tip]) => {
        try {
          sessions[id] = { tip, figures: languageFigures(await source.replay(id)) };
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
      await writeFileAtomic(path, JSON.stringify({ version: VERSION, sessions } satisfies CacheFile), { fsync: false });
    } catch {
      // Read-only git dir: the figures are still right, only the next read is slower.
    }
  }
  // Merged in id order: the same cache gives the same figures.
  const ordered = Object.keys(sessions).sort().map((id) => sessions[id]!.figures);
  return { figures: mergeFigures(ordered), sessions: tips.size, replayed, pending: stale.length - now.length };
}

/**
 * Writes the figures of sessions already replayed by someone else (`assist stats context` reads
 * every chain anyway), so hybrid's next read finds them cached.
 */
export async function cacheSessionFigures(commonDir: string, replayed: ReadonlyArray<{ id: string; tip: string; events: readonly ReplayedEvent[] }>): Promise<void> {
  const path = join(commonDir, 'assist', 'effectiveness.json');
  const sessions = await readCache(path);
  for (const { id, tip, events } of replayed) sessions[id] = { tip, figures: languageFigures(events) };
  try {
    await mkdir(join(commonDir, 'assist'), { recursive: true });
    await writeFileAtomic(path, JSON.stringify({ version: VERSION, sessions } satisfies CacheFile), { fsync: false });
  } catch {
    // As above: only a later read is slower.
  }
}
