import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_WEIGHTS, queryTerms, scoreChunks, topIndices } from './bm25.js';
import type { BlobEntry } from './search-pack.js';
import { buildSearchDelta, decodeSearchDelta, encodeSearchDelta } from './search-delta.js';
import { matchSearchSnapshot, readSearchSnapshot, termId, termPostings, updateSearchSnapshot, writeSearchSnapshot, type SearchSnapshot } from './search-snapshot.js';

function entry(...chunks: [start: number, end: number, text: string, names?: string][]): BlobEntry {
  const count = (words: string): Map<string, number> => {
    const m = new Map<string, number>();
    for (const w of words.split(' ').filter(Boolean)) m.set(w, (m.get(w) ?? 0) + 1);
    return m;
  };
  return chunks.map(([start, end, text, names]) => ({ start, end, text: count(text), names: count(names ?? '') }));
}

const words = ['retry', 'backoff', 'cache', 'session', 'token', 'reporter', 'summary', 'header', 'parse', 'config', 'worker', 'queue', 'render', 'branch', 'commit', 'diff'];

/** A deterministic entry of a few chunks for a file's n-th version. */
function content(seed: number): BlobEntry {
  let x = seed + 1;
  const rand = (n: number): number => (x = (x * 1103515245 + 12345) >>> 0) % n;
  const chunks: [number, number, string, string][] = [];
  let line = 1;
  for (let c = 0; c < 1 + rand(3); c++) {
    const text = Array.from({ length: 4 + rand(8) }, () => words[rand(words.length)]!).join(' ');
    const names = rand(2) === 0 ? '' : `${words[rand(words.length)]} ${words[rand(words.length)]}${seed}`;
    chunks.push([line, line + 5, `${text} v${seed % 7}`, names]);
    line += 6;
  }
  return entry(...chunks);
}

/** Files by path and their entries by key. */
interface Tree {
  paths: string[];
  keys: string[];
  entries: Map<string, BlobEntry>;
}

function tree(count: number): Tree {
  const paths = Array.from({ length: count }, (_, i) => `src/${words[i % words.length]}/f${String(i).padStart(3, '0')}.ts`).sort();
  const keys = paths.map((_, i) => `k${i}`);
  return { paths, keys, entries: new Map(keys.map((k, i) => [k, content(i)])) };
}

function build(t: Tree, base?: SearchSnapshot): SearchSnapshot {
  const from = matchSearchSnapshot(base, t.paths, t.keys, 100);
  return updateSearchSnapshot(base, from, t.paths, t.keys, 100, (i) => t.entries.get(t.keys[i]!) ?? []).snapshot;
}

async function baseOf(t: Tree, generation = 'g1'): Promise<SearchSnapshot> {
  const path = join(mkdtempSync(join(tmpdir(), 'assist-delta-')), 'snapshot.bin');
  const s = build(t);
  s.generation = generation;
  await writeSearchSnapshot(path, s);
  return (await readSearchSnapshot(path))!;
}

function deltaOf(base: SearchSnapshot, t: Tree): SearchSnapshot | undefined {
  const from = matchSearchSnapshot(base, t.paths, t.keys, 100);
  return buildSearchDelta(base, from, t.paths, t.keys, 100, (i) => t.entries.get(t.keys[i]!) ?? []);
}

const queries = ['retry backoff', 'cache session token', 'reporter summary header', 'parse config', 'worker queue', 'render branch commit diff', 'v3 cache', 'src retry', 'f007 session'];

/** Everything a search reads of a snapshot, per term its postings as a full update orders them, and the scores of some queries to the bit. */
function reading(s: SearchSnapshot): unknown {
  const arrays = Object.fromEntries(
    (['fileChunkStart', 'chunkFile', 'chunkStart', 'chunkEnd', 'chunkTextLen', 'chunkNameLen', 'chunkLen', 'filePathStart', 'filePathTerm', 'pathTermStart', 'pathTermFile', 'graphRank', 'graphPlace', 'graphOrder', 'tagsAt', 'tagsLen'] as const).map((k) => [k, [...s[k]]]),
  );
  const postings = s.terms.map((term, id) => {
    const p = termPostings(s, id)!;
    // With a limit: the same postings, or none past it.
    if (p.chunks.length > 0) expect(termPostings(s, id, p.chunks.length - 1)).toBeUndefined();
    expect([...termPostings(s, id, p.chunks.length)!.chunks]).toEqual([...p.chunks]);
    return [term, termId(s, term), [...p.chunks], [...p.tf]];
  });
  // The default weights, and others (a zero name weight, the path's changed: the tuning's lengths).
  const ranked = [DEFAULT_WEIGHTS, { ...DEFAULT_WEIGHTS, names: 0, path: 0.5 }].flatMap((w) =>
    queries.map((q) => {
      const found = queryTerms(s, q);
      const { scores, matched, terms } = scoreChunks(s, found, w);
      return { found: found.map((f) => [f.term, f.id, f.idf]), scores: [...scores], matched: [...matched], terms: [...terms], top: topIndices(scores, 5, matched) };
    }),
  );
  return { paths: [...s.paths], keys: [...s.keys], terms: [...s.terms], avgLen: s.avgLen, maxFileBytes: s.maxFileBytes, arrays, postings, ranked };
}

/** The delta of `t` over `base` equals the full update of `base` to `t`, in memory and read back from its bytes. */
function expectFullUpdate(base: SearchSnapshot, t: Tree): SearchSnapshot {
  const view = deltaOf(base, t);
  expect(view).toBeDefined();
  const full = build(t, base);
  expect(reading(view!)).toEqual(reading(full));
  const read = decodeSearchDelta(encodeSearchDelta(view!), base);
  expect(read).toBeDefined();
  expect(reading(read!)).toEqual(reading(full));
  return read!;
}

describe('search index delta', () => {
  it('reads as the full update after one changed file, the same file changed twice, a deletion, an insertion and several changes', async () => {
    const t = tree(40);
    const base = await baseOf(t);
    // One file changed (new terms among its own).
    const one = { ...t, keys: [...t.keys], entries: new Map(t.entries) };
    one.keys[7] = 'k7b';
    one.entries.set('k7b', entry([1, 4, 'retry brandnew words retry', 'brandnewname']));
    expectFullUpdate(base, one);
    // The same file changed again: the second delta replaces the first's entry, from the same base.
    one.keys[7] = 'k7c';
    one.entries.set('k7c', content(1007));
    expectFullUpdate(base, one);
    // A file deleted.
    const gone = { ...t, paths: t.paths.filter((_, i) => i !== 12), keys: t.keys.filter((_, i) => i !== 12) };
    expectFullUpdate(base, gone);
    // A file added between two base files.
    const added = { paths: [...t.paths], keys: [...t.keys], entries: new Map(t.entries) };
    const at = 20;
    added.paths.splice(at, 0, `${t.paths[at - 1]!}x`);
    added.keys.splice(at, 0, 'knew');
    added.entries.set('knew', entry([1, 9, 'session token cache fresh', 'freshtoken'], [10, 12, 'header']));
    expect(added.paths[at - 1]! < added.paths[at]! && added.paths[at]! < added.paths[at + 1]!).toBe(true);
    expectFullUpdate(base, added);
    // Several at once: two changed (one emptied), one deleted, one added at the end.
    const several = { paths: [...t.paths], keys: [...t.keys], entries: new Map(t.entries) };
    several.keys[3] = 'k3b';
    several.entries.set('k3b', content(503));
    several.keys[30] = 'k30b';
    several.entries.set('k30b', []);
    several.paths.splice(10, 1);
    several.keys.splice(10, 1);
    several.paths.push('src/zz/last.ts');
    several.keys.push('klast');
    several.entries.set('klast', entry([1, 2, 'zzunique retry', 'zzname']));
    expectFullUpdate(base, several);
  });

  it('is not read over another base, nor when truncated or damaged; a read never throws', async () => {
    const t = tree(24);
    const base = await baseOf(t);
    const changed = { ...t, keys: [...t.keys] };
    changed.keys[5] = 'k5b';
    changed.entries = new Map(t.entries).set('k5b', content(99));
    const bytes = encodeSearchDelta(deltaOf(base, changed)!);
    expect(decodeSearchDelta(bytes, base)).toBeDefined();
    // Of another generation: the same files, another snapshot.
    expect(decodeSearchDelta(bytes, await baseOf(t, 'g2'))).toBeUndefined();
    // Over a base of other content with the same generation (a hand-made mix): its shape differs.
    expect(decodeSearchDelta(bytes, await baseOf(tree(25)))).toBeUndefined();
    for (let cut = 0; cut < bytes.length; cut += Math.max(1, Math.floor(bytes.length / 97))) expect(decodeSearchDelta(bytes.subarray(0, cut), base)).toBeUndefined();
    // Bytes flipped anywhere: ignored, or read as a view whose postings stay in range.
    for (let at = 0; at < bytes.length; at += 7) {
      const bad = Buffer.from(bytes);
      bad[at] = bad[at]! ^ 0xa5;
      const view = decodeSearchDelta(bad, base);
      if (!view) continue;
      for (const q of queries) {
        const found = queryTerms(view, q);
        const { scores } = scoreChunks(view, found);
        for (let id = 0; id < view.termStart.length - 1; id++) for (const c of termPostings(view, id)!.chunks) expect(c).toBeLessThan(view.chunkFile.length);
        expect(scores.length).toBe(view.chunkFile.length);
      }
    }
  });

  it('is not made where the full update would do otherwise: base files moved, a base of no generation, nothing changed, dead terms to drop', async () => {
    const t = tree(30);
    const base = await baseOf(t);
    // Two base files swap places (a listing order the delta cannot map by position).
    const moved = { ...t, paths: [...t.paths], keys: [...t.keys] };
    [moved.paths[3], moved.paths[4]] = [moved.paths[4]!, moved.paths[3]!];
    [moved.keys[3], moved.keys[4]] = [moved.keys[4]!, moved.keys[3]!];
    expect(deltaOf(base, moved)).toBeUndefined();
    const noGeneration = await baseOf(t);
    delete noGeneration.generation;
    const changed = { ...t, keys: [...t.keys] };
    changed.keys[2] = 'k2b';
    changed.entries = new Map(t.entries).set('k2b', content(77));
    expect(deltaOf(noGeneration, changed)).toBeUndefined();
    expect(deltaOf(base, t)).toBeUndefined();
    // Past the files a delta is for.
    const many = { ...t, keys: t.keys.map((k) => `${k}m`), entries: new Map([...t.entries].map(([k, e]) => [`${k}m`, e])) };
    const manyMore = tree(100);
    const hundred = { paths: manyMore.paths, keys: manyMore.keys.map((k) => `${k}m`), entries: new Map([...manyMore.entries].map(([k, e]) => [`${k}m`, e])) };
    expect(deltaOf(await baseOf(manyMore), hundred)).toBeUndefined();
    expect(deltaOf(base, many)).toBeUndefined();
    // A file of 5,000 terms of its own replaced: the full update drops them (most of the
    // dictionary), so a delta, which keeps the base's dictionary, must not stand for it.
    const big = tree(12);
    big.entries.set('k4', entry([1, 2, Array.from({ length: 5000 }, (_, k) => `only${k}`).join(' ')]));
    const bigBase = await baseOf(big);
    const replaced = { ...big, keys: [...big.keys] };
    replaced.keys[4] = 'k4b';
    replaced.entries = new Map(big.entries).set('k4b', content(4));
    expect(build(replaced, bigBase).terms.length).toBeLessThan(bigBase.terms.length / 2);
    expect(deltaOf(bigBase, replaced)).toBeUndefined();
    // The same base with a small change elsewhere: its terms stay, a delta stands for the update.
    const small = { ...big, keys: [...big.keys] };
    small.keys[8] = 'k8b';
    small.entries = new Map(big.entries).set('k8b', content(8));
    expectFullUpdate(bigBase, small);
  });
});
