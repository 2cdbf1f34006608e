import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempRepo, type TempRepo } from '../helpers/git-repo.js';
import { runCli } from '../helpers/run-cli.js';
import { startFakeLlm, type FakeLlmServer } from '../fake-llm/index.js';
import type { RecordedRequest, Scripted } from '../fake-llm/types.js';

const FILES = {
  'src/lib/pricing.ts': 'export function applyDiscount(price: number, pct: number): number {\n  return price - pct;\n}\n',
  'src/config/limits.ts': '// Limits the shop enforces.\n\nexport const MAX_CART_ITEMS = 42;\nexport const MAX_COUPONS = 3;\n',
  'README.md': '# shop\n',
};

const call = (name: string, args: Record<string, unknown>): Scripted => ({ kind: 'text', text: '', toolCalls: [{ name, arguments: args }] });

function envFor(repo: TempRepo, server: FakeLlmServer, model: string): NodeJS.ProcessEnv {
  return { ...repo.env, ...server.env(), ASSIST_MODEL: model, ASSIST_CONTEXT__MAP_TOKENS: '256' };
}

function resultsIn(request: RecordedRequest): string[] {
  return request.messages.flatMap((m) => (m.toolResults ?? []).map((r) => r.content));
}

/** What must not change: the work tree and index, HEAD, branches, and the files themselves. */
function snapshot(repo: TempRepo): Record<string, string> {
  return {
    status: repo.git('status', '--porcelain=v2', '--untracked-files=all'),
    head: repo.git('rev-parse', 'HEAD'),
    symbolic: repo.git('symbolic-ref', 'HEAD'),
    branches: repo.git('for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads'),
    readme: readFileSync(join(repo.dir, 'README.md'), 'utf8'),
    pricing: readFileSync(join(repo.dir, 'src/lib/pricing.ts'), 'utf8'),
    config: repo.git('config', '--local', '--list'),
  };
}

describe.each([['openai/gpt-4.1'], ['anthropic/claude-sonnet-4-5']])('assist explain through %s', (model) => {
  it('answers from a file nobody added, cites it, offers no tool that writes, and changes nothing', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    // The person's own uncommitted work, which must stay as it is.
    repo.write('src/lib/pricing.ts', FILES['src/lib/pricing.ts'] + '// wip\n');
    const before = snapshot(repo);
    server.enqueue(
      call('search', { pattern: 'MAX_CART' }),
      call('read_file', { path: 'src/config/limits.ts' }),
      {
        kind: 'text',
        // A block in the answer is text: explain applies nothing.
        text: 'A cart holds at most 42 items: `MAX_CART_ITEMS` is set at src/config/limits.ts:3.\n\nREADME.md\n```\n<<<<<<< SEARCH\n# shop\n=======\n# shop (max 42 items)\n>>>>>>> REPLACE\n```\n',
      },
    );
    const r = await runCli(['explain', '--json', 'how many items can a cart hold?'], { cwd: repo.dir, env: envFor(repo, server, model) });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { answer: string; citations: Array<{ path: string; line: number }>; session: string; steps: number; tool_calls: Array<{ name: string; ok: boolean }> };
    expect(out.answer).toContain('src/config/limits.ts:3');
    expect(out.citations).toEqual([{ path: 'src/config/limits.ts', line: 3 }]);
    expect(out.steps).toBe(3);
    expect(out.tool_calls.map((c) => [c.name, c.ok])).toEqual([
      ['search', true],
      ['read_file', true],
    ]);

    // The model read the file itself; every request offered the read-only tools and nothing else.
    expect(resultsIn(server.requests[2]!).join('\n')).toContain('3\texport const MAX_CART_ITEMS = 42;');
    expect(server.requests[0]!.rawBody).not.toContain('These files are in the chat');
    for (const request of server.requests) {
      expect(request.tools?.map((t) => t.name).sort()).toEqual(['list_files', 'read_file', 'repo_map', 'search', 'semantic_search']);
    }

    // Nothing changed: work tree, index, HEAD, branches, config.
    expect(snapshot(repo)).toEqual(before);

    // The event chain records it like any turn.
    expect(repo.git('for-each-ref', '--format=%(refname)', `refs/assist/log/${out.session}`)).toBe(`refs/assist/log/${out.session}`);
    const log = await runCli(['log', out.session], { cwd: repo.dir, env: envFor(repo, server, model) });
    expect(log.code, log.stderr).toBe(0);
    expect(log.stdout).toMatch(/tool search ok/);
    expect(log.stdout).toMatch(/tool read_file ok/);
    expect(log.stdout).toMatch(/how many items can a cart hold/);
  });
});

describe('assist explain: targets and usage', () => {
  it('a file:symbol TARGET, relative to the current directory as in git, becomes a question about that definition; the answer streams to stdout', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    server.enqueue(call('read_file', { path: 'src/lib/pricing.ts' }), { kind: 'text', text: 'applyDiscount subtracts pct as an amount (src/lib/pricing.ts:2).' });
    const r = await runCli(['explain', 'lib/pricing.ts:applyDiscount'], { cwd: join(repo.dir, 'src'), env: envFor(repo, server, 'openai/gpt-4.1') });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('src/lib/pricing.ts:2');
    const first = server.requests[0]!.messages.at(-1)!;
    expect(first.content).toContain('Explain `applyDiscount` in src/lib/pricing.ts');
  });

  it('/explain in a chat answers read-only: the request offers no tool that writes, nothing changes', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    const before = snapshot(repo);
    server.enqueue(call('read_file', { path: 'src/config/limits.ts' }), { kind: 'text', text: 'At most 3 coupons (src/config/limits.ts:4).' });
    const r = await runCli(['chat'], { cwd: repo.dir, env: envFor(repo, server, 'openai/gpt-4.1'), input: '/explain how many coupons can a cart take?\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('src/config/limits.ts:4');
    expect(server.requests).toHaveLength(2);
    for (const request of server.requests) expect(request.tools?.map((t) => t.name)).not.toContain('edit_file');
    expect(snapshot(repo)).toEqual(before);
  });

  it('no argument is a usage error (exit 2), before any request', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    const r = await runCli(['explain'], { cwd: repo.dir, env: envFor(repo, server, 'openai/gpt-4.1') });
    expect(r.code).toBe(2);
    expect(server.requests).toHaveLength(0);
  });
});
