import { describe, expect, it } from 'vitest';
import { postingsBySegments, postingsByWalk, type FreshPostings, type OldPostings } from './postings-update.js';

/** A seeded generator, so a failure names its case. */
function random(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

/** Old postings over `chunks` chunks and `terms` terms, each term's in no particular chunk order (as updates leave them). */
function oldPostings(rand: (n: number) => number, chunks: number, terms: number): OldPostings {
  const start = new Uint32Array(terms + 1);
  const ids: number[] = [];
  const tfs: number[] = [];
  for (let k = 0; k < terms; k++) {
    // Some terms have no posting left.
    const n = rand(4) === 0 ? 0 : 1 + rand(12);
    for (let i = 0; i < n; i++) {
      ids.push(rand(chunks));
      tfs.push(1 + rand(5));
    }
    start[k + 1] = ids.length;
  }
  return { start, chunks: Uint32Array.from(ids), tf: Uint32Array.from(tfs) };
}

/** One file's chunks [from, from + was) replaced by `now` chunks (0: the file removed; was 0: a file added). */
function oneFile(chunks: number, from: number, was: number, now: number): Int32Array {
  const oldToNew = new Int32Array(chunks);
  for (let c = 0; c < chunks; c++) oldToNew[c] = c < from ? c : c < from + was ? -1 : c - was + now;
  return oldToNew;
}

function freshPostings(rand: (n: number) => number, terms: number, from: number, now: number, count: number): FreshPostings {
  const term = new Uint32Array(count);
  const chunk = new Uint32Array(count);
  const tf = new Uint32Array(count);
  for (let k = 0; k < count; k++) {
    term[k] = rand(terms);
    chunk[k] = from + rand(Math.max(now, 1));
    tf[k] = 1 + rand(3);
  }
  return { term, chunk, tf, count: now === 0 ? 0 : count };
}

describe('the postings of an update by term', () => {
  it('come out the same from copied stretches as from the walk over every posting, for one changed file', () => {
    let cases = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const rand = random(seed);
      const chunks = 40 + rand(200);
      const oldTerms = 1 + rand(300);
      const old = oldPostings(rand, chunks, oldTerms);
      const was = rand(seed % 5 === 0 ? 1 : 33);
      const from = rand(chunks - was + 1);
      // As many chunks as before (the bench's edit), fewer, more, or none (a removed file).
      const now = [was, Math.max(0, was - 1 - rand(3)), was + 1 + rand(4), 0][seed % 4]!;
      const terms = oldTerms + rand(5);
      const fresh = freshPostings(rand, terms, from, now, rand(60));
      const oldToNew = oneFile(chunks, from, was, now);
      const copied = postingsBySegments(old, oldToNew, terms, fresh);
      expect(copied, `seed ${seed}`).toBeDefined();
      expect(copied, `seed ${seed}`).toEqual(postingsByWalk(old, oldToNew, terms, fresh));
      cases++;
    }
    expect(cases).toBe(400);
  });

  it('leave the removed postings out and add the fresh ones after each term’s kept ones', () => {
    // term 0: chunks 0, 2, 1; term 1: 2; term 2: none; term 3: 3, 2
    const old: OldPostings = { start: Uint32Array.from([0, 3, 4, 4, 6]), chunks: Uint32Array.from([0, 2, 1, 2, 3, 2]), tf: Uint32Array.from([1, 2, 3, 4, 5, 6]) };
    // Chunk 2 replaced by two chunks (2 and 3); the old chunk 3 becomes 4. A new term 4.
    const oldToNew = Int32Array.from([0, 1, -1, 4]);
    const fresh: FreshPostings = { term: Uint32Array.from([4, 0, 2, 0]), chunk: Uint32Array.from([3, 2, 2, 3]), tf: Uint32Array.from([7, 8, 9, 10]), count: 4 };
    const expected = { termStart: Uint32Array.from([0, 4, 4, 5, 6, 7]), postChunk: Uint32Array.from([0, 1, 2, 3, 2, 4, 3]), postTf: Uint32Array.from([1, 3, 8, 10, 9, 5, 7]) };
    expect(postingsByWalk(old, oldToNew, 5, fresh)).toEqual(expected);
    expect(postingsBySegments(old, oldToNew, 5, fresh)).toEqual(expected);
  });

  it('are left to the walk when the kept chunks move in more than one way or many chunks go', () => {
    const rand = random(7);
    const old = oldPostings(rand, 100, 50);
    const none: FreshPostings = { term: new Uint32Array(0), chunk: new Uint32Array(0), tf: new Uint32Array(0), count: 0 };
    // Two files changed, each with one chunk more: two shifts.
    const two = new Int32Array(100).map((_, c) => (c < 10 ? c : c < 50 ? c + 1 : c + 2));
    expect(postingsBySegments(old, two, 50, none)).toBeUndefined();
    // A file of 40 chunks removed.
    expect(postingsBySegments(old, oneFile(100, 30, 40, 0), 50, none)).toBeUndefined();
    expect(postingsBySegments(old, oneFile(100, 30, 32, 0), 50, none)).toBeDefined();
    // Either way the walk gives the answer.
    const walked = postingsByWalk(old, two, 50, none);
    expect(walked.postChunk.length).toBe(old.chunks.length);
    expect(Math.max(...walked.postChunk)).toBe(Math.max(...old.chunks) + 2);
  });
});
