import { describe, expect, it } from 'vitest';
import { findMentions, kthLargest, rankDefinitions, selectRanked, type RankedDef, type RankGraph, type RankInput } from './rank.js';

const file = (path: string, defNames: string[], refs: Record<string, number> = {}): RankInput => ({ path, defNames, refs });

describe('rankDefinitions', () => {
  const inputs = [
    file('src/core.ts', ['HttpClient', 'request'], {}),
    file('src/util.ts', ['formatDate', '_internalHelper'], {}),
    file('src/a.ts', ['mainA'], { HttpClient: 3, request: 2, formatDate: 1 }),
    file('src/b.ts', ['mainB'], { HttpClient: 1, _internalHelper: 5 }),
    file('src/lonely.ts', ['unused'], {}),
  ];

  it('ranks definitions that many files reference above the rest', () => {
    const { ranked } = rankDefinitions(inputs);
    const order = ranked.map((r) => r.name);
    expect(order[0]).toBe('HttpClient');
    expect(order.indexOf('request')).toBeLessThan(order.indexOf('unused'));
    expect(order.indexOf('formatDate')).toBeLessThan(order.indexOf('unused'));
    expect(order.indexOf('formatDate')).toBeLessThan(order.indexOf('mainA'));
  });

  it('starts from given file ranks and still converges to the same ranking', () => {
    const cold = rankDefinitions(inputs);
    // All mass on the one unreferenced file: far from the fixed point, not even summing to 1.
    const skewed = rankDefinitions(inputs, { start: Float64Array.from([0, 0, 0, 0, 7]) });
    expect(skewed.ranked.map((r) => r.name)).toEqual(cold.ranked.map((r) => r.name));
    skewed.fileRanks.forEach((v, i) => expect(Math.abs(v - cold.fileRanks[i]!)).toBeLessThan(1e-4));
    // Unusable starts are ignored.
    for (const start of [new Float64Array(3), new Float64Array(5), Float64Array.from([1, Number.NaN, 0, 0, 0]), Float64Array.from([1, -1, 0, 0, 1])]) {
      expect(rankDefinitions(inputs, { start }).fileRanks).toEqual(cold.fileRanks);
    }
  });

  it('weighs private identifiers less', () => {
    const { ranked } = rankDefinitions(inputs);
    const score = (name: string): number => ranked.find((r) => r.name === name)!.score;
    // _internalHelper has more references than formatDate but is private.
    expect(score('_internalHelper')).toBeLessThan(score('formatDate') * 5);
  });

  it('puts identifiers named in the query first', () => {
    const { ranked, mentions } = rankDefinitions(inputs, { query: 'why does formatDate drop the timezone?' });
    expect([...mentions.identifiers]).toEqual(['formatDate']);
    expect(ranked[0]!.name).toBe('formatDate');
  });

  it('personalises to focus files: what they use ranks higher', () => {
    const plain = rankDefinitions(inputs).ranked.map((r) => r.name);
    const focused = rankDefinitions(inputs, { focusFiles: ['src/b.ts'] }).ranked.map((r) => r.name);
    expect(focused.indexOf('_internalHelper')).toBeLessThan(plain.indexOf('_internalHelper'));
  });

  it('does not count a file referencing its own definition', () => {
    const { ranked } = rankDefinitions([file('x.ts', ['selfish'], { selfish: 10 }), file('y.ts', ['other'], { other: 0 })]);
    expect(ranked.find((r) => r.name === 'selfish')!.score).toBeLessThan(0.01);
  });

  it('handles an empty repository', () => {
    expect(rankDefinitions([]).ranked).toEqual([]);
  });
});

describe('findMentions', () => {
  const inputs = [file('src/context/repo-map.ts', ['buildRepoMap']), file('src/cli/main.ts', ['main']), file('lib/HttpClient.java', ['HttpClient'])];
  const defined = new Map([
    ['buildRepoMap', 0],
    ['main', 1],
    ['HttpClient', 2],
  ]);

  it('finds identifiers exactly or case-insensitively, and paths by suffix or stem', () => {
    const m = findMentions('look at context/repo-map.ts and the httpclient, not main()', inputs, defined);
    expect([...m.identifiers].sort()).toEqual(['HttpClient', 'main']);
    expect([...m.files].sort()).toEqual(['lib/HttpClient.java', 'src/cli/main.ts', 'src/context/repo-map.ts']);
  });

  it('finds dotted names whole (an Elixir module), from a longer dotted word too', () => {
    const elixir = new Map([
      ['Plug.Conn', 0],
      ['Conn', 1],
      ['send_resp', 2],
    ]);
    const files = [file('lib/plug/conn.ex', ['Plug.Conn', 'send_resp'])];
    expect([...findMentions('how does Plug.Conn.send_resp work?', files, elixir).identifiers].sort()).toEqual(['Conn', 'Plug.Conn', 'send_resp']);
    expect([...findMentions('see plug.conn.', files, elixir).identifiers].sort()).toEqual(['Conn', 'Plug.Conn']);
    expect([...findMentions('Plug and Conn apart', files, elixir).identifiers]).toEqual(['Conn']);
  });

  it('finds nothing in an empty query', () => {
    const m = findMentions('', inputs, defined);
    expect(m.identifiers.size + m.files.size).toBe(0);
  });
});

describe('limit', () => {
  it('returns the same best definitions as a full ranking', () => {
    const inputs: RankInput[] = Array.from({ length: 60 }, (_, i) =>
      file(`f${i}.ts`, [`def${i}a`, `def${i}b`, `_p${i}`], { [`def${(i * 7) % 60}a`]: 1 + (i % 3), [`def${(i * 11) % 60}b`]: 2, [`_p${(i + 1) % 60}`]: 1 }),
    );
    const full = rankDefinitions(inputs).ranked;
    for (const limit of [0, 1, 7, 50, 180, 500]) {
      expect(rankDefinitions(inputs, { limit }).ranked).toEqual(full.slice(0, limit));
    }
  });

  // selectRanked orders by the typed array's sort and groups equal scores; the comparator over
  // every selected definition is the order it must give, ties, 0 and -0 and a limit inside a tie included.
  // (The selection as it was: those at or above the k-th largest score, then the comparator.)
  const byComparator = (graph: RankGraph, scores: Float64Array, limit: number): RankedDef[] => {
    const total = graph.defStart[graph.paths.length]!;
    const threshold = limit >= total ? Number.NEGATIVE_INFINITY : kthLargest(scores, limit);
    const all: RankedDef[] = [];
    graph.paths.forEach((file, i) => {
      for (let d = graph.defStart[i]!; d < graph.defStart[i + 1]!; d++) if (!(scores[d]! < threshold)) all.push({ file, index: d - graph.defStart[i]!, name: graph.names[graph.defIds[d]!]!, score: scores[d]! });
    });
    all.sort((a, b) => b.score - a.score || (a.file < b.file ? -1 : a.file > b.file ? 1 : a.index - b.index));
    return all.slice(0, limit);
  };
  const graphOf = (paths: string[], defsPerFile: number[]): RankGraph => {
    const defStart = new Uint32Array(paths.length + 1);
    defsPerFile.forEach((k, i) => (defStart[i + 1] = defStart[i]! + k));
    const total = defStart[paths.length]!;
    return { paths, names: Array.from({ length: total }, (_, d) => `n${d}`), flags: new Uint8Array(total), defStart, defIds: Uint32Array.from({ length: total }, (_, d) => d), refStart: new Uint32Array(paths.length + 1), refIds: new Uint32Array(0), refCounts: new Uint32Array(0) };
  };

  it('selects in the order of a comparator over every definition, ties by path then definition', () => {
    let seed = 17;
    const rand = (k: number): number => ((seed = (seed * 1103515245 + 12345) >>> 0) % k);
    for (let round = 0; round < 30; round++) {
      // Paths not in the order of `<` (a listing's order need not be), few distinct scores: many ties.
      const paths = Array.from({ length: 12 + rand(20) }, (_, i) => `${'zyxw'[rand(4)]}/f${(i * 7) % 31}.ts`).filter((p, i, all) => all.indexOf(p) === i);
      const graph = graphOf(paths, paths.map(() => rand(6)));
      const total = graph.defStart[paths.length]!;
      const values = [0, -0, 1e-3, 0.25, 0.5, 0.5 + 1e-17, 2, 1e300];
      const scores = Float64Array.from({ length: total }, () => values[rand(values.length)]!);
      for (const limit of [0, 1, 3, 10, total - 1, total, total + 5].filter((l) => l >= 0)) {
        const got = selectRanked(graph, scores, limit);
        expect(got).toEqual(byComparator(graph, scores, limit));
        expect(got.map((r) => Object.is(r.score, -0))).toEqual(byComparator(graph, scores, limit).map((r) => Object.is(r.score, -0)));
      }
      expect(selectRanked(graph, scores)).toEqual(byComparator(graph, scores, total));
    }
  });

  it('selects scores with NaN by the comparator itself', () => {
    const graph = graphOf(['b.ts', 'a.ts', 'c.ts'], [2, 2, 1]);
    const scores = Float64Array.from([0.5, Number.NaN, 0.5, 0.7, 0.1]);
    for (const limit of [1, 2, 4, 5]) expect(selectRanked(graph, scores, limit)).toEqual(byComparator(graph, scores, limit));
  });

  it('kthLargest finds order statistics', () => {
    const values = Float64Array.from([5, 1, 9, 3, 9, 7, 2]);
    expect([1, 2, 3, 4, 7].map((k) => kthLargest(values, k))).toEqual([9, 9, 7, 5, 1]);
  });
});
