import { describe, expect, it } from 'vitest';
import type { RankedDef } from './rank.js';
import { additive, fitToBudget, renderMap } from './render.js';
import { countTokens, tokenCounter } from './tokens.js';
import type { CachedDef } from './types.js';

const defs: Record<string, CachedDef[]> = {
  'src/client.ts': [
    { name: 'HttpClient', kind: 'class', line: 10, endLine: 40, scope: -1, signature: 'export class HttpClient {' },
    { name: 'request', kind: 'method', line: 12, endLine: 20, scope: 0, signature: '  async request(url: string): Promise<Response> {' },
    { name: 'close', kind: 'method', line: 21, endLine: 25, scope: 0, signature: '  close(): void {' },
    { name: 'helper', kind: 'function', line: 50, endLine: 52, scope: -1, signature: 'function helper(\n  a: number,\n) {' },
  ],
  'src/util.ts': [{ name: 'formatDate', kind: 'function', line: 1, endLine: 3, scope: -1, signature: 'export function formatDate(d: Date): string {' }],
};
const defsOf = (file: string): CachedDef[] => defs[file] ?? [];
const rankedDef = (file: string, index: number, score: number): RankedDef => ({ file, index, name: defs[file]![index]!.name, score });

describe('renderMap', () => {
  it('shows signatures under their scopes, grouped by file, with elisions', () => {
    const ranked = [rankedDef('src/client.ts', 2, 9), rankedDef('src/util.ts', 0, 8), rankedDef('src/client.ts', 3, 7)];
    const out = renderMap(ranked, 3, defsOf);
    expect(out.text).toBe(
      [
        'src/client.ts:',
        '⋮',
        'export class HttpClient {',
        '⋮',
        '  close(): void {',
        '⋮',
        'function helper(',
        '  a: number,',
        ') {',
        '⋮',
        'src/util.ts:',
        'export function formatDate(d: Date): string {',
        '⋮',
        '',
      ].join('\n'),
    );
    expect(out.files).toEqual(['src/client.ts', 'src/util.ts']);
    expect(out.definitions.map((d) => `${d.name}@${d.line}`)).toEqual(['close@21', 'formatDate@1', 'helper@50']);
  });

  it('joins adjacent lines without an elision', () => {
    const out = renderMap([rankedDef('src/client.ts', 1, 2), rankedDef('src/client.ts', 0, 1)], 2, (f) =>
      f === 'src/client.ts' ? [{ ...defs[f]![0]!, line: 11 }, defs[f]![1]!] : [],
    );
    expect(out.text).toBe('src/client.ts:\n⋮\nexport class HttpClient {\n  async request(url: string): Promise<Response> {\n⋮\n');
  });
});

describe('fitToBudget', () => {
  const many: CachedDef[] = Array.from({ length: 300 }, (_, i) => ({
    name: `function${i}`,
    kind: 'function',
    line: i * 10 + 1,
    endLine: i * 10 + 5,
    scope: -1,
    signature: `export function function${i}(argument${i}: SomeType${i}, other: Map<string, number[]>): Promise<void> {`,
  }));
  const ranked: RankedDef[] = many.map((d, i) => ({ file: `src/file${i % 7}.ts`, index: i, name: d.name, score: 1000 - i }));
  const defsOfMany = (): CachedDef[] => many;

  it.each([0, 1, 5, 37, 100, 512, 1024, 5000, 100000])('never exceeds a budget of %i tokens (exact count)', async (budget) => {
    const fitted = await fitToBudget(ranked, defsOfMany, budget, await tokenCounter());
    expect(fitted.tokens).toBeLessThanOrEqual(budget);
    expect(await countTokens(fitted.text)).toBe(fitted.tokens);
    if (budget >= 100 && budget < 100000) {
      // Close to the budget: one more definition would not have fit.
      const next = renderMap(ranked, fitted.definitions.length + 1, defsOfMany);
      expect(await countTokens(next.text)).toBeGreaterThan(budget);
    }
    if (budget === 100000) expect(fitted.definitions).toHaveLength(300);
  });

  it('finds the same fit from any starting hint, in a few renders when the hint is right', async () => {
    const counter = await tokenCounter();
    const plain = await fitToBudget(ranked, defsOfMany, 700, counter);
    const right = plain.definitions.length;
    for (const hint of [1, right - 5, right - 1, right, right + 1, right + 9, 299, 300, 5000, 0, -3]) {
      const hinted = await fitToBudget(ranked, defsOfMany, 700, counter, undefined, hint);
      expect([hint, hinted.text, hinted.tokens]).toEqual([hint, plain.text, plain.tokens]);
    }
    const exact = await fitToBudget(ranked, defsOfMany, 700, counter, undefined, right);
    expect(exact.renders).toBe(2);
    expect(plain.renders).toBeGreaterThan(5);
  });

  it('keeps the best definitions when it cuts', async () => {
    const fitted = await fitToBudget(ranked, defsOfMany, 200, await tokenCounter());
    expect(fitted.definitions.map((d) => d.name)).toEqual(ranked.slice(0, fitted.definitions.length).map((r) => r.name));
    expect(fitted.renders).toBeLessThanOrEqual(9);
  });
});

describe('fitToBudget with section counts', () => {
  const many: CachedDef[] = Array.from({ length: 120 }, (_, i) => ({
    name: `handler${i}`,
    kind: i % 5 === 0 ? 'class' : 'method',
    line: i * 7 + 1,
    endLine: i * 7 + 6,
    scope: i % 5 === 0 ? -1 : i - (i % 5),
    signature: i % 5 === 0 ? `export class Handler${i} extends Base<${i}> {` : `  async handle${i}(req: Request, { id }: Opts = {}): Promise<"ok" | 'no'> {\n    // ${'é'.repeat(i % 3)} ⋮`,
  }));
  const ranked: RankedDef[] = many.map((d, i) => ({ file: i % 3 === 0 ? `lib/a${i % 4}.py` : `src/deep/path-${i % 9}.ts`, index: i, name: d.name, score: 500 - i }));
  const defsOfMany = (): CachedDef[] => many;

  it('counts a map as the sum of its sections, exactly (o200k splits after each section)', async () => {
    for (const count of [1, 2, 7, 30, 120]) {
      const out = renderMap(ranked, count, defsOfMany);
      expect(additive(out.sections)).toBe(true);
      let sum = 0;
      for (const section of out.sections) sum += await countTokens(section);
      expect(sum).toBe(await countTokens(out.text));
    }
    expect(additive(['a.ts:\n⋮\n', ' b.ts:\n⋮\n'])).toBe(false);
    expect(additive(['a.ts:\n⋮'])).toBe(false);
  });

  it('fits the same as exact counting, and a second fit needs no tokenizer', async () => {
    const known = new Map<string, number>();
    const exact = await fitToBudget(ranked, defsOfMany, 700, await tokenCounter());
    const first = await fitToBudget(ranked, defsOfMany, 700, await tokenCounter(), known);
    expect(first.text).toBe(exact.text);
    expect(first.tokens).toBe(exact.tokens);
    expect(first.exactCounts).toBeGreaterThan(0);
    const refuse = async (): Promise<number | undefined> => {
      throw new Error('the tokenizer was needed');
    };
    const second = await fitToBudget(ranked, defsOfMany, 700, refuse, known);
    expect(second.text).toBe(exact.text);
    expect(second.tokens).toBe(await countTokens(second.text));
    expect(second.exactCounts).toBe(0);
  });
});
