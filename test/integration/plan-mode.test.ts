import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo, type TempRepo } from '../helpers/git-repo.js';
import { cliPath, runCli } from '../helpers/run-cli.js';
import { startTerminal } from '../helpers/tmux.js';
import { requireTool } from '../helpers/system-tools.js';
import { startFakeLlm, reply, type FakeLlmServer } from '../fake-llm/index.js';
import type { Scripted } from '../fake-llm/types.js';

const tmux = await requireTool('tmux');

const MODEL = 'openai/gpt-4.1';
const READ_ONLY = ['read_file', 'list_files', 'search', 'semantic_search', 'repo_map'];
const WRITE_OR_RUN = ['edit_file', 'write_file', 'run_command', 'run_tests'];

const PRICING = 'export function applyDiscount(price: number, pct: number): number {\n  return price - pct;\n}\n';
const FILES = {
  'src/lib/pricing.ts': PRICING,
  'src/cart.ts': "import { applyDiscount } from './lib/pricing';\nexport const total = (p: number) => applyDiscount(p, 10);\n",
  'README.md': '# shop\n',
};

const PLAN = [
  'The discount is subtracted as an amount.',
  '',
  '1. In src/lib/pricing.ts, make applyDiscount treat pct as a percentage: price * (1 - pct / 100).',
  '2. Add test/pricing.test.ts with a case for 10 percent of 200.',
  '3. Run the tests.',
].join('\n');

const call = (name: string, args: Record<string, unknown>): Scripted => ({ kind: 'text', text: '', toolCalls: [{ name, arguments: args }] });

function envFor(repo: TempRepo, server: FakeLlmServer): NodeJS.ProcessEnv {
  return { ...repo.env, ...server.env(), ASSIST_MODEL: MODEL, ASSIST_CONTEXT__MAP_TOKENS: '0' };
}

/** What a run could have changed: status, HEAD, branches, the current branch. */
function repoState(repo: TempRepo): string[] {
  return [repo.git('status', '--porcelain', '--untracked-files=all'), repo.git('rev-parse', 'HEAD'), repo.git('for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads'), repo.git('symbolic-ref', 'HEAD')];
}

describe('plan mode', () => {
  it('assist run --plan --json: the plan in the JSON, only read-only tools offered, nothing changed, the plan an event of the session', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    server.enqueue(
      call('read_file', { path: 'src/lib/pricing.ts' }),
      // A model that tries to edit anyway gets told there is no such tool.
      call('edit_file', { path: 'src/lib/pricing.ts', search: '  return price - pct;\n', replace: '  return 0;\n' }),
      reply.text(PLAN),
    );
    const before = repoState(repo);
    const r = await runCli(['run', '--plan', '--yes', '--json', '-m', 'the discount is wrong: 10 should mean ten percent'], { cwd: repo.dir, env: envFor(repo, server) });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { plan: string; plan_files: string[]; session: string; commits: string[]; steps: number; tool_calls: Array<{ name: string; ok: boolean }> };
    expect(out.plan).toBe(PLAN);
    expect(out.plan_files).toEqual(['src/lib/pricing.ts', 'test/pricing.test.ts']);
    expect(out.commits).toEqual([]);
    expect(out.steps).toBe(3);
    expect(out.tool_calls.map((c) => [c.name, c.ok])).toEqual([
      ['read_file', true],
      ['edit_file', false],
    ]);

    // Every request offered the read-only tools and nothing that writes or runs; the system prompt asks for a plan.
    expect(server.requests).toHaveLength(3);
    for (const request of server.requests) {
      const names = (request.tools ?? []).map((t) => t.name);
      expect(names.sort()).toEqual([...READ_ONLY].sort());
      for (const name of WRITE_OR_RUN) expect(names).not.toContain(name);
      expect(request.messages[0]?.content ?? '').toMatch(/plan mode/);
    }
    const toolResult = server.requests[2]!.messages.flatMap((m) => m.toolResults ?? []).at(-1)!;
    expect(toolResult.content).toMatch(/There is no tool named "edit_file"/);

    // Nothing changed: files, index, HEAD, branches.
    expect(repoState(repo)).toEqual(before);
    expect(readFileSync(join(repo.dir, 'src/lib/pricing.ts'), 'utf8')).toBe(PRICING);

    // The plan is an event in the session's chain.
    const log = await runCli(['log', out.session, '--json'], { cwd: repo.dir, env: envFor(repo, server) });
    expect(log.code, log.stderr).toBe(0);
    const events = (JSON.parse(log.stdout) as { events: Array<{ type: string; text?: string; files?: string[] }> }).events;
    const plan = events.find((e) => e.type === 'plan');
    expect(plan).toMatchObject({ text: PLAN, files: ['src/lib/pricing.ts', 'test/pricing.test.ts'] });
    expect(events.map((e) => e.type)).toEqual(['session-started', 'message', 'reply', 'tool', 'reply', 'tool', 'reply', 'plan']);
  });

  it('assist run --plan without --json prints the plan on stdout and exits 0', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    server.enqueue(reply.text(PLAN));
    const r = await runCli(['run', '--plan', '-m', 'fix the discount'], { cwd: repo.dir, env: envFor(repo, server) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(PLAN);
    expect(r.stderr).toMatch(/plan mode: nothing was changed/);
    expect(repo.git('status', '--porcelain')).toBe('');
  });
});

describe('plan mode in a real terminal', tmux.options, () => {
  it('/plan asks with read-only tools, /go carries out the plan with it in the conversation, and the edit lands as a commit', async () => {
    await using server = await startFakeLlm();
    const repo = tempRepo({ files: FILES });
    const head = repo.git('rev-parse', 'HEAD');
    const term = startTerminal([process.execPath, cliPath, 'chat'], { cwd: repo.dir, env: { ...envFor(repo, server), TERM: 'xterm-256color' } });
    try {
      server.enqueue(
        call('read_file', { path: 'src/lib/pricing.ts' }),
        reply.text(PLAN),
        call('edit_file', { path: 'src/lib/pricing.ts', search: '  return price - pct;\n', replace: '  return price * (1 - pct / 100);\n' }),
        reply.text('Done: applyDiscount now takes a percentage.'),
      );
      await term.waitFor('/help for commands');
      term.type('/plan the discount is wrong: 10 should mean ten percent');
      term.press('Enter');
      await term.waitFor(/plan ready \(src\/lib\/pricing\.ts, test\/pricing\.test\.ts\)/);
      expect(repo.git('rev-parse', 'HEAD')).toBe(head);
      expect(repo.git('status', '--porcelain')).toBe('');
      for (const request of server.requests.slice(0, 2)) expect((request.tools ?? []).map((t) => t.name).sort()).toEqual([...READ_ONLY].sort());

      term.type('/go');
      term.press('Enter');
      await term.waitFor('Apply the edit to src/lib/pricing.ts?');
      term.press('y');
      await term.waitFor(/committed [0-9a-f]{10}/);
      await term.waitFor('Done: applyDiscount now takes a percentage.');
      expect(readFileSync(join(repo.dir, 'src/lib/pricing.ts'), 'utf8')).toContain('price * (1 - pct / 100)');
      expect(repo.git('log', '-1', '--format=%(trailers:key=Assist-Event,valueonly)').trim()).toBe('edit');
      expect(repo.git('rev-list', '--count', `${head}..HEAD`)).toBe('1');

      // The act-mode request had the plan in its conversation, and the write tools again.
      const act = server.requests[2]!;
      expect(act.messages.map((m) => m.content).join('\n')).toContain(PLAN);
      expect(act.messages.at(-1)?.content).toMatch(/carry out the plan/);
      expect((act.tools ?? []).map((t) => t.name)).toContain('edit_file');
      expect(act.messages[0]?.content ?? '').not.toMatch(/plan mode/);

      term.type('/exit');
      term.press('Enter');
      const deadline = Date.now() + 10_000;
      while (!term.exited() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(term.exited()).toBe(true);
    } finally {
      term.kill();
      repo.cleanup();
    }
  });
});
