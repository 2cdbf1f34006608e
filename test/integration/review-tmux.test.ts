import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo } from '../helpers/git-repo.js';
import { cliPath } from '../helpers/run-cli.js';
import { startTerminal } from '../helpers/tmux.js';
import { requireTool } from '../helpers/system-tools.js';
import { startFakeLlm, reply } from '../fake-llm/index.js';

const tmux = await requireTool('tmux');

const pricing = 'export function applyDiscount(price: number, pct: number): number {\n  return price * (1 - pct);\n}\n';
const files = {
  'src/pricing.ts': pricing,
  'src/cart.ts': "import { applyDiscount } from './pricing.js';\n\nexport function cartTotal(p: number): number {\n  return applyDiscount(p, 0.1);\n}\n",
  'src/checkout.ts': "import { applyDiscount } from './pricing.js';\n\nexport const pay = (p: number): number => applyDiscount(p, 0);\n",
  'test/pricing.test.ts': "import { applyDiscount } from '../src/pricing.js';\n\nit('discounts', () => {\n  expect(applyDiscount(10, 0.5)).toBe(5);\n});\n",
  'src/tax.ts': 'export function tax(p: number): number {\n  return p * 0.2;\n}\n',
  'src/ship.ts': 'export function ship(p: number): number {\n  return p + 5;\n}\n',
};

describe('the review in the chat approval (real terminal)', tmux.options, () => {
  it('shows the breaking change first, asks about it, then asks once for the group of behaviour changes', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files });
    const term = startTerminal([process.execPath, cliPath, 'chat', 'src/tax.ts', 'src/ship.ts', 'src/pricing.ts'], {
      cwd: repo.dir,
      env: { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', TERM: 'xterm-256color' },
      width: 200,
    });
    try {
      server.enqueue(
        reply.edits([
          { path: 'src/tax.ts', search: '  return p * 0.2;\n', replace: '  return p * 0.21;\n' },
          { path: 'src/ship.ts', search: '  return p + 5;\n', replace: '  return p + 6;\n' },
          { path: 'src/pricing.ts', search: 'export function applyDiscount(price: number, pct: number): number {\n', replace: 'export function applyDiscount(price: number, pct: number, currency: string): number {\n' },
        ]),
      );
      await term.waitFor('/help for commands');
      term.type('new prices');
      term.press('Enter');
      const first = await term.waitFor('Apply the edit to src/pricing.ts?');
      expect(first).toContain('review: 3 files (1 breaking, 2 behaviour)');
      expect(first).toContain('breaking: applyDiscount(price, pct) → applyDiscount(price, pct, currency) — used in 3 files (src/cart.ts, src/checkout.ts, test/pricing.test.ts)');
      expect(first).toContain('diff --git a/src/pricing.ts b/src/pricing.ts  [breaking]');
      // Breaking first: the model wrote tax.ts and ship.ts before it, and they are not shown yet.
      expect(first).not.toContain('diff --git a/src/tax.ts');
      term.press('y');
      const group = await term.waitFor('Apply the 2 behaviour changes (src/tax.ts, src/ship.ts)? [y/n/a/s/q/f,?]');
      expect(group).toContain('+  return p * 0.21;');
      expect(group).toContain('+  return p + 6;');
      term.press('y');
      await term.waitFor(/committed [0-9a-f]{10}/);
      expect(readFileSync(join(repo.dir, 'src/ship.ts'), 'utf8')).toContain('p + 6');
      expect(readFileSync(join(repo.dir, 'src/pricing.ts'), 'utf8')).toContain('currency: string');
      expect(repo.git('show', '--name-only', '--format=', 'HEAD').split('\n').sort()).toEqual(['src/pricing.ts', 'src/ship.ts', 'src/tax.ts']);
      term.type('/exit');
      term.press('Enter');
    } finally {
      term.kill();
    }
  });
});
