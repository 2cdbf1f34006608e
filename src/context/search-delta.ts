import { rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { AnyEntry } from './search-pack.js';
import { derive, layoutOf, overlayOf, readSearchSnapshot, registerView, storedListing, validStamp, type ListingStamp, type Overlay, type SearchSnapshot } from './search-snapshot.js';
import { TOKENIZER_VERSION } from './search-tokens.js';
import { decodeSnapshot, LIST_SEP, readSnapshotFile, snapshotParts, splitList, writeSnapshotFile } from './snapshot-codec.js';
import { AssistError } from '../errors.js';

/*
 * The search index's delta segment (docs/search.md "Fifteenth session"): after a few changed
 * files, `search/delta.bin` holds what differs from the full snapshot beside it instead of the
 * snapshot being rebuilt and written again (3.4 MB and a walk over every posting on vitest).
 * It holds the listing's per-file and per-chunk arrays whole (small: ~0.5 MB on vitest, no
 * posting among them), the changed files' postings by term, and the terms the base lacks; the
 * base's postings are read through it (`termPostings`), so every id, count and score is the one
 * a full update of the base would give. It names its base by the generation id in the base's
 * header: a delta of another snapshot, or one that does not decode, is ignored. Written only when
 * asked for (search-index.ts `IndexOptions.delta`, `ASSIST_SEARCH_DELTA=1`): measured, a warm search
 * over a delta cost about what the change path saved.
 */

const MAGIC = 0x41534431; // "ASD1"
/** Bump when the layout changes: a delta of another version is ignored (the full update runs). */
const VERSION = 1;
/** A file of the delta, not of the base, in `fileFrom`. */
const NONE = 0xffffffff;

/** Beyond this many changed files, or this share of the base's postings, the full update runs (compaction). */
export const DELTA_MAX_FILES = 64;
export const DELTA_MAX_POSTINGS_SHARE = 0.05;

interface Header {
  v: number;
  tokenizer: number;
  /** The base snapshot's generation. */
  base: string;
  baseFiles: number;
  baseChunks: number;
  baseTerms: number;
  basePostings: number;
  maxFileBytes: number;
  n: number;
  chunks: number;
  pathTerms: number;
  ranked: number;
  added: number;
  touched: number;
  postings: number;
  avgLen: number;
  listing?: ListingStamp;
  pathBytes: number;
  keyBytes: number;
  addedBytes: number;
}

/** The delta's file beside a snapshot. */
export function deltaPathOf(snapshotPath: string): string {
  return join(dirname(snapshotPath), 'delta.bin');
}

/**
 * The view of `base` with `from` (per listed file its place in the base, -1 for a changed or new
 * one, whose entry `fresh` gives), as a full update of the base would make it, without sorting
 * the base's postings: undefined when a delta cannot stand for it (the base not read from its
 * file or without a generation, base files in another order, more changes than a delta is for,
 * or dead terms that could make the full update compact the dictionary). Its graph ranks and
 * tags places are the caller's to fill, as for `updateSearchSnapshot`.
 */
export function buildSearchDelta(base: SearchSnapshot, from: Int32Array, paths: readonly string[], keys: readonly string[], maxFileBytes: number, fresh: (i: number) => AnyEntry): SearchSnapshot | undefined {
  const n = paths.length;
  if (base.generation === undefined || base.liveTerms === undefined || base.maxFileBytes !== maxFileBytes || overlayOf(base) || !storedListing(base)) return undefined;
  const baseFiles = base.fileChunkStart.length - 1;
  // Base files keep their order (a delta maps chunk ids by position); a moved one needs the full update.
  let last = -1;
  let changed = 0;
  for (let i = 0; i < n; i++) {
    const j = from[i]!;
    if (j === -1) changed++;
    else if (j <= last) return undefined;
    else last = j;
  }
  // Nothing changed from the base (a delta that did not apply, being replaced): the full snapshot.
  if (changed > DELTA_MAX_FILES || (changed === 0 && n === baseFiles)) return undefined;
  const lay = layoutOf(base, from, paths, fresh);
  if (lay.baseStored === undefined || lay.f > base.postChunk.length * DELTA_MAX_POSTINGS_SHARE) return undefined;
  const baseTerms = lay.baseCount;
  const t = baseTerms + lay.terms.length;
  if (t > 4096) {
    // A full update drops dead terms once they are most of the dictionary. The terms the removed
    // chunks and paths held are at most their counts' sum (a posting counts at least 1): when even
    // that many dying leaves the dictionary mostly live, the full update would not compact.
    const kept = new Uint8Array(baseFiles);
    for (let i = 0; i < n; i++) if (from[i]! >= 0) kept[from[i]!] = 1;
    let dying = 0;
    for (let j = 0; j < baseFiles; j++) {
      if (kept[j] === 1) continue;
      dying += base.filePathStart[j + 1]! - base.filePathStart[j]!;
      for (let c = base.fileChunkStart[j]!; c < base.fileChunkStart[j + 1]!; c++) dying += base.chunkTextLen[c]! + base.chunkNameLen[c]!;
    }
    if ((base.liveTerms - dying + lay.terms.length) * 2 < t) return undefined;
  }
  // The fresh postings grouped by term, each term's in the order they were made: what the full
  // update appends after the base's kept ones.
  const { freshTerm, freshChunk, freshTf, f } = lay;
  const counts = new Map<number, number>();
  for (let k = 0; k < f; k++) counts.set(freshTerm[k]!, (counts.get(freshTerm[k]!) ?? 0) + 1);
  const termIds = Uint32Array.from(counts.keys()).sort();
  const start = new Uint32Array(termIds.length + 1);
  const slot = new Map<number, number>();
  for (let d = 0; d < termIds.length; d++) {
    start[d + 1] = start[d]! + counts.get(termIds[d]!)!;
    slot.set(termIds[d]!, start[d]!);
  }
  const chunks = new Uint32Array(f);
  const tf = new Uint32Array(f);
  for (let k = 0; k < f; k++) {
    const at = slot.get(freshTerm[k]!)!;
    slot.set(freshTerm[k]!, at + 1);
    chunks[at] = freshChunk[k]!;
    tf[at] = freshTf[k]!;
  }
  const joined = { paths: paths.join(LIST_SEP), keys: keys.join(LIST_SEP) };
  const view = assemble(
    base,
    {
      maxFileBytes,
      fileChunkStart: lay.fileChunkStart,
      chunkFile: lay.chunkFile,
      chunkStart: lay.chunkStart,
      chunkEnd: lay.chunkEnd,
      chunkTextLen: lay.chunkTextLen,
      chunkNameLen: lay.chunkNameLen,
      filePathStart: lay.filePathStart,
      filePathTerm: lay.filePathTerm,
      graphRank: new Uint32Array(n),
      graphPlace: new Uint32Array(n),
      graphOrder: new Uint32Array(0),
      tagsAt: new Uint32Array(n),
      tagsLen: new Uint32Array(n),
      chunkLen: new Uint32Array(lay.chunkTotal),
      avgLen: 1,
      pathTermStart: new Uint32Array(0),
      pathTermFile: new Uint32Array(0),
    },
    { fileFrom: new Uint32Array(from.buffer, from.byteOffset, from.length), chunkOf: lay.oldToNew, removed: removedOf(lay.oldToNew), added: lay.terms, termIds, start, chunks, tf },
    { paths: Buffer.from(joined.paths, 'utf8'), keys: Buffer.from(joined.keys, 'utf8'), joined, pathList: () => paths, keyList: () => keys },
  );
  derive(view);
  return view;
}

function removedOf(chunkOf: Int32Array): number {
  let removed = 0;
  for (let c = 0; c < chunkOf.length; c++) if (chunkOf[c]! < 0) removed++;
  return removed;
}

/** The per-file and per-chunk arrays a delta holds whole (everything of a snapshot but its postings, dictionary and lists). */
type Own = Omit<SearchSnapshot, 'paths' | 'keys' | 'terms' | 'termStart' | 'postChunk' | 'postTf' | 'generation' | 'liveTerms'>;

/** The listing of a view: its paths and keys as stored (UTF-8, NUL-joined) and as lists, the latter made when first asked for. */
interface ViewListing {
  paths: Uint8Array;
  keys: Uint8Array;
  joined?: { paths: string; keys: string };
  pathList: () => readonly string[];
  keyList: () => readonly string[];
}

/** The view of a base and a delta: the delta's own arrays, the base's postings and dictionary extended by its terms. */
function assemble(base: SearchSnapshot, own: Own, delta: Omit<Overlay, 'base' | 'addedIds'>, listing: ViewListing): SearchSnapshot {
  const baseTerms = base.termStart.length - 1;
  const t = baseTerms + delta.added.length;
  // The terms the base lacks have no base postings: their ranges are empty, at the base's end.
  const termStart = new Uint32Array(t + 1);
  termStart.set(base.termStart);
  termStart.fill(base.termStart[baseTerms]!, baseTerms + 1);
  const addedIds = new Map<string, number>();
  delta.added.forEach((term, k) => addedIds.set(term, baseTerms + k));
  let terms: string[] | undefined;
  const view: SearchSnapshot = {
    ...own,
    get paths(): readonly string[] {
      return listing.pathList();
    },
    get keys(): readonly string[] {
      return listing.keyList();
    },
    get terms(): readonly string[] {
      return (terms ??= [...base.terms, ...delta.added]);
    },
    termStart,
    postChunk: base.postChunk,
    postTf: base.postTf,
  };
  registerView(view, { ...delta, base, addedIds }, listing.paths, listing.keys, listing.joined);
  return view;
}

/** The file's bytes of a delta view, as pieces (snapshot-codec.ts `snapshotParts`). */
export function searchDeltaParts(view: SearchSnapshot): Uint8Array[] {
  const ov = overlayOf(view);
  const listing = storedListing(view);
  if (!ov || !listing || ov.base.generation === undefined) throw new AssistError('context.search-delta', 'only a view of a base and its delta is written as a delta');
  const base = ov.base;
  const added = Buffer.from(ov.added.join(LIST_SEP), 'utf8');
  const header: Header = {
    v: VERSION,
    tokenizer: TOKENIZER_VERSION,
    base: base.generation!,
    baseFiles: base.fileChunkStart.length - 1,
    baseChunks: base.chunkFile.length,
    baseTerms: base.termStart.length - 1,
    basePostings: base.postChunk.length,
    maxFileBytes: view.maxFileBytes,
    n: view.fileChunkStart.length - 1,
    chunks: view.chunkFile.length,
    pathTerms: view.filePathTerm.length,
    ranked: view.graphOrder.length,
    added: ov.added.length,
    touched: ov.termIds.length,
    postings: ov.chunks.length,
    avgLen: view.avgLen,
    ...(view.listing ? { listing: view.listing } : {}),
    pathBytes: listing.paths.length,
    keyBytes: listing.keys.length,
    addedBytes: added.length,
  };
  const words = [
    ov.fileFrom,
    view.fileChunkStart,
    view.chunkFile,
    view.chunkStart,
    view.chunkEnd,
    view.chunkTextLen,
    view.chunkNameLen,
    view.chunkLen,
    view.filePathStart,
    view.filePathTerm,
    view.graphRank,
    view.graphPlace,
    view.graphOrder,
    view.tagsAt,
    view.tagsLen,
    view.pathTermStart,
    view.pathTermFile,
    ov.termIds,
    ov.start,
    ov.chunks,
    ov.tf,
  ];
  return snapshotParts(MAGIC, header, words, [listing.paths, listing.keys, added]);
}

/** The file's bytes of a delta view. */
export function encodeSearchDelta(view: SearchSnapshot): Buffer {
  return Buffer.concat(searchDeltaParts(view));
}

/** Writes a delta atomically (temp file, rename). */
export async function writeSearchDelta(path: string, view: SearchSnapshot): Promise<void> {
  await writeSnapshotFile(path, searchDeltaParts(view));
}

/** Removes a delta (after the full snapshot that replaces it was written); a missing one is fine. */
export async function removeSearchDelta(path: string): Promise<void> {
  await rm(path, { force: true });
}

/**
 * The view of `base` and the delta in `buf`; undefined when the delta is of another base (its
 * generation or shape), of another version, or does not decode or hold together.
 */
export function decodeSearchDelta(buf: Buffer, base: SearchSnapshot): SearchSnapshot | undefined {
  const decoded = decodeSnapshot<Header>(buf, MAGIC);
  if (!decoded) return undefined;
  const { header: h, sections } = decoded;
  const baseFiles = base.fileChunkStart.length - 1;
  const baseChunks = base.chunkFile.length;
  const baseTerms = base.termStart.length - 1;
  if (h.v !== VERSION || h.tokenizer !== TOKENIZER_VERSION || base.generation === undefined || h.base !== base.generation || overlayOf(base)) return undefined;
  if (h.baseFiles !== baseFiles || h.baseChunks !== baseChunks || h.baseTerms !== baseTerms || h.basePostings !== base.postChunk.length || h.maxFileBytes !== base.maxFileBytes) return undefined;
  try {
    const { n, chunks: c, pathTerms: q } = h;
    const t = baseTerms + h.added;
    const fileFrom = sections.words(n);
    const own = {
      fileChunkStart: sections.words(n + 1),
      chunkFile: sections.words(c),
      chunkStart: sections.words(c),
      chunkEnd: sections.words(c),
      chunkTextLen: sections.words(c),
      chunkNameLen: sections.words(c),
      chunkLen: sections.words(c),
      filePathStart: sections.words(n + 1),
      filePathTerm: sections.words(q),
      graphRank: sections.words(n),
      graphPlace: sections.words(n),
      graphOrder: sections.words(h.ranked),
      tagsAt: sections.words(n),
      tagsLen: sections.words(n),
      pathTermStart: sections.words(t + 1),
      pathTermFile: sections.words(q),
    };
    const termIds = sections.words(h.touched);
    const start = sections.words(h.touched + 1);
    const chunks = sections.words(h.postings);
    const tf = sections.words(h.postings);
    const paths = sections.bytes(h.pathBytes);
    const keys = sections.bytes(h.keyBytes);
    const addedBytes = sections.bytes(h.addedBytes);
    if (!sections.done() || typeof h.avgLen !== 'number' || !(h.avgLen > 0)) return undefined;
    const added = splitList(Buffer.from(addedBytes.buffer, addedBytes.byteOffset, addedBytes.length).toString('utf8'), h.added);
    if (!added) return undefined;
    // What the reader indexes by is checked here (the delta is small): ranges ascending and
    // ending at their arrays' lengths, ids within what they index.
    const ascending = (a: Uint32Array, end: number): boolean => {
      if (a[0] !== 0 || a[a.length - 1] !== end) return false;
      for (let i = 1; i < a.length; i++) if (a[i - 1]! > a[i]!) return false;
      return true;
    };
    if (!ascending(own.fileChunkStart, c) || !ascending(own.filePathStart, q) || !ascending(start, h.postings) || own.pathTermStart[0] !== 0 || own.pathTermStart[t] !== q) return undefined;
    for (let d = 0; d < termIds.length; d++) if (termIds[d]! >= t || (d > 0 && termIds[d - 1]! >= termIds[d]!)) return undefined;
    for (let p = 0; p < chunks.length; p++) if (chunks[p]! >= c) return undefined;
    // (The path terms and the path-term index are not checked one by one: 33k entries on vitest, a
    // pass a fresh process runs in the interpreter. A bad id there reads as nothing, as in a snapshot.)
    // Base files in their order, each with the base's count of chunks: their chunks map by position.
    const chunkOf = new Int32Array(baseChunks).fill(-1);
    let last = -1;
    for (let i = 0; i < n; i++) {
      const j = fileFrom[i]!;
      if (j === NONE) continue;
      if (j >= baseFiles || (last !== -1 && j <= last)) return undefined;
      last = j;
      const b0 = base.fileChunkStart[j]!;
      const count = base.fileChunkStart[j + 1]! - b0;
      const c0 = own.fileChunkStart[i]!;
      if (own.fileChunkStart[i + 1]! - c0 !== count) return undefined;
      for (let k = 0; k < count; k++) chunkOf[b0 + k] = c0 + k;
    }
    let pathList: string[] | undefined;
    let keyList: string[] | undefined;
    const list = (bytes: Uint8Array, count: number): string[] => {
      const parts = splitList(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'), count);
      if (!parts) throw new AssistError('context.search-delta', 'the search index delta is damaged (a list does not hold its count)');
      return parts;
    };
    const withHeader = {
      ...own,
      maxFileBytes: h.maxFileBytes,
      avgLen: h.avgLen,
      ...(validStamp(h.listing) ? { listing: h.listing } : {}),
    };
    // Paths and keys are split when asked for, as a full snapshot's are: a warm search compares
    // the stored bytes with the listing, or checks them (`pathsDecode`) when git's output decides.
    return assemble(base, withHeader, { fileFrom, chunkOf, removed: removedOf(chunkOf), added, termIds, start, chunks, tf }, { paths, keys, pathList: () => (pathList ??= list(paths, n)), keyList: () => (keyList ??= list(keys, n)) });
  } catch {
    return undefined;
  }
}

/** The last delta this process read, by its file's identity and base: a turn opens the index twice. */
let lastRead: { path: string; identity: string; base: SearchSnapshot; view: SearchSnapshot | undefined } | undefined;

/**
 * The search index as stored: the full snapshot (`base`, undefined when missing or damaged) and
 * what a search reads (`view`: the base with its delta over it when there is a delta of it, else
 * the base). `delta` says whether a delta file is there, used or not.
 */
export async function readSearchIndex(snapshotPath: string): Promise<{ base: SearchSnapshot | undefined; view: SearchSnapshot | undefined; delta: boolean }> {
  const path = deltaPathOf(snapshotPath);
  // The delta is read beside the snapshot (unless this process read the same file already).
  const [base, delta] = await Promise.all([
    readSearchSnapshot(snapshotPath),
    stat(path).then(
      async (st) => {
        const identity = `${st.ino}:${st.size}:${st.mtimeMs}`;
        return { identity, buf: lastRead?.path === path && lastRead.identity === identity ? undefined : await readSnapshotFile(path) };
      },
      () => undefined,
    ),
  ]);
  if (delta === undefined || !base) return { base, view: base, delta: delta !== undefined };
  if (delta.buf === undefined && lastRead?.path === path && lastRead.identity === delta.identity && lastRead.base === base) return { base, view: lastRead.view ?? base, delta: true };
  const buf = delta.buf ?? (await readSnapshotFile(path));
  const view = buf && decodeSearchDelta(buf, base);
  lastRead = { path, identity: delta.identity, base, view };
  return { base, view: view ?? base, delta: true };
}
