import { describe, expect, it } from 'vitest';
import { openStore, type ReplayedEvent } from '../../src/git/index.js';
import { seedSession, type SeededTurn } from '../helpers/context-turns.js';
import { tempRepo } from '../helpers/git-repo.js';
import { runCli } from '../helpers/run-cli.js';
import { startFakeLlm, reply } from '../fake-llm/index.js';

const FILES = {
  'src/billing/invoice.ts': 'export function computeInvoiceTotal(lines: number[]): number {\n  return lines.reduce((a, b) => a + b, 0);\n}\n',
  'src/billing/tax.ts': "import { computeInvoiceTotal } from './invoice.js';\n\nexport function applyTax(lines: number[], rate: number): number {\n  return computeInvoiceTotal(lines) * (1 + rate);\n}\n",
  'lib/tax_rules.py': 'def compute_tax_rate(region):\n    """The tax rate of a region."""\n    return 0.2 if region == "eu" else 0.1\n',
  'lib/report.py': 'from lib.tax_rules import compute_tax_rate\n\ndef tax_report(region):\n    return f"rate {compute_tax_rate(region)}"\n',
};

const times = (n: number, turn: SeededTurn): SeededTurn[] => Array.from({ length: n }, () => turn);

describe('hybrid chooses per language from the recorded turns', () => {
  it('tries what has no figures, then sends chunks for TypeScript and summaries for Python when the figures say so, records the choice, and says why under --verbose', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '1024' };

    // No figures yet: the default for every language, said under --verbose only.
    server.enqueue(reply.text('First look.'));
    const fresh = await runCli(['--verbose', 'run', '-m', 'how is the tax applied with compute_tax_rate and computeInvoiceTotal?'], { cwd: repo.dir, env });
    expect(fresh.code, fresh.stderr).toBe(5);
    expect(fresh.stderr).toMatch(/hybrid: no recorded turns yet in \d+ sessions?: chunks for every language/);
    const before = JSON.stringify(server.requests[0]!.body);
    expect(before).toContain('lib/tax_rules.py (lines');

    // TypeScript's chunks served; Python's chunks missed (the model read the file), its summaries served.
    await seedSession(repo, [...times(5, { chunks: ['src/billing/tax.ts:3-5'], edits: ['src/billing/tax.ts'] }), ...times(5, { chunks: ['src/billing/tax.ts:3-5'], reads: ['lib/tax_rules.py'] })]);
    await seedSession(repo, times(5, { strategy: 'summary', summaries: ['', 'lib/tax_rules.py'], edits: ['lib/tax_rules.py'] }));

    // The summaries the hooks would keep fresh (a file without one gets its chunks instead).
    const refresh = await runCli(['summaries', 'refresh'], { cwd: repo.dir, env });
    expect(refresh.code, refresh.stderr).toBe(0);
    // An option never sent has no figures: hybrid tries it (the map alone for Python, summaries for
    // TypeScript, now that the refresher has written some) before the figures decide.
    server.enqueue(reply.text('Trying.'));
    const trying = await runCli(['--verbose', 'run', '-m', 'how is the tax applied with compute_tax_rate and computeInvoiceTotal?'], { cwd: repo.dir, env });
    expect(trying.code, trying.stderr).toBe(5);
    expect(trying.stderr).toContain('hybrid: python: map (chunks 0% hit of 5 turns, summaries 100% hit of 5 turns: trying map (0 of 5 turns;');
    expect(trying.stderr).toContain('hybrid: typescript: summaries (chunks 100% hit of 5 turns: trying summaries (0 of 5 turns;');
    const tried = JSON.stringify(server.requests[1]!.body);
    expect(tried).not.toContain('lib/tax_rules.py (lines');

    // Every option with its turns: the figures alone decide.
    await seedSession(repo, [
      ...times(5, { languages: { python: 'map', typescript: 'summaries' }, reads: ['lib/tax_rules.py', 'src/billing/tax.ts'] }),
      ...times(5, { languages: { python: 'summaries', typescript: 'map' }, reads: ['src/billing/invoice.ts'] }),
    ]);
    server.enqueue(reply.text('The tax is applied in applyTax.'));
    const r = await runCli(['--verbose', 'run', '-m', 'how is the tax applied with compute_tax_rate and computeInvoiceTotal?'], { cwd: repo.dir, env });
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain('hybrid: python: summaries (chunks 0% hit of 5 turns, summaries 100% hit of 5 turns, map 0% hit of 5 turns: summaries served best)');
    expect(r.stderr).toContain('hybrid: typescript: chunks (chunks 100% hit of 5 turns, summaries 0% hit of 5 turns, map 0% hit of 5 turns: chunks served best)');
    const body = JSON.stringify(server.requests[2]!.body);
    expect(body).toContain('Relevant parts of other files');
    expect(body).toContain('src/billing/tax.ts (lines');
    expect(body).toContain('Summaries of other files');
    expect(body).toMatch(/lib\/tax_rules\.py( \(summary may be out of date\))?:/);
    expect(body).not.toContain('lib/tax_rules.py (lines');

    // The turn's event records the choice, so its own figures count toward what it sent.
    const store = await openStore({ cwd: repo.dir, env: repo.env, command: 'test' });
    const events: ReplayedEvent[] = [];
    try {
      for (const s of await store.listSessions()) events.push(...(await store.replay(s.id)));
    } finally {
      store.close();
    }
    const recorded = events.flatMap((e) => (e.type === 'message' && e.text.startsWith('how is the tax') ? [e.context?.languages ?? null] : []));
    // The first run had no figures (no choice recorded: chunks for all); the others recorded their choice.
    expect(recorded.filter((c) => c === null)).toHaveLength(1);
    expect(recorded.filter((c) => c !== null)).toEqual(expect.arrayContaining([{ python: 'map', typescript: 'summaries' }, { python: 'summaries', typescript: 'chunks' }]));
    expect(recorded).toHaveLength(3);

    // Without --verbose the choice is not shown.
    server.enqueue(reply.text('Again.'));
    const quiet = await runCli(['run', '-m', 'how is the tax applied with compute_tax_rate?'], { cwd: repo.dir, env });
    expect(quiet.code, quiet.stderr).toBe(5);
    expect(quiet.stderr).not.toContain('hybrid:');
  });
});
