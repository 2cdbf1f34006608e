import { describe, expect, it } from 'vitest';
import { rankGraph, type RankInput } from './rank.js';
import { reuseRanking } from './rank-reuse.js';
import { matchSnapshot, updateSnapshot, type FreshEntry, type RankSnapshot, type StoredRanks } from './rank-snapshot.js';

// A small repository with distinct scores: a service most files use, helpers some use, tests.
const files: RankInput[] = [
  { path: 'src/http.ts', defNames: ['HttpClient', 'request', 'RetryPolicy'], refs: { formatDate: 2, Logger: 1, parseUrl: 3 } },
  { path: 'src/date.ts', defNames: ['formatDate', 'parseDate'], refs: { Logger: 1 } },
  { path: 'src/log.ts', defNames: ['Logger', '_buffer'], refs: { formatDate: 1 } },
  { path: 'src/url.ts', defNames: ['parseUrl', 'joinUrl'], refs: { Logger: 2 } },
  { path: 'src/app.ts', defNames: ['main', 'startServer'], refs: { HttpClient: 2, request: 4, RetryPolicy: 1, Logger: 1, joinUrl: 1 } },
  { path: 'test/http.test.ts', defNames: ['fakeServer'], refs: { HttpClient: 3, request: 2, parseDate: 1, describe: 4 } },
];

const keysOf = (list: RankInput[]): string[] => list.map((i) => `ts:${i.path}:${i.defNames.join(',')}:${JSON.stringify(i.refs)}`);
const entry = (list: RankInput[]) => (i: number): FreshEntry => ({ defNames: list[i]!.defNames, refs: list[i]!.refs, skipped: false });
const LIMIT = 8;

function snapshotOf(list: RankInput[], base?: RankSnapshot): { snapshot: RankSnapshot; from: Int32Array; sameIds: boolean } {
  const paths = list.map((f) => f.path);
  const from = matchSnapshot(base, paths, keysOf(list), 100);
  const { snapshot, sameIds } = updateSnapshot(base, from, paths, keysOf(list), 100, entry(list));
  return { snapshot, from, sameIds };
}

/** The last build: a full ranking of `files`, stored with its definition scores. */
function lastBuild(request = 'r'): { base: RankSnapshot; stored: StoredRanks } {
  const base = snapshotOf(files).snapshot;
  const full = rankGraph(base.graph, { limit: LIMIT, maxIterations: 200 });
  return { base, stored: { request, gen: base.gen, ranks: full.fileRanks, scores: full.scores } };
}

function changeFile(index: number, change: Partial<RankInput>): RankInput[] {
  return files.map((f, i) => (i === index ? { ...f, ...change } : f));
}

describe('reuseRanking', () => {
  it('carries the ranking over a change that moves no link, as a full ranking of the new graph gives it', () => {
    const { base, stored } = lastBuild();
    // A new function nothing calls yet, and a body edit that keeps the identifiers.
    const next = changeFile(4, { defNames: ['main', 'startServer', 'stopServer'], refs: { ...files[4]!.refs, undefinedThing: 7 } });
    const { snapshot, from, sameIds } = snapshotOf(next, base);
    expect(sameIds).toBe(true);
    const reused = reuseRanking(base, snapshot, from, stored, { key: 'r', focus: new Set(), limit: LIMIT });
    expect(reused).toBeDefined();
    const full = rankGraph(snapshot.graph, { limit: LIMIT, maxIterations: 200 });
    expect(reused!.ranked.map((r) => `${r.file}#${r.name}`)).toEqual(full.ranked.map((r) => `${r.file}#${r.name}`));
    reused!.ranked.forEach((r, k) => expect(r.score).toBeCloseTo(full.ranked[k]!.score, 9));
    [...full.scores].forEach((score, d) => expect(reused!.scores[d]).toBeCloseTo(score, 9));
    [...full.fileRanks].forEach((rank, i) => expect(reused!.fileRanks[i]).toBeCloseTo(rank, 9));
    expect(reused!.ranked.some((r) => r.name === 'stopServer') || full.ranked.every((r) => r.name !== 'stopServer')).toBe(true);
  });

  it('carries it over a definition removed that nothing referenced, and gives a focus file its boost', () => {
    const focusBase = snapshotOf(files).snapshot;
    const fullBase = rankGraph(focusBase.graph, { limit: 50, focusFiles: ['src/app.ts'], maxIterations: 200 });
    const stored: StoredRanks = { request: 'f', gen: focusBase.gen, ranks: fullBase.fileRanks, scores: fullBase.scores };
    const next = changeFile(4, { defNames: ['main', 'helperNobodyCalls'] });
    const { snapshot, from } = snapshotOf(next, focusBase);
    const reused = reuseRanking(focusBase, snapshot, from, stored, { key: 'f', focus: new Set([4]), limit: 50 });
    const full = rankGraph(snapshot.graph, { limit: 50, focusFiles: ['src/app.ts'], maxIterations: 200 });
    expect(reused).toBeDefined();
    expect(reused!.ranked.map((r) => `${r.file}#${r.name}`)).toEqual(full.ranked.map((r) => `${r.file}#${r.name}`));
    reused!.ranked.forEach((r, k) => expect(r.score).toBeCloseTo(full.ranked[k]!.score, 9));
  });

  it('declines a change that moves a link, another request, a stale ranking and a listing that changed shape', () => {
    const { base, stored } = lastBuild();
    const declined = (next: RankInput[], over: StoredRanks = stored, key = 'r'): boolean => {
      const { snapshot, from } = snapshotOf(next, base);
      return reuseRanking(base, snapshot, from, over, { key, focus: new Set(), limit: LIMIT }) === undefined;
    };
    expect(declined(changeFile(4, { refs: { ...files[4]!.refs, request: 5 } }))).toBe(true); // one more call
    expect(declined(changeFile(4, { refs: { ...files[4]!.refs, parseDate: 1 } }))).toBe(true); // a new link
    expect(declined(changeFile(1, { defNames: ['formatDate'] }))).toBe(true); // parseDate, which the test uses, is gone
    expect(declined(changeFile(3, { defNames: ['parseUrl', 'joinUrl', 'request'] }))).toBe(true); // a second definer of a used name
    expect(declined(changeFile(4, { defNames: ['main', 'startServer', 'stopServer'] }), stored, 'other')).toBe(true);
    expect(declined(changeFile(4, { defNames: ['main', 'startServer', 'stopServer'] }), { ...stored, gen: 'older' })).toBe(true);
    const { scores: _scores, ...withoutScores } = stored;
    expect(declined(changeFile(4, { defNames: ['main', 'startServer', 'stopServer'] }), withoutScores)).toBe(true);
    expect(declined([...files, { path: 'src/new.ts', defNames: ['x'], refs: {} }])).toBe(true); // a file added
    expect(declined(files.filter((f) => f.path !== 'src/url.ts'))).toBe(true); // a file deleted
    expect(declined(files.map((f) => (f.path === 'src/date.ts' ? { ...f, path: 'src/dates.ts' } : f)))).toBe(true); // renamed
    // And the same change as in the first test is taken, so these decline for their reason.
    expect(declined(changeFile(4, { defNames: ['main', 'startServer', 'stopServer'] }))).toBe(false);
  });
});
