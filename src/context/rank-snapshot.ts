import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { nameFlags, type RankGraph } from './rank.js';
import type { EntryLocation } from './tags-cache.js';
import { decodeSnapshot, LIST_SEP, readSnapshotFile, snapshotParts, splitList, writeSnapshotFile } from './snapshot-codec.js';
import { writeFileAtomic } from '../util/atomic-write.js';

const MAGIC = 0x41534d31; // "ASM1"
const VERSION = 5;

/**
 * The ranking inputs of the last build, per file in listing order: its path, a key (language
 * pack and blob id) saying which content the entry is for, and its definitions and
 * references as interned ids. A warm build reuses the entries whose key still matches and
 * takes only the changed files from the tags cache, so it never parses the whole cache.
 */
export interface RankSnapshot {
  graph: RankGraph;
  keys: readonly string[];
  /** 1 where the file's content was not parsed (binary, too large, minified, ...). */
  skipped: Uint8Array;
  /** The size limit the entries were made under (an entry's skip depends on it). */
  maxFileBytes: number;
  /**
   * Where each file's entry is in its tags pack (byte offset, and length with 0 for unknown),
   * so a warm build reads the render details of the files it shows without a pass over the pack.
   */
  entryAt: Uint32Array;
  entryLength: Uint32Array;
  /** Changes whenever the snapshot does: what stored file ranks say they were computed over. */
  gen: string;
}

/**
 * The JSON part of the file. Names, paths and keys are each one string joined with NUL: one
 * string to parse instead of tens of thousands (~3 ms less in a fresh process on playwright).
 */
interface Header {
  v: number;
  gen: string;
  maxFileBytes: number;
  names: string;
  nameCount: number;
  paths: string;
  pathCount: number;
  keys: string;
  skipped: number[];
}

/**
 * Reads a snapshot in the layout of snapshot-codec.ts: the u32 sections defStart, defIds,
 * refStart, refIds, refCounts, entryAt, entryLength, then a byte of `nameFlags` per name.
 * Undefined when missing, corrupt or of another version.
 */
export async function readSnapshot(path: string): Promise<RankSnapshot | undefined> {
  const buf = await readSnapshotFile(path);
  const decoded = buf && decodeSnapshot<Header>(buf, MAGIC);
  if (!decoded || decoded.header.v !== VERSION) return undefined;
  const { header, sections } = decoded;
  try {
    const paths = splitList(header.paths, header.pathCount);
    const names = splitList(header.names, header.nameCount);
    const keys = paths && splitList(header.keys, paths.length);
    if (!paths || !names || !keys) return undefined;
    const n = paths.length;
    const defStart = sections.words(n + 1);
    const defIds = sections.words(defStart[n]!);
    const refStart = sections.words(n + 1);
    const refIds = sections.words(refStart[n]!);
    const refCounts = sections.words(refStart[n]!);
    const entryAt = sections.words(n);
    const entryLength = sections.words(n);
    const flags = sections.bytes(names.length);
    if (!sections.done()) return undefined;
    // Indexed loops: this runs once per process, in V8's interpreter, where a typed array's
    // iterator cost twice as much (~2 ms on vitest's ids after one change).
    const count = names.length;
    for (let k = 0; k < defIds.length; k++) if (defIds[k]! >= count) return undefined;
    for (let k = 0; k < refIds.length; k++) if (refIds[k]! >= count) return undefined;
    const skipped = new Uint8Array(n);
    for (const i of header.skipped) skipped[i] = 1;
    return { graph: { paths, names, flags, defStart, defIds, refStart, refIds, refCounts }, keys, skipped, maxFileBytes: header.maxFileBytes, entryAt, entryLength, gen: typeof header.gen === 'string' ? header.gen : '' };
  } catch {
    return undefined;
  }
}

/** Writes a snapshot atomically (temp file + rename). */
export async function writeSnapshot(path: string, snapshot: RankSnapshot): Promise<void> {
  const { graph } = snapshot;
  const skipped: number[] = [];
  snapshot.skipped.forEach((s, i) => {
    if (s === 1) skipped.push(i);
  });
  const header: Header = { v: VERSION, gen: snapshot.gen, maxFileBytes: snapshot.maxFileBytes, names: graph.names.join(LIST_SEP), nameCount: graph.names.length, paths: graph.paths.join(LIST_SEP), pathCount: graph.paths.length, keys: snapshot.keys.join(LIST_SEP), skipped };
  const arrays = [graph.defStart, graph.defIds, graph.refStart, graph.refIds, graph.refCounts, snapshot.entryAt, snapshot.entryLength];
  // The pieces, gathered by the write: no 0.7 MB copy (vitest) into one buffer first.
  await writeSnapshotFile(path, snapshotParts(MAGIC, header, arrays, [graph.flags]));
  const written = await stat(path).catch(() => undefined);
  held = written ? { path, mtimeMs: written.mtimeMs, size: written.size, snapshot } : undefined;
}

/** The snapshot this process last wrote or read through {@link readSnapshotCached}, with its file's identity then. */
let held: { path: string; mtimeMs: number; size: number; snapshot: RankSnapshot } | undefined;

/**
 * The snapshot at `path`, without reading it when this process wrote or read that very file last
 * (same size and mtime): a review after the turn's map build costs a `stat`, not a read.
 */
export async function readSnapshotCached(path: string): Promise<RankSnapshot | undefined> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return undefined;
  if (held && held.path === path && held.mtimeMs === info.mtimeMs && held.size === info.size) return held.snapshot;
  const snapshot = await readSnapshot(path);
  held = snapshot ? { path, mtimeMs: info.mtimeMs, size: info.size, snapshot } : undefined;
  return snapshot;
}

/** A file's ranking inputs by name, for the files the snapshot does not hold. */
export interface FreshEntry {
  defNames: readonly string[];
  refs: Readonly<Record<string, number>>;
  skipped: boolean;
  /** Where its tags entry is, when known. */
  where?: EntryLocation | undefined;
}

/**
 * Where each listed file's entry is in `base` (same path and key, same size limit), or -1
 * for files whose ranking inputs must come from the tags cache or a parse.
 */
export function matchSnapshot(base: RankSnapshot | undefined, paths: readonly string[], keys: readonly string[], maxFileBytes: number): Int32Array {
  const n = paths.length;
  const from = new Int32Array(n).fill(-1);
  if (base === undefined || base.maxFileBytes !== maxFileBytes) return from;
  const bp = base.graph.paths;
  let baseIndex: Map<string, number> | undefined;
  for (let i = 0; i < n; i++) {
    // Listings are sorted, so the same position is the common case.
    let j = i < bp.length && bp[i] === paths[i] ? i : -1;
    if (j === -1) {
      baseIndex ??= new Map(bp.map((p, k) => [p, k]));
      j = baseIndex.get(paths[i]!) ?? -1;
    }
    if (j !== -1 && base.keys[j] === keys[i]) from[i] = j;
  }
  return from;
}

/**
 * Builds the snapshot of a listing from the previous one and `matchSnapshot`'s answer:
 * matched entries are copied as ids, the others interned from `fresh(i)`. Names are only
 * hashed when some file changed; identifiers no file uses any more are dropped when they
 * pile up. `sameIds`: every identifier id of `base` means the same name in the new snapshot
 * (nothing was dropped and renumbered).
 */
export function updateSnapshot(
  base: RankSnapshot | undefined,
  from: Int32Array,
  paths: readonly string[],
  keys: readonly string[],
  maxFileBytes: number,
  fresh: (i: number) => FreshEntry,
): { snapshot: RankSnapshot; changed: boolean; sameIds: boolean } {
  const n = paths.length;
  const usable = base !== undefined && base.maxFileBytes === maxFileBytes ? base : undefined;
  let reusedAll = usable !== undefined && usable.graph.paths.length === n;
  for (let i = 0; i < n && reusedAll; i++) if (from[i] !== i) reusedAll = false;
  if (reusedAll && usable) return { snapshot: usable, changed: false, sameIds: true };

  const names = usable ? [...usable.graph.names] : [];
  let ids: Map<string, number> | undefined;
  const intern = (name: string): number => {
    ids ??= knownIds(names, freshEntries);
    let id = ids.get(name);
    if (id === undefined) {
      ids.set(name, (id = names.length));
      names.push(name);
    }
    return id;
  };
  // Sizes first, so reused ranges are copied in bulk into arrays of the final length (a fresh
  // process runs this once, before any JIT: per-element pushes cost ~15 ms on 60k references).
  const freshEntries = new Map<number, FreshEntry>();
  let defTotal = 0;
  let refTotal = 0;
  for (let i = 0; i < n; i++) {
    const j = from[i]!;
    if (j !== -1 && usable) {
      defTotal += usable.graph.defStart[j + 1]! - usable.graph.defStart[j]!;
      refTotal += usable.graph.refStart[j + 1]! - usable.graph.refStart[j]!;
    } else {
      const entry = fresh(i);
      freshEntries.set(i, entry);
      defTotal += entry.defNames.length;
      refTotal += Object.keys(entry.refs).length;
    }
  }
  const defStart = new Uint32Array(n + 1);
  const refStart = new Uint32Array(n + 1);
  const defIds = new Uint32Array(defTotal);
  const refIds = new Uint32Array(refTotal);
  const refCounts = new Uint32Array(refTotal);
  const skipped = new Uint8Array(n);
  const entryAt = new Uint32Array(n);
  const entryLength = new Uint32Array(n);
  let d = 0;
  let r = 0;
  for (let i = 0; i < n; ) {
    const entry = freshEntries.get(i);
    if (entry === undefined) {
      // A run of files held by the snapshot one after the other (all but the changed ones, after
      // one change): their ranges follow each other in both, copied at once (a copy per file was
      // ~7,000 typed-array views on vitest, made in V8's interpreter in a fresh process).
      const g = usable!.graph;
      const j = from[i]!;
      let end = i + 1;
      while (end < n && from[end] === from[end - 1]! + 1 && !freshEntries.has(end)) end++;
      const jEnd = j + (end - i);
      const d0 = g.defStart[j]!;
      const r0 = g.refStart[j]!;
      for (let k = 0; k < end - i; k++) {
        defStart[i + k] = d + g.defStart[j + k]! - d0;
        refStart[i + k] = r + g.refStart[j + k]! - r0;
      }
      defIds.set(g.defIds.subarray(d0, g.defStart[jEnd]!), d);
      d += g.defStart[jEnd]! - d0;
      refIds.set(g.refIds.subarray(r0, g.refStart[jEnd]!), r);
      refCounts.set(g.refCounts.subarray(r0, g.refStart[jEnd]!), r);
      r += g.refStart[jEnd]! - r0;
      skipped.set(usable!.skipped.subarray(j, jEnd), i);
      entryAt.set(usable!.entryAt.subarray(j, jEnd), i);
      entryLength.set(usable!.entryLength.subarray(j, jEnd), i);
      i = end;
    } else {
      defStart[i] = d;
      refStart[i] = r;
      for (const name of entry.defNames) defIds[d++] = intern(name);
      for (const name in entry.refs) {
        refIds[r] = intern(name);
        refCounts[r++] = entry.refs[name]!;
      }
      skipped[i] = entry.skipped ? 1 : 0;
      const where = entry.where;
      if (where && where[0] + where[1] <= 0xffffffff) {
        entryAt[i] = where[0];
        entryLength[i] = where[1];
      }
      i++;
    }
  }
  defStart[n] = d;
  refStart[n] = r;
  const flags = new Uint8Array(names.length);
  if (usable) flags.set(usable.graph.flags);
  for (let id = usable?.graph.names.length ?? 0; id < names.length; id++) flags[id] = nameFlags(names[id]!);
  let graph: RankGraph = { paths: [...paths], names, flags, defStart, defIds, refStart, refIds, refCounts };
  const compacted = names.length > 2 * 1024 && names.length > 2 * (defIds.length + refIds.length);
  if (compacted) graph = compact(graph);
  return { snapshot: { graph, keys: [...keys], skipped, maxFileBytes, entryAt, entryLength, gen: randomBytes(8).toString('hex') }, changed: true, sameIds: usable !== undefined && !compacted };
}

/** Above this many changed files their names are looked up in a map of every name. */
const MAX_FRESH_FOR_LOOKUP = 64;

/**
 * The ids of the names `fresh` uses that `names` already holds: one pass over `names` against the
 * few names of the changed files, instead of a map of every name (~7,000 on vitest, built in V8's
 * interpreter in a fresh process, an entry array each). A name held twice takes its last id, as
 * a map of every name would.
 */
function knownIds(names: readonly string[], fresh: ReadonlyMap<number, FreshEntry>): Map<string, number> {
  // Nothing to find (a first build), or changes too many for a set of their names to be smaller.
  if (names.length === 0) return new Map();
  if (fresh.size > MAX_FRESH_FOR_LOOKUP) return new Map(names.map((name, k) => [name, k]));
  const wanted = new Set<string>();
  for (const entry of fresh.values()) {
    for (const name of entry.defNames) wanted.add(name);
    for (const name in entry.refs) wanted.add(name);
  }
  const ids = new Map<string, number>();
  if (wanted.size === 0) return ids;
  for (let k = 0; k < names.length; k++) if (wanted.has(names[k]!)) ids.set(names[k]!, k);
  return ids;
}

/** Renumbers identifiers to those still used. */
export function compact(graph: RankGraph): RankGraph {
  const map = new Int32Array(graph.names.length).fill(-1);
  const names: string[] = [];
  const kept: number[] = [];
  const remap = (a: Uint32Array): Uint32Array =>
    a.map((id) => {
      if (map[id] === -1) {
        map[id] = names.length;
        names.push(graph.names[id]!);
        kept.push(graph.flags[id]!);
      }
      return map[id]!;
    });
  const defIds = remap(graph.defIds);
  const refIds = remap(graph.refIds);
  return { ...graph, names, flags: Uint8Array.from(kept), defIds, refIds };
}

const RANKS_MAGIC = 0x41535231; // "ASR1"

/** The file ranks of the last build: for which request, over which snapshot (its `gen`). */
export interface StoredRanks {
  request: string;
  gen: string;
  ranks: Float64Array;
  /** The score of every definition of that snapshot's graph, when the build ranked them (see rank-reuse.ts). */
  scores?: Float64Array;
}

/**
 * Reads stored ranks: `[magic u32][header length u32][header JSON][pad to 8][f64 per file][f64 per
 * definition]`, the definitions' part present when the header has `d` (older files have none).
 */
export async function readRanks(path: string): Promise<StoredRanks | undefined> {
  try {
    const buf = await readFile(path);
    if (buf.length < 8 || buf.readUInt32LE(0) !== RANKS_MAGIC) return undefined;
    const headerLength = buf.readUInt32LE(4);
    const header = JSON.parse(buf.toString('utf8', 8, 8 + headerLength)) as { request: string; gen: string; n: number; d?: number };
    const start = (8 + headerLength + 7) & ~7;
    const d = typeof header.d === 'number' ? header.d : 0;
    if (typeof header.request !== 'string' || typeof header.gen !== 'string' || buf.length !== start + (header.n + d) * 8) return undefined;
    const values = new Float64Array(header.n + d);
    new Uint8Array(values.buffer).set(buf.subarray(start));
    const stored: StoredRanks = { request: header.request, gen: header.gen, ranks: values.subarray(0, header.n) };
    if (typeof header.d === 'number') stored.scores = values.subarray(header.n);
    return stored;
  } catch {
    return undefined;
  }
}

/** Writes stored ranks atomically (temp file + rename). */
export async function writeRanks(path: string, stored: StoredRanks): Promise<void> {
  const scores = stored.scores;
  const header = Buffer.from(JSON.stringify({ request: stored.request, gen: stored.gen, n: stored.ranks.length, ...(scores ? { d: scores.length } : {}) }), 'utf8');
  const start = (8 + header.length + 7) & ~7;
  const out = Buffer.alloc(start + stored.ranks.byteLength + (scores?.byteLength ?? 0));
  out.writeUInt32LE(RANKS_MAGIC, 0);
  out.writeUInt32LE(header.length, 4);
  header.copy(out, 8);
  Buffer.from(stored.ranks.buffer, stored.ranks.byteOffset, stored.ranks.byteLength).copy(out, start);
  if (scores) Buffer.from(scores.buffer, scores.byteOffset, scores.byteLength).copy(out, start + stored.ranks.byteLength);
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, out, { fsync: false });
}

/**
 * Where to start PageRank: the stored ranks mapped onto the new listing through
 * `matchSnapshot`'s answer, when they were computed for the same request over `base`.
 */
export function startingRanks(stored: StoredRanks | undefined, base: RankSnapshot | undefined, from: Int32Array, request: string): Float64Array | undefined {
  if (!stored || !base || stored.gen === '' || stored.request !== request || stored.gen !== base.gen || stored.ranks.length !== base.graph.paths.length) return undefined;
  const start = new Float64Array(from.length);
  for (let i = 0; i < from.length; i++) if (from[i] !== -1) start[i] = stored.ranks[from[i]!]!;
  return start;
}
