import { kthLargest } from './rank.js';
import type { SearchSnapshot } from './search-snapshot.js';
import { countTokensInto } from './search-tokens.js';

/** Field weights and BM25 parameters of the lexical ranking. */
export interface Bm25Weights {
  text: number;
  names: number;
  path: number;
  k1: number;
  b: number;
}

/** Tuned on the retrieval benchmark (bench/retrieval, docs/search.md). */
export const DEFAULT_WEIGHTS: Bm25Weights = { text: 1, names: 3, path: 3, k1: 1.2, b: 0.75 };

/** A request's terms found in the index: term id, how often the request says it, its idf. */
export interface QueryTerm {
  term: string;
  id: number;
  count: number;
  idf: number;
}

// Words a request uses to say what to do rather than what about: they match code everywhere.
const REQUEST_STOP = new Set(['fix', 'add', 'support', 'updat', 'update', 'remov', 'remove', 'use', 'allow', 'make', 'improv', 'improve', 'handl', 'handle', 'avoid', 'ensur', 'ensure', 'correct', 'correctly', 'properly', 'instead', 'don', 'doesn', 'isn', 'should', 'more', 'less', 'now', 'only', 'just', 'new', 'same', 'other', 'again', 'issue', 'bug', 'change', 'using', 'used', 'let', 'get', 'set']);

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
  const found: QueryTerm[] = [];
  const { terms } = snapshot;
  for (let id = 0; id < terms.length && found.length < counts.size; id++) {
    const count = counts.get(terms[id]!);
    if (count !== undefined) found.push({ term: terms[id]!, id, count, idf: 0 });
  }
  return found;
}

/**
 * BM25F over chunks: each field's counts are weighted and summed before saturation (text,
 * the definition names a chunk holds, its file's path), with the length normalised over the
 * same weighted sum. `files` limits the chunks scored (1 = allowed). Returns a score per chunk.
 */
export function scoreChunks(s: SearchSnapshot, found: QueryTerm[], w: Bm25Weights = DEFAULT_WEIGHTS, files?: Uint8Array): Float64Array {
  const chunkCount = s.chunkFile.length;
  const scores = new Float64Array(chunkCount);
  if (chunkCount === 0 || found.length === 0) return scores;
  const n = s.paths.length;

  // Path terms: per query term, the files whose path holds it (with the count).
  const slot = new Int32Array(s.terms.length).fill(-1);
  found.forEach((q, k) => (slot[q.id] = k));
  const pathFiles: number[][] = found.map(() => []);
  for (let i = 0; i < n; i++) {
    for (let p = s.filePathStart[i]!; p < s.filePathStart[i + 1]!; p++) {
      const k = slot[s.filePathTerm[p]!]!;
      if (k !== -1) pathFiles[k]!.push(i);
    }
  }
  // Weighted length of each chunk: its text, its names and its file's path.
  const length = new Float64Array(chunkCount);
  let lenSum = 0;
  for (let i = 0; i < n; i++) {
    const pathLen = w.path * (s.filePathStart[i + 1]! - s.filePathStart[i]!);
    for (let c = s.fileChunkStart[i]!; c < s.fileChunkStart[i + 1]!; c++) {
      const len = w.text * s.chunkTextLen[c]! + w.names * s.chunkNameLen[c]! + pathLen;
      length[c] = len;
      lenSum += len;
    }
  }
  const avg = lenSum / chunkCount || 1;
  const k1 = w.k1;
  const b = w.b;

  const tf = new Float64Array(chunkCount);
  const touched: number[] = [];
  found.forEach((q, k) => {
    touched.length = 0;
    const p0 = s.termStart[q.id]!;
    const p1 = s.termStart[q.id + 1]!;
    for (let p = p0; p < p1; p++) {
      const c = s.postChunk[p]!;
      const packed = s.postTf[p]!;
      if (tf[c] === 0) touched.push(c);
      tf[c] = tf[c]! + w.text * (packed & 0xffff) + w.names * (packed >>> 16);
    }
    // Chunks of files whose path holds the term, matched in their text or not (a file listed
    // twice has the term twice in its path).
    let pathChunks = 0;
    for (const i of pathFiles[k]!) {
      for (let c = s.fileChunkStart[i]!; c < s.fileChunkStart[i + 1]!; c++) {
        if (tf[c] === 0) touched.push(c);
        tf[c] = tf[c]! + w.path;
        pathChunks++;
      }
    }
    const df = Math.min(chunkCount, p1 - p0 + pathChunks);
    q.idf = Math.log(1 + (chunkCount - df + 0.5) / (df + 0.5));
    const weight = q.idf * (1 + Math.log(q.count));
    for (const c of touched) {
      const f = tf[c]!;
      tf[c] = 0;
      if (files && files[s.chunkFile[c]!] !== 1) continue;
      scores[c] = scores[c]! + (weight * f * (k1 + 1)) / (f + k1 * (1 - b + (b * length[c]!) / avg));
    }
  });
  return scores;
}

/** The indices of the `limit` best positive scores, best first (ties: lower index first). */
export function topIndices(scores: Float64Array, limit: number): number[] {
  let positive = 0;
  for (let i = 0; i < scores.length; i++) if (scores[i]! > 0) positive++;
  // Only what can be in the best `limit` is sorted: at or above the limit-th best score.
  const floor = positive > limit * 2 ? kthLargest(scores, limit) : 0;
  const picked: number[] = [];
  for (let i = 0; i < scores.length; i++) if (scores[i]! > 0 && scores[i]! >= floor) picked.push(i);
  picked.sort((a, b) => scores[b]! - scores[a]! || a - b);
  if (picked.length > limit) picked.length = limit;
  return picked;
}
