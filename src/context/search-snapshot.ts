import { stat } from 'node:fs/promises';
import type { AnyEntry } from './search-pack.js';
import { postingsByTerm } from './postings-update.js';
import { pathTokens, TOKENIZER_VERSION } from './search-tokens.js';
import { DEFAULT_WEIGHTS } from './search-weights.js';
import { decodeSnapshot, LIST_SEP, readSnapshotFile, snapshotParts, splitList, writeSnapshotFile } from './snapshot-codec.js';
import { AssistError } from '../errors.js';
import { fnv1a } from '../util/fnv.js';

const MAGIC = 0x41535831; // "ASX1"
/** Bump when the layout changes: a snapshot of another version is rebuilt from the packs. */
const VERSION = 5;

/**
 * The lexical index of one listing, as an inverted index in flat typed arrays: per term the
 * chunks holding it with their counts (text and definition names), per chunk its file, lines
 * and lengths, per file its path's terms. Files are in listing order with a key (tags pack and
 * blob id) saying which content their chunks are of; a warm search reuses every file whose key
 * still matches and takes only changed files from the packs.
 */
export interface SearchSnapshot {
  paths: readonly string[];
  keys: readonly string[];
  terms: readonly string[];
  maxFileBytes: number;
  /** Chunks of file i: `fileChunkStart[i]..fileChunkStart[i+1]`. */
  fileChunkStart: Uint32Array;
  chunkFile: Uint32Array;
  /** 1-based first and last line of each chunk. */
  chunkStart: Uint32Array;
  chunkEnd: Uint32Array;
  /** Sum of the chunk's text and name term counts. */
  chunkTextLen: Uint32Array;
  chunkNameLen: Uint32Array;
  /** Postings of term t: `termStart[t]..termStart[t+1]` (chunks in no particular order). */
  termStart: Uint32Array;
  postChunk: Uint32Array;
  /** Text count in the low 16 bits, name count in the high 16. */
  postTf: Uint32Array;
  /** Path terms of file i: `filePathStart[i]..filePathStart[i+1]` (repeats kept). */
  filePathStart: Uint32Array;
  filePathTerm: Uint32Array;
  /**
   * Per file: its PageRank in the repo map's graph (not personalised), as float32 bits, and its
   * 1-based place by that rank (0: not ranked). Computed when the listing changes, so a search
   * reads them instead of ranking the graph.
   */
  graphRank: Uint32Array;
  graphPlace: Uint32Array;
  /** Files in graph order (by `graphPlace`), ranked ones only. */
  graphOrder: Uint32Array;
  /** Per file: where its tags entry is in its pack (offset, and length with 0 for unknown). */
  tagsAt: Uint32Array;
  tagsLen: Uint32Array;
  /** Per chunk: its length under the default field weights (float32 bits), and their mean. */
  chunkLen: Uint32Array;
  avgLen: number;
  /** The files whose path holds term t (once per occurrence): `pathTermStart[t]..pathTermStart[t+1]` of `pathTermFile`. */
  pathTermStart: Uint32Array;
  pathTermFile: Uint32Array;
  /**
   * What git's listing output was when this snapshot was made of it (layout 5): a warm search whose
   * `git ls-files` output gives the same fingerprint takes the snapshot without building the
   * listing (docs/search.md "Warm speed"). Absent when some file's id came from the work tree.
   */
  listing?: ListingStamp;
  /**
   * A full snapshot's generation, a random id given when it is written (search-index.ts): a delta
   * over it names it (search-delta.ts), so a delta of another snapshot is never read over this one.
   */
  generation?: string;
  /** How many terms some posting or path uses (the rest are dead, dropped once they are most of the dictionary). */
  liveTerms?: number;
}

/** The listing a snapshot was made of, and the tags pack of each listed language. */
export interface ListingStamp {
  /** git-files.ts `listingFingerprint`: absent when some file's id came from the work tree. */
  fingerprint?: string;
  /** Language id → its tags pack name (grammar and query version): the keys' prefixes. */
  packs: Record<string, string>;
  /** listing-reuse.ts `ListingShape.entries`: everything of git's listing output but the modified entries. */
  entries?: string;
  /** The paths git listed as modified then: with {@link entries}, the only tracked files whose key may not be their index id. */
  modified?: string[];
}

interface Header {
  v: number;
  tokenizer: number;
  maxFileBytes: number;
  n: number;
  chunks: number;
  termCount: number;
  postings: number;
  pathTerms: number;
  avgLen: number;
  ranked: number;
  listing?: ListingStamp;
  gen?: string;
  live?: number;
  /** Slots of the term table (a power of two). */
  termSlots: number;
  /** Byte lengths of the joined paths, keys and the term dictionary. */
  pathBytes: number;
  keyBytes: number;
  termBytes: number;
}

/**
 * What a snapshot read from its file keeps undecoded: its paths, keys and terms as stored (UTF-8,
 * NUL-joined), decoded into arrays only when something asks for them. A warm search compares the
 * listing with the joined strings and finds a request's few terms in the dictionary's bytes.
 */
interface Stored {
  paths: Uint8Array;
  keys: Uint8Array;
  /** `\0term0\0term1\0...\0`; `termAt[k]` is the offset of the NUL before term k. */
  dictionary: Buffer;
  termAt: Uint32Array;
  /** Open-addressing table of the terms by {@link fnv1a} (a power of two long): id + 1, 0 empty. */
  termTable: Uint32Array;
  joined?: { paths: string; keys: string };
}
const stored = new WeakMap<SearchSnapshot, Stored>();

function joinedOf(st: Stored): { paths: string; keys: string } {
  return (st.joined ??= { paths: Buffer.from(st.paths.buffer, st.paths.byteOffset, st.paths.length).toString('utf8'), keys: Buffer.from(st.keys.buffer, st.keys.byteOffset, st.keys.length).toString('utf8') });
}

/**
 * The term table of a dictionary (layout 5): a power of two at least 1.5 times the terms (at most
 * two thirds full, so a miss ends after a few probes; 2 MB for 300k terms).
 */
function termTableOf(dictionary: Uint8Array, termAt: Uint32Array): Uint32Array {
  const count = termAt.length - 1;
  let size = 2;
  while (size < count + (count >>> 1) + 1) size *= 2;
  const table = new Uint32Array(size);
  const mask = size - 1;
  // One flat loop over the dictionary's bytes, the hash (`fnv1a`) inlined: a fresh process
  // writes the snapshot before the JIT has compiled a call per term.
  let k = 0;
  let end = termAt[1] ?? 0;
  let h = 0x811c9dc5;
  for (let i = 1; k < count; i++) {
    if (i < end) {
      h = Math.imul(h ^ dictionary[i]!, 0x01000193);
      continue;
    }
    let slot = (h >>> 0) & mask;
    while (table[slot] !== 0) slot = (slot + 1) & mask;
    table[slot] = ++k;
    end = termAt[k + 1]!;
    h = 0x811c9dc5;
  }
  return table;
}

/**
 * What makes a snapshot a view of a base read from its file and a delta over it (search-delta.ts):
 * the view's per-file and per-chunk arrays are its own (the full update's), its postings are the
 * base's, renumbered through `chunkOf` (removed chunks skipped), and the delta's.
 */
export interface Overlay {
  base: SearchSnapshot;
  /** Base chunk → the view's id of it, -1 for a chunk of a replaced or removed file. */
  chunkOf: Int32Array;
  /** How many base chunks are removed (-1 in `chunkOf`): at most that many of a term's base postings are skipped. */
  removed: number;
  /** Per file of the view: its place in the base, 0xffffffff for a file the delta holds. */
  fileFrom: Uint32Array;
  /** Terms the base lacks, their ids following the base's. */
  added: readonly string[];
  addedIds: Map<string, number>;
  /** The delta's postings by term: term ids ascending, per term its range of `chunks` and `tf` (`start`). */
  termIds: Uint32Array;
  start: Uint32Array;
  chunks: Uint32Array;
  tf: Uint32Array;
}
const overlays = new WeakMap<SearchSnapshot, Overlay>();

/** The overlay of a view of a base and a delta, or undefined for a full snapshot. */
export function overlayOf(s: SearchSnapshot): Overlay | undefined {
  return overlays.get(s);
}

/** Makes `view` read as the base and delta of `overlay` (search-delta.ts), its listing compared through `paths`/`keys` bytes. */
export function registerView(view: SearchSnapshot, overlay: Overlay, paths: Uint8Array, keys: Uint8Array, joined?: { paths: string; keys: string }): void {
  const st = stored.get(overlay.base);
  overlays.set(view, overlay);
  if (st) stored.set(view, { paths, keys, dictionary: st.dictionary, termAt: st.termAt, termTable: st.termTable, ...(joined ? { joined } : {}) });
}

/** The stored paths and keys of a snapshot read from its file (UTF-8, NUL-joined), or undefined. */
export function storedListing(s: SearchSnapshot): { paths: Uint8Array; keys: Uint8Array } | undefined {
  const st = stored.get(s);
  return st ? { paths: st.paths, keys: st.keys } : undefined;
}

/** Where the delta's postings of term `id` are in its `chunks`/`tf` (an empty range when it has none). */
export function deltaRange(ov: Overlay, id: number): [number, number] {
  let lo = 0;
  let hi = ov.termIds.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const t = ov.termIds[mid]!;
    if (t === id) return [ov.start[mid]!, ov.start[mid + 1]!];
    if (t < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return [0, 0];
}

/**
 * The postings of term `id` as a full update orders them (the base's kept ones in their order,
 * renumbered, then the new files' in listing order): chunk ids and packed counts. For a full
 * snapshot, views of its arrays. Undefined when they are more than `most`.
 */
export function termPostings(s: SearchSnapshot, id: number, most = Infinity): { chunks: Uint32Array; tf: Uint32Array } | undefined {
  const p0 = s.termStart[id] ?? 0;
  const p1 = Math.max(p0, s.termStart[id + 1] ?? 0);
  const ov = overlays.get(s);
  if (!ov) return p1 - p0 > most ? undefined : { chunks: s.postChunk.subarray(p0, p1), tf: s.postTf.subarray(p0, p1) };
  const { chunkOf } = ov;
  const [d0, d1] = deltaRange(ov, id);
  // More than `most` even if every removed chunk held the term: not copied.
  if (p1 - p0 - ov.removed + (d1 - d0) > most) return undefined;
  // One pass over the base's postings (a fresh process runs it before the JIT): room for all of
  // them, the removed ones skipped, the delta's after.
  const postChunk = s.postChunk;
  const postTf = s.postTf;
  const chunksRoom = new Uint32Array(p1 - p0 + d1 - d0);
  const tfRoom = new Uint32Array(chunksRoom.length);
  let at = 0;
  for (let p = p0; p < p1; p++) {
    const c = chunkOf[postChunk[p]!]!;
    if (c >= 0) {
      chunksRoom[at] = c;
      tfRoom[at++] = postTf[p]!;
    }
  }
  chunksRoom.set(ov.chunks.subarray(d0, d1), at);
  tfRoom.set(ov.tf.subarray(d0, d1), at);
  const chunks = chunksRoom.subarray(0, at + d1 - d0);
  const tf = tfRoom.subarray(0, chunks.length);
  return chunks.length > most ? undefined : { chunks, tf };
}

/** The id of a term in the snapshot's dictionary, or -1. */
export function termId(s: SearchSnapshot, term: string): number {
  const ov = overlays.get(s);
  if (ov) {
    const id = termId(ov.base, term);
    return id !== -1 ? id : (ov.addedIds.get(term) ?? -1);
  }
  const st = stored.get(s);
  // An array search for a snapshot made in this process: a native `indexOf`, microseconds.
  if (!st) return s.terms.indexOf(term);
  // A read snapshot: its stored term table, one hash and a probe or two (a search of the 2.7 MB
  // dictionary's bytes took ~1-3 ms a term at 50,000 files, and a search looks up dozens: the
  // hits' names for their callers).
  const bytes = Buffer.from(term, 'utf8');
  const { dictionary, termAt, termTable } = st;
  const mask = termTable.length - 1;
  const count = termAt.length - 1;
  let slot = fnv1a(bytes, 0, bytes.length) & mask;
  for (let probes = 0; probes < termTable.length; probes++) {
    const entry = termTable[slot]!;
    if (entry === 0) return -1;
    const id = entry - 1;
    // A damaged table entry is a miss, never a read out of range.
    if (id < count) {
      const from = termAt[id]! + 1;
      const to = termAt[id + 1]!;
      if (to - from === bytes.length && to <= dictionary.length && dictionary.compare(bytes, 0, bytes.length, from, to) === 0) return id;
    }
    slot = (slot + 1) & mask;
  }
  return -1;
}

/**
 * Whether the snapshot is of exactly this listing (same paths and keys in the same order): for a
 * snapshot read from its file, two string comparisons instead of one per file.
 */
export function sameListing(s: SearchSnapshot, paths: readonly string[], keys: readonly string[]): boolean {
  const st = stored.get(s);
  if (st) {
    const joined = joinedOf(st);
    return paths.length === s.fileChunkStart.length - 1 && paths.join(LIST_SEP) === joined.paths && keys.join(LIST_SEP) === joined.keys;
  }
  if (s.paths.length !== paths.length) return false;
  for (let i = 0; i < paths.length; i++) if (s.paths[i] !== paths[i] || s.keys[i] !== keys[i]) return false;
  return true;
}

/** The last snapshot this process read, by its file's identity: see {@link readSearchSnapshot}. */
let lastRead: { path: string; identity: string; snapshot: Promise<SearchSnapshot | undefined> } | undefined;

/**
 * Reads a snapshot (the layout of snapshot-codec.ts); undefined when missing, corrupt, inconsistent
 * or of another version. A turn whose request is new opens the index twice (the map's retrieval,
 * then the chunks' search): the second read of an unchanged file (same inode, size and mtime; a
 * write replaces the file by a rename, so a new one has a new inode) takes the first one's
 * snapshot, which nothing changes but its listing stamp, set to the same value by either.
 */
export async function readSearchSnapshot(path: string): Promise<SearchSnapshot | undefined> {
  let identity: string;
  try {
    const st = await stat(path);
    identity = `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
  if (lastRead?.path === path && lastRead.identity === identity) return lastRead.snapshot;
  const snapshot = decodeSearchSnapshotFile(path);
  lastRead = { path, identity, snapshot };
  return snapshot;
}

async function decodeSearchSnapshotFile(path: string): Promise<SearchSnapshot | undefined> {
  const buf = await readSnapshotFile(path);
  const decoded = buf && decodeSnapshot<Header>(buf, MAGIC);
  if (!decoded) return undefined;
  const { header: h, sections } = decoded;
  if (h.v !== VERSION || h.tokenizer !== TOKENIZER_VERSION) return undefined;
  try {
    const { n, chunks: c, termCount: t, postings: p, pathTerms: q } = h;
    const words = {
      fileChunkStart: sections.words(n + 1),
      chunkFile: sections.words(c),
      chunkStart: sections.words(c),
      chunkEnd: sections.words(c),
      chunkTextLen: sections.words(c),
      chunkNameLen: sections.words(c),
      termStart: sections.words(t + 1),
      postChunk: sections.words(p),
      postTf: sections.words(p),
      filePathStart: sections.words(n + 1),
      filePathTerm: sections.words(q),
      graphRank: sections.words(n),
      graphPlace: sections.words(n),
      graphOrder: sections.words(h.ranked),
      tagsAt: sections.words(n),
      tagsLen: sections.words(n),
      chunkLen: sections.words(c),
      pathTermStart: sections.words(t + 1),
      pathTermFile: sections.words(q),
    };
    const termAt = sections.words(t + 1);
    if (!(h.termSlots >= 2 && (h.termSlots & (h.termSlots - 1)) === 0)) return undefined;
    const termTable = sections.words(h.termSlots);
    const st: Stored = { paths: sections.bytes(h.pathBytes), keys: sections.bytes(h.keyBytes), dictionary: Buffer.alloc(0), termAt, termTable };
    const dictionary = sections.bytes(h.termBytes);
    st.dictionary = Buffer.from(dictionary.buffer, dictionary.byteOffset, dictionary.length);
    if (!sections.done() || termAt[0] !== 0 || termAt[t] !== dictionary.length - 1 || dictionary[0] !== 0 || dictionary[dictionary.length - 1] !== 0) return undefined;
    // Decoded when first asked for (an update, a hit's path), each checked against its count then:
    // a list that does not hold it throws (`decodesWhole` tells an update to rebuild instead).
    let paths: string[] | undefined;
    let keys: string[] | undefined;
    let terms: string[] | undefined;
    const list = (joined: string, count: number): string[] => {
      const parts = splitList(joined, count);
      if (!parts) throw new AssistError('context.search-snapshot', 'the search index snapshot is damaged (a list does not hold its count)');
      return parts;
    };
    const snapshot = {
      ...words,
      maxFileBytes: h.maxFileBytes,
      avgLen: h.avgLen,
      ...(validStamp(h.listing) ? { listing: h.listing } : {}),
      ...(typeof h.gen === 'string' && h.gen !== '' ? { generation: h.gen } : {}),
      ...(Number.isSafeInteger(h.live) && h.live! >= 0 && h.live! <= t ? { liveTerms: h.live! } : {}),
      get paths(): readonly string[] {
        return (paths ??= list(joinedOf(st).paths, n));
      },
      get keys(): readonly string[] {
        return (keys ??= list(joinedOf(st).keys, n));
      },
      get terms(): readonly string[] {
        return (terms ??= list(dictionary.length <= 1 ? '' : st.dictionary.toString('utf8', 1, dictionary.length - 1), t));
      },
    } satisfies SearchSnapshot;
    if (!consistent(snapshot)) return undefined;
    stored.set(snapshot, st);
    return snapshot;
  } catch {
    return undefined;
  }
}

/**
 * Checks the structure a reader relies on: the per-file range lists start at 0, never decrease
 * and end at their array's length; the per-term ones (tens of thousands of entries, a pass a fresh
 * process runs before the JIT) are checked at their ends here and per term where one is read
 * (`queryTerms`). A damaged file that passes (a flipped id) reads as wrong scores, never out of
 * bounds writes: typed arrays ignore those.
 */
function consistent(s: SearchSnapshot): boolean {
  const ascending = (a: Uint32Array, end: number): boolean => {
    if (a[0] !== 0 || a[a.length - 1] !== end) return false;
    for (let i = 1; i < a.length; i++) if (a[i - 1]! > a[i]!) return false;
    return true;
  };
  const ends = (a: Uint32Array, end: number): boolean => a[0] === 0 && a[a.length - 1] === end;
  return (
    ascending(s.fileChunkStart, s.chunkFile.length) &&
    ascending(s.filePathStart, s.filePathTerm.length) &&
    ends(s.termStart, s.postChunk.length) &&
    ends(s.pathTermStart, s.pathTermFile.length) &&
    typeof s.avgLen === 'number' &&
    s.avgLen > 0
  );
}

export function validStamp(stamp: unknown): stamp is ListingStamp {
  if (typeof stamp !== 'object' || stamp === null) return false;
  const { fingerprint, packs, entries, modified } = stamp as Partial<ListingStamp>;
  if (fingerprint === undefined && entries === undefined) return false;
  if (fingerprint !== undefined && typeof fingerprint !== 'string') return false;
  if (entries !== undefined && (typeof entries !== 'string' || !Array.isArray(modified) || !modified.every((p) => typeof p === 'string'))) return false;
  return typeof packs === 'object' && packs !== null && Object.values(packs).every((p) => typeof p === 'string');
}

/**
 * Whether the paths and keys decode into their counts: what a search taken by the listing's
 * fingerprint checks instead of comparing them with a listing (a damaged file is then rebuilt).
 */
export function pathsDecode(s: SearchSnapshot): boolean {
  try {
    return s.paths.length >= 0 && s.keys.length >= 0;
  } catch {
    return false;
  }
}

/**
 * Whether the snapshot's lists decode into their counts (always, for one made in this process);
 * false for a damaged file, which an update then rebuilds rather than copies from. A warm search
 * needs no such check: its listing equals the stored paths and keys, so they split right.
 */
export function decodesWhole(s: SearchSnapshot): boolean {
  try {
    if (!(s.paths.length >= 0 && s.keys.length >= 0)) return false;
  } catch {
    return false;
  }
  const st = stored.get(s);
  if (!st) return s.terms.length >= 0;
  // A stored dictionary is not decoded (an update appends to its bytes): it splits into its count
  // when it holds one NUL more than its terms. Counted in one one-byte string (a NUL byte is NUL
  // in latin1 whatever the UTF-8 around it) with the string's own search: decoding it made 16k
  // strings on vitest, which a change's update never reads.
  const count = st.termAt.length - 1;
  const bytes = st.dictionary.toString('latin1');
  let nuls = 0;
  for (let at = bytes.indexOf(LIST_SEP); at !== -1 && nuls <= count + 1; at = bytes.indexOf(LIST_SEP, at + 1)) nuls++;
  return nuls === count + 1;
}

/** Writes a snapshot atomically (temp file, rename), its arrays gathered by the write. */
export async function writeSearchSnapshot(path: string, s: SearchSnapshot): Promise<void> {
  await writeSnapshotFile(path, searchSnapshotParts(s));
}

/** The file's bytes of a snapshot. */
export function encodeSearchSnapshot(s: SearchSnapshot): Buffer {
  return Buffer.concat(searchSnapshotParts(s));
}

/** The file's bytes of a snapshot as pieces, views of its arrays (snapshot-codec.ts `snapshotParts`). */
export function searchSnapshotParts(s: SearchSnapshot): Uint8Array[] {
  // A view of a base and its delta has the base's postings, not its own: only the delta is written.
  if (overlays.has(s)) throw new AssistError('context.search-snapshot', 'a search index with a delta is written as its delta');
  // A snapshot read from its file is written again (a new listing stamp) from its stored bytes,
  // without decoding its 300k terms.
  const st = stored.get(s);
  const { paths, keys, dictionary, termAt, termTable } = st ?? storedBytes(s);
  const header: Header = {
    v: VERSION,
    tokenizer: TOKENIZER_VERSION,
    maxFileBytes: s.maxFileBytes,
    n: s.fileChunkStart.length - 1,
    chunks: s.chunkFile.length,
    termCount: termAt.length - 1,
    postings: s.postChunk.length,
    pathTerms: s.filePathTerm.length,
    avgLen: s.avgLen,
    ranked: s.graphOrder.length,
    termSlots: termTable.length,
    ...(s.listing ? { listing: s.listing } : {}),
    ...(s.generation !== undefined ? { gen: s.generation } : {}),
    ...(s.liveTerms !== undefined ? { live: s.liveTerms } : {}),
    pathBytes: paths.length,
    keyBytes: keys.length,
    termBytes: dictionary.length,
  };
  const words = [
    s.fileChunkStart,
    s.chunkFile,
    s.chunkStart,
    s.chunkEnd,
    s.chunkTextLen,
    s.chunkNameLen,
    s.termStart,
    s.postChunk,
    s.postTf,
    s.filePathStart,
    s.filePathTerm,
    s.graphRank,
    s.graphPlace,
    s.graphOrder,
    s.tagsAt,
    s.tagsLen,
    s.chunkLen,
    s.pathTermStart,
    s.pathTermFile,
    termAt,
    termTable,
  ];
  return snapshotParts(MAGIC, header, words, [paths, keys, dictionary]);
}

function storedBytes(s: SearchSnapshot): Stored {
  const termAt = new Uint32Array(s.terms.length + 1);
  let at = 0;
  for (let k = 0; k < s.terms.length; k++) {
    termAt[k] = at;
    at += 1 + Buffer.byteLength(s.terms[k]!, 'utf8');
  }
  termAt[s.terms.length] = at;
  const dictionary = Buffer.from(`${LIST_SEP}${s.terms.join(LIST_SEP)}${s.terms.length > 0 ? LIST_SEP : ''}`, 'utf8');
  return {
    paths: Buffer.from(s.paths.join(LIST_SEP), 'utf8'),
    keys: Buffer.from(s.keys.join(LIST_SEP), 'utf8'),
    dictionary,
    termAt,
    termTable: termTableOf(dictionary, termAt),
  };
}

/**
 * The stored form of an updated snapshot whose base was read from its file: the base's dictionary
 * with `added` appended (their ids follow the base's), its term table with them inserted. The
 * bytes are those {@link storedBytes} gives for the whole term list: the table is filled in id
 * order either way, so inserting the new ids into a copy of the same size places every term as a
 * fresh build would; when the count needs a larger table it is built again.
 */
function extendStored(base: Stored, added: readonly string[], paths: readonly string[], keys: readonly string[]): Stored {
  const baseCount = base.termAt.length - 1;
  const count = baseCount + added.length;
  // The base's dictionary ends with the NUL after its last term (a read checked it), `\0` alone when empty.
  const dictionary = added.length === 0 ? base.dictionary : Buffer.concat([base.dictionary, Buffer.from(`${added.join(LIST_SEP)}${LIST_SEP}`, 'utf8')]);
  const termAt = new Uint32Array(count + 1);
  termAt.set(base.termAt.subarray(0, baseCount + 1));
  let at = base.termAt[baseCount]!;
  for (let k = 0; k < added.length; k++) {
    at += 1 + Buffer.byteLength(added[k]!, 'utf8');
    termAt[baseCount + k + 1] = at;
  }
  let size = 2;
  while (size < count + (count >>> 1) + 1) size *= 2;
  let termTable: Uint32Array;
  if (size !== base.termTable.length) termTable = termTableOf(dictionary, termAt);
  else {
    termTable = base.termTable.slice();
    const mask = size - 1;
    for (let id = baseCount; id < count; id++) {
      let slot = fnv1a(dictionary, termAt[id]! + 1, termAt[id + 1]!) & mask;
      while (termTable[slot] !== 0) slot = (slot + 1) & mask;
      termTable[slot] = id + 1;
    }
  }
  const joinedPaths = paths.join(LIST_SEP);
  const joinedKeys = keys.join(LIST_SEP);
  return { paths: Buffer.from(joinedPaths, 'utf8'), keys: Buffer.from(joinedKeys, 'utf8'), dictionary, termAt, termTable, joined: { paths: joinedPaths, keys: joinedKeys } };
}

/** The arrays of a snapshot with no files, for copying from when there is no base. */
const emptyBase = { fileChunkStart: new Uint32Array(1), filePathStart: new Uint32Array(1), chunkStart: new Uint32Array(0), chunkEnd: new Uint32Array(0), chunkTextLen: new Uint32Array(0), chunkNameLen: new Uint32Array(0), filePathTerm: new Uint32Array(0) };

/** Where each listed file is in `base` (same path, key and size limit), or -1. */
export function matchSearchSnapshot(base: SearchSnapshot | undefined, paths: readonly string[], keys: readonly string[], maxFileBytes: number): Int32Array {
  const n = paths.length;
  const from = new Int32Array(n).fill(-1);
  if (base === undefined || base.maxFileBytes !== maxFileBytes) return from;
  let byPath: Map<string, number> | undefined;
  for (let i = 0; i < n; i++) {
    let j = i < base.paths.length && base.paths[i] === paths[i] ? i : -1;
    if (j === -1) {
      byPath ??= new Map(base.paths.map((p, k) => [p, k]));
      j = byPath.get(paths[i]!) ?? -1;
    }
    if (j !== -1 && base.keys[j] === keys[i]) from[i] = j;
  }
  return from;
}

/**
 * The snapshot of a listing from the previous one (`from`: `matchSearchSnapshot`'s answer):
 * matched files' chunks and postings are copied, the others come from `fresh(i)`. Terms no
 * chunk or path uses any more are dropped once they are the larger part of the dictionary.
 */
export function updateSearchSnapshot(
  base: SearchSnapshot | undefined,
  from: Int32Array,
  paths: readonly string[],
  keys: readonly string[],
  maxFileBytes: number,
  fresh: (i: number) => AnyEntry,
): { snapshot: SearchSnapshot; changed: boolean } {
  const n = paths.length;
  const usable = base !== undefined && base.maxFileBytes === maxFileBytes ? base : undefined;
  if (usable && usable.paths.length === n) {
    let all = true;
    for (let i = 0; i < n && all; i++) if (from[i] !== i) all = false;
    if (all) return { snapshot: usable, changed: false };
  }

  // A base read from its file keeps its dictionary as stored: a term is found through its term
  // table and new ones are appended (`extendStored`), so an update after one changed file neither
  // decodes 16k terms into a map nor builds the dictionary and its table again to write it.
  const { baseStored, baseCount, terms, chunkTotal, fileChunkStart, chunkFile, chunkStart, chunkEnd, chunkTextLen, chunkNameLen, filePathStart, filePathTerm, oldToNew, freshTerm, freshChunk, freshTf, f } = layoutOf(usable, from, paths, fresh);

  // The postings sorted by term: kept ones renumbered, fresh ones appended.
  const t = baseCount + terms.length;
  const old = usable ? { start: usable.termStart, chunks: usable.postChunk, tf: usable.postTf } : { start: new Uint32Array(1), chunks: new Uint32Array(0), tf: new Uint32Array(0) };
  const { termStart, postChunk, postTf } = postingsByTerm(old, oldToNew, t, { term: freshTerm, chunk: freshChunk, tf: freshTf, count: f });
  // Graph ranks and tags places are the caller's to fill (they change with every listing change).
  const made = {
    paths: [...paths],
    keys: [...keys],
    maxFileBytes,
    fileChunkStart,
    chunkFile,
    chunkStart,
    chunkEnd,
    chunkTextLen,
    chunkNameLen,
    termStart,
    postChunk,
    postTf,
    filePathStart,
    filePathTerm,
    graphRank: new Uint32Array(n),
    graphPlace: new Uint32Array(n),
    graphOrder: new Uint32Array(0),
    tagsAt: new Uint32Array(n),
    tagsLen: new Uint32Array(n),
    chunkLen: new Uint32Array(chunkTotal),
    avgLen: 1,
    pathTermStart: new Uint32Array(0),
    pathTermFile: new Uint32Array(0),
  };
  let snapshot: SearchSnapshot;
  if (baseStored) {
    const st = extendStored(baseStored, terms, made.paths, made.keys);
    let decoded: string[] | undefined;
    snapshot = {
      ...made,
      get terms(): readonly string[] {
        return (decoded ??= st.dictionary.length <= 1 ? [] : st.dictionary.toString('utf8', 1, st.dictionary.length - 1).split(LIST_SEP));
      },
    };
    stored.set(snapshot, st);
  } else snapshot = { ...made, terms };
  // Counted for every update (two short passes): a delta decides from it that it cannot cause a compaction.
  const used = usedTerms(termStart, filePathTerm);
  if (t > 4096 && used.live * 2 < t) snapshot = compactTerms(snapshot, used.marks);
  snapshot.liveTerms = Math.min(used.live, snapshot.termStart.length - 1);
  derive(snapshot);
  return { snapshot, changed: true };
}

/** What an update makes of the changed files and the kept ones, before the postings are sorted by term. */
export interface Layout extends Pick<SearchSnapshot, 'fileChunkStart' | 'chunkFile' | 'chunkStart' | 'chunkEnd' | 'chunkTextLen' | 'chunkNameLen' | 'filePathStart' | 'filePathTerm'> {
  baseStored: Stored | undefined;
  baseCount: number;
  /** Terms the base lacks (ids from `baseCount` on), or all of them for a base made in this process. */
  terms: string[];
  chunkTotal: number;
  /** Base chunk → its new id, -1 for a chunk of a replaced or removed file. */
  oldToNew: Int32Array;
  /** The fresh chunks' postings in the order they were made (listing order), `f` of them. */
  freshTerm: Uint32Array;
  freshChunk: Uint32Array;
  freshTf: Uint32Array;
  f: number;
}

/** The chunks and paths of a listing from the base (`from`) and the fresh entries, their postings unsorted. */
export function layoutOf(usable: SearchSnapshot | undefined, from: Int32Array, paths: readonly string[], fresh: (i: number) => AnyEntry): Layout {
  const n = paths.length;
  const baseStored = usable ? stored.get(usable) : undefined;
  const baseCount = baseStored ? baseStored.termAt.length - 1 : 0;
  const terms: string[] = usable && !baseStored ? [...usable.terms] : [];
  let ids: Map<string, number> | undefined;
  const intern = (term: string): number => {
    if (!ids) {
      ids = new Map();
      for (let k = 0; k < terms.length; k++) ids.set(terms[k]!, k);
    }
    let id = ids.get(term);
    if (id === undefined) {
      if (baseStored) {
        const known = termId(usable!, term);
        if (known !== -1) {
          ids.set(term, known);
          return known;
        }
      }
      ids.set(term, (id = baseCount + terms.length));
      terms.push(term);
    }
    return id;
  };

  // A packed entry's term ids (of the dictionary of the thread that made it) → this snapshot's,
  // made in the order a map entry's strings would be met, so both forms give the same ids.
  const snapIds = new Map<readonly string[], Int32Array>();
  const snapIdsOf = (dictionary: readonly string[]): Int32Array => {
    let of = snapIds.get(dictionary);
    if (of === undefined || of.length < dictionary.length) {
      const grown = new Int32Array(dictionary.length).fill(-1);
      if (of) grown.set(of);
      snapIds.set(dictionary, (of = grown));
    }
    return of;
  };

  // Chunks: kept files' ranges copied, fresh files' from their entries.
  const entries = new Map<number, AnyEntry>();
  // A fresh file's path terms, tokenized once for both passes.
  const pathTerms = new Map<number, string[]>();
  let chunkTotal = 0;
  let pathTotal = 0;
  let freshMax = 0;
  const b = usable ?? emptyBase;
  const baseChunkStart = b.fileChunkStart;
  const basePathStart = b.filePathStart;
  for (let i = 0; i < n; i++) {
    const j = from[i]!;
    if (j !== -1 && usable) {
      chunkTotal += baseChunkStart[j + 1]! - baseChunkStart[j]!;
      pathTotal += basePathStart[j + 1]! - basePathStart[j]!;
    } else {
      const entry = fresh(i);
      if (Array.isArray(entry)) for (const chunk of entry) freshMax += chunk.text.size + chunk.names.size;
      else freshMax += entry.pairs.length >>> 1;
      entries.set(i, entry);
      chunkTotal += Array.isArray(entry) ? entry.length : entry.chunks.length >>> 2;
      const tokens = pathTokens(paths[i]!);
      pathTerms.set(i, tokens);
      pathTotal += tokens.length;
    }
  }
  const fileChunkStart = new Uint32Array(n + 1);
  const chunkFile = new Uint32Array(chunkTotal);
  const chunkStart = new Uint32Array(chunkTotal);
  const chunkEnd = new Uint32Array(chunkTotal);
  const chunkTextLen = new Uint32Array(chunkTotal);
  const chunkNameLen = new Uint32Array(chunkTotal);
  const filePathStart = new Uint32Array(n + 1);
  const filePathTerm = new Uint32Array(pathTotal);
  const oldToNew = new Int32Array(usable ? usable.chunkFile.length : 0).fill(-1);
  // Postings of fresh chunks, as parallel lists until the counting sort below.
  // (At most one posting per term pair of an entry: a name the text holds shares the text's.)
  const freshTerm = new Uint32Array(freshMax);
  const freshChunk = new Uint32Array(freshMax);
  const freshTf = new Uint32Array(freshMax);
  let f = 0;
  let c = 0;
  let q = 0;
  // Kept files are copied in runs (files that follow each other in the base, as nearly all do
  // after a few changes): one `set` per run and array instead of five `subarray`s per file.
  let run = -1;
  let runEnd = 0;
  let runAt = 0;
  let pathRun = -1;
  let pathRunEnd = 0;
  let pathRunAt = 0;
  const flushRuns = (): void => {
    if (run !== -1 && runEnd > run) {
      chunkStart.set(b.chunkStart.subarray(run, runEnd), runAt);
      chunkEnd.set(b.chunkEnd.subarray(run, runEnd), runAt);
      chunkTextLen.set(b.chunkTextLen.subarray(run, runEnd), runAt);
      chunkNameLen.set(b.chunkNameLen.subarray(run, runEnd), runAt);
    }
    if (pathRun !== -1 && pathRunEnd > pathRun) filePathTerm.set(b.filePathTerm.subarray(pathRun, pathRunEnd), pathRunAt);
    run = -1;
    pathRun = -1;
  };
  for (let i = 0; i < n; i++) {
    fileChunkStart[i] = c;
    filePathStart[i] = q;
    const entry = entries.get(i);
    if (entry === undefined) {
      const j = from[i]!;
      const c0 = baseChunkStart[j]!;
      const c1 = baseChunkStart[j + 1]!;
      const p0 = basePathStart[j]!;
      const p1 = basePathStart[j + 1]!;
      if (run === -1 || c0 !== runEnd || pathRun === -1 || p0 !== pathRunEnd) {
        flushRuns();
        run = c0;
        runAt = c;
        pathRun = p0;
        pathRunAt = q;
      }
      runEnd = c1;
      pathRunEnd = p1;
      for (let k = c0; k < c1; k++) {
        oldToNew[k] = c;
        chunkFile[c++] = i;
      }
      q += p1 - p0;
    } else if (!Array.isArray(entry)) {
      flushRuns();
      // As the branch below, from the (id, count) pairs: a text term's name count merged into
      // its posting, then the names the text lacks.
      const { terms: dictionary, chunks: cw, pairs: tw } = entry;
      const snapOf = snapIdsOf(dictionary);
      let p = 0;
      for (let k = 0; k < cw.length; k += 4) {
        const nText = cw[k + 2]!;
        const names = p + 2 * nText;
        const end = names + 2 * cw[k + 3]!;
        chunkFile[c] = i;
        chunkStart[c] = cw[k]!;
        chunkEnd[c] = cw[k + 1]!;
        let textLen = 0;
        let nameLen = 0;
        for (let t = p; t < names; t += 2) {
          const id = tw[t]!;
          const count = tw[t + 1]!;
          textLen += count;
          let named = 0;
          for (let m = names; m < end; m += 2) {
            if (tw[m] === id) {
              named = tw[m + 1]!;
              break;
            }
          }
          let known = snapOf[id]!;
          if (known === -1) snapOf[id] = known = intern(dictionary[id]!);
          freshTerm[f] = known;
          freshChunk[f] = c;
          freshTf[f++] = named === 0 ? Math.min(count, 0xffff) : (Math.min(count, 0xffff) | (Math.min(named, 0xffff) << 16)) >>> 0;
        }
        for (let m = names; m < end; m += 2) {
          const id = tw[m]!;
          nameLen += tw[m + 1]!;
          let inText = false;
          for (let t = p; t < names && !inText; t += 2) inText = tw[t] === id;
          if (inText) continue;
          let known = snapOf[id]!;
          if (known === -1) snapOf[id] = known = intern(dictionary[id]!);
          freshTerm[f] = known;
          freshChunk[f] = c;
          freshTf[f++] = (Math.min(tw[m + 1]!, 0xffff) << 16) >>> 0;
        }
        chunkTextLen[c] = textLen;
        chunkNameLen[c] = nameLen;
        c++;
        p = end;
      }
      for (const term of pathTerms.get(i)!) filePathTerm[q++] = intern(term);
    } else {
      flushRuns();
      for (const chunk of entry) {
        chunkFile[c] = i;
        chunkStart[c] = chunk.start;
        chunkEnd[c] = chunk.end;
        // One posting per term: the text's count in the low half of `tf`, the names' in the high
        // half. A chunk defines a few names and holds dozens of terms: the names are looked up in
        // their own small map rather than both merged into a new one (a build makes thousands).
        let textLen = 0;
        let nameLen = 0;
        let namesLeft = chunk.names.size;
        for (const [term, count] of chunk.text) {
          textLen += count;
          const named = namesLeft > 0 ? chunk.names.get(term) : undefined;
          if (named !== undefined) namesLeft--;
          freshTerm[f] = intern(term);
          freshChunk[f] = c;
          freshTf[f++] = named === undefined ? Math.min(count, 0xffff) : (Math.min(count, 0xffff) | (Math.min(named, 0xffff) << 16)) >>> 0;
        }
        for (const [term, count] of chunk.names) {
          nameLen += count;
          if (chunk.text.has(term)) continue;
          freshTerm[f] = intern(term);
          freshChunk[f] = c;
          freshTf[f++] = (Math.min(count, 0xffff) << 16) >>> 0;
        }
        chunkTextLen[c] = textLen;
        chunkNameLen[c] = nameLen;
        c++;
      }
      for (const term of pathTerms.get(i)!) filePathTerm[q++] = intern(term);
    }
  }
  flushRuns();
  fileChunkStart[n] = c;
  filePathStart[n] = q;
  return { baseStored, baseCount, terms, chunkTotal, fileChunkStart, chunkFile, chunkStart, chunkEnd, chunkTextLen, chunkNameLen, filePathStart, filePathTerm, oldToNew, freshTerm, freshChunk, freshTf, f };
}

/**
 * What a search reads instead of computing in a fresh process: each chunk's length under the
 * default field weights and their mean, and the inverted index of path terms.
 */
export function derive(s: SearchSnapshot): void {
  // The arrays in locals: a fresh process runs these loops before the JIT, where every property
  // read of the snapshot is a lookup.
  const lengths = new Float32Array(s.chunkLen.buffer, s.chunkLen.byteOffset, s.chunkLen.length);
  const n = s.fileChunkStart.length - 1;
  const fileChunkStart = s.fileChunkStart;
  const filePathStart = s.filePathStart;
  const filePathTerm = s.filePathTerm;
  const textLen = s.chunkTextLen;
  const nameLen = s.chunkNameLen;
  const { text: wText, names: wNames, path: wPath } = DEFAULT_WEIGHTS;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const pathLen = wPath * (filePathStart[i + 1]! - filePathStart[i]!);
    const end = fileChunkStart[i + 1]!;
    for (let c = fileChunkStart[i]!; c < end; c++) {
      lengths[c] = wText * textLen[c]! + wNames * nameLen[c]! + pathLen;
      sum += lengths[c]!;
    }
  }
  s.avgLen = sum / s.chunkFile.length || 1;
  const t = s.termStart.length - 1;
  const start = new Uint32Array(t + 1);
  for (let p = 0; p < filePathTerm.length; p++) start[filePathTerm[p]! + 1]!++;
  for (let k = 0; k < t; k++) start[k + 1] = start[k + 1]! + start[k]!;
  const fill = start.slice(0, t);
  const files = new Uint32Array(filePathTerm.length);
  for (let i = 0; i < n; i++) {
    const end = filePathStart[i + 1]!;
    for (let p = filePathStart[i]!; p < end; p++) files[fill[filePathTerm[p]!]!++] = i;
  }
  s.pathTermStart = start;
  s.pathTermFile = files;
}

/** The stored chunk lengths (default field weights) as numbers, and their mean. */
export function chunkLengthsOf(s: SearchSnapshot): { lengths: Float32Array; avg: number } {
  return { lengths: new Float32Array(s.chunkLen.buffer, s.chunkLen.byteOffset, s.chunkLen.length), avg: s.avgLen };
}

/** Which terms some posting or path still uses, and how many. */
function usedTerms(termStart: Uint32Array, filePathTerm: Uint32Array): { marks: Uint8Array; live: number } {
  const t = termStart.length - 1;
  const marks = new Uint8Array(t);
  for (let k = 0; k < t; k++) if (termStart[k + 1]! > termStart[k]!) marks[k] = 1;
  for (let p = 0; p < filePathTerm.length; p++) marks[filePathTerm[p]!] = 1;
  let live = 0;
  for (let k = 0; k < t; k++) live += marks[k]!;
  return { marks, live };
}

/** Renumbers the terms to those still used. */
function compactTerms(s: SearchSnapshot, used: Uint8Array): SearchSnapshot {
  const map = new Int32Array(s.terms.length).fill(-1);
  const terms: string[] = [];
  s.terms.forEach((term, k) => {
    if (used[k] === 1) {
      map[k] = terms.length;
      terms.push(term);
    }
  });
  const termStart = new Uint32Array(terms.length + 1);
  // Unused terms have no postings: the posting arrays stay as they are.
  for (let k = 0; k < s.terms.length; k++) {
    if (map[k] !== -1) termStart[map[k]! + 1] = termStart[map[k]!]! + (s.termStart[k + 1]! - s.termStart[k]!);
  }
  return { ...s, terms, termStart, filePathTerm: s.filePathTerm.map((x) => map[x]!) };
}

/** The graph ranks of a snapshot as numbers (float32 bits stored). */
export function graphRanksOf(s: SearchSnapshot): Float32Array {
  return new Float32Array(s.graphRank.buffer, s.graphRank.byteOffset, s.graphRank.length);
}
