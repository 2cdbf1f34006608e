/**
 * The place of `value` in `sorted` (ascending by JavaScript's string order, as a listing sorts its
 * paths), -1 when absent. UTF-16 order is byte order (git's) for every character below U+D800: a
 * list sorted by git with a path above that could make this miss one (not found, never another's place).
 */
export function indexInSorted(sorted: readonly string[], value: string): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const p = sorted[mid]!;
    if (p === value) return mid;
    if (p < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
