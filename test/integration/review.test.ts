import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo } from '../helpers/git-repo.js';
import { runCli } from '../helpers/run-cli.js';
import { startFakeLlm, reply } from '../fake-llm/index.js';
import type { PrReport } from '../../src/pr/run-pr.js';
import type { ReviewJson } from '../../src/review/index.js';

const pricing = `export function applyDiscount(price: number, pct: number): number {
  return round(price * (1 - pct));
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
`;
const files = {
  'src/pricing.ts': pricing,
  'src/cart.ts': "import { applyDiscount } from './pricing.js';\n\nexport function cartTotal(p: number): number {\n  return applyDiscount(p, 0.1);\n}\n",
  'src/checkout.ts': "import { applyDiscount } from './pricing.js';\n\nexport const pay = (p: number): number => applyDiscount(p, 0);\n",
  'test/pricing.test.ts': "import { applyDiscount } from '../src/pricing.js';\n\nit('discounts', () => {\n  expect(applyDiscount(10, 0.5)).toBe(5);\n  expect(applyDiscount(10, 0)).toBe(10);\n});\n",
  'package.json': '{\n  "name": "shop",\n  "dependencies": {\n    "zod": "^3.0.0"\n  }\n}\n',
  'README.md': '# shop\n',
};
const BREAKING = 'breaking: applyDiscount(price, pct) → applyDiscount(price, pct, currency) — used in 3 files (src/cart.ts, src/checkout.ts, test/pricing.test.ts)';

const exportedEdit = { path: 'src/pricing.ts', search: 'export function applyDiscount(price: number, pct: number): number {\n', replace: 'export function applyDiscount(price: number, pct: number, currency: string): number {\n' };
const helperEdit = { path: 'src/pricing.ts', search: 'function round(value: number): number {\n', replace: 'function round(value: number, currency: string): number {\n' };

interface RunJson {
  review: ReviewJson[];
  commits: string[];
}

describe('the review of a batch, end to end', () => {
  it('--dry-run shows a new parameter of a used export as breaking, naming its users, first; --json carries it', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files });
    server.enqueue(reply.edits([exportedEdit], { before: 'Adding a currency.' }));
    const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1' };
    const r = await runCli(['run', '--dry-run', '--json', '-m', 'add a currency to applyDiscount', 'src/pricing.ts'], { cwd: repo.dir, env });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n');
    const at = lines.findIndex((l) => l.startsWith('review: '));
    expect(lines[at]).toBe('review: 1 file (1 breaking)');
    expect(lines[at + 1]).toBe(BREAKING);
    expect(r.stderr).toContain('diff --git a/src/pricing.ts b/src/pricing.ts  [breaking]');
    const out = JSON.parse(r.stdout) as RunJson;
    expect(out.review).toEqual([
      {
        file: 'src/pricing.ts',
        impact: { group: 'breaking', status: 'modified', added_lines: 1, removed_lines: 1, definitions: { added: [], removed: [], changed: ['applyDiscount'] }, whitespace_hunks_folded: 0 },
        breaking: [BREAKING.slice('breaking: '.length)],
        risks: [],
      },
    ]);
    expect(readFileSync(join(repo.dir, 'src/pricing.ts'), 'utf8')).toBe(pricing);
  });

  it('the same edit to an unexported helper is not breaking', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files });
    server.enqueue(reply.edits([helperEdit]));
    const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1' };
    const r = await runCli(['run', '--dry-run', '--json', '-m', 'round by currency', 'src/pricing.ts'], { cwd: repo.dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('breaking:');
    expect(r.stderr).toMatch(/review: 1 file \(1 behaviour\)\n {2}behaviour M src\/pricing\.ts +\+1 -1 {2}changes round/);
    const out = JSON.parse(r.stdout) as RunJson;
    expect(out.review[0]).toMatchObject({ file: 'src/pricing.ts', impact: { group: 'behaviour', definitions: { changed: ['round'] } }, breaking: [] });
  });

  it('run --yes: the batch in review order with its risks, and the review in the exchange note', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files });
    server.enqueue(
      reply.edits([
        { path: 'README.md', search: '# shop\n', replace: '# shop\n\nPrices take a currency.\n' },
        { path: 'test/pricing.test.ts', search: '  expect(applyDiscount(10, 0)).toBe(10);\n', replace: '' },
        { path: 'package.json', search: '    "zod": "^3.0.0"\n', replace: '    "zod": "^3.0.0",\n    "currency.js": "^2.0.4"\n' },
        exportedEdit,
      ]),
    );
    const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1' };
    const r = await runCli(['run', '--yes', '--json', '-m', 'currencies', 'src/pricing.ts', 'test/pricing.test.ts', 'package.json', 'README.md'], { cwd: repo.dir, env });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as RunJson;
    expect(out.review.map((f) => [f.file, f.impact.group])).toEqual([
      ['src/pricing.ts', 'breaking'],
      ['package.json', 'behaviour'],
      ['test/pricing.test.ts', 'tests'],
      ['README.md', 'docs'],
    ]);
    expect(out.review[1]!.risks).toEqual([{ kind: 'new-dependency', tag: '+currency.js', reason: 'new dependency: currency.js ^2.0.4' }]);
    expect(out.review[2]!.risks).toEqual([{ kind: 'tests-weakened', tag: '-1 assertions', reason: 'removes 1 of 2 assertions' }]);
    // The diffs come in review order, each header with its tags.
    const order = [...r.stderr.matchAll(/^diff --git a\/(\S+)/gm)].map((m) => m[1]);
    expect(order).toEqual(['src/pricing.ts', 'package.json', 'test/pricing.test.ts', 'README.md']);
    expect(r.stderr).toContain('diff --git a/package.json b/package.json  [+currency.js]');
    expect(r.stderr).toContain('diff --git a/test/pricing.test.ts b/test/pricing.test.ts  [-1 assertions]');
    const note = repo.git('notes', '--ref=assist', 'show', out.commits[0]!);
    const review = note.slice(note.indexOf('Review:\n') + 'Review:\n'.length);
    // The test file this batch edits still calls it: named, and said to be changed here too.
    expect(review.split('\n')[0]).toBe(`${BREAKING}; 1 changed in this batch`);
    expect(review).toContain('risk: test/pricing.test.ts: removes 1 of 2 assertions');
  });

  it('pr: the body has "Breaking changes" and "Risks" sections, and --json a review', async () => {
    await using server = await startFakeLlm();
    const remote = tempRepo({ bare: true });
    await using repo = tempRepo({ files });
    try {
      repo.git('remote', 'add', 'origin', remote.dir);
      repo.git('push', '-q', 'origin', 'main');
      repo.git('fetch', '-q', 'origin');
      repo.git('remote', 'set-head', 'origin', 'main');
      server.enqueue(reply.edits([exportedEdit, { path: 'package.json', search: '    "zod": "^3.0.0"\n', replace: '    "zod": "^3.0.0",\n    "currency.js": "^2.0.4"\n' }], { before: 'Currency added.' }));
      const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', CI: 'true' };
      const bodyFile = join(repo.home, 'body.md');
      const r = await runCli(['pr', '-m', 'Add a currency to applyDiscount', '--json', '--body-file', bodyFile], { cwd: repo.dir, env });
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as PrReport;
      expect(out.review.map((f) => f.file)).toEqual(['src/pricing.ts', 'package.json']);
      expect(out.review[0]!.breaking).toEqual([BREAKING.slice('breaking: '.length)]);
      const body = readFileSync(bodyFile, 'utf8');
      expect(body).toContain('### Breaking changes');
      expect(body).toContain('- `src/pricing.ts`: applyDiscount(price, pct) → applyDiscount(price, pct, currency) — used in 3 files (src/cart.ts, src/checkout.ts, test/pricing.test.ts)');
      expect(body).toContain('### Risks\n\n- `package.json` **+currency.js**: new dependency: currency.js ^2.0.4');
      expect(body.indexOf('### Breaking changes')).toBeLessThan(body.indexOf('### Files'));
    } finally {
      remote.cleanup();
    }
  });
});
