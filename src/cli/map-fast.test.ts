import { describe, expect, it } from 'vitest';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { runCli } from '../../test/helpers/run-cli.js';
import { parseMapFlags } from './map-fast.js';

describe('assist map fast path', () => {
  it('takes the plain forms of the flags and leaves everything else to the command line', () => {
    expect(parseMapFlags([])).toEqual({ tokens: undefined, focus: [], query: undefined, json: false, stats: false });
    expect(parseMapFlags(['--tokens', '512', '--focus', 'a.ts', '--focus=b.ts', '--query', 'where is x?', '--json', '--stats'])).toEqual({
      tokens: '512',
      focus: ['a.ts', 'b.ts'],
      query: 'where is x?',
      json: true,
      stats: true,
    });
    expect(parseMapFlags(['--tokens=9'])?.tokens).toBe('9');
    for (const declined of [['--help'], ['-h'], ['extra'], ['--tokens'], ['--tokens', '--json'], ['--json=1'], ['--tokens', '1', '--tokens', '2'], ['--unknown']]) {
      expect(parseMapFlags(declined), declined.join(' ')).toBeUndefined();
    }
  });

  it('prints what the full command line prints', async () => {
    await using repo = tempRepo({
      files: {
        'src/store.ts': 'export class OrderStore {\n  save(order: Order): void {}\n}\nexport interface Order {\n  id: string;\n}\n',
        'src/checkout.ts': "import { OrderStore, type Order } from './store.js';\nexport function checkout(order: Order) {\n  new OrderStore().save(order);\n}\n",
      },
    });
    const args = ['map', '--tokens', '300', '--json', '--query', 'checkout'];
    const fast = await runCli(args, { cwd: repo.dir, env: repo.env });
    // A log file to open sends the command through main(), which owns that.
    const full = await runCli(args, { cwd: repo.dir, env: { ...repo.env, ASSIST_LOG__FILE: `${repo.home}/assist.log` } });
    expect(fast.code).toBe(0);
    expect(full.code).toBe(0);
    expect(fast.stdout).toBe(full.stdout);
    expect(JSON.parse(fast.stdout).definitions[0].name).toBe('checkout');
  });
});
