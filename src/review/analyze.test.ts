import { describe, expect, it } from 'vitest';
import { TagExtractor, toFileTags } from '../context/extractor.js';
import { languageForPath } from '../context/languages.js';
import { reviewBatch, reviewJson, reviewText, mergeReviews, type ReviewChange, type ReviewTags, type TagsLookup } from './index.js';

const extractor = new TagExtractor({ baseline: true });

async function parse(path: string, text: string): Promise<ReviewTags | undefined> {
  const lang = languageForPath(path);
  if (!lang) return undefined;
  return toFileTags(await extractor.extractBuffer(lang.id, Buffer.from(text), { maxFileBytes: 1 << 20 }));
}

/** A lookup over a repository held in memory: real tags, references as the map's graph gives them. */
async function repoLookup(files: Record<string, string>, options: { graph?: boolean } = {}): Promise<TagsLookup> {
  const tagged = await Promise.all(Object.entries(files).map(async ([path, text]) => [path, await parse(path, text)] as const));
  return {
    tags: parse,
    references: (names) => {
      if (options.graph === false) return undefined;
      return new Map(
        names.map((name) => [
          name,
          tagged.flatMap(([file, tags]) => (tags && (tags.refs[name] ?? 0) > 0 && !tags.defs.some((d) => d.name === name) ? [{ file, count: tags.refs[name]! }] : [])),
        ]),
      );
    },
  };
}

const pricing = `export function applyDiscount(price: number, pct: number): number {
  return round(price * (1 - pct));
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
`;
const callers = {
  'src/cart.ts': `import { applyDiscount } from './pricing.js';\nexport function cartTotal(p: number): number {\n  return applyDiscount(p, 0.1) + applyDiscount(p, 0.2);\n}\n`,
  'src/checkout.ts': `import { applyDiscount } from './pricing.js';\nexport const pay = (p: number) => applyDiscount(p, 0);\n`,
  'test/pricing.test.ts': `import { applyDiscount } from '../src/pricing.js';\nit('discounts', () => {\n  expect(applyDiscount(10, 0.5)).toBe(5);\n});\n`,
  'src/unrelated.ts': `export function other(): number {\n  return 1;\n}\n`,
};

describe('reviewBatch: impact from the tags', () => {
  it('flags an exported function that gains a parameter used in other files as breaking, naming them', async () => {
    const lookup = await repoLookup({ 'src/pricing.ts': pricing, ...callers });
    const after = pricing.replace('applyDiscount(price: number, pct: number)', 'applyDiscount(price: number, pct: number, currency: string)');
    const review = await reviewBatch([{ path: 'src/pricing.ts', before: pricing, after }], lookup);
    expect(review.breaking).toHaveLength(1);
    const b = review.breaking[0]!;
    expect(b.change).toBe('signature');
    expect(b.usedIn).toEqual(['src/cart.ts', 'src/checkout.ts', 'test/pricing.test.ts']);
    expect(b.references).toBe(7); // imports count as references, as in the map
    expect(b.text).toBe('applyDiscount(price, pct) → applyDiscount(price, pct, currency) — used in 3 files (src/cart.ts, src/checkout.ts, test/pricing.test.ts)');
    expect(review.files[0]!.group).toBe('breaking');
    expect(review.files[0]!.definitions).toContainEqual(expect.objectContaining({ name: 'applyDiscount', change: 'changed', exported: true, signatureChanged: true }));
  });

  it('does not flag the same edit to an unexported helper', async () => {
    const lookup = await repoLookup({ 'src/pricing.ts': pricing, ...callers, 'src/other.ts': 'export const r = round(1);\n' });
    const after = pricing.replace('function round(value: number)', 'function round(value: number, digits: number)');
    const review = await reviewBatch([{ path: 'src/pricing.ts', before: pricing, after }], lookup);
    expect(review.breaking).toEqual([]);
    expect(review.files[0]!.group).toBe('behaviour');
    expect(review.files[0]!.definitions).toEqual([expect.objectContaining({ name: 'round', change: 'changed', exported: false, signatureChanged: true })]);
  });

  it('an optional parameter added at the end keeps old callers working: changed, not breaking', async () => {
    const lookup = await repoLookup({ 'src/pricing.ts': pricing, ...callers });
    const after = pricing.replace('pct: number)', "pct: number, currency = 'EUR')");
    const review = await reviewBatch([{ path: 'src/pricing.ts', before: pricing, after }], lookup);
    expect(review.breaking).toEqual([]);
    expect(review.files[0]!.definitions[0]).toMatchObject({ name: 'applyDiscount', change: 'changed', signatureChanged: false });
  });

  it('a removed export that others use is breaking; callers this batch updates are named as such', async () => {
    const lookup = await repoLookup({ 'src/pricing.ts': pricing, ...callers });
    const after = pricing.replace(/export function applyDiscount[\s\S]*?\n}\n\n/, '');
    const cart = callers['src/cart.ts'].replace(/applyDiscount\(p, 0\.\d\)/g, 'p');
    const review = await reviewBatch(
      [
        { path: 'src/cart.ts', before: callers['src/cart.ts'], after: cart },
        { path: 'src/pricing.ts', before: pricing, after },
      ],
      lookup,
    );
    expect(review.files.map((f) => f.file)).toEqual(['src/pricing.ts', 'src/cart.ts']);
    const b = review.breaking[0]!;
    expect(b.change).toBe('removed');
    // cart.ts no longer calls it after the batch (its import line names it once still).
    expect(b.usedIn).toEqual(['src/cart.ts', 'src/checkout.ts', 'test/pricing.test.ts']);
    expect(b.updatedInBatch).toEqual(['src/cart.ts']);
    expect(b.text).toMatch(/^applyDiscount\(price, pct\) removed — used in 3 files \(.*\); 1 changed in this batch$/);
  });

  it('a body-only change of an export is a behaviour change, not breaking', async () => {
    const lookup = await repoLookup({ 'src/pricing.ts': pricing, ...callers });
    const review = await reviewBatch([{ path: 'src/pricing.ts', before: pricing, after: pricing.replace('1 - pct', '1 - pct / 100') }], lookup);
    expect(review.breaking).toEqual([]);
    expect(review.files[0]!.definitions).toEqual([expect.objectContaining({ name: 'applyDiscount', change: 'changed', signatureChanged: false })]);
    expect(review.files[0]!.group).toBe('behaviour');
  });

  it('follows each language rule: Go capitals, Python underscores, Rust pub', async () => {
    const goBefore = 'package p\n\nfunc Total(a int) int {\n\treturn a\n}\n\nfunc helper(a int) int {\n\treturn a\n}\n';
    const pyBefore = 'def total(a):\n    return a\n\ndef _helper(a):\n    return a\n';
    const rsBefore = 'pub fn total(a: i32) -> i32 {\n    a\n}\n\nfn helper(a: i32) -> i32 {\n    a\n}\n';
    const lookup = await repoLookup({
      'p/p.go': goBefore,
      'p/use.go': 'package p\n\nfunc Use() int {\n\treturn Total(1) + helper(2)\n}\n',
      'm.py': pyBefore,
      'use.py': 'from m import total, _helper\nprint(total(1), _helper(2))\n',
      'src/lib.rs': rsBefore,
      'src/main.rs': 'fn main() {\n    total(1);\n    helper(2);\n}\n',
    });
    const review = await reviewBatch(
      [
        { path: 'p/p.go', before: goBefore, after: goBefore.replace('Total(a int)', 'Total(a int, b int)').replace('helper(a int)', 'helper(a int, b int)') },
        { path: 'm.py', before: pyBefore, after: pyBefore.replace('total(a)', 'total(a, b)').replace('_helper(a)', '_helper(a, b)') },
        { path: 'src/lib.rs', before: rsBefore, after: rsBefore.replace('total(a: i32)', 'total(a: i32, b: i32)').replace('helper(a: i32)', 'helper(a: i32, b: i32)') },
      ],
      lookup,
    );
    expect(review.breaking.map((b) => `${b.file} ${b.before} → ${b.after}`)).toEqual(['p/p.go Total(a) → Total(a, b)', 'm.py total(a) → total(a, b)', 'src/lib.rs total(a) → total(a, b)']);
  });

  it('says references are unknown when there is no reference graph, and flags nothing', async () => {
    const lookup = await repoLookup({ 'src/pricing.ts': pricing, ...callers }, { graph: false });
    const after = pricing.replace('pct: number)', 'pct: number, c: string)');
    const review = await reviewBatch([{ path: 'src/pricing.ts', before: pricing, after }], lookup);
    expect(review.breaking).toEqual([]);
    expect(review.files[0]!.referencesUnknown).toBe(true);
  });

  it('lists added and removed definitions, and new files', async () => {
    const lookup = await repoLookup({});
    const review = await reviewBatch(
      [
        { path: 'src/new.ts', before: null, after: 'export function fresh(a: number): number {\n  return a;\n}\n' },
        { path: 'src/pricing.ts', before: pricing, after: `${pricing}\nexport function formatPrice(p: number): string {\n  return String(p);\n}\n` },
      ],
      lookup,
    );
    expect(review.files.find((f) => f.file === 'src/new.ts')).toMatchObject({ status: 'new', definitions: [expect.objectContaining({ name: 'fresh', change: 'added', exported: true })] });
    expect(review.files.find((f) => f.file === 'src/pricing.ts')!.definitions).toEqual([expect.objectContaining({ name: 'formatPrice', change: 'added', after: 'formatPrice(p)' })]);
  });
});

describe('reviewBatch: grouping, order and folding', () => {
  it('orders breaking, behaviour, tests, docs and folds whitespace-only hunks with a count', async () => {
    const lookup = await repoLookup({ 'src/pricing.ts': pricing, ...callers });
    const body = Array.from({ length: 30 }, (_, i) => `  const v${i} = ${i};`).join('\n');
    const fmtBefore = `export function f(): void {\n${body}\n}\n`;
    // Re-indented at the top and, far away, at the bottom: two whitespace-only hunks.
    const fmtAfter = fmtBefore.replace('  const v0 = 0;', '    const v0 = 0;').replace('  const v29 = 29;', 'const v29 = 29;   ');
    const mixedAfter = fmtAfter.replace('const v15 = 15;', 'const v15 = 16;');
    const changes: ReviewChange[] = [
      { path: 'README.md', before: '# T\n', after: '# T\n\nMore.\n' },
      { path: 'test/pricing.test.ts', before: callers['test/pricing.test.ts'], after: callers['test/pricing.test.ts'].replace('(5)', '(5.0)') },
      { path: 'src/format.ts', before: fmtBefore, after: fmtAfter },
      { path: 'src/mixed.ts', before: fmtBefore, after: mixedAfter },
      { path: 'src/pricing.ts', before: pricing, after: pricing.replace('pct: number)', 'pct: number, c: string)') },
    ];
    const review = await reviewBatch(changes, lookup);
    expect(review.files.map((f) => [f.file, f.group])).toEqual([
      ['src/pricing.ts', 'breaking'],
      ['src/mixed.ts', 'behaviour'],
      ['test/pricing.test.ts', 'tests'],
      ['README.md', 'docs'],
      ['src/format.ts', 'docs'],
    ]);
    const fmt = review.files.find((f) => f.file === 'src/format.ts')!;
    expect(fmt).toMatchObject({ formattingOnly: true, hunks: 2, whitespaceHunks: 2 });
    const mixed = review.files.find((f) => f.file === 'src/mixed.ts')!;
    expect(mixed).toMatchObject({ formattingOnly: false, hunks: 3, whitespaceHunks: 2 });
    expect(review.groups.map((g) => g.group)).toEqual(['breaking', 'behaviour', 'tests', 'docs']);
    const text = reviewText(review);
    expect(text.split('\n')[0]).toMatch(/^breaking: applyDiscount\(price, pct\) → applyDiscount\(price, pct, c\)/);
    expect(text).toContain('src/mixed.ts +3 -3 — changes f; 2 whitespace-only hunks folded');
    expect(text).toContain('src/format.ts +2 -2 — formatting only');
  });

  it('gives the --json shape and merges the reviews of several steps', async () => {
    const lookup = await repoLookup({ 'src/pricing.ts': pricing, ...callers });
    const first = await reviewBatch([{ path: 'src/pricing.ts', before: pricing, after: pricing.replace('pct: number)', 'pct: number, c: string)') }], lookup);
    const second = await reviewBatch([{ path: 'package-lock.json', before: '{}\n', after: '{"a":1}\n' }, { path: 'src/pricing.ts', before: pricing, after: pricing.replace('1 - pct', '2 - pct') }], lookup);
    const merged = mergeReviews([...first.files, ...second.files]);
    expect(merged.map((f) => f.file)).toEqual(['src/pricing.ts', 'package-lock.json']);
    const json = reviewJson(merged);
    expect(json[0]).toMatchObject({ file: 'src/pricing.ts', impact: { group: 'breaking', definitions: { changed: ['applyDiscount'] } }, breaking: [expect.stringMatching(/^applyDiscount\(price, pct\) → /)] });
    expect(json[1]).toMatchObject({ file: 'package-lock.json', breaking: [], risks: [{ kind: 'lockfile', tag: 'lockfile' }] });
  });
});
