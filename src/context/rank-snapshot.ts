import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RankGraph } from './rank.js';

const MAGIC = 0x41534d31; // "ASM1"
const VERSION = 1;

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
}

interface Header {
  v: number;
  maxFileBytes: number;
  names: string[];
  paths: string[];
  keys: string[];
  skipped: number[];
}

/**
 * Reads a snapshot: `[magic u32][header length u32][header JSON][pad to 4][u32 arrays]`, the
 * arrays being defStart, defIds, refStart, refIds, refCounts. Undefined when missing,
 * corrupt or of another version.
 */
export async function readSnapshot(path: string): Promise<RankSnapshot | undefined> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch {
    return undefined;
  }
  try {
    if (buf.length < 8 || buf.readUInt32LE(0) !== MAGIC) return undefined;
    const headerLength = buf.readUInt32LE(4);
    const header = JSON.parse(buf.toString('utf8', 8, 8 + headerLength)) as Header;
    if (header.v !== VERSION) return undefined;
    const n = header.paths.length;
    // Copy into an aligned buffer: Buffer slices from the pool need not be 4-byte aligned.
    const start = (8 + headerLength + 3) & ~3;
    const words = new Uint32Array((buf.length - start) >>> 2);
    new Uint8Array(words.buffer).set(buf.subarray(start, start + words.length * 4));
    let at = 0;
    const take = (count: number): Uint32Array => {
      if (at + count > words.length) throw new Error('short snapshot');
      const part = words.subarray(at, at + count);
      at += count;
      return part;
    };
    const defStart = take(n + 1);
    const defIds = take(defStart[n]!);
    const refStart = take(n + 1);
    const refIds = take(refStart[n]!);
    const refCounts = take(refStart[n]!);
    const names = header.names;
    for (const id of defIds) if (id >= names.length) return undefined;
    for (const id of refIds) if (id >= names.length) return undefined;
    const skipped = new Uint8Array(n);
    for (const i of header.skipped) skipped[i] = 1;
    return { graph: { paths: header.paths, names, defStart, defIds, refStart, refIds, refCounts }, keys: header.keys, skipped, maxFileBytes: header.maxFileBytes };
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
  const header: Header = { v: VERSION, maxFileBytes: snapshot.maxFileBytes, names: [...graph.names], paths: [...graph.paths], keys: [...snapshot.keys], skipped };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const start = (8 + headerBytes.length + 3) & ~3;
  const arrays = [graph.defStart, graph.defIds, graph.refStart, graph.refIds, graph.refCounts];
  const words = arrays.reduce((sum, a) => sum + a.length, 0);
  const out = Buffer.alloc(start + words * 4);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(headerBytes.length, 4);
  headerBytes.copy(out, 8);
  let at = start;
  for (const a of arrays) {
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(out, at);
    at += a.byteLength;
  }
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, out);
  await rename(tmp, path);
}

/** A file's ranking inputs by name, for the files the snapshot does not hold. */
export interface FreshEntry {
  defNames: readonly string[];
  refs: Readonly<Record<string, number>>;
  skipped: boolean;
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
 * pile up.
 */
export function updateSnapshot(
  base: RankSnapshot | undefined,
  from: Int32Array,
  paths: readonly string[],
  keys: readonly string[],
  maxFileBytes: number,
  fresh: (i: number) => FreshEntry,
): { snapshot: RankSnapshot; changed: boolean } {
  const n = paths.length;
  const usable = base !== undefined && base.maxFileBytes === maxFileBytes ? base : undefined;
  let reusedAll = usable !== undefined && usable.graph.paths.length === n;
  for (let i = 0; i < n && reusedAll; i++) if (from[i] !== i) reusedAll = false;
  if (reusedAll && usable) return { snapshot: usable, changed: false };

  const names = usable ? [...usable.graph.names] : [];
  let ids: Map<string, number> | undefined;
  const intern = (name: string): number => {
    ids ??= new Map(names.map((nm, k) => [nm, k]));
    let id = ids.get(name);
    if (id === undefined) {
      ids.set(name, (id = names.length));
      names.push(name);
    }
    return id;
  };
  const defStart = new Uint32Array(n + 1);
  const refStart = new Uint32Array(n + 1);
  const defIds: number[] = [];
  const refIds: number[] = [];
  const refCounts: number[] = [];
  const skipped = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    defStart[i] = defIds.length;
    refStart[i] = refIds.length;
    const j = from[i]!;
    if (j !== -1 && usable) {
      const g = usable.graph;
      for (let d = g.defStart[j]!; d < g.defStart[j + 1]!; d++) defIds.push(g.defIds[d]!);
      for (let r = g.refStart[j]!; r < g.refStart[j + 1]!; r++) {
        refIds.push(g.refIds[r]!);
        refCounts.push(g.refCounts[r]!);
      }
      skipped[i] = usable.skipped[j]!;
    } else {
      const entry = fresh(i);
      for (const name of entry.defNames) defIds.push(intern(name));
      for (const name in entry.refs) {
        refIds.push(intern(name));
        refCounts.push(entry.refs[name]!);
      }
      skipped[i] = entry.skipped ? 1 : 0;
    }
  }
  defStart[n] = defIds.length;
  refStart[n] = refIds.length;
  let graph: RankGraph = { paths: [...paths], names, defStart, defIds: Uint32Array.from(defIds), refStart, refIds: Uint32Array.from(refIds), refCounts: Uint32Array.from(refCounts) };
  if (names.length > 2 * 1024 && names.length > 2 * (defIds.length + refIds.length)) graph = compact(graph);
  return { snapshot: { graph, keys: [...keys], skipped, maxFileBytes }, changed: true };
}

/** Renumbers identifiers to those still used. */
export function compact(graph: RankGraph): RankGraph {
  const map = new Int32Array(graph.names.length).fill(-1);
  const names: string[] = [];
  const remap = (a: Uint32Array): Uint32Array =>
    a.map((id) => {
      if (map[id] === -1) {
        map[id] = names.length;
        names.push(graph.names[id]!);
      }
      return map[id]!;
    });
  const defIds = remap(graph.defIds);
  const refIds = remap(graph.refIds);
  return { ...graph, names, defIds, refIds };
}
