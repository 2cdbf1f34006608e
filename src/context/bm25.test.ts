import { describe, expect, it } from 'vitest';
import { DEFAULT_WEIGHTS, queryTerms, scoreChunks, topIndices, type Bm25Weights, type ChunkScores, type QueryTerm } from './bm25.js';
import type { BlobEntry } from './search-pack.js';
import { chunkLengthsOf, matchSearchSnapshot, updateSearchSnapshot, type SearchSnapshot } from './search-snapshot.js';
import { defaultFieldWeights } from './search-weights.js';

/*
 * The scorer and the top-k selection are held to the straightforward ones they replaced (copied
 * below as they were before the 50,000-file work, commit 2a3ac50): the same scores bit for bit,
 * the same matched chunks in the same order, the same term bits, the same best indices, on a
 * generated corpus where some terms are in every chunk and many chunks score alike.
 */

const vocab = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima', 'mike', 'november', 'oscar', 'papa'];
// In every chunk's text, as the generated 50,000-file repository's `service cache label run`.
const everywhere = ['service', 'cache', 'label'];

function corpus(seed: number, fileCount: number): SearchSnapshot {
  const rand = (n: number): number => (seed = (seed * 1103515245 + 12345) >>> 0) % n;
  const paths: string[] = [];
  const entries: BlobEntry[] = [];
  for (let i = 0; i < fileCount; i++) {
    // Folders and names from the vocabulary, so path terms match text terms.
    paths.push(`src/${vocab[rand(vocab.length)]!}/${vocab[rand(vocab.length)]!}${String(i).padStart(5, '0')}.ts`);
    const alike = i % 3 === 0; // a third of the files are the same chunk: ties at every cut
    const chunks = alike ? 1 : 1 + rand(3);
    const entry: BlobEntry = [];
    for (let k = 0; k < chunks; k++) {
      const text = new Map<string, number>();
      const names = new Map<string, number>();
      for (const word of everywhere) text.set(word, alike ? 2 : 1 + rand(3));
      if (!alike) {
        for (let m = rand(8); m > 0; m--) {
          const word = vocab[rand(vocab.length)]!;
          text.set(word, (text.get(word) ?? 0) + 1 + rand(2));
        }
        if (rand(2) === 0) names.set(vocab[rand(vocab.length)]!, 1 + rand(2));
        if (rand(4) === 0) names.set('label', 1);
      }
      entry.push({ start: 1 + k * 10, end: 10 + k * 10, text, names });
    }
    entries.push(entry);
  }
  const order = paths.map((_, i) => i).sort((a, b) => (paths[a]! < paths[b]! ? -1 : 1));
  const sortedPaths = order.map((i) => paths[i]!);
  const keys = order.map((i) => `k${i}`);
  // Built with every fifth file different, then updated: the updated files' postings come after
  // the kept ones, so postings (and matched chunks) are not in chunk order, as in a used index.
  const firstKeys = keys.map((k, i) => (i % 5 === 0 ? `${k}-old` : k));
  const first = updateSearchSnapshot(undefined, matchSearchSnapshot(undefined, sortedPaths, firstKeys, 1000), sortedPaths, firstKeys, 1000, (i) => (i % 5 === 0 ? [] : entries[order[i]!]!)).snapshot;
  const from = matchSearchSnapshot(first, sortedPaths, keys, 1000);
  return updateSearchSnapshot(first, from, sortedPaths, keys, 1000, (i) => entries[order[i]!]!).snapshot;
}

function queries(seed: number, count: number): string[] {
  const rand = (n: number): number => (seed = (seed * 1103515245 + 12345) >>> 0) % n;
  const pool = [...vocab, ...everywhere, 'src', 'nothing'];
  const out = ['service cache label', 'service', 'cache label cache', 'src', 'alpha src service'];
  while (out.length < count) out.push(Array.from({ length: 1 + rand(5) }, () => pool[rand(pool.length)]!).join(' '));
  return out;
}

function same(a: ChunkScores, b: ChunkScores): void {
  expect(a.matched).toEqual(b.matched);
  expect(Buffer.from(a.scores.buffer).equals(Buffer.from(b.scores.buffer))).toBe(true);
  expect([...a.terms]).toEqual([...b.terms]);
}

describe('BM25F scorer and top-k', () => {
  it('gives the straightforward scorer\'s scores and best chunks for every query, terms in every chunk included', () => {
    const s = corpus(11, 900);
    const allowed = new Uint8Array(s.fileChunkStart.length - 1).map((_, i) => (i % 4 === 1 ? 0 : 1));
    // Whole field weights (sums kept as integers) and fractional ones (kept as doubles).
    const tunings: Bm25Weights[] = [DEFAULT_WEIGHTS, { ...DEFAULT_WEIGHTS, names: 0 }, { ...DEFAULT_WEIGHTS, path: 0, k1: 0.9 }, { ...DEFAULT_WEIGHTS, text: 1.5, path: 0.7, b: 0.6 }];
    let checked = 0;
    let tied = 0;
    for (const query of queries(5, 120)) {
      for (const w of tunings) {
        for (const files of [undefined, allowed]) {
          const mine = queryTerms(s, query);
          const theirs = mine.map((q) => ({ ...q }));
          const a = scoreChunks(s, mine, w, files);
          const b = referenceScore(s, theirs, w, files);
          same(a, b);
          expect(mine.map((q) => q.idf)).toEqual(theirs.map((q) => q.idf));
          for (const limit of [1, 10, 50, 400]) {
            const best = topIndices(a.scores, limit, a.matched);
            expect(best).toEqual(referenceTop(b.scores, limit, b.matched));
            if (best.length === limit && a.scores[best[limit - 1]!] === a.scores[best[limit - 2] ?? -1]) tied++;
          }
          expect(topIndices(a.scores, 10)).toEqual(referenceTop(b.scores, 10));
          checked++;
        }
      }
    }
    expect(checked).toBe(960);
    // The corpus does what it is for: cuts fall among tied chunks.
    expect(tied).toBeGreaterThan(50);
  });
});

// ---- The scorer and selection as they were (commit 2a3ac50), the reference. ----

function referenceScore(s: SearchSnapshot, found: QueryTerm[], w: Bm25Weights = DEFAULT_WEIGHTS, files?: Uint8Array): ChunkScores {
  const chunkCount = s.chunkFile.length;
  const scores = new Float64Array(chunkCount);
  const matched: number[] = [];
  const terms = new Uint32Array(chunkCount);
  if (chunkCount === 0 || found.length === 0) return { scores, matched, terms };
  const { lengths, avg } = defaultFieldWeights(w) ? chunkLengthsOf(s) : referenceLengths(s, w);
  const k1 = w.k1;
  const b = w.b;
  const tf = new Float64Array(chunkCount);
  // The chunks one term touched, in order: a typed array instead of an array grown by push over
  // 100k+ postings of a common term. A chunk is there once per field that touched it while its sum
  // was 0 (a zero weight, when tuning), so at most twice.
  const touched = new Uint32Array(chunkCount * 2);
  for (let k = 0; k < found.length; k++) {
    const q = found[k]!;
    const bit = k < 32 ? 1 << k : 0;
    let count = 0;
    const p0 = s.termStart[q.id]!;
    const p1 = s.termStart[q.id + 1]!;
    for (let p = p0; p < p1; p++) {
      const c = s.postChunk[p]!;
      const packed = s.postTf[p]!;
      if (tf[c] === 0) touched[count++] = c;
      tf[c] = tf[c]! + w.text * (packed & 0xffff) + w.names * (packed >>> 16);
    }
    // Chunks of files whose path holds the term (once per occurrence), matched in their text or not.
    let pathChunks = 0;
    for (let p = s.pathTermStart[q.id]!; p < s.pathTermStart[q.id + 1]!; p++) {
      const i = s.pathTermFile[p]!;
      for (let c = s.fileChunkStart[i]!; c < s.fileChunkStart[i + 1]!; c++) {
        if (tf[c] === 0) touched[count++] = c;
        tf[c] = tf[c]! + w.path;
        pathChunks++;
      }
    }
    const df = Math.min(chunkCount, p1 - p0 + pathChunks);
    q.idf = Math.log(1 + (chunkCount - df + 0.5) / (df + 0.5));
    const weight = q.idf * (1 + Math.log(q.count));
    const end = Math.min(count, touched.length);
    for (let t = 0; t < end; t++) {
      const c = touched[t]!;
      const f = tf[c]!;
      tf[c] = 0;
      if (files && files[s.chunkFile[c]!] !== 1) continue;
      if (scores[c] === 0) matched.push(c);
      scores[c] = scores[c]! + (weight * f * (k1 + 1)) / (f + k1 * (1 - b + (b * lengths[c]!) / avg));
      terms[c] = terms[c]! | bit;
    }
  }
  return { scores, matched, terms };
}

/** Chunk lengths under other field weights than the stored ones (tuning), and their mean. */
function referenceLengths(s: SearchSnapshot, w: Bm25Weights): { lengths: Float64Array; avg: number } {
  const chunkCount = s.chunkFile.length;
  const lengths = new Float64Array(chunkCount);
  let sum = 0;
  for (let i = 0; i < s.paths.length; i++) {
    const pathLen = w.path * (s.filePathStart[i + 1]! - s.filePathStart[i]!);
    for (let c = s.fileChunkStart[i]!; c < s.fileChunkStart[i + 1]!; c++) {
      lengths[c] = w.text * s.chunkTextLen[c]! + w.names * s.chunkNameLen[c]! + pathLen;
      sum += lengths[c]!;
    }
  }
  return { lengths, avg: sum / chunkCount || 1 };
}

function referenceTop(scores: Float64Array, limit: number, among?: readonly number[]): number[] {
  const candidates = among ?? Array.from({ length: scores.length }, (_, i) => i);
  const positive = new Float64Array(candidates.length);
  let count = 0;
  for (const i of candidates) if (scores[i]! > 0) positive[count++] = scores[i]!;
  // Only what can be in the best `limit` is sorted: at or above the limit-th best score, found by
  // the typed array's native sort (a fresh process would run a selection in JS in the interpreter).
  const floor = count > limit * 2 ? positive.subarray(0, count).sort()[count - limit]! : 0;
  const picked: number[] = [];
  for (const i of candidates) if (scores[i]! > 0 && scores[i]! >= floor) picked.push(i);
  picked.sort((a, b) => scores[b]! - scores[a]! || a - b);
  if (picked.length > limit) picked.length = limit;
  return picked;
}
