/** Field weights and BM25 parameters of the lexical ranking. */
export interface Bm25Weights {
  text: number;
  names: number;
  path: number;
  k1: number;
  b: number;
}

/** Tuned on the retrieval benchmark (bench/retrieval, docs/search.md). */
export const DEFAULT_WEIGHTS: Readonly<Bm25Weights> = { text: 1, names: 3, path: 3, k1: 1.2, b: 0.75 };

/** Whether the fields weigh as the defaults do (then the index's stored chunk lengths apply). */
export function defaultFieldWeights(w: Bm25Weights): boolean {
  return w.text === DEFAULT_WEIGHTS.text && w.names === DEFAULT_WEIGHTS.names && w.path === DEFAULT_WEIGHTS.path;
}
