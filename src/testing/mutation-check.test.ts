import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempRepo, type TempRepo } from '../../test/helpers/git-repo.js';
import { mutantsFor } from './mutants.js';
import { mutationCheck, type MutantResult } from './mutation-check.js';
import { sandboxRunner } from './run.js';

const PRICING = `export function applyDiscount(price, pct) {
  if (pct < 0 || pct > 100) {
    throw new RangeError('pct out of range');
  }
  return price - (price * pct) / 100;
}

export function unrelated(x) {
  return x + 1;
}
`;

const WEAK = `import { test } from 'node:test';
import { applyDiscount } from '../src/pricing.js';
test('applyDiscount runs', () => {
  applyDiscount(100, 10);
});
`;

const STRONG = `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDiscount } from '../src/pricing.js';
test('ten percent off', () => assert.equal(applyDiscount(200, 10), 180));
test('the bounds are allowed, past them is not', () => {
  assert.equal(applyDiscount(50, 0), 50);
  assert.equal(applyDiscount(50, 100), 0);
  assert.throws(() => applyDiscount(50, -1), RangeError);
  assert.throws(() => applyDiscount(50, 101), RangeError);
});
`;

function shop(): TempRepo {
  const repo = tempRepo({
    files: {
      'package.json': '{ "name": "shop", "type": "module", "scripts": { "test": "node --test" } }\n',
      'src/pricing.js': PRICING,
      'README.md': '# shop\n',
    },
  });
  // The person's own uncommitted work, which the check must leave alone.
  repo.write('README.md', '# shop\n\nwork in progress\n');
  return repo;
}

function state(repo: TempRepo): Record<string, string> {
  return {
    status: repo.git('status', '--porcelain=v2', '--untracked-files=all'),
    head: repo.git('rev-parse', 'HEAD'),
    worktrees: repo.git('worktree', 'list', '--porcelain'),
    refs: repo.git('for-each-ref'),
    readme: readFileSync(join(repo.dir, 'README.md'), 'utf8'),
    pricing: readFileSync(join(repo.dir, 'src/pricing.js'), 'utf8'),
  };
}

async function check(repo: TempRepo, testFile: string, extra: { signal?: AbortSignal; onProgress?: (done: number, total: number, r: MutantResult) => void } = {}) {
  // The new test file is untracked, as it is before `assist test` commits it.
  repo.write('test/pricing.test.js', testFile);
  const set = await mutantsFor('src/pricing.js', PRICING, { symbol: 'applyDiscount', max: 20 });
  return mutationCheck({
    root: repo.dir,
    commonDir: join(repo.dir, '.git'),
    env: repo.env,
    target: 'src/pricing.js',
    mutants: set.mutants,
    command: 'node --test',
    run: sandboxRunner({ mode: 'auto', approved: true, env: repo.env }),
    ...extra,
  });
}

describe('mutationCheck (a node:test repository, real git, the sandboxed runner)', () => {
  it('a test that only calls the function lets mutants survive; a real one catches them all; the work tree is untouched', async () => {
    await using repo = shop();
    const before = state(repo);
    const weak = await check(repo, WEAK);
    expect(weak.tried).toBeGreaterThanOrEqual(10);
    expect(weak.survived).toBeGreaterThan(weak.tried / 2);
    expect(weak.results.filter((r) => r.status === 'survived').map((r) => r.description)).toContain('line 5: `-` → `+`');
    const strong = await check(repo, STRONG);
    expect(strong.tried).toBe(weak.tried);
    expect(strong.results.filter((r) => r.status === 'survived')).toEqual([]);
    expect(strong.score).toBe(1);
    // Only the test file (written above, as the model would) differs; the scratch worktrees are gone.
    const after = state(repo);
    expect(after.status).toBe(`${before.status}\n? test/pricing.test.js`);
    expect({ ...after, status: '' }).toEqual({ ...before, status: '' });
    expect(readdirSync(join(repo.dir, '.git/assist/scratch'))).toEqual([]);
    expect(existsSync(join(repo.dir, '.git/worktrees')) ? readdirSync(join(repo.dir, '.git/worktrees')) : []).toEqual([]);
  }, 180_000);

  it('an interrupt stops the check and still removes the scratch worktree', async () => {
    await using repo = shop();
    const before = state(repo);
    const controller = new AbortController();
    const seen: number[] = [];
    await expect(
      check(repo, STRONG, {
        signal: controller.signal,
        onProgress: (done) => {
          seen.push(done);
          controller.abort();
        },
      }),
    ).rejects.toMatchObject({ code: 'test.interrupted', exitCode: 130 });
    expect(seen).toEqual([1]);
    expect(readdirSync(join(repo.dir, '.git/assist/scratch'))).toEqual([]);
    expect(repo.git('worktree', 'list', '--porcelain')).toBe(before.worktrees);
    expect(readFileSync(join(repo.dir, 'src/pricing.js'), 'utf8')).toBe(PRICING);
  }, 60_000);

  it('tests that fail on the unchanged code are refused before any mutant runs', async () => {
    await using repo = shop();
    const failing = STRONG.replace('180', '181');
    const progress: number[] = [];
    await expect(check(repo, failing, { onProgress: (d) => progress.push(d) })).rejects.toMatchObject({ code: 'test.baseline-failed' });
    expect(progress).toEqual([]);
    expect(readdirSync(join(repo.dir, '.git/assist/scratch'))).toEqual([]);
  });
});
