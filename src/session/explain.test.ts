import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { citationsIn, explainQuestion } from './explain.js';

function tree(): { root: string; [Symbol.dispose](): void } {
  const root = mkdtempSync(join(tmpdir(), 'assist-explain-'));
  mkdirSync(join(root, 'src/lib'), { recursive: true });
  writeFileSync(join(root, 'src/lib/pricing.ts'), 'export const x = 1;\n');
  writeFileSync(join(root, 'README.md'), '# r\n');
  return { root, [Symbol.dispose]: () => rmSync(root, { recursive: true, force: true }) };
}

describe('explainQuestion', () => {
  it('turns a file or file:symbol (relative to cwd) into a question, and leaves questions alone', () => {
    using t = tree();
    expect(explainQuestion('src/lib/pricing.ts', t.root, t.root)).toMatch(/^Explain src\/lib\/pricing\.ts: /);
    expect(explainQuestion('lib/pricing.ts:applyDiscount', join(t.root, 'src'), t.root)).toMatch(/^Explain `applyDiscount` in src\/lib\/pricing\.ts: /);
    expect(explainQuestion('  how are carts priced?  ', t.root, t.root)).toBe('how are carts priced?');
    // A path that does not exist, or one outside the repository, is a question as written.
    expect(explainQuestion('src/missing.ts:foo', t.root, t.root)).toBe('src/missing.ts:foo');
    expect(explainQuestion('../pricing.ts', join(t.root, 'src'), join(t.root, 'src/lib'))).toBe('../pricing.ts');
    expect(explainQuestion('src/lib', t.root, t.root)).toBe('src/lib');
  });
});

describe('citationsIn', () => {
  it('keeps path:line references to files that exist, once each, in order', () => {
    using t = tree();
    const answer = 'See `src/lib/pricing.ts:12` and (README.md:1), again src/lib/pricing.ts:12, a range src/lib/pricing.ts:3-9, not src/gone.ts:4 nor http://host:8080 nor 10:30.';
    expect(citationsIn(answer, t.root)).toEqual([
      { path: 'src/lib/pricing.ts', line: 12 },
      { path: 'README.md', line: 1 },
      { path: 'src/lib/pricing.ts', line: 3 },
    ]);
  });
});
