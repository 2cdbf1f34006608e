import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { toFileTags } from './extractor.js';
import { languageForPath, packName } from './languages.js';
import { threadExtractor } from './parse-pool.js';
import { readSnapshotCached, type RankSnapshot } from './rank-snapshot.js';
import { TagsCache, type EntryLocation } from './tags-cache.js';
import type { CachedDef, FileTags } from './types.js';

/** Where the tags are: the repository's shared assist directory (tags cache, map snapshot). */
export interface ReviewLookupOptions {
  sharedAssistDir: string;
  /** Larger contents are not parsed (as in the map). */
  maxFileBytes?: number;
}

/** Tags of one content, as the review reads them. */
export interface LookupTags {
  defs: readonly CachedDef[];
  refs: Readonly<Record<string, number>>;
  skipped?: string;
}

/** The tags and references a review needs (structurally the `TagsLookup` of `src/review`). */
export interface ReviewLookup {
  tags(path: string, text: string, fresh?: boolean): Promise<LookupTags | undefined>;
  references(names: readonly string[]): ReadonlyMap<string, ReadonlyArray<{ file: string; count: number }>> | undefined;
  /** Resolves once the tags parsed so far are written to the cache. */
  written(): Promise<void>;
  /** What the lookups did: cache hits, parses, whether a reference graph was there. */
  readonly stats: { hits: number; parsed: number; graph: boolean };
}

/** Per snapshot: its names' ids and its entries' places, made once for the batches reviewed over it. */
interface Derived {
  nameIds?: Map<string, number>;
  places: Map<string, EntryLocation>;
}
const derived = new WeakMap<RankSnapshot, Derived>();

function derive(snapshot: RankSnapshot): Derived {
  let d = derived.get(snapshot);
  if (!d) {
    const places = new Map<string, EntryLocation>();
    // Keys are `<pack>:<blob>`; an entry's place lets one read replace a pass over the pack.
    snapshot.keys.forEach((key, i) => {
      const length = snapshot.entryLength[i]!;
      if (length > 0) places.set(key, [snapshot.entryAt[i]!, length]);
    });
    derived.set(snapshot, (d = { places }));
  }
  return d;
}

// Contents this process parsed for reviews lately: a batch proposed again (after a refusal, or the
// next step of a tool loop) is not parsed again, nor searched for in the pack.
const RECENT_MAX = 256;
const recent = new Map<string, FileTags>();

function remember(key: string, tags: FileTags): void {
  recent.delete(key);
  recent.set(key, tags);
  if (recent.size > RECENT_MAX) recent.delete(recent.keys().next().value!);
}

/** Git's blob id of a content: the tags cache's key. */
function blobId(bytes: Buffer): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/**
 * Opens the tags the repo map keeps for a review: a content the map has seen (by blob id) comes
 * from the tags cache, read where the map's snapshot says its entry is, else by a search of its
 * pack; any other content is parsed on this thread and added to the cache (the map wants the new
 * content's tags next anyway). References come from the snapshot's graph, as of the last map
 * build; without one (no map built yet) `references` is undefined.
 */
export async function openReviewLookup(options: ReviewLookupOptions): Promise<ReviewLookup> {
  const cache = new TagsCache(options.sharedAssistDir);
  const maxFileBytes = options.maxFileBytes ?? 1 << 20;
  const snapshot = await readSnapshotCached(join(options.sharedAssistDir, 'map-snapshot.bin'));
  const held = snapshot ? derive(snapshot) : undefined;
  const places = held?.places ?? new Map<string, EntryLocation>();
  const stats = { hits: 0, parsed: 0, graph: snapshot !== undefined };

  // Lookups asked in the same tick are loaded together: one read per pack, not one per file.
  let wanted = new Map<string, Set<string>>();
  let loading: Promise<void> | undefined;
  const loadWanted = (): Promise<void> =>
    (loading ??= Promise.resolve().then(async () => {
      const batch = wanted;
      wanted = new Map();
      loading = undefined;
      await Promise.all(
        [...batch].map(async ([pack, blobs]) => {
          const placed: [string, EntryLocation][] = [];
          const rest: string[] = [];
          for (const blob of blobs) {
            const where = places.get(`${pack}:${blob}`);
            if (where) placed.push([blob, where]);
            else rest.push(blob);
          }
          rest.push(...cache.loadAt(pack, placed));
          if (rest.length > 0) await cache.loadSome(pack, rest);
        }),
      );
    }));

  let pendingFlush = false;
  let writing: Promise<void> = Promise.resolve();
  const tags = async (path: string, text: string, fresh = false): Promise<LookupTags | undefined> => {
    const lang = languageForPath(path);
    if (!lang) return undefined;
    const pack = packName(lang);
    const bytes = Buffer.from(text, 'utf8');
    const blob = blobId(bytes);
    const key = `${pack}:${blob}:${maxFileBytes}`;
    const known = recent.get(key);
    if (known) {
      stats.hits++;
      return known;
    }
    // A proposed content is searched for only where the snapshot places it: a search of the
    // whole pack for a content it almost never holds costs more than the parse.
    if (!fresh || places.has(`${pack}:${blob}`)) {
      let set = wanted.get(pack);
      if (!set) wanted.set(pack, (set = new Set()));
      set.add(blob);
      await loadWanted();
      const hit = cache.get(pack, blob);
      if (hit && (hit.skipped === 'too-large') === hit.bytes > maxFileBytes) {
        stats.hits++;
        return { defs: hit.defs(), refs: hit.refs, ...(hit.skipped === undefined ? {} : { skipped: hit.skipped }) };
      }
    }
    const parsed = toFileTags(await threadExtractor().extractBuffer(lang.id, bytes, { maxFileBytes }));
    stats.parsed++;
    remember(key, parsed);
    cache.put(pack, blob, parsed);
    if (!pendingFlush) {
      pendingFlush = true;
      // Written after this tick's parses; a failed write costs a parse later, never a wrong entry.
      const previous = writing;
      writing = Promise.resolve().then(async () => {
        pendingFlush = false;
        await previous;
        await cache.flush().catch(() => undefined);
      });
    }
    return parsed;
  };

  const references = (names: readonly string[]): Map<string, Array<{ file: string; count: number }>> | undefined => {
    if (!snapshot || !held) return undefined;
    const graph = snapshot.graph;
    const ids = new Map<number, string>();
    held.nameIds ??= new Map(graph.names.map((n, i) => [n, i]));
    for (const name of names) {
      const id = held.nameIds.get(name);
      if (id !== undefined) ids.set(id, name);
    }
    const out = new Map<string, Array<{ file: string; count: number }>>(names.map((n) => [n, []]));
    if (ids.size === 0) return out;
    for (let file = 0; file < graph.paths.length; file++) {
      for (let k = graph.refStart[file]!; k < graph.refStart[file + 1]!; k++) {
        const name = ids.get(graph.refIds[k]!);
        if (name === undefined) continue;
        let defines = false;
        for (let d = graph.defStart[file]!; d < graph.defStart[file + 1]! && !defines; d++) defines = graph.defIds[d] === graph.refIds[k];
        if (!defines) out.get(name)!.push({ file: graph.paths[file]!, count: graph.refCounts[k]! });
      }
    }
    return out;
  };

  return { tags, references, stats, written: () => writing };
}
