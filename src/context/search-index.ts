import { join } from 'node:path';
import { resolveRepoPaths } from '../git/repo-paths.js';
import { listingFingerprint, listRaw, listSourceFiles, readAssistIgnoreText, type FileListing, type SourceFile } from './git-files.js';
import { listingShape, reuseListing, shapeStamp, type ListingShape, type ReusedListing } from './listing-reuse.js';
import { languageForPath, languageSpec, packName, sameLanguageVersions, type LanguageId } from './languages.js';
import { prepareChangedParsers } from './changed-parsers.js';
import { parseFiles } from './parse-pool.js';
import { matchSnapshot, readSnapshot, updateSnapshot, writeSnapshot, type RankSnapshot } from './rank-snapshot.js';
import { SearchPack, type AnyEntry } from './search-pack.js';
import { makeEntries, startIndexWorker, type IndexJob } from './index-pool.js';
import { graphRanksOf, matchSearchSnapshot, decodesWhole, overlayOf, pathsDecode, sameListing, searchSnapshotParts, updateSearchSnapshot, writeSearchSnapshot, type ListingStamp, type SearchSnapshot } from './search-snapshot.js';
import { buildSearchDelta, deltaPathOf, readSearchIndex, removeSearchDelta, searchDeltaParts as searchDeltaPartsOf, writeSearchDelta } from './search-delta.js';
import { randomBytes } from 'node:crypto';
import { rankGraph } from './rank.js';
import { TagsCache, type CachedTags } from './tags-cache.js';
import { decodeTags, UNREADABLE } from './tags-line.js';
import { addPhase } from '../obs/phases.js';
import { writeSnapshotFile } from './snapshot-codec.js';
import { DEFAULT_HISTORY_WEIGHT, refreshHistory } from './history.js';

/** Where the index lives and how files are read: what every index operation needs. */
export interface IndexOptions {
  /** Any directory inside the work tree. */
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Larger files are neither parsed nor indexed. */
  maxFileBytes?: number;
  /** Upper bound of parse workers for files whose tags are not cached (0: this thread). */
  maxWorkers?: number;
  /** Override of the parse worker script (tests run from sources). */
  workerUrl?: URL;
  /** Override of the index build's worker script (index-pool.ts; tests run from sources). */
  indexWorkerUrl?: URL;
  /** A listing made already (the map's), with its root and shared assist dir. */
  listing?: { files: FileListing; root: string; sharedAssistDir: string };
  /**
   * The map's ranking snapshot of that same listing, already up to date, and the tags cache it
   * was made with (a map build passes its own): the index then neither reads nor writes the map's
   * snapshot, and reads tags the map has just parsed from the same cache.
   */
  map?: { snapshot: RankSnapshot; tagsCache: TagsCache };
  /** Rank the graph again even after a few changes (the background refresh, where time is free). */
  fullGraph?: boolean;
  /**
   * Return as soon as the updated index is made, its files still being written: the caller ranks
   * meanwhile and awaits {@link OpenIndex.written} before it is done (searchCode does).
   */
  writeBehind?: boolean;
  /**
   * After a few changed files, write a delta over the snapshot instead of a new snapshot
   * (search-delta.ts). Off unless true or `ASSIST_SEARCH_DELTA=1`: measured on vitest, a warm
   * search over a delta cost more CPU than the change path saved (docs/search.md "Fifteenth
   * session"). A delta already written is read either way.
   */
  delta?: boolean;
}

/** Counters of one index update. */
export interface IndexStats {
  files: number;
  chunks: number;
  terms: number;
  /** Files whose index entry was made now (chunked and tokenized). */
  indexed: number;
  /** Files whose entry came from the per-blob packs (indexed before, on any branch or worktree). */
  fromPack: number;
  /** Files parsed by tree-sitter for this update (their tags were not cached). */
  parsed: number;
  /** Of the files indexed, those whose entry the build's second thread made (index-pool.ts). */
  byWorker?: number;
  /** Whether the snapshot was rewritten. */
  written: boolean;
  /** Whether the snapshot was taken by the fingerprint of git's listing output, no listing built. */
  listingSkipped?: boolean;
  /** Whether the listing was made from the snapshot and git's output, only the changed entries looked at (listing-reuse.ts). */
  listingReused?: boolean;
  ms: { list: number; load: number; update: number; total: number };
}

/** The index of the current listing, ready to query. */
export interface OpenIndex {
  root: string;
  sharedAssistDir: string;
  snapshot: SearchSnapshot;
  stats: IndexStats;
  /** With `writeBehind`: settles (never rejects) once the updated index files are written or have failed to be. */
  written?: Promise<void>;
}

export const DEFAULT_INDEX_MAX_FILE_BYTES = 1 << 20;

/** The snapshot of the lexical index under the shared assist dir (the per-blob packs are beside it). */
export function searchSnapshotPath(sharedAssistDir: string): string {
  return join(sharedAssistDir, 'search', 'snapshot.bin');
}

/**
 * Brings the lexical index up to date with the work tree and returns it: files whose content
 * (blob id) the snapshot already holds are reused as they are; the others take their entry from
 * the per-blob packs or, failing that, are chunked along their cached tags (parsed only when the
 * tags cache lacks them) and tokenized. When anything changed, the repo map's ranking snapshot
 * is brought up to date too and the files' PageRank in its graph stored with the index, so a
 * search never ranks the graph itself. A missing, corrupt or foreign-version snapshot is rebuilt
 * from the packs; nothing here throws for a damaged file.
 */
export async function openIndex(options: IndexOptions): Promise<OpenIndex> {
  const t0 = performance.now();
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_INDEX_MAX_FILE_BYTES;
  let files: SourceFile[];
  let root: string;
  let shared: string;
  // What a search reads (the snapshot, or its view with the delta over it), and the full snapshot alone.
  let read: SearchSnapshot | undefined;
  let disk: SearchSnapshot | undefined;
  let hasDelta = false;
  // git's listing output, when it alone decides the listing (nothing in the work tree to hash).
  let fingerprint: string | undefined;
  // Everything of that output but the modified entries, and the listing made from the snapshot by it.
  let shape: ListingShape | undefined;
  let reused: ReusedListing | undefined;
  let tList: number;
  // A delta that does not apply is replaced by a full snapshot, and the hooks' background refresher
  // folds even a good one into a new snapshot: neither takes the warm path.
  const foldDelta = (view: SearchSnapshot): boolean => hasDelta && (overlayOf(view) === undefined || options.fullGraph === true);
  const warm = (snapshot: SearchSnapshot, tListed: number, listingSkipped: boolean): OpenIndex => {
    const now = performance.now();
    const stats = { files: snapshot.fileChunkStart.length - 1, chunks: snapshot.chunkFile.length, terms: snapshot.termStart.length - 1, indexed: 0, fromPack: 0, parsed: 0, written: false, listingSkipped, ...(reused ? { listingReused: true } : {}) };
    addPhase('search.list', tListed - t0);
    addPhase('search.load', now - tListed);
    return { root, sharedAssistDir: shared, snapshot, stats: { ...stats, ms: { list: tListed - t0, load: now - tListed, update: 0, total: now - t0 } } };
  };
  if (options.listing) {
    ({ root, sharedAssistDir: shared } = options.listing);
    files = options.listing.files.files;
    tList = performance.now();
    ({ view: read, base: disk, delta: hasDelta } = await readSearchIndex(searchSnapshotPath(shared)));
  } else {
    const resolving = resolveRepoPaths(options.cwd, options.env);
    const raw = listRaw(options.cwd, options.env);
    // When `cwd` is not in a work tree, the error of finding the root is the one to report.
    raw.catch(() => undefined);
    ({ root, sharedAssistDir: shared } = await resolving);
    // The snapshot is read while git lists the files.
    const reading = readSearchIndex(searchSnapshotPath(shared));
    const [rawText, ignoreText] = await Promise.all([raw, readAssistIgnoreText(root)]);
    fingerprint = listingFingerprint(rawText, ignoreText);
    const lister = (): Promise<FileListing> => listSourceFiles(options.cwd, options.env, Promise.resolve(root), Promise.resolve(rawText), { text: ignoreText });
    // Without a fingerprint (a file to hash) the snapshot is no answer by itself. When the rest of
    // git's output is as the snapshot's stamp recorded it, the listing is made from the snapshot
    // (listing-reuse.ts); when that cannot be, or the files to hash are more than this process
    // hashes, the whole listing starts now, so `git hash-object` runs beside the snapshot's read.
    let listing0: Promise<FileListing> | undefined;
    if (fingerprint === undefined) {
      void prepareChangedParsers(root, rawText, [searchSnapshotPath(shared), deltaPathOf(searchSnapshotPath(shared))]);
      shape = listingShape(rawText, ignoreText);
      if (shape === undefined || shape.modified.length + shape.untracked.length > 8) {
        listing0 = lister();
        // Awaited below; a failure is reported there, never as an unhandled rejection meanwhile.
        listing0.catch(() => undefined);
      }
    }
    const tRaw = performance.now();
    ({ view: read, base: disk, delta: hasDelta } = await reading);
    // The warm case by git's output (as the map's, docs/repo-map.md "Warm map without the
    // listing"): the same output made this snapshot, so no entry of it is parsed or compared.
    if (fingerprint !== undefined && read && !foldDelta(read) && read.maxFileBytes === maxFileBytes && read.listing?.fingerprint === fingerprint && sameLanguageVersions(read.listing.packs, packName) && pathsDecode(read)) {
      return warm(read, tRaw, true);
    }
    shape ??= listingShape(rawText, ignoreText);
    if (listing0 === undefined && shape && read && !hasDelta && read.listing?.entries === shape.entries && read.maxFileBytes === maxFileBytes && sameLanguageVersions(read.listing.packs, packName) && decodesWhole(read)) {
      reused = await reuseListing({ raw: rawText, shape, stamp: read.listing, snapshot: read, root, ignoreText, ...(options.env ? { env: options.env } : {}) });
    }
    files = reused ? reused.files : (await (listing0 ?? lister())).files;
    tList = performance.now();
  }
  const packs = reused ? reused.packs : files.map((f) => packName(languageSpec(f.lang)));
  const paths = reused ? read!.paths : files.map((f) => f.path);
  const keys = reused ? reused.keys : files.map((f, i) => `${packs[i]}:${f.blob}`);
  const snapshotPath = searchSnapshotPath(shared);
  const stamp: ListingStamp | undefined = fingerprint === undefined && shape === undefined ? undefined : { ...(fingerprint === undefined ? {} : { fingerprint }), packs: packsOf(files, packs), ...(shape ? shapeStamp(shape) : {}) };
  // The warm case, nothing changed: two string comparisons, no per-file match (or, for a listing
  // made from the snapshot, none of its files changed). (The hooks' background refresher folds a
  // delta into a new snapshot even then.)
  if (read && read.maxFileBytes === maxFileBytes && !foldDelta(read) && (reused ? reused.from.every((j, i) => j === i) : sameListing(read, paths, keys))) {
    if (stamp && ((stamp.fingerprint !== undefined && read.listing?.fingerprint !== stamp.fingerprint) || (stamp.entries !== undefined && read.listing?.entries !== stamp.entries))) {
      // Found by the listing this time (the last update had files to hash, since committed), or git's
      // output changed but not the files (a modified file staged as it is): the next search finds
      // it by git's output, or makes its listing from it after a change. Written from the stored
      // bytes, nothing decoded (a view's delta alone: the base is never rewritten under its delta).
      read.listing = stamp;
      await (overlayOf(read) ? writeSearchDelta(deltaPathOf(snapshotPath), read) : writeSearchSnapshot(snapshotPath, read)).catch(() => undefined);
    }
    return warm(read, tList, false);
  }
  // An update starts from the full snapshot, whatever delta is over it: the changed files are
  // those that differ from it (the delta's among them, their entries in the packs).
  const base = reused ? disk : disk && decodesWhole(disk) ? disk : undefined;
  const from = reused ? reused.from : matchSearchSnapshot(base, paths, keys, maxFileBytes);
  const stale: number[] = [];
  for (let i = 0; i < files.length; i++) if (from[i] === -1) stale.push(i);

  // Entries from the packs for files the snapshot does not hold; the map's snapshot for the graph.
  const pack = new SearchPack(shared);
  const mapSnapshotPath = join(shared, 'map-snapshot.bin');
  const given = options.map && options.map.snapshot.graph.paths.length === files.length ? options.map : undefined;
  // A few changed files barely move the files' PageRank: their ranks are carried over and the
  // map's snapshot is left to the map (~60 ms less after one change, in a fresh process).
  const few = !given && !options.fullGraph && base !== undefined && base.graphOrder.length > 0 && unranked(base) + stale.length <= Math.max(1, Math.floor(files.length / 100));
  const [mapBase] = await Promise.all([
    given ? Promise.resolve(given.snapshot) : few ? Promise.resolve(undefined) : readSnapshot(mapSnapshotPath),
    loadByPack(stale.map((i) => [packs[i]!, files[i]!.blob]), (p, blobs) => (blobs.length > 256 ? pack.load(p) : pack.loadSome(p, blobs))),
  ]);
  const mapFrom = matchSnapshot(mapBase, paths, keys, maxFileBytes);
  const entries = new Map<number, AnyEntry>();
  const needTags = new Set<number>();
  if (!few) for (let i = 0; i < files.length; i++) if (mapFrom[i] === -1) needTags.add(i);
  for (const i of stale) {
    const entry = pack.get(packs[i]!, files[i]!.blob);
    if (entry) entries.set(i, entry);
    else needTags.add(i);
  }
  const fromPack = entries.size;
  const tLoad = performance.now();

  let parsed = 0;
  let indexed = 0;
  let byWorker = 0;
  let tParsed = 0;
  const tagsCache = given?.tagsCache ?? new TagsCache(shared);
  const tags = new Map<number, CachedTags>();
  if (needTags.size > 0) {
    // Started before the tags are read, so its start overlaps the read (index-pool.ts).
    const worker = startIndexWorker(stale.length - entries.size, {
      ...(options.env ? { env: options.env } : {}),
      ...(options.maxWorkers === undefined ? {} : { maxWorkers: options.maxWorkers }),
      ...(options.indexWorkerUrl ? { workerUrl: options.indexWorkerUrl } : {}),
    });
    const tParse0 = performance.now();
    try {
      parsed = await loadTags(tagsCache, root, files, packs, keys, [...needTags], maxFileBytes, tags, options);
    } catch (error) {
      void worker?.terminate();
      throw error;
    }
    tParsed = performance.now() - tParse0;
    // Files with content to chunk go to makeEntries; the others are decided here, as before.
    const jobs: IndexJob[] = [];
    const jobBytes: number[] = [];
    const jobOf = new Map<number, number>();
    for (const i of stale) {
      if (entries.has(i)) continue;
      const t = tags.get(i);
      if (t && t.skipped === undefined && t.bytes <= maxFileBytes) {
        jobOf.set(i, jobs.length);
        const stored = tagsCache.raw(packs[i]!, files[i]!.blob);
        jobs.push({ absPath: join(root, files[i]!.path), cached: t, ...(stored === undefined ? {} : { tags: stored }) });
        jobBytes.push(t.bytes);
      }
    }
    const { made, byWorker: worked } = await makeEntries(jobs, jobBytes, worker);
    byWorker = worked;
    // In listing order, as one thread did it: the packs' lines come out the same.
    for (const i of stale) {
      if (entries.has(i)) continue;
      const t = tags.get(i);
      const job = jobOf.get(i);
      const one = job === undefined ? undefined : made[job];
      // Unreadable now: indexed as empty, not cached, so it is read again next time.
      if (t === undefined || t.skipped === 'unreadable' || (job !== undefined && one === undefined)) {
        entries.set(i, []);
        continue;
      }
      indexed++;
      if (one === undefined) {
        entries.set(i, []);
        // Left out for its size: a property of the limit, not of the blob, so not cached.
        if (!(t.skipped === 'too-large' || t.bytes > maxFileBytes)) pack.put(packs[i]!, files[i]!.blob, []);
        continue;
      }
      entries.set(i, one.entry);
      pack.putBytes(packs[i]!, files[i]!.blob, one.bytes);
    }
  }
  const tTags = performance.now();
  addPhase('search.update.parse', tParsed);
  // Unreadable files get a key no listing has, so the next search looks at them again.
  const storedKeys = keys.map((k, i) => (tags.get(i)?.skipped === 'unreadable' ? '' : k));
  // A few changes from the base: a delta over it (search-delta.ts), when it can stand for the full
  // update; else the full update, a new snapshot.
  // A delta file that did not apply (damaged, or of another snapshot) is replaced by the full update.
  const deltaUsable = !(hasDelta && read !== undefined && overlayOf(read) === undefined);
  const deltas = options.delta ?? (options.env ?? process.env)['ASSIST_SEARCH_DELTA'] === '1';
  const delta = few && deltas && deltaUsable ? buildSearchDelta(base!, from, paths, storedKeys, maxFileBytes, (i) => entries.get(i) ?? []) : undefined;
  const snapshot = delta ?? updateSearchSnapshot(base, from, paths, storedKeys, maxFileBytes, (i) => entries.get(i) ?? []).snapshot;
  // Not stamped when a file was unreadable: its empty key must make the next search look again.
  if (stamp && !storedKeys.includes('')) snapshot.listing = stamp;
  else delete snapshot.listing;
  const tMerge = performance.now();
  const writes: Promise<unknown>[] = [pack.flush().catch(() => undefined)];
  if (few) {
    carryGraph(snapshot, base!, from, (i) => tagsCache.locate(packs[i]!, files[i]!.blob));
  } else {
    const map = updateSnapshot(mapBase, mapFrom, paths, storedKeys, maxFileBytes, (i) => {
      const t = tags.get(i);
      return { defNames: t?.defNames ?? [], refs: t?.refs ?? {}, skipped: t?.skipped !== undefined, where: tagsCache.locate(packs[i]!, files[i]!.blob) };
    });
    if (map.changed && !given) writes.push(writeSnapshot(mapSnapshotPath, map.snapshot).catch(() => undefined));
    storeGraph(snapshot, map.snapshot, base, from);
  }
  const tGraph = performance.now();
  // The arrays are gathered by the write (no 3 MB buffer of them made on this thread); nothing
  // changes them while it runs: the ranking only reads the snapshot.
  const deltaPath = deltaPathOf(snapshotPath);
  if (delta) {
    const parts = searchDeltaPartsOf(delta);
    addPhase('search.update.encode', performance.now() - tGraph);
    writes.push(writeSnapshotFile(deltaPath, parts).catch(() => undefined));
  } else {
    // A new generation: a delta written over the old snapshot no longer applies. The delta is
    // removed only once the snapshot is in place (a kill between the two leaves a delta of the
    // old generation, which is ignored).
    snapshot.generation = randomBytes(8).toString('hex');
    const parts = searchSnapshotParts(snapshot);
    addPhase('search.update.encode', performance.now() - tGraph);
    writes.push(
      writeSnapshotFile(snapshotPath, parts)
        .then(() => (hasDelta ? removeSearchDelta(deltaPath) : undefined))
        .catch(() => undefined),
    );
  }
  // Each write already ends in a catch: this settles, never rejects.
  const written = Promise.all(writes).then(() => addPhase('search.update.write', performance.now() - tGraph));
  if (!options.writeBehind) await written;
  const tEnd = performance.now();
  addPhase('search.update.tags', tTags - tLoad);
  addPhase('search.update.merge', tMerge - tTags);
  addPhase('search.update.graph', tGraph - tMerge);
  addPhase('search.list', tList - t0);
  addPhase('search.load', tLoad - tList);
  addPhase('search.update', tEnd - tLoad);
  return {
    root,
    sharedAssistDir: shared,
    snapshot,
    stats: {
      files: files.length,
      chunks: snapshot.chunkFile.length,
      terms: snapshot.termStart.length - 1,
      indexed,
      fromPack,
      parsed,
      byWorker,
      written: true,
      listingSkipped: false,
      ...(reused ? { listingReused: true } : {}),
      ms: { list: tList - t0, load: tLoad - tList, update: tEnd - tLoad, total: tEnd - t0 },
    },
    ...(options.writeBehind ? { written } : {}),
  };
}

/** Language id → tags pack name, of the languages a listing holds. */
function packsOf(files: FileListing['files'], packs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < files.length; i++) out[files[i]!.lang] ??= packs[i]!;
  return out;
}

/**
 * Stores the files' PageRank in the map's graph (unpersonalised) and their tags places in the
 * index. PageRank starts from the last stored ranks, so after one changed file it converges in
 * a few iterations.
 */
function storeGraph(snapshot: SearchSnapshot, map: RankSnapshot, base: SearchSnapshot | undefined, from: Int32Array): void {
  const n = snapshot.paths.length;
  if (map.graph.paths.length !== n) return;
  let start: Float64Array | undefined;
  if (base) {
    const old = graphRanksOf(base);
    start = new Float64Array(n);
    for (let i = 0; i < n; i++) if (from[i]! >= 0) start[i] = old[from[i]!]!;
  }
  const { fileRanks } = rankGraph(map.graph, { filesOnly: true, ...(start ? { start } : {}) });
  graphRanksOf(snapshot).set(fileRanks);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => fileRanks[b]! - fileRanks[a]! || a - b);
  order.forEach((f, place) => (snapshot.graphPlace[f] = place + 1));
  snapshot.graphOrder = Uint32Array.from(order);
  snapshot.tagsAt.set(map.entryAt);
  snapshot.tagsLen.set(map.entryLength);
}

/** Files of a snapshot the last full ranking did not rank (new since). */
function unranked(s: SearchSnapshot): number {
  const ranks = graphRanksOf(s);
  let count = 0;
  for (let i = 0; i < ranks.length; i++) if (!(ranks[i]! > 0)) count++;
  return count;
}

/**
 * Carries the graph ranks and tags places of unchanged files over from the last snapshot; the
 * changed files go after the ranked ones until the next full ranking.
 */
function carryGraph(snapshot: SearchSnapshot, base: SearchSnapshot, from: Int32Array, locate: (i: number) => readonly [number, number] | undefined): void {
  const n = snapshot.paths.length;
  const oldToNew = new Int32Array(base.paths.length).fill(-1);
  for (let i = 0; i < n; i++) if (from[i]! >= 0) oldToNew[from[i]!] = i;
  // A changed file keeps the place its path had; a new path goes last, unranked.
  const byPath = new Map<string, number>();
  for (let i = 0; i < n; i++) if (from[i] === -1) byPath.set(snapshot.paths[i]!, i);
  for (let j = 0; j < base.paths.length && byPath.size > 0; j++) {
    const i = byPath.get(base.paths[j]!);
    if (i !== undefined && oldToNew[j] === -1) oldToNew[j] = i;
  }
  const ranks = graphRanksOf(snapshot);
  const oldRanks = graphRanksOf(base);
  const placed = new Uint8Array(n);
  const order: number[] = [];
  for (const old of base.graphOrder) {
    const i = oldToNew[old]!;
    if (i < 0) continue;
    order.push(i);
    placed[i] = 1;
    ranks[i] = oldRanks[old]!;
  }
  for (let i = 0; i < n; i++) {
    const j = from[i]!;
    if (j >= 0) {
      snapshot.tagsAt[i] = base.tagsAt[j]!;
      snapshot.tagsLen[i] = base.tagsLen[j]!;
    } else {
      if (placed[i] === 0) order.push(i);
      const where = locate(i);
      if (where && where[0] + where[1] <= 0xffffffff) {
        snapshot.tagsAt[i] = where[0];
        snapshot.tagsLen[i] = where[1];
      }
    }
  }
  order.forEach((f, place) => (snapshot.graphPlace[f] = place + 1));
  snapshot.graphOrder = Uint32Array.from(order);
}

async function loadByPack(wanted: readonly (readonly [pack: string, blob: string])[], load: (pack: string, blobs: string[]) => Promise<void>): Promise<void> {
  const byPack = new Map<string, string[]>();
  for (const [p, blob] of wanted) {
    let list = byPack.get(p);
    if (!list) byPack.set(p, (list = []));
    list.push(blob);
  }
  await Promise.all([...byPack].map(([p, blobs]) => load(p, blobs)));
}

/**
 * The tags of some files: from the tags cache, or parsed (in workers when many) and added to
 * the cache, as the map does. Returns how many files were parsed.
 */
async function loadTags(
  cache: TagsCache,
  root: string,
  files: FileListing['files'],
  packs: readonly string[],
  keys: readonly string[],
  indices: readonly number[],
  maxFileBytes: number,
  into: Map<number, CachedTags>,
  options: IndexOptions,
): Promise<number> {
  await loadByPack(
    indices.map((i) => [packs[i]!, files[i]!.blob]),
    (p, blobs) => (blobs.length > 64 ? cache.load(p) : cache.loadSome(p, blobs)),
  );
  const missing: number[] = [];
  for (const i of indices) {
    const hit = cache.get(packs[i]!, files[i]!.blob);
    if (hit && (hit.skipped === 'too-large') === hit.bytes > maxFileBytes) into.set(i, hit);
    else missing.push(i);
  }
  if (missing.length === 0) return 0;
  const firstOf = new Map<string, number>();
  const unique: number[] = [];
  for (const i of missing) {
    if (firstOf.has(keys[i]!)) continue;
    firstOf.set(keys[i]!, unique.length);
    unique.push(i);
  }
  const outcome = await parseFiles(
    unique.map((i) => ({ lang: files[i]!.lang as LanguageId, absPath: join(root, files[i]!.path) })),
    {
      limits: { maxFileBytes },
      ...(options.maxWorkers === undefined ? {} : { maxWorkers: options.maxWorkers }),
      ...(options.workerUrl === undefined ? {} : { workerUrl: options.workerUrl }),
    },
  );
  const views = outcome.lines.map((line) => decodeTags(line) ?? UNREADABLE);
  unique.forEach((i, k) => {
    if (views[k]!.skipped !== 'unreadable') cache.putLine(packs[i]!, files[i]!.blob, outcome.lines[k]!);
  });
  for (const i of missing) into.set(i, views[firstOf.get(keys[i]!)!]!);
  await cache.flush().catch(() => undefined);
  return missing.length;
}

/**
 * The hooks' background refresh (`assist hook`): brings the lexical index up to date when a
 * source file changed, parsing on one worker at most so the person's machine stays responsive.
 */
export async function refreshSearchIndex(paths: { root: string; sharedAssistDir?: string }, changed: readonly string[], env?: NodeJS.ProcessEnv): Promise<IndexStats | undefined> {
  // The history index after any commit, source files changed or not (the commits since its head; history.ts).
  if (paths.sharedAssistDir !== undefined && DEFAULT_HISTORY_WEIGHT > 0) await refreshHistory({ root: paths.root, sharedAssistDir: paths.sharedAssistDir, ...(env ? { env } : {}) }).catch(() => undefined);
  if (!changed.some((path) => languageForPath(path) !== undefined)) return undefined;
  return (await openIndex({ cwd: paths.root, maxWorkers: 1, fullGraph: true, ...(env ? { env } : {}) })).stats;
}
