import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { graphOf, rankDefinitions, rankGraph, type RankInput } from './rank.js';
import { matchSnapshot, readRanks, readSnapshot, startingRanks, updateSnapshot, writeRanks, writeSnapshot, type FreshEntry } from './rank-snapshot.js';

const dir = mkdtempSync(join(tmpdir(), 'assist-snapshot-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const inputs: RankInput[] = [
  { path: 'src/a.ts', defNames: ['HttpClient', 'request'], refs: { formatDate: 2, Logger: 1 } },
  { path: 'src/b.ts', defNames: ['formatDate'], refs: { HttpClient: 3 } },
  { path: 'src/c.ts', defNames: ['Logger', '_hidden'], refs: { request: 1, formatDate: 1 } },
];
const keysOf = (list: RankInput[]): string[] => list.map((i) => `ts:${i.path}:${i.defNames.join(',')}`);
const entry = (list: RankInput[]) => (i: number): FreshEntry => ({ defNames: list[i]!.defNames, refs: list[i]!.refs, skipped: false });

describe('rank snapshot', () => {
  it('round-trips through its file and ranks like the inputs it came from', async () => {
    const paths = inputs.map((i) => i.path);
    const { snapshot, changed } = updateSnapshot(undefined, matchSnapshot(undefined, paths, keysOf(inputs), 100), paths, keysOf(inputs), 100, entry(inputs));
    expect(changed).toBe(true);
    const file = join(dir, 'snap.bin');
    await writeSnapshot(file, snapshot);
    const back = await readSnapshot(file);
    expect(back).toBeDefined();
    expect(rankGraph(back!.graph, { query: 'formatDate' }).ranked).toEqual(rankDefinitions(inputs, { query: 'formatDate' }).ranked);
  });

  it('reuses unchanged entries and takes only changed files fresh', () => {
    const paths = inputs.map((i) => i.path);
    const base = updateSnapshot(undefined, matchSnapshot(undefined, paths, keysOf(inputs), 100), paths, keysOf(inputs), 100, entry(inputs)).snapshot;
    const same = updateSnapshot(base, matchSnapshot(base, paths, keysOf(inputs), 100), paths, keysOf(inputs), 100, () => {
      throw new Error('nothing changed');
    });
    expect(same.changed).toBe(false);

    const next: RankInput[] = [inputs[0]!, { path: 'src/b.ts', defNames: ['formatDate', 'parseDate'], refs: { HttpClient: 1, Logger: 2 } }, inputs[2]!, { path: 'src/d.ts', defNames: ['Extra'], refs: { parseDate: 1 } }];
    const nextPaths = next.map((i) => i.path);
    const from = matchSnapshot(base, nextPaths, keysOf(next), 100);
    expect([...from]).toEqual([0, -1, 2, -1]);
    const asked: number[] = [];
    const { snapshot } = updateSnapshot(base, from, nextPaths, keysOf(next), 100, (i) => (asked.push(i), entry(next)(i)));
    expect(asked).toEqual([1, 3]);
    expect(rankGraph(snapshot.graph, { query: 'parseDate' }).ranked).toEqual(rankDefinitions(next, { query: 'parseDate' }).ranked);
    expect([...matchSnapshot(base, paths, keysOf(inputs), 200)]).toEqual([-1, -1, -1]); // another size limit
  });

  // Names of a changed file are found among the stored ones by a pass against that file's names,
  // or, past 64 changed files, through a map of every stored name: both give the stored ids.
  it.each([
    ['a few changed files', 3],
    ['more changed files than the lookup by their names takes', 70],
  ])("gives %s's names their stored ids and appends only new names", (_, changes) => {
    const files: RankInput[] = Array.from({ length: 80 }, (_, i) => ({ path: `src/f${String(i).padStart(2, '0')}.ts`, defNames: [`def${i}`, 'shared'], refs: { [`def${(i + 1) % 80}`]: 1 + (i % 3), shared: 1 } }));
    const paths = files.map((f) => f.path);
    const base = updateSnapshot(undefined, matchSnapshot(undefined, paths, keysOf(files), 100), paths, keysOf(files), 100, entry(files)).snapshot;
    const next = files.map((f, i) => (i < changes ? { ...f, defNames: [...f.defNames, `added${i}`], refs: { ...f.refs, [`def${(i + 7) % 80}`]: 2 } } : f));
    const from = matchSnapshot(base, paths, keysOf(next), 100);
    expect([...from].filter((j) => j === -1)).toHaveLength(changes);
    const { snapshot, sameIds } = updateSnapshot(base, from, paths, keysOf(next), 100, entry(next));
    expect(sameIds).toBe(true);
    const g = snapshot.graph;
    expect(g.names.slice(0, base.graph.names.length)).toEqual(base.graph.names);
    expect(g.names.slice(base.graph.names.length)).toEqual(Array.from({ length: changes }, (_, i) => `added${i}`));
    expect(new Set(g.names).size).toBe(g.names.length);
    next.forEach((f, i) => {
      const defs = [...g.defIds.subarray(g.defStart[i]!, g.defStart[i + 1]!)].map((id) => g.names[id]);
      const refs = Object.fromEntries([...g.refIds.subarray(g.refStart[i]!, g.refStart[i + 1]!)].map((id, k) => [g.names[id], g.refCounts[g.refStart[i]! + k]]));
      expect([f.path, defs, refs]).toEqual([f.path, f.defNames, f.refs]);
    });
    expect(rankGraph(g).ranked).toEqual(rankDefinitions(next).ranked);
  });

  it('copies the unchanged files run by run, between deleted, added and changed ones', () => {
    const files: RankInput[] = Array.from({ length: 30 }, (_, i) => ({ path: `src/f${String(i).padStart(2, '0')}.ts`, defNames: i % 4 === 0 ? [] : [`def${i}`, `other${i}`], refs: i % 3 === 0 ? {} : { [`def${(i + 1) % 30}`]: i } }));
    const placed = (list: RankInput[], offset: number) => (i: number): FreshEntry => ({ ...entry(list)(i), skipped: i % 5 === 0, where: [offset + 1000 * i, 10 + i] });
    const paths = files.map((f) => f.path);
    const base = updateSnapshot(undefined, matchSnapshot(undefined, paths, keysOf(files), 100), paths, keysOf(files), 100, placed(files, 0)).snapshot;
    // f03 and f17 deleted, f10b added, f20 and f29 changed, f00 changed (a run starts after it).
    const changed = (f: RankInput): RankInput => ({ ...f, defNames: [...f.defNames, 'fresh'] });
    const next = files.filter((_, i) => i !== 3 && i !== 17).flatMap((f) => (f.path === 'src/f10.ts' ? [f, { path: 'src/f10b.ts', defNames: ['added'], refs: { def5: 2 } }] : [['src/f00.ts', 'src/f20.ts', 'src/f29.ts'].includes(f.path) ? changed(f) : f]));
    const nextPaths = next.map((f) => f.path);
    const from = matchSnapshot(base, nextPaths, keysOf(next), 100);
    const { snapshot } = updateSnapshot(base, from, nextPaths, keysOf(next), 100, placed(next, 500_000));
    const g = snapshot.graph;
    next.forEach((f, i) => {
      const old = files.findIndex((o) => o.path === f.path);
      const fresh = from[i] === -1;
      expect(fresh).toBe(old === -1 || ['src/f00.ts', 'src/f20.ts', 'src/f29.ts'].includes(f.path));
      const defs = [...g.defIds.subarray(g.defStart[i]!, g.defStart[i + 1]!)].map((id) => g.names[id]);
      const refs = Object.fromEntries([...g.refIds.subarray(g.refStart[i]!, g.refStart[i + 1]!)].map((id, k) => [g.names[id], g.refCounts[g.refStart[i]! + k]]));
      const at = fresh ? [500_000 + 1000 * i, 10 + i, i % 5 === 0 ? 1 : 0] : [1000 * old, 10 + old, old % 5 === 0 ? 1 : 0];
      expect([f.path, defs, refs, snapshot.entryAt[i], snapshot.entryLength[i], snapshot.skipped[i]]).toEqual([f.path, f.defNames, f.refs, ...at]);
    });
    expect(g.defStart[next.length]).toBe(g.defIds.length);
    expect(g.refStart[next.length]).toBe(g.refIds.length);
  });

  it('keeps name flags and entry places through the file and through updates', async () => {
    const paths = inputs.map((i) => i.path);
    const placed = (i: number): FreshEntry => ({ ...entry(inputs)(i), where: [1000 * i, 10 + i] });
    const { snapshot } = updateSnapshot(undefined, matchSnapshot(undefined, paths, keysOf(inputs), 100), paths, keysOf(inputs), 100, placed);
    const file = join(dir, 'placed.bin');
    await writeSnapshot(file, snapshot);
    const back = (await readSnapshot(file))!;
    expect([...back.entryAt]).toEqual([0, 1000, 2000]);
    expect([...back.entryLength]).toEqual([10, 11, 12]);
    const flagOf = (name: string): number => back.graph.flags[back.graph.names.indexOf(name)]!;
    expect(flagOf('HttpClient')).toBe(1); // long and structured
    expect(flagOf('_hidden')).toBe(4); // private
    expect(flagOf('request')).toBe(0);

    // One file changed: the others keep their places, the new entry brings its own (or none).
    const next: RankInput[] = [inputs[0]!, { path: 'src/b.ts', defNames: ['formatDate', 'isoWeekNumber'], refs: {} }, inputs[2]!];
    const { snapshot: updated } = updateSnapshot(back, matchSnapshot(back, paths, keysOf(next), 100), paths, keysOf(next), 100, (i) => ({ ...entry(next)(i), where: undefined }));
    expect([...updated.entryAt]).toEqual([0, 0, 2000]);
    expect([...updated.entryLength]).toEqual([10, 0, 12]);
    expect(updated.graph.flags[updated.graph.names.indexOf('isoWeekNumber')]).toBe(1);
    expect(updated.graph.flags).toHaveLength(updated.graph.names.length);
  });

  it('stores file ranks for a request and a snapshot, and maps them onto the next listing', async () => {
    const paths = inputs.map((i) => i.path);
    const base = updateSnapshot(undefined, matchSnapshot(undefined, paths, keysOf(inputs), 100), paths, keysOf(inputs), 100, entry(inputs)).snapshot;
    const file = join(dir, 'ranks.bin');
    await writeRanks(file, { request: 'req', gen: base.gen, ranks: Float64Array.from([0.5, 0.3, 0.2]) });
    const stored = await readRanks(file);
    expect(stored).toEqual({ request: 'req', gen: base.gen, ranks: Float64Array.from([0.5, 0.3, 0.2]) });

    // The next listing drops src/a.ts and adds src/d.ts: known files keep their ranks, new ones start at 0.
    const next = ['src/b.ts', 'src/c.ts', 'src/d.ts'];
    const nextKeys = [keysOf(inputs)[1]!, keysOf(inputs)[2]!, 'ts:src/d.ts:'];
    const from = matchSnapshot(base, next, nextKeys, 100);
    expect([...startingRanks(stored, base, from, 'req')!]).toEqual([0.3, 0.2, 0]);
    // Another request, or ranks over another snapshot, give no start.
    expect(startingRanks(stored, base, from, 'other')).toBeUndefined();
    const rebuilt = updateSnapshot(undefined, matchSnapshot(undefined, paths, keysOf(inputs), 100), paths, keysOf(inputs), 100, entry(inputs)).snapshot;
    expect(rebuilt.gen).not.toBe(base.gen);
    expect(startingRanks(stored, rebuilt, from, 'req')).toBeUndefined();
    writeFileSync(file, 'junk');
    expect(await readRanks(file)).toBeUndefined();
  });

  it('reads a snapshot whose definition or reference ids name no stored name as no snapshot', async () => {
    const paths = inputs.map((i) => i.path);
    const built = updateSnapshot(undefined, matchSnapshot(undefined, paths, keysOf(inputs), 100), paths, keysOf(inputs), 100, entry(inputs)).snapshot;
    await writeSnapshot(join(dir, 'ids-ok.bin'), built);
    expect((await readSnapshot(join(dir, 'ids-ok.bin')))?.graph.names).toEqual(built.graph.names);
    for (const ids of ['defIds', 'refIds'] as const) {
      const last = built.graph[ids].length - 1;
      const bad = built.graph[ids].map((id, k) => (k === last ? built.graph.names.length : id));
      await writeSnapshot(join(dir, `${ids}.bin`), { ...built, graph: { ...built.graph, [ids]: bad } });
      expect(await readSnapshot(join(dir, `${ids}.bin`)), ids).toBeUndefined();
    }
  });

  it('reads a corrupt or foreign file as no snapshot', async () => {
    const file = join(dir, 'bad.bin');
    writeFileSync(file, 'not a snapshot');
    expect(await readSnapshot(file)).toBeUndefined();
    expect(await readSnapshot(join(dir, 'missing.bin'))).toBeUndefined();
    // Names are stored joined with NUL: one holding a NUL must not shift the others.
    const odd: RankInput[] = [{ path: 'x.ts', defNames: ['a\0b'], refs: {} }];
    const built = updateSnapshot(undefined, matchSnapshot(undefined, ['x.ts'], keysOf(odd), 100), ['x.ts'], keysOf(odd), 100, entry(odd)).snapshot;
    await writeSnapshot(join(dir, 'odd.bin'), built);
    expect(await readSnapshot(join(dir, 'odd.bin'))).toBeUndefined();
    expect(graphOf([]).defStart).toEqual(new Uint32Array(1));
  });
});
