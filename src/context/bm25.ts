import { chunkLengthsOf, deltaRange, overlayOf, termId, type SearchSnapshot } from './search-snapshot.js';
import { DEFAULT_WEIGHTS, defaultFieldWeights, type Bm25Weights } from './search-weights.js';
import { countTokensInto } from './search-tokens.js';

export { DEFAULT_WEIGHTS, type Bm25Weights } from './search-weights.js';

/** A request's terms found in the index: term id, how often the request says it, its idf. */
export interface QueryTerm {
  term: string;
  id: number;
  count: number;
  idf: number;
  /** A term the request did not say (one of the same root as a term it did): the share of its weight. */
  boost?: number;
}

// Words a request uses to say what to do rather than what about: they match code everywhere.
const REQUEST_STOP = new Set(['fix', 'add', 'support', 'updat', 'update', 'remov', 'remove', 'use', 'allow', 'make', 'improv', 'improve', 'handl', 'handle', 'avoid', 'ensur', 'ensure', 'correct', 'correctly', 'properly', 'instead', 'don', 'doesn', 'isn', 'should', 'more', 'less', 'now', 'only', 'just', 'new', 'same', 'other', 'again', 'issue', 'bug', 'change', 'using', 'used', 'let', 'get', 'set']);

/** Whether a request term is one of the words that say what to do (`fix`, `add`, `support`, ...). */
export function isRequestWord(term: string): boolean {
  return REQUEST_STOP.has(term);
}

/** The request's terms that the index holds (terms it does not hold cannot score). */
export function queryTerms(snapshot: SearchSnapshot, query: string, dropRequestWords = true): QueryTerm[] {
  const counts = new Map<string, number>();
  countTokensInto(query, counts);
  if (dropRequestWords && counts.size > 2) {
    const kept = [...counts.keys()].filter((t) => !REQUEST_STOP.has(t));
    // A request made only of such words keeps them: they are all it says.
    if (kept.length > 0) for (const t of [...counts.keys()]) if (REQUEST_STOP.has(t)) counts.delete(t);
  }
  if (counts.size === 0) return [];
  // A native search of the dictionary per term (`termId`): a loop over every term runs before the
  // JIT in a fresh process (~5 ms on 15k terms), a search of its bytes takes microseconds.
  const found: QueryTerm[] = [];
  const postings = snapshot.postChunk.length;
  const pathPostings = snapshot.pathTermFile.length;
  for (const [term, count] of counts) {
    const id = termId(snapshot, term);
    if (id === -1) continue;
    // The reader checks the term ranges at their ends only: a damaged range scores nothing.
    const p0 = snapshot.termStart[id]!;
    const p1 = snapshot.termStart[id + 1]!;
    const q0 = snapshot.pathTermStart[id]!;
    const q1 = snapshot.pathTermStart[id + 1]!;
    if (p0 > p1 || p1 > postings || q0 > q1 || q1 > pathPostings) continue;
    found.push({ term, id, count, idf: 0 });
  }
  found.sort((a, b) => a.id - b.id);
  return found;
}

/** Scores of the chunks a request matched, and which chunks those are (the rest score 0). */
export interface ChunkScores {
  scores: Float64Array;
  /** Chunks with a positive score, in no order. */
  matched: number[];
  /** Per chunk, bit k set when it holds the k-th of the request's terms found (the first 32). */
  terms: Uint32Array;
}

/**
 * BM25F over chunks: each field's counts are weighted and summed before saturation (text,
 * the definition names a chunk holds, its file's path), with the length normalised over the
 * same weighted sum. `files` limits the chunks scored (1 = allowed). Only the postings of the
 * request's terms are visited (chunk lengths are stored with the index): in a fresh process
 * that code runs before the JIT, where a pass over every chunk costs milliseconds.
 */
export function scoreChunks(s: SearchSnapshot, found: QueryTerm[], w: Bm25Weights = DEFAULT_WEIGHTS, files?: Uint8Array): ChunkScores {
  const chunkCount = s.chunkFile.length;
  const scores = new Float64Array(chunkCount);
  const matched: number[] = [];
  const terms = new Uint32Array(chunkCount);
  if (chunkCount === 0 || found.length === 0) return { scores, matched, terms };
  const { lengths, avg } = defaultFieldWeights(w) ? chunkLengthsOf(s) : weightedLengths(s, w);
  // The snapshot's arrays in locals: a fresh process runs these loops before the JIT, where each
  // property read of the snapshot object costs a lookup per posting.
  const { termStart, postChunk, postTf, pathTermStart, pathTermFile, fileChunkStart, chunkFile } = s;
  const k1 = w.k1;
  const b = w.b;
  const text = w.text;
  const names = w.names;
  const pathWeight = w.path;
  // Each chunk's length term of the BM25 denominator, computed once (NaN until then) instead of per
  // term: a fresh process runs this before the JIT, where every double an expression makes is a new
  // heap number. With the field sums below, a vitest search made ~3.4 MB of them, now ~1.8
  // (docs/search.md "Seventeenth session"). The same operations in the same order: the same doubles.
  const norm = new Float64Array(chunkCount).fill(NaN);
  const k1p1 = k1 + 1;
  // A view of a snapshot and its delta (search-delta.ts): base postings renumbered (removed chunks
  // skipped), then the delta's.
  const overlay = overlayOf(s);
  // A term's field sums per chunk. Whole numbers under whole field weights (the defaults): kept in
  // an Int32Array, whose reads before the JIT are small integers, where each read of a Float64Array
  // makes a heap number (measured: 32 bytes an element). The same values either way.
  const wholeSums = Number.isInteger(text) && Number.isInteger(names) && Number.isInteger(pathWeight) && Math.max(Math.abs(text), Math.abs(names), Math.abs(pathWeight)) <= 1024;
  let tf: Float64Array | Int32Array | undefined;
  let touched: Uint32Array | undefined;
  for (let k = 0; k < found.length; k++) {
    const q = found[k]!;
    const bit = k < 32 ? 1 << k : 0;
    const p0 = termStart[q.id]!;
    const p1 = termStart[q.id + 1]!;
    const q0 = pathTermStart[q.id]!;
    const q1 = pathTermStart[q.id + 1]!;
    if (q0 === q1 && overlay === undefined) {
      // No path holds the term: each chunk has at most one posting of it (the index merges a
      // chunk's text and name counts), so its field sum is that posting's and one pass scores it.
      const df = Math.min(chunkCount, p1 - p0);
      q.idf = Math.log(1 + (chunkCount - df + 0.5) / (df + 0.5));
      const weight = q.idf * (1 + Math.log(q.count)) * (q.boost ?? 1);
      for (let p = p0; p < p1; p++) {
        const c = postChunk[p]!;
        const packed = postTf[p]!;
        const f = text * (packed & 0xffff) + names * (packed >>> 16);
        if (files && files[chunkFile[c]!] !== 1) continue;
        const was = scores[c]!;
        if (was === 0) matched.push(c);
        let n = norm[c]!;
        if (n !== n) n = norm[c] = k1 * (1 - b + (b * lengths[c]!) / avg);
        scores[c] = was + (weight * f * k1p1) / (f + n);
        terms[c] = terms[c]! | bit;
      }
      continue;
    }
    tf ??= wholeSums ? new Int32Array(chunkCount) : new Float64Array(chunkCount);
    // The chunks one term touched, in order: a typed array instead of an array grown by push over
    // 100k+ postings of a common term. A chunk is there once per field that touched it while its sum
    // was 0 (a zero weight, when tuning), so at most twice.
    touched ??= new Uint32Array(chunkCount * 2);
    let count = 0;
    let postings = p1 - p0;
    if (overlay === undefined) {
      for (let p = p0; p < p1; p++) {
        const c = postChunk[p]!;
        const packed = postTf[p]!;
        if (tf[c] === 0) touched[count++] = c;
        tf[c] = tf[c]! + text * (packed & 0xffff) + names * (packed >>> 16);
      }
    } else {
      // Every term of a view takes these two passes (its df is known once the removed postings are
      // skipped): a field sum of 0 + x + y is the one pass's x + y, so the scores are the same doubles.
      const chunkOf = overlay.chunkOf;
      postings = 0;
      for (let p = p0; p < p1; p++) {
        const c = chunkOf[postChunk[p]!]!;
        if (!(c >= 0)) continue;
        postings++;
        const packed = postTf[p]!;
        if (tf[c] === 0) touched[count++] = c;
        tf[c] = tf[c]! + text * (packed & 0xffff) + names * (packed >>> 16);
      }
      const [d0, d1] = deltaRange(overlay, q.id);
      const deltaChunk = overlay.chunks;
      const deltaTf = overlay.tf;
      for (let p = d0; p < d1; p++) {
        const c = deltaChunk[p]!;
        const packed = deltaTf[p]!;
        if (tf[c] === 0) touched[count++] = c;
        tf[c] = tf[c]! + text * (packed & 0xffff) + names * (packed >>> 16);
      }
      postings += d1 - d0;
    }
    // Chunks of files whose path holds the term (once per occurrence), matched in their text or not.
    let pathChunks = 0;
    for (let p = q0; p < q1; p++) {
      const i = pathTermFile[p]!;
      const c0 = fileChunkStart[i]!;
      const c1 = fileChunkStart[i + 1]!;
      for (let c = c0; c < c1; c++) {
        if (tf[c] === 0) touched[count++] = c;
        tf[c] = tf[c]! + pathWeight;
      }
      if (c1 > c0) pathChunks += c1 - c0;
    }
    const df = Math.min(chunkCount, postings + pathChunks);
    q.idf = Math.log(1 + (chunkCount - df + 0.5) / (df + 0.5));
    const weight = q.idf * (1 + Math.log(q.count)) * (q.boost ?? 1);
    const end = Math.min(count, touched.length);
    for (let t = 0; t < end; t++) {
      const c = touched[t]!;
      const f = tf[c]!;
      tf[c] = 0;
      if (files && files[chunkFile[c]!] !== 1) continue;
      const was = scores[c]!;
      if (was === 0) matched.push(c);
      let n = norm[c]!;
      if (n !== n) n = norm[c] = k1 * (1 - b + (b * lengths[c]!) / avg);
      scores[c] = was + (weight * f * k1p1) / (f + n);
      terms[c] = terms[c]! | bit;
    }
  }
  return { scores, matched, terms };
}

/** Chunk lengths under other field weights than the stored ones (tuning), and their mean. */
function weightedLengths(s: SearchSnapshot, w: Bm25Weights): { lengths: Float64Array; avg: number } {
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

/**
 * The indices of the `limit` best positive scores, best first (ties: lower index first); only
 * `among` are looked at when given (the indices that can be positive).
 */
export function topIndices(scores: Float64Array, limit: number, among?: readonly number[]): number[] {
  const candidates = among ?? Array.from({ length: scores.length }, (_, i) => i);
  const total = candidates.length;
  const positive = new Float64Array(total);
  let count = 0;
  // Indexed loops: a fresh process runs them before the JIT, where an iterator costs more per step.
  for (let k = 0; k < total; k++) {
    const v = scores[candidates[k]!]!;
    if (v > 0) positive[count++] = v;
  }
  // Only what can be in the best `limit` is sorted: at or above the limit-th best score, found by
  // the typed array's native sort (a fresh process would run a selection in JS in the interpreter).
  const floor = count > limit * 2 ? positive.subarray(0, count).sort()[count - limit]! : 0;
  const picked: number[] = [];
  // Scores above the floor are fewer than `limit`; of those equal to it, the lowest indices fill
  // the rest (the order's tie rule). Many chunks can tie there (generated files score alike: 49,990
  // of 50,000): they are chosen by a native sort of their indices, not a comparator over them all.
  let ties: Uint32Array | undefined;
  let tieCount = 0;
  for (let k = 0; k < total; k++) {
    const i = candidates[k]!;
    const v = scores[i]!;
    if (!(v > 0) || v < floor) continue;
    if (v > floor) picked.push(i);
    else (ties ??= new Uint32Array(total))[tieCount++] = i;
  }
  if (ties) {
    const room = Math.max(0, limit - picked.length);
    const tied = ties.subarray(0, tieCount);
    if (tieCount > room) tied.sort();
    for (let t = 0; t < Math.min(room, tieCount); t++) picked.push(tied[t]!);
  }
  picked.sort((a, b) => scores[b]! - scores[a]! || a - b);
  if (picked.length > limit) picked.length = limit;
  return picked;
}
