/**
 * The postings of an index update sorted by term (search-snapshot.ts `updateSearchSnapshot`): for
 * each term, its kept postings in their old order with their chunks renumbered, then its fresh
 * postings in the order they were made. Two ways to the same arrays: a walk over every old posting,
 * and, when one file changed, copies of the old arrays' unchanged stretches.
 */

/** A snapshot's postings: term `k`'s are `chunks`/`tf` from `start[k]` to `start[k + 1]`. */
export interface OldPostings {
  start: Uint32Array;
  chunks: Uint32Array;
  tf: Uint32Array;
}

/** The changed files' postings in the order they were made, `count` of them. */
export interface FreshPostings {
  term: Uint32Array;
  chunk: Uint32Array;
  tf: Uint32Array;
  count: number;
}

export interface TermPostings {
  termStart: Uint32Array;
  postChunk: Uint32Array;
  postTf: Uint32Array;
}

// Each removed chunk's postings are found with one native scan of the old chunk ids (0.1-0.2 ms
// each on vitest's 290k, in a fresh process; a JS scan for a range of ids took 10-22 ms there): past
// about this many the walk is as cheap.
const MAX_REMOVED_CHUNKS = 32;

/**
 * `terms` terms (the old ones and any new ones after them); `oldToNew` maps an old chunk to its new
 * id, or -1 for a chunk of a replaced or removed file.
 */
export function postingsByTerm(old: OldPostings, oldToNew: Int32Array, terms: number, fresh: FreshPostings): TermPostings {
  return postingsBySegments(old, oldToNew, terms, fresh) ?? postingsByWalk(old, oldToNew, terms, fresh);
}

/** @internal Every old posting looked at: any change. */
export function postingsByWalk(old: OldPostings, oldToNew: Int32Array, terms: number, fresh: FreshPostings): TermPostings {
  const counts = new Uint32Array(terms + 1);
  countKept(old.start, old.chunks, oldToNew, counts);
  for (let k = 0; k < fresh.count; k++) counts[fresh.term[k]!]!++;
  const termStart = new Uint32Array(terms + 1);
  for (let k = 0; k < terms; k++) termStart[k + 1] = termStart[k]! + counts[k]!;
  const total = termStart[terms]!;
  const postChunk = new Uint32Array(total);
  const postTf = new Uint32Array(total);
  const fill = termStart.slice(0, terms);
  copyKept(old.start, old.chunks, old.tf, oldToNew, fill, postChunk, postTf);
  placeFresh(fresh, fill, postChunk, postTf);
  return { termStart, postChunk, postTf };
}

/**
 * @internal The same arrays from copies of the old ones, when the kept chunks keep their ids but
 * for one shift (`oldToNew[c] - c` is 0 up to some chunk and one other value from there on: one
 * file changed, added or removed) and at most {@link MAX_REMOVED_CHUNKS} chunks are removed.
 * Between the terms a change touches, the old postings move as a block; only a shift makes a pass
 * over every posting (for the chunk ids past it). Undefined for any other change.
 *
 * After one changed file of vitest's 2,287 (290k postings, a fresh process), the walk took ~23 ms
 * and this ~14 when the file keeps its number of chunks; the new arrays' first touches (~600
 * pages) are most of what is left.
 */
export function postingsBySegments(old: OldPostings, oldToNew: Int32Array, terms: number, fresh: FreshPostings): TermPostings | undefined {
  const { start, chunks, tf } = old;
  const oldTerms = start.length - 1;
  const postings = chunks.length;
  if (terms < oldTerms) return undefined;
  const removed: number[] = [];
  let shiftFrom = -1;
  let shift = 0;
  for (let c = 0; c < oldToNew.length; c++) {
    const to = oldToNew[c]!;
    if (to === -1) {
      if (removed.push(c) > MAX_REMOVED_CHUNKS) return undefined;
      continue;
    }
    if (to - c === shift) continue;
    if (shiftFrom !== -1) return undefined;
    shiftFrom = c;
    shift = to - c;
  }
  const gone: number[] = [];
  for (const c of removed) for (let p = chunks.indexOf(c); p !== -1; p = chunks.indexOf(c, p + 1)) gone.push(p);
  gone.sort((a, b) => a - b);

  // Per term, its removed and its fresh postings; the terms with either are the touched ones, and
  // every other term's postings move as a block with those around it.
  const goneOf = new Uint32Array(terms);
  const freshOf = new Uint32Array(terms);
  let term = 0;
  for (const p of gone) {
    while (start[term + 1]! <= p) term++;
    goneOf[term]!++;
  }
  for (let k = 0; k < fresh.count; k++) freshOf[fresh.term[k]!]!++;
  const oldStart = (k: number): number => (k <= oldTerms ? start[k]! : postings);
  const termStart = new Uint32Array(terms + 1);
  const touched: number[] = [];
  let moved = 0;
  for (let k = 0; k < terms; k++) {
    termStart[k] = oldStart(k) + moved;
    if (goneOf[k] === 0 && freshOf[k] === 0) continue;
    touched.push(k);
    moved += freshOf[k]! - goneOf[k]!;
  }
  termStart[terms] = postings + moved;
  const total = termStart[terms]!;
  const postChunk = new Uint32Array(total);
  const postTf = new Uint32Array(total);
  const copy = (from: number, to: number, at: number): void => {
    if (to <= from) return;
    postChunk.set(chunks.subarray(from, to), at);
    postTf.set(tf.subarray(from, to), at);
  };
  // `done`: the old postings copied so far; the untouched terms before a touched one go in one
  // block, moved by as much as that term's start.
  let done = 0;
  let g = 0;
  for (const k of touched) {
    const from = oldStart(k);
    copy(done, from, done + termStart[k]! - from);
    let write = termStart[k]!;
    let p = from;
    const end = oldStart(k + 1);
    for (; g < gone.length && gone[g]! < end; g++) {
      copy(p, gone[g]!, write);
      write += gone[g]! - p;
      p = gone[g]! + 1;
    }
    copy(p, end, write);
    done = end;
  }
  copy(done, postings, done + total - postings);
  if (shift !== 0) shiftChunks(postChunk, shiftFrom, shift);
  const fill = new Uint32Array(terms);
  for (const k of touched) fill[k] = termStart[k + 1]! - freshOf[k]!;
  placeFresh(fresh, fill, postChunk, postTf);
  return { termStart, postChunk, postTf };
}

/*
 * The old postings are walked in one flat loop each, in small functions V8 optimises at once: a
 * loop per term is thousands of short loops, which a fresh process runs in the interpreter
 * (~40 ms instead of a few on 260k postings).
 */
function countKept(start: Uint32Array, chunks: Uint32Array, oldToNew: Int32Array, counts: Uint32Array): void {
  const postings = chunks.length;
  let term = 0;
  let next = start[1] ?? 0;
  for (let p = 0; p < postings; p++) {
    while (p >= next) next = start[++term + 1]!;
    if (oldToNew[chunks[p]!] !== -1) counts[term]!++;
  }
}

function copyKept(start: Uint32Array, chunks: Uint32Array, tf: Uint32Array, oldToNew: Int32Array, fill: Uint32Array, postChunk: Uint32Array, postTf: Uint32Array): void {
  const postings = chunks.length;
  let term = 0;
  let next = start[1] ?? 0;
  for (let p = 0; p < postings; p++) {
    while (p >= next) next = start[++term + 1]!;
    const to = oldToNew[chunks[p]!]!;
    if (to === -1) continue;
    const at = fill[term]!++;
    postChunk[at] = to;
    postTf[at] = tf[p]!;
  }
}

function shiftChunks(chunks: Uint32Array, from: number, by: number): void {
  for (let p = 0; p < chunks.length; p++) {
    const c = chunks[p]!;
    if (c >= from) chunks[p] = c + by;
  }
}

/** Each fresh posting at its term's next free place (`fill`). */
function placeFresh(fresh: FreshPostings, fill: Uint32Array, postChunk: Uint32Array, postTf: Uint32Array): void {
  for (let k = 0; k < fresh.count; k++) {
    const at = fill[fresh.term[k]!]!++;
    postChunk[at] = fresh.chunk[k]!;
    postTf[at] = fresh.tf[k]!;
  }
}
