import { describe, expect, it } from 'vitest';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { changedTargets } from './test-writer.js';

const PRICING = `export function applyDiscount(price: number, pct: number): number {
  return price - (price * pct) / 100;
}

export function formatPrice(cents: number): string {
  return (cents / 100).toFixed(2);
}
`;

describe('changedTargets (assist test --changed)', () => {
  it('the definitions whose lines the branch since its base and the work tree change; tests and unknown languages left out', async () => {
    await using repo = tempRepo({ files: { 'src/pricing.ts': PRICING, 'src/util.py': 'def one():\n    return 1\n\n\ndef two():\n    return 2\n', 'README.md': '#\n' } });
    expect(await changedTargets(repo.dir, repo.env)).toEqual([]);
    // A session branch: its base is where it started; a commit on it and an uncommitted change count.
    repo.git('checkout', '-q', '-b', 'assist/20261206-000000-abcd');
    repo.git('config', 'branch.assist/20261206-000000-abcd.assistBase', 'main');
    repo.write('src/util.py', 'def one():\n    return 1\n\n\ndef two():\n    return 3\n');
    repo.commitAll('two returns 3');
    repo.write('src/pricing.ts', PRICING.replace('(cents / 100)', '(cents / 100.0)'));
    repo.write('src/pricing.test.ts', 'test\n');
    repo.write('src/new.go', 'package x\n\nfunc Add(a, b int) int { return a + b }\n');
    repo.write('README.md', '# changed\n');
    expect(await changedTargets(repo.dir, repo.env)).toEqual([
      { path: 'src/new.go', symbol: 'Add' },
      { path: 'src/pricing.ts', symbol: 'formatPrice' },
      { path: 'src/util.py', symbol: 'two' },
    ]);
  });
});
