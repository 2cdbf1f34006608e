import { describe, expect, it } from 'vitest';
import { tempRepo } from '../helpers/git-repo.js';
import { runCli } from '../helpers/run-cli.js';
import { startFakeLlm } from '../fake-llm/index.js';
import type { Scripted } from '../fake-llm/types.js';

const FILES = {
  'src/lib/pricing.ts': 'export function applyDiscount(price: number, pct: number): number {\n  return price - pct;\n}\n',
  'src/cart.ts': "import { applyDiscount } from './lib/pricing';\nexport const total = (p: number) => applyDiscount(p, 10);\n",
  'docs/discounts.md': '# Discounts\n\nA discount of 10 means ten percent.\n',
};

const call = (name: string, args: Record<string, unknown>): Scripted => ({ kind: 'text', text: '', toolCalls: [{ name, arguments: args }] });

interface Stats {
  sessions: number;
  turns: number;
  strategies: Array<{ strategy: string; turns: number; hits: number; misses: number; hit_rate: number; miss_rate: number; undo_rate: number | null; edited: number; undone: number; tokens_per_turn: number; searches_per_turn: number; languages: Array<{ language: string; hits: number; misses: number }> }>;
}

describe('assist stats context', () => {
  it('counts a file the model had to read as a miss and an edited file the context held as a hit; an undo shows in the undo rate', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '512' };

    const empty = await runCli(['stats', 'context'], { cwd: repo.dir, env });
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stderr).toContain('no turn has recorded its context yet');

    server.enqueue(
      call('read_file', { path: 'docs/discounts.md' }),
      call('edit_file', { path: 'src/lib/pricing.ts', search: '  return price - pct;\n', replace: '  return price * (1 - pct / 100);\n' }),
      { kind: 'text', text: 'A discount is a percentage now.' },
    );
    const r = await runCli(['run', '--yes', '-m', 'the discount should be a percentage, as the docs say', 'src/lib/pricing.ts'], { cwd: repo.dir, env });
    expect(r.code, r.stderr).toBe(0);

    const json = await runCli(['stats', 'context', '--json'], { cwd: repo.dir, env });
    expect(json.code, json.stderr).toBe(0);
    const stats = JSON.parse(json.stdout) as Stats;
    expect(stats).toMatchObject({ sessions: 1, turns: 1 });
    expect(stats.strategies).toHaveLength(1);
    const hybrid = stats.strategies[0]!;
    expect(hybrid).toMatchObject({ strategy: 'hybrid', turns: 1, hits: 1, misses: 1, hit_rate: 0.5, miss_rate: 0.5, edited: 1, undone: 0, undo_rate: 0 });
    expect(hybrid.tokens_per_turn).toBeGreaterThan(0);
    expect(hybrid.languages).toEqual([
      expect.objectContaining({ language: 'other', hits: 0, misses: 1 }),
      expect.objectContaining({ language: 'typescript', hits: 1, misses: 0 }),
    ]);

    const undo = await runCli(['undo'], { cwd: repo.dir, env });
    expect(undo.code, undo.stderr).toBe(0);
    const after = JSON.parse((await runCli(['stats', 'context', '--json'], { cwd: repo.dir, env })).stdout) as Stats;
    expect(after.strategies[0]).toMatchObject({ edited: 1, undone: 1, undo_rate: 1 });

    const text = await runCli(['stats', 'context'], { cwd: repo.dir, env });
    expect(text.stdout).toMatch(/^1 turn in 1 session\nstrategy \/ language +turns +tokens\/turn +searches\/turn +hit rate +miss rate +undo rate +declined\nhybrid +1 +[\d,]+ +0 +50% \(1\) +50% \(1\) +100% \(1\/1\) +0\n {2}other/);
  });

  it('a turn that reads a file the context did not hold is a miss; a later turn that edits a file the search put in its context is a hit', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '1024' };

    server.enqueue(call('read_file', { path: 'docs/discounts.md' }), { kind: 'text', text: 'A discount of 10 means ten percent.' });
    const read = await runCli(['run', '-m', 'what do the docs say a discount means?'], { cwd: repo.dir, env });
    expect(read.code, read.stderr).toBe(5);
    const afterRead = JSON.parse((await runCli(['stats', 'context', '--json'], { cwd: repo.dir, env })).stdout) as Stats;
    expect(afterRead).toMatchObject({ turns: 1 });
    expect(afterRead.strategies[0]).toMatchObject({ turns: 1, hits: 0, misses: 1 });

    server.enqueue(
      call('edit_file', { path: 'src/lib/pricing.ts', search: '  return price - pct;\n', replace: '  return price * (1 - pct / 100);\n' }),
      { kind: 'text', text: 'applyDiscount takes a percentage now.' },
    );
    // No file named or added: pricing.ts is in the context because the map and the search found it.
    const edit = await runCli(['run', '--yes', '-m', 'applyDiscount should subtract a percentage of the price'], { cwd: repo.dir, env });
    expect(edit.code, edit.stderr).toBe(0);
    const context = JSON.stringify(server.requests[2]!.body);
    expect(context).toContain('src/lib/pricing.ts (lines');
    const stats = JSON.parse((await runCli(['stats', 'context', '--json'], { cwd: repo.dir, env })).stdout) as Stats;
    expect(stats).toMatchObject({ turns: 2 });
    expect(stats.strategies).toEqual([expect.objectContaining({ strategy: 'hybrid', turns: 2, hits: 1, misses: 1, hit_rate: 0.5, miss_rate: 0.5, edited: 1 })]);
    expect(stats.strategies[0]!.languages).toEqual([
      expect.objectContaining({ language: 'other', hits: 0, misses: 1 }),
      expect.objectContaining({ language: 'typescript', hits: 1, misses: 0 }),
    ]);
  });
});
