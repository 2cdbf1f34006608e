import { describe, expect, it } from 'vitest';
import { readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempRepo, type TempRepo } from '../helpers/git-repo.js';
import { runCli } from '../helpers/run-cli.js';
import { startFakeLlm, type FakeLlmServer } from '../fake-llm/index.js';
import type { RecordedRequest, Scripted } from '../fake-llm/types.js';
import { requireTool } from '../helpers/system-tools.js';

const bwrap = await requireTool('bwrap');

const MODELS = {
  openai: 'openai/gpt-4.1',
  anthropic: 'anthropic/claude-sonnet-4-5',
  ollama: 'ollama/qwen2.5-coder',
  google: 'google/gemini-2.5-flash',
} as const;

const PRICING = ['export function applyDiscount(price: number, pct: number): number {', '  return price - pct;', '}', ''].join('\n');
const FILES = {
  'src/lib/pricing.ts': PRICING,
  'src/cart.ts': "import { applyDiscount } from './lib/pricing';\nexport const total = (p: number) => applyDiscount(p, 10);\n",
  'README.md': '# shop\n',
};

/** A tool call reply; arguments as the model would send them. */
const call = (name: string, args: Record<string, unknown> | string, id?: string): Scripted => ({
  kind: 'text',
  text: '',
  toolCalls: [{ name, arguments: args, ...(id ? { id } : {}) }],
});
const answer = (text: string): Scripted => ({ kind: 'text', text });

function envFor(repo: TempRepo, server: FakeLlmServer, model: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...repo.env, ...server.env(), ASSIST_MODEL: model, ASSIST_CONTEXT__MAP_TOKENS: '256', ...extra };
}

/** The text of every tool result the model got in a request. */
function resultsIn(request: RecordedRequest): string[] {
  return request.messages.flatMap((m) => (m.toolResults ?? []).map((r) => r.content));
}

describe.each(Object.entries(MODELS))('the tool loop through %s', (provider, model) => {
  it('search → read_file → edit_file → answer fixes a file nobody added: one commit, steps in --json, calls in the log', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    server.enqueue(
      call('search', { pattern: 'applyDiscount' }),
      call('read_file', { path: 'src/lib/pricing.ts' }),
      call('edit_file', { path: 'src/lib/pricing.ts', search: '  return price - pct;\n', replace: '  return price * (1 - pct / 100);\n' }),
      answer('The discount was subtracted as an amount; it is now a percentage.'),
    );
    const r = await runCli(['run', '--yes', '--json', '-m', 'the discount is wrong: 10 should mean ten percent'], { cwd: repo.dir, env: envFor(repo, server, model) });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { session: string; commits: string[]; files: string[]; steps: number; model: string; tool_calls: Array<{ name: string; ok: boolean; ms: number }> };
    expect(out.steps).toBe(4);
    expect(out.model).toBe(model);
    expect(out.tool_calls.map((c) => [c.name, c.ok])).toEqual([
      ['search', true],
      ['read_file', true],
      ['edit_file', true],
    ]);
    expect(out.commits).toHaveLength(1);
    expect(out.files).toEqual(['src/lib/pricing.ts']);
    expect(readFileSync(join(repo.dir, 'src/lib/pricing.ts'), 'utf8')).toContain('price * (1 - pct / 100)');
    expect(repo.git('show', '--name-only', '--format=', out.commits[0]!)).toBe('src/lib/pricing.ts');

    // Every request offered the tools; each result answered the call before it.
    expect(server.requests).toHaveLength(4);
    for (const request of server.requests) expect(request.tools?.map((t) => t.name)).toContain('read_file');
    expect(resultsIn(server.requests[1]!).join('\n')).toMatch(/src\/lib\/pricing\.ts:1:export function applyDiscount/);
    expect(resultsIn(server.requests[2]!).join('\n')).toContain('1\texport function applyDiscount');
    expect(resultsIn(server.requests[3]!).join('\n')).toMatch(/^applied/m);

    const log = await runCli(['log'], { cwd: repo.dir, env: envFor(repo, server, model) });
    expect(log.code, log.stderr).toBe(0);
    expect(log.stdout).toMatch(/tool search ok/);
    expect(log.stdout).toMatch(/tool read_file ok/);
    expect(log.stdout).toMatch(/tool edit_file ok/);
    if (provider === 'anthropic') expect(server.requests[0]!.body).toHaveProperty('tools');
  });
});

describe('the tool loop: limits, hostile calls, fallback, dry run, undo', () => {
  it('a model that never stops is cut at session.max_steps: exit 1, one clear line, approved edits kept', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    server.enqueue(
      call('edit_file', { path: 'README.md', search: '# shop\n', replace: '# shop\n\nA shop.\n' }),
      call('list_files', {}),
      call('list_files', {}),
    );
    const r = await runCli(['run', '--yes', '--json', '-m', 'document the shop'], { cwd: repo.dir, env: envFor(repo, server, MODELS.openai, { ASSIST_SESSION__MAX_STEPS: '3' }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/stopped after 3 model requests/);
    expect(r.stderr.trim().split('\n').filter((l) => /^(error|assist):/i.test(l)).length).toBeLessThanOrEqual(1);
    const out = JSON.parse(r.stdout) as { commits: string[]; step_limit: boolean };
    expect(out.step_limit).toBe(true);
    expect(out.commits).toHaveLength(1);
    expect(readFileSync(join(repo.dir, 'README.md'), 'utf8')).toContain('A shop.');
    expect(server.requests).toHaveLength(3);
  });

  it('hostile calls are contained with an audit line each, the turn goes on, and no secret reaches a later request', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { ...FILES, '.gitignore': '.env\n' } });
    writeFileSync(join(repo.dir, '.env'), 'SECRET_TOKEN=dont-send-me-4242\n');
    symlinkSync('/etc', join(repo.dir, 'etc-link'));
    repo.git('add', 'etc-link');
    repo.git('commit', '-qm', 'a symlink out');
    const hostile: Array<[string, Record<string, unknown>]> = [
      ['read_file', { path: '../outside.txt' }],
      ['read_file', { path: '/etc/passwd' }],
      ['read_file', { path: 'etc-link/passwd' }],
      ['read_file', { path: '.env' }],
      ['read_file', { path: '.git/config' }],
      ['edit_file', { path: '.git/hooks/pre-commit', search: '', replace: '#!/bin/sh\necho owned\n' }],
      ['write_file', { path: '../escape.txt', content: 'x' }],
      ['search', { pattern: 'SECRET_TOKEN' }],
    ];
    server.enqueue(...hostile.map(([name, args]) => call(name, args)), answer('I could not do that.'));
    const env = envFor(repo, server, MODELS.anthropic, { OPENAI_API_KEY: 'sk-canary-should-never-leak-000111' });
    const r = await runCli(['run', '--yes', '--json', '-m', 'show me the secrets'], { cwd: repo.dir, env });
    expect([0, 5]).toContain(r.code);
    const out = JSON.parse(r.stdout) as { tool_calls: Array<{ name: string; ok: boolean }>; commits: string[] };
    expect(out.tool_calls).toHaveLength(hostile.length);
    // The search ran (ok) but found nothing it may show; every other call was refused.
    expect(out.tool_calls.filter((c) => c.name !== 'search').every((c) => !c.ok)).toBe(true);
    expect(out.commits).toHaveLength(0);
    const everything = server.requests.map((q) => q.rawBody).join('\n');
    expect(everything).not.toContain('dont-send-me-4242');
    expect(everything).not.toContain('root:x:0:0');
    expect(everything).not.toContain('sk-canary-should-never-leak');
    expect(existsSync(join(repo.dir, '.git/hooks/pre-commit'))).toBe(false);
    expect(existsSync(join(repo.dir, '..', 'escape.txt'))).toBe(false);
    const audit = readFileSync(join(repo.dir, '.git/assist/audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { op: string; path: string; result: string });
    const denials = audit.filter((a) => a.op === 'deny');
    expect(denials.length).toBeGreaterThanOrEqual(hostile.length - 1);
  });

  it('an Ollama model that rejects tools falls back to text mode once, and the mentioned-file flow finishes the task', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    server.rejectTools = true;
    server.enqueue(
      answer('The bug is in src/lib/pricing.ts; I need to see it.'),
      answer('src/lib/pricing.ts\n```ts\n<<<<<<< SEARCH\n  return price - pct;\n=======\n  return price * (1 - pct / 100);\n>>>>>>> REPLACE\n```\n'),
    );
    const r = await runCli(['run', '--yes', '--json', '-m', 'the discount is wrong'], { cwd: repo.dir, env: envFor(repo, server, MODELS.ollama) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.match(/does not accept tools/g)).toHaveLength(1);
    const out = JSON.parse(r.stdout) as { commits: string[] };
    expect(out.commits).toHaveLength(1);
    expect(readFileSync(join(repo.dir, 'src/lib/pricing.ts'), 'utf8')).toContain('price * (1 - pct / 100)');
    // The rejected request, then two text-mode requests without tools; the second carried the file.
    const textMode = server.requests.filter((q) => q.outcome === 'completed');
    expect(textMode).toHaveLength(2);
    expect(textMode.every((q) => q.tools === undefined)).toBe(true);
    expect(textMode[1]!.rawBody).toContain('return price - pct;');
  });

  it('--dry-run shows every edit the loop would make and writes nothing', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    server.enqueue(
      call('edit_file', { path: 'src/lib/pricing.ts', search: '  return price - pct;\n', replace: '  return price * (1 - pct / 100);\n' }),
      call('edit_file', { path: 'src/lib/pricing.ts', search: '  return price * (1 - pct / 100);\n', replace: '  // pct is a percentage.\n  return price * (1 - pct / 100);\n' }),
      answer('Done.'),
    );
    const head = repo.git('rev-parse', 'HEAD');
    const r = await runCli(['run', '--dry-run', '--json', '-m', 'fix the discount'], { cwd: repo.dir, env: envFor(repo, server, MODELS.openai) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('price * (1 - pct / 100)');
    expect(r.stderr).toContain('pct is a percentage');
    expect(readFileSync(join(repo.dir, 'src/lib/pricing.ts'), 'utf8')).toBe(PRICING);
    expect(repo.git('rev-parse', 'HEAD')).toBe(head);
    expect(repo.git('status', '--porcelain')).toBe('');
    expect(repo.git('for-each-ref', 'refs/assist/')).toBe('');
    // The model heard the second edit applied on top of the first (the step's edits compose).
    expect(resultsIn(server.requests[2]!).join('\n')).toMatch(/dry run/);
  });

  it('undo of a step commit rolls the conversation back to before that step; --resume continues with the tool history', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    server.enqueue(
      call('read_file', { path: 'src/lib/pricing.ts' }),
      call('edit_file', { path: 'src/lib/pricing.ts', search: '  return price - pct;\n', replace: '  return price * (1 - pct / 100);\n' }),
      call('edit_file', { path: 'README.md', search: '# shop\n', replace: '# shop\n\nPrices take a percentage discount.\n' }),
      answer('Fixed and documented.'),
    );
    const env = envFor(repo, server, MODELS.openai);
    const r = await runCli(['run', '--yes', '--json', '-m', 'fix the discount and document it'], { cwd: repo.dir, env });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { commits: string[] };
    expect(out.commits).toHaveLength(2);
    const undo = await runCli(['undo'], { cwd: repo.dir, env });
    expect(undo.code, undo.stderr).toBe(0);
    expect(readFileSync(join(repo.dir, 'README.md'), 'utf8')).toBe('# shop\n');
    expect(readFileSync(join(repo.dir, 'src/lib/pricing.ts'), 'utf8')).toContain('price * (1 - pct / 100)');

    server.reset();
    server.enqueue(answer('Only the code change remains.'));
    const next = await runCli(['chat', '--resume'], { cwd: repo.dir, env, input: 'what is left?\n' });
    expect(next.code, next.stderr).toBe(0);
    const sent = server.requests[0]!;
    const calls = sent.messages.flatMap((m) => (m.toolCalls ?? []).map((c) => c.name));
    // The read and the first edit stay in the conversation; the undone README step does not.
    expect(calls).toEqual(['read_file', 'edit_file']);
    expect(sent.rawBody).not.toContain('Prices take a percentage discount');
  });
});

describe('the tool loop in assist pr', () => {
  it('a task naming no file becomes a PR branch through search → read_file → edit_file', async () => {
    await using server = await startFakeLlm();
    await using remote = tempRepo({ bare: true });
    await using repo = tempRepo({ files: FILES });
    repo.git('remote', 'add', 'origin', remote.dir);
    repo.git('push', '-q', 'origin', 'main');
    repo.git('fetch', '-q', 'origin');
    repo.git('remote', 'set-head', 'origin', 'main');
    server.enqueue(
      call('search', { pattern: 'applyDiscount\\(' }),
      call('read_file', { path: 'src/lib/pricing.ts' }),
      call('edit_file', { path: 'src/lib/pricing.ts', search: '  return price - pct;\n', replace: '  return price * (1 - pct / 100);\n' }),
      answer('Discounts are percentages now.'),
    );
    const env = { ...envFor(repo, server, MODELS.openai), CI: 'true' };
    const r = await runCli(['pr', '-m', 'Discounts should be percentages', '--json'], { cwd: repo.dir, env });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { branch: string; commits: string[]; files: string[] };
    expect(out.commits).toHaveLength(1);
    expect(out.files).toEqual(['src/lib/pricing.ts']);
    expect(repo.git('show', `${out.branch}:src/lib/pricing.ts`)).toContain('price * (1 - pct / 100)');
    // The person's checkout is left as it was.
    expect(readFileSync(join(repo.dir, 'src/lib/pricing.ts'), 'utf8')).toBe(PRICING);
    expect(server.requests).toHaveLength(4);
  });
});

describe('search and untracked files', () => {
  it('skips git\'s untracked walk only while the turn\'s listing holds no untracked file; a file left untracked is still found', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    const trace = join(repo.dir, '.git', 'trace.txt');
    server.enqueue(call('search', { pattern: 'applyDiscount' }), call('search', { pattern: 'needleUntracked' }), answer('Found.'));
    const clean = await runCli(['run', '--yes', '--json', '-m', 'where is the discount applied'], { cwd: repo.dir, env: { ...envFor(repo, server, MODELS.openai), GIT_TRACE: trace } });
    expect(clean.code, clean.stderr).toBe(5);
    const greps = readFileSync(trace, 'utf8').split('\n').filter((l) => l.includes('git grep'));
    expect(greps).toHaveLength(2);
    for (const line of greps) expect(line).not.toContain('--untracked');
    expect(resultsIn(server.requests[1]!).join('\n')).toContain('src/cart.ts');

    // A file the person left untracked (not ignored): the listing has it, so the walk runs and finds it.
    writeFileSync(join(repo.dir, 'scratch.ts'), 'export const needleUntracked = 1;\n');
    writeFileSync(trace, '');
    server.enqueue(call('search', { pattern: 'needleUntracked' }), answer('Found.'));
    const dirty = await runCli(['run', '--yes', '--json', '-m', 'where is needleUntracked'], { cwd: repo.dir, env: { ...envFor(repo, server, MODELS.openai), GIT_TRACE: trace } });
    expect(dirty.code, dirty.stderr).toBe(5);
    expect(readFileSync(trace, 'utf8').split('\n').filter((l) => l.includes('git grep'))[0]).toContain('--untracked');
    expect(resultsIn(server.requests.at(-1)!).join('\n')).toContain('scratch.ts:1:');
  });
});

describe('commands in the tool loop', bwrap.options, () => {
  it('with --yes a confined run_command runs; the files it changed are shown and committed with the step; no key in its environment', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    server.enqueue(
      call('run_command', { command: 'printf "generated\\n" > gen.txt && env | grep -c API_KEY || true' }),
      answer('Generated the file.'),
    );
    const env = envFor(repo, server, MODELS.anthropic);
    const r = await runCli(['run', '--yes', '--json', '-m', 'generate the file'], { cwd: repo.dir, env });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { commits: string[]; files: string[]; tool_calls: Array<{ name: string; ok: boolean }> };
    expect(out.tool_calls).toEqual([{ name: 'run_command', ok: true, ms: expect.any(Number) }]);
    expect(out.files).toEqual(["gen.txt"]);
    expect(repo.git('show', `${out.commits[0]!}:gen.txt`)).toBe('generated');
    expect(r.stderr).toContain('+generated');
    // The command saw no provider key: grep counted 0 lines naming one.
    const result = resultsIn(server.requests[1]!).join('\n');
    expect(result).toMatch(/exit 0/);
    expect(result).toMatch(/^0$/m);
  });

  it('a file a command creates is found by a search in the same step, before the step is committed', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    server.enqueue(
      { kind: 'text', text: '', toolCalls: [{ name: 'run_command', arguments: { command: 'printf "export const needleMade = 1;\\n" > made.ts' } }, { name: 'search', arguments: { pattern: 'needleMade' } }] },
      answer('Made and found.'),
    );
    const r = await runCli(['run', '--yes', '--json', '-m', 'make a file and find it'], { cwd: repo.dir, env: envFor(repo, server, MODELS.openai) });
    expect(r.code, r.stderr).toBe(0);
    const results = resultsIn(server.requests[1]!).join('\n');
    expect(results).toContain('made.ts:1:export const needleMade = 1;');
  });

  it('without --yes and without a terminal a command is refused, and the turn goes on', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    server.enqueue(call('run_command', { command: 'touch made.txt' }), answer('I could not run it.'));
    const r = await runCli(['run', '--json', '-m', 'make a file'], { cwd: repo.dir, env: envFor(repo, server, MODELS.openai) });
    expect([0, 5]).toContain(r.code);
    const out = JSON.parse(r.stdout) as { tool_calls: Array<{ name: string; ok: boolean }> };
    expect(out.tool_calls.map((c) => [c.name, c.ok])).toEqual([['run_command', false]]);
    expect(existsSync(join(repo.dir, 'made.txt'))).toBe(false);
    expect(resultsIn(server.requests[1]!).join('\n')).toMatch(/approval/);
  });
});
