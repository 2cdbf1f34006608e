import { describe, expect, it } from 'vitest';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { runCli } from '../../test/helpers/run-cli.js';

// `assist map` end to end: the built CLI in a real repository.
const files: Record<string, string> = {
  'src/store.ts': 'export class OrderStore {\n  save(order: Order): void {}\n}\nexport interface Order {\n  id: string;\n}\n',
  'src/checkout.ts': "import { OrderStore, type Order } from './store.js';\nexport function checkout(order: Order) {\n  new OrderStore().save(order);\n}\n",
  'src/mailer.py': 'class Mailer:\n    def send_receipt(self, to):\n        pass\n',
};

describe('assist map', () => {
  it('prints the map, its JSON and its stats', async () => {
    await using repo = tempRepo({ files });
    const text = await runCli(['map', '--tokens', '300'], { cwd: repo.dir, env: repo.env });
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('src/store.ts:\nexport class OrderStore {');

    const json = await runCli(['map', '--tokens', '300', '--json', '--query', 'send_receipt'], { cwd: `${repo.dir}/src`, env: repo.env });
    expect(json.code).toBe(0);
    const out = JSON.parse(json.stdout) as { tokens: number; files: string[]; definitions: { file: string; line: number; kind: string; name: string; score: number }[] };
    expect(Object.keys(out).sort()).toEqual(['definitions', 'files', 'tokens']);
    expect(out.tokens).toBeLessThanOrEqual(300);
    expect(out.definitions[0]).toMatchObject({ file: 'src/mailer.py', line: 2, kind: 'method', name: 'send_receipt' });
    expect(out.files).toContain('src/store.ts');

    const stats = await runCli(['map', '--stats', '--focus', 'checkout.ts'], { cwd: `${repo.dir}/src`, env: repo.env });
    expect(stats.code).toBe(0);
    expect(stats.stderr).toMatch(/files 3 .*parsed 0 .*cache hits 3/);
    expect(stats.stderr).toMatch(/list \d+ ms, hash \d+ ms, cache \d+ ms, parse \d+ ms, rank \d+ ms, render \d+ ms, total \d+ ms/);
  });

  it('maps a repository whose code spells a special token (<|endoftext|>) as ordinary text', async () => {
    await using repo = tempRepo({ files: { 'src/stops.ts': 'export const END_OF_TEXT = "<|endoftext|>";\nexport function isEnd(token: string): boolean {\n  return token === END_OF_TEXT;\n}\n' } });
    const r = await runCli(['map', '--tokens', '300', '--json'], { cwd: repo.dir, env: repo.env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { tokens: number; definitions: { name: string }[] };
    expect(out.definitions.map((d) => d.name)).toEqual(expect.arrayContaining(['END_OF_TEXT', 'isEnd']));
    expect(out.tokens).toBeGreaterThan(10);
  });

  it('exits 2 on a bad --tokens and 1 outside a repository', async () => {
    await using repo = tempRepo({ files });
    const bad = await runCli(['map', '--tokens', 'lots'], { cwd: repo.dir, env: repo.env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--tokens must be a whole number');
    await using outside = tempRepo({ noInit: true });
    const none = await runCli(['map'], { cwd: outside.dir, env: outside.env });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('not a git repository');
  });
});
