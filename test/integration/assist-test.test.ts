import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { tempRepo, type TempRepo } from '../helpers/git-repo.js';
import { projectRoot, runCli } from '../helpers/run-cli.js';
import { startFakeLlm, type FakeLlmServer } from '../fake-llm/index.js';
import type { RecordedRequest, Reply } from '../fake-llm/types.js';
import { requireTool } from '../helpers/system-tools.js';

const bwrap = await requireTool('bwrap');

const PRICING = `export function applyDiscount(price: number, pct: number): number {
  if (pct < 0 || pct > 100) {
    throw new RangeError('pct must be between 0 and 100');
  }
  return price - (price * pct) / 100;
}

export function formatPrice(cents: number): string {
  return (cents / 100).toFixed(2);
}
`;

const CART_TEST = `import { describe, expect, it } from 'vitest';
import { total } from '../src/cart';

describe('total', () => {
  it('adds the prices', () => {
    expect(total([1, 2])).toBe(3);
  });
});
`;

// A first attempt that checks nothing: it only calls the function.
const WEAK = `import { describe, it } from 'vitest';
import { applyDiscount } from '../src/lib/pricing';

describe('applyDiscount', () => {
  it('runs', () => {
    applyDiscount(100, 10);
  });
});
`;

const STRONG = `import { describe, expect, it } from 'vitest';
import { applyDiscount } from '../src/lib/pricing';

describe('applyDiscount', () => {
  it('takes pct percent off', () => {
    expect(applyDiscount(200, 10)).toBe(180);
    expect(applyDiscount(80, 25)).toBe(60);
  });
  it('accepts the bounds 0 and 100', () => {
    expect(applyDiscount(50, 0)).toBe(50);
    expect(applyDiscount(50, 100)).toBe(0);
  });
  it('refuses a pct outside 0..100', () => {
    expect(() => applyDiscount(50, -1)).toThrow(RangeError);
    expect(() => applyDiscount(50, 101)).toThrow(RangeError);
  });
});
`;

const call = (name: string, args: Record<string, unknown>): Reply => ({ kind: 'text', text: '', toolCalls: [{ name, arguments: args }] });
const lastUser = (request: RecordedRequest): string => [...request.messages].reverse().find((m) => m.role === 'user')?.content ?? '';

function shop(): TempRepo {
  const repo = tempRepo({
    files: {
      'package.json': JSON.stringify({ name: 'shop', type: 'module', scripts: { test: 'vitest run' }, devDependencies: { vitest: '*' } }, null, 2) + '\n',
      '.gitignore': 'node_modules\n',
      'src/lib/pricing.ts': PRICING,
      'src/cart.ts': 'export const total = (prices: number[]): number => prices.reduce((a, b) => a + b, 0);\n',
      'test/cart.test.ts': CART_TEST,
      'README.md': '# shop\n',
    },
  });
  // The project's own vitest, as an installed dependency of the fixture.
  symlinkSync(join(projectRoot, 'node_modules'), join(repo.dir, 'node_modules'));
  return repo;
}

function envFor(repo: TempRepo, server: FakeLlmServer): NodeJS.ProcessEnv {
  return { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '256', ASSIST_TEST__MUTANTS: '8' };
}

describe('assist test', bwrap.options, () => {
  it('a test that checks nothing is rejected with its surviving mutants; the second catches them; one commit with only the test file', async () => {
    await using server = await startFakeLlm();
    await using repo = shop();
    // The person's uncommitted change elsewhere, watched before, during and after the run.
    repo.write('README.md', '# shop\n\nmy notes, not committed\n');
    const personal = (): string => `${readFileSync(join(repo.dir, 'README.md'), 'utf8')}|${repo.git('diff', '--', 'README.md')}`;
    const before = personal();
    const base = repo.git('rev-parse', 'HEAD');
    const during: string[] = [];
    server.enqueue(
      call('write_file', { path: 'test/pricing.test.ts', content: WEAK }),
      { kind: 'text', text: 'Added a test for applyDiscount.' },
      (request) => {
        during.push(personal());
        // The mutation check ran in a scratch worktree: nothing of it is left in the work tree.
        expect(lastUser(request)).toContain('caught by no test');
        return call('read_file', { path: 'test/pricing.test.ts' });
      },
      call('write_file', { path: 'test/pricing.test.ts', content: STRONG }),
      { kind: 'text', text: 'The tests now pin the result, the bounds and the errors.' },
    );
    const r = await runCli(['test', 'src/lib/pricing.ts:applyDiscount', '--yes', '--json'], { cwd: repo.dir, env: envFor(repo, server), timeoutMs: 240_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      committed: boolean;
      commit: string;
      tests: string[];
      passed: boolean;
      rounds: number;
      mutants: { tried: number; caught: number; survived: number; score: number; results: Array<{ file: string; line: number; change: string; status: string }> };
      ms: number;
      mutation_ms: number;
    };
    expect(out.committed).toBe(true);
    expect(out.passed).toBe(true);
    expect(out.tests).toEqual(['test/pricing.test.ts']);
    expect(out.rounds).toBe(2);
    expect(out.mutants.tried).toBe(8);
    expect(out.mutants.caught).toBe(8);
    expect(out.mutants.survived).toBe(0);
    expect(out.mutants.results.every((m) => m.file === 'src/lib/pricing.ts' && m.line >= 1 && m.line <= 6 && m.change.length > 0)).toBe(true);
    expect(out.mutation_ms).toBeGreaterThan(0);
    expect(out.ms).toBeGreaterThanOrEqual(out.mutation_ms);

    // The survivors went to the model, each with its line and change.
    const survivorsAsk = lastUser(server.requests[2]!);
    expect(survivorsAsk).toMatch(/- m\d+ src\/lib\/pricing\.ts line 5: `-` → `\+`/);
    expect(survivorsAsk).toContain('test/pricing.test.ts');
    // The first request showed the nearest existing test as the pattern.
    expect(lastUser(server.requests[0]!)).toContain('test/cart.test.ts');

    // One commit on top of the base, holding only the test file, with the session's trailers.
    expect(repo.git('rev-list', '--count', `${base}..HEAD`)).toBe('1');
    expect(repo.git('rev-parse', 'HEAD')).toBe(out.commit);
    expect(repo.git('show', '--name-only', '--format=', 'HEAD')).toBe('test/pricing.test.ts');
    expect(repo.git('show', 'HEAD:test/pricing.test.ts')).toBe(STRONG.trimEnd());
    expect(repo.git('log', '-1', '--format=%B')).toMatch(/Assist-Session: \d{8}-\d{6}-[0-9a-f]{4}/);

    // The person's change: untouched before, during and after.
    expect(during).toEqual([before]);
    expect(personal()).toBe(before);
    expect(repo.git('status', '--porcelain')).toBe(' M README.md');
    expect(readFileSync(join(repo.dir, 'src/lib/pricing.ts'), 'utf8')).toBe(PRICING);
    expect(readdirSync(join(repo.dir, '.git/assist/scratch'))).toEqual([]);
    expect(existsSync(join(repo.dir, '.git/worktrees')) ? readdirSync(join(repo.dir, '.git/worktrees')) : []).toEqual([]);
  }, 300_000);

  it('tests that stay weak are not committed: exit 1, the survivors named, an equivalent mutant left out, the best attempt left uncommitted', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({
      files: {
        'package.json': '{ "name": "calc", "type": "module", "scripts": { "test": "node --test" } }\n',
        'src/calc.js': 'export function clamp(x, lo, hi) {\n  if (x < lo) return lo;\n  if (x > hi) return hi;\n  return x;\n}\n',
        'test/other.test.js': "import { test } from 'node:test';\ntest('nothing yet', () => {});\n",
      },
    });
    const base = repo.git('rev-parse', 'HEAD');
    const weak = "import { test } from 'node:test';\nimport { clamp } from '../src/calc.js';\ntest('clamp runs', () => { clamp(5, 0, 10); });\n";
    server.enqueue(call('write_file', { path: 'test/calc.test.js', content: weak }), { kind: 'text', text: 'Added a test.' }, (request) => {
      const id = /- (m\d+) src\/calc\.js/.exec(lastUser(request))?.[1] ?? 'm0';
      return { kind: 'text', text: `I cannot do better.\nEQUIVALENT ${id}: assumed to make no difference` };
    });
    const env = { ...envFor(repo, server), ASSIST_SESSION__MAX_REFLECTIONS: '1', ASSIST_TEST__MUTANTS: '6' };
    const r = await runCli(['test', 'src/calc.js:clamp', '--yes', '--json'], { cwd: repo.dir, env, timeoutMs: 180_000 });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/tests not committed: the tests catch \d+ of \d+ mutants/);
    const out = JSON.parse(r.stdout) as { committed: boolean; commit: null; rounds: number; reason: string; tests: string[]; mutants: { tried: number; equivalent: number; survived: number; results: Array<{ id: string; status: string; reason?: string }> } };
    expect(out.committed).toBe(false);
    expect(out.commit).toBeNull();
    expect(out.rounds).toBe(2);
    expect(out.tests).toEqual(['test/calc.test.js']);
    expect(out.mutants.tried).toBe(6);
    expect(out.mutants.equivalent).toBe(1);
    expect(out.mutants.results.find((m) => m.status === 'equivalent')?.reason).toBe('assumed to make no difference');
    expect(out.mutants.survived).toBeGreaterThan(0);
    // Nothing committed on top of the base; the best attempt is in the work tree, uncommitted.
    expect(repo.git('rev-list', '--count', `${base}..HEAD`)).toBe('0');
    expect(readFileSync(join(repo.dir, 'test/calc.test.js'), 'utf8')).toBe(weak);
    expect(repo.git('status', '--porcelain')).toBe('?? test/calc.test.js');
  }, 240_000);

  it('a bad TARGET is a usage error before any request', async () => {
    await using server = await startFakeLlm();
    await using repo = shop();
    const missing = await runCli(['test', 'src/nope.ts:x', '--yes'], { cwd: repo.dir, env: envFor(repo, server) });
    expect(missing.code).toBe(2);
    const unknown = await runCli(['test', 'src/lib/pricing.ts:nope', '--yes'], { cwd: repo.dir, env: envFor(repo, server) });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('applyDiscount');
    const none = await runCli(['test', '--yes'], { cwd: repo.dir, env: envFor(repo, server) });
    expect(none.code).toBe(2);
    expect(server.requests).toHaveLength(0);
  });
});
