import { describe, expect, it } from 'vitest';
import { findMentions, kthLargest, rankDefinitions, type RankInput } from './rank.js';

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

  it('kthLargest finds order statistics', () => {
    const values = Float64Array.from([5, 1, 9, 3, 9, 7, 2]);
    expect([1, 2, 3, 4, 7].map((k) => kthLargest(values, k))).toEqual([9, 9, 7, 5, 1]);
  });
});
