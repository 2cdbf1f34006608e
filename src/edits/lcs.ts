const LCS_CELLS_MAX = 4_000_000;

/** Pairs [i, j] of a longest common subsequence of `a` and `b`, ascending. */
export function lcsPairs(a: readonly string[], b: readonly string[]): Array<[number, number]> {
  let lo = 0;
  while (lo < a.length && lo < b.length && a[lo] === b[lo]) lo++;
  let ea = a.length;
  let eb = b.length;
  while (ea > lo && eb > lo && a[ea - 1] === b[eb - 1]) {
    ea--;
    eb--;
  }
  const pairs: Array<[number, number]> = [];
  for (let k = 0; k < lo; k++) pairs.push([k, k]);
  const n = ea - lo;
  const m = eb - lo;
  if (n > 0 && m > 0 && n * m <= LCS_CELLS_MAX) {
    const w = m + 1;
    const t = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        t[i * w + j] =
          a[lo + i] === b[lo + j] ? t[(i + 1) * w + j + 1]! + 1 : Math.max(t[(i + 1) * w + j]!, t[i * w + j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
      if (a[lo + i] === b[lo + j]) {
        pairs.push([lo + i, lo + j]);
        i++;
        j++;
      } else if (t[(i + 1) * w + j]! >= t[i * w + j + 1]!) i++;
      else j++;
    }
  }
  for (let k = 0; k < a.length - ea; k++) pairs.push([ea + k, eb + k]);
  return pairs;
}
