import { describe, expect, it } from 'vitest';
import { TagExtractor, toFileTags } from '../context/extractor.js';
import { languageForPath } from '../context/languages.js';
import { deriveAfterTags } from './derive.js';
import { fileDiff } from './hunks.js';
import { familyOf } from './signature.js';
import type { ReviewTags } from './types.js';

const extractor = new TagExtractor({ baseline: true });
async function parse(path: string, text: string): Promise<ReviewTags> {
  return toFileTags(await extractor.extractBuffer(languageForPath(path)!.id, Buffer.from(text), { maxFileBytes: 1 << 20 }));
}
const shape = (t: ReviewTags | undefined): unknown => t?.defs.map((d) => [d.name, d.kind, d.line, d.endLine, d.scope, d.signature]);

const ts = `export class Cart {
  total(items: number[]): number {
    let sum = 0;
    for (const i of items) sum += i;
    return sum;
  }
}

export function applyDiscount(price: number, pct: number): number {
  return price * (1 - pct);
}
`;

async function derived(path: string, before: string, after: string): Promise<{ derived: ReviewTags | undefined; parsed: ReviewTags }> {
  const diff = fileDiff(before, after);
  return { derived: deriveAfterTags(await parse(path, before), before, diff.blocks!, familyOf(path)), parsed: await parse(path, after) };
}

describe('deriveAfterTags: new tags without a parse', () => {
  it('gives what a parse gives for edits inside function bodies (lines moved)', async () => {
    const after = ts.replace('    return sum;\n', '    sum = Math.round(sum);\n    if (sum < 0) {\n      sum = 0;\n    }\n    return sum;\n').replace('price * (1 - pct)', 'price * (1 - pct / 100)');
    const r = await derived('src/cart.ts', ts, after);
    expect(r.derived).toBeDefined();
    expect(shape(r.derived)).toEqual(shape(r.parsed));
    expect(r.derived!.refs.round).toBe(1);
  });

  it('python: an indented body edit is derived; a dedented line needs a parse', async () => {
    const py = 'def total(items):\n    s = 0\n    return s\n\n\ndef other():\n    pass\n';
    const ok = await derived('a.py', py, py.replace('    s = 0\n', '    s = 0\n    s += len(items)\n'));
    expect(shape(ok.derived)).toEqual(shape(ok.parsed));
    const bad = await derived('a.py', py, py.replace('    s = 0\n', '    s = 0\ndef sneaky():\n'));
    expect(bad.derived).toBeUndefined();
  });

  it('needs a parse for a declaration line, a new definition, or unbalanced brackets', async () => {
    expect((await derived('a.ts', ts, ts.replace('pct: number)', 'pct: number, c: string)'))).derived).toBeUndefined();
    expect((await derived('a.ts', ts, `${ts}\nexport const x = 1;\n`)).derived).toBeUndefined();
    expect((await derived('a.ts', ts, ts.replace('    return sum;\n', '    return sum;\n  }\n  other() {\n'))).derived).toBeUndefined();
  });
});
