export { editDistance } from '../util/edit-distance.js';

function bigrams(s: string): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < s.length - 1; i++) {
    const g = s.slice(i, i + 2);
    m.set(g, (m.get(g) ?? 0) + 1);
  }
  return m;
}

/** Dice coefficient over character bigrams of the trimmed lines, 0..1. */
export function lineSimilarity(a: string, b: string, cache?: Map<string, Map<string, number>>): number {
  const x = a.trim();
  const y = b.trim();
  if (x === y) return 1;
  if (x.length < 2 || y.length < 2) return 0;
  const get = (s: string): Map<string, number> => {
    let g = cache?.get(s);
    if (g === undefined) {
      g = bigrams(s);
      cache?.set(s, g);
    }
    return g;
  };
  const gx = get(x);
  const gy = get(y);
  let common = 0;
  for (const [g, n] of gx) common += Math.min(n, gy.get(g) ?? 0);
  return (2 * common) / (x.length - 1 + (y.length - 1));
}
