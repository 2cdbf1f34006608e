// What the mutation check of `assist test` adds: 20 mutants of a small function, tested with vitest.
//   npm run build && node bench/mutation-check.mjs [--mutants N] [--runs N]
// Builds a temp repository (vitest linked from this checkout's node_modules) and prints:
//   - the test file run plainly with vitest in the work tree (median of --runs), the baseline;
//   - the whole mutation check (scratch worktree, sandboxed runs: one clean, one per mutant), and per run;
//   - the overhead per run against the plain run (bubblewrap, worktree add/remove spread over the runs).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { mutantsFor, mutationCheck, sandboxRunner } from '../dist/testing/index.js';

const args = process.argv.slice(2);
const argOf = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : dflt;
};
const MUTANTS = argOf('--mutants', 20);
const RUNS = argOf('--runs', 5);
const project = join(dirname(fileURLToPath(import.meta.url)), '..');

const PRICING = `export function priceOf(base: number, qty: number, member: boolean): number {
  if (qty <= 0 || base < 0) {
    throw new RangeError('bad input');
  }
  let total = base * qty;
  if (qty >= 10) {
    total = total - total / 10;
  }
  if (member && total > 100) {
    total = total - 5;
  }
  return Math.round(total * 100) / 100;
}
`;
const TEST = `import { describe, expect, it } from 'vitest';
import { priceOf } from '../src/pricing';

describe('priceOf', () => {
  it('multiplies', () => expect(priceOf(3, 2, false)).toBe(6));
  it('10% off from 10 items', () => {
    expect(priceOf(10, 9, false)).toBe(90);
    expect(priceOf(10, 10, false)).toBe(90);
    expect(priceOf(10, 11, false)).toBe(99);
  });
  it('members get 5 off above 100', () => {
    expect(priceOf(101, 1, true)).toBe(96);
    expect(priceOf(100, 1, true)).toBe(100);
    expect(priceOf(101, 1, false)).toBe(101);
  });
  it('rounds to cents', () => expect(priceOf(0.333, 3, false)).toBe(1));
  it('refuses bad input', () => {
    expect(() => priceOf(1, 0, false)).toThrow(RangeError);
    expect(() => priceOf(-1, 1, false)).toThrow(RangeError);
    expect(priceOf(0, 1, false)).toBe(0);
  });
});
`;

const base = realpathSync(mkdtempSync(join(tmpdir(), 'assist-bench-mutation-')));
const home = join(base, 'home');
const root = join(base, 'repo');
mkdirSync(home);
mkdirSync(join(root, 'src'), { recursive: true });
mkdirSync(join(root, 'test'));
writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = Bench\n\temail = bench@example.com\n[init]\n\tdefaultBranch = main\n');
const env = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), GIT_CONFIG_NOSYSTEM: '1', LANG: 'C.UTF-8' };
writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'bench', type: 'module', scripts: { test: 'vitest run' } }));
writeFileSync(join(root, '.gitignore'), 'node_modules\n');
writeFileSync(join(root, 'src/pricing.ts'), PRICING);
writeFileSync(join(root, 'test/pricing.test.ts'), TEST);
symlinkSync(join(project, 'node_modules'), join(root, 'node_modules'));
const git = (...a) => execFileSync('git', a, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
git('init', '-q');
git('add', '-A');
git('commit', '-qm', 'init');

const command = 'node_modules/.bin/vitest run test/pricing.test.ts';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  const plain = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const r = spawnSync('/bin/sh', ['-c', command], { cwd: root, env, stdio: 'ignore' });
    plain.push(performance.now() - t);
    if (r.status !== 0) throw new Error(`the plain run failed (${r.status})`);
  }
  const set = await mutantsFor('src/pricing.ts', PRICING, { max: MUTANTS });
  const checks = [];
  let last;
  for (let i = 0; i < Math.max(1, Math.floor(RUNS / 3)); i++) {
    const t = performance.now();
    last = await mutationCheck({ root, commonDir: join(root, '.git'), env, target: 'src/pricing.ts', mutants: set.mutants, command, run: sandboxRunner({ mode: 'auto', approved: true, env }) });
    checks.push(performance.now() - t);
  }
  const total = median(checks);
  const runs = last.tried + 1;
  const p = median(plain);
  console.log(`mutants: ${last.tried} of ${set.available} (caught ${last.caught}, survived ${last.survived}: ${last.results.filter((r) => r.status === 'survived').map((r) => r.description).join('; ') || 'none'})`);
  console.log(`plain vitest run of the test file: ${p.toFixed(0)} ms (median of ${RUNS})`);
  console.log(`mutation check, ${runs} runs: ${(total / 1000).toFixed(2)} s (median of ${checks.length}); ${(total / runs).toFixed(0)} ms per run, ${(total / runs / p).toFixed(2)}x the plain run`);
  console.log(`overhead per run (sandbox, worktree, file swap): ${((total - runs * p) / runs).toFixed(0)} ms`);
} finally {
  rmSync(base, { recursive: true, force: true });
}
