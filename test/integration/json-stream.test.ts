import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo, type TempRepo } from '../helpers/git-repo.js';
import { cliPath, runCli } from '../helpers/run-cli.js';
import { startFakeLlm, reply, type FakeLlmServer } from '../fake-llm/index.js';
import type { Scripted } from '../fake-llm/types.js';

const MODEL = 'openai/gpt-4.1'; // $2 in, $8 out per million tokens in the registry

const FILES = {
  'README.md': '# shop\n',
  'src/cart.ts': 'export const total = (p: number) => p;\n',
};

const call = (name: string, args: Record<string, unknown>, usage?: { input: number; output: number }): Scripted => ({
  kind: 'text',
  text: '',
  toolCalls: [{ name, arguments: args }],
  ...(usage ? { usage } : {}),
});

function envFor(repo: TempRepo, server: FakeLlmServer, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...repo.env, ...server.env(), ASSIST_MODEL: MODEL, ASSIST_CONTEXT__MAP_TOKENS: '0', ...extra };
}

type Line = { type: string } & Record<string, unknown>;

/** Every stdout line parsed; a line that is not JSON fails the test. */
function parseLines(stdout: string): Line[] {
  const lines = stdout.split('\n').filter((l) => l !== '');
  return lines.map((l) => {
    const value = JSON.parse(l) as Line;
    expect(typeof value.type).toBe('string');
    return value;
  });
}

/** The line types in order, runs of `text` folded into one, `status` lines left out. */
function shape(lines: readonly Line[]): string[] {
  const types: string[] = [];
  for (const l of lines) {
    if (l.type === 'status') continue;
    if (l.type === 'text' && types.at(-1) === 'text') continue;
    types.push(l.type);
  }
  return types;
}

describe('assist run --json-stream', () => {
  it('a tool call, then an edit: one JSON object per line, in the order of the turn, the end line carrying the --json object', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    server.enqueue(
      call('read_file', { path: 'README.md' }, { input: 1000, output: 20 }),
      { kind: 'text', text: 'The README needs a line about the shop.', chunkSize: 8, toolCalls: [{ name: 'edit_file', arguments: { path: 'README.md', search: '# shop\n', replace: '# shop\n\nA small shop.\n' } }], usage: { input: 1200, output: 40 } },
      reply.text('Added a line to the README.', { usage: { input: 1500, output: 10 } }),
    );
    const r = await runCli(['run', '--yes', '--json-stream', '-m', 'describe the shop in the README'], { cwd: repo.dir, env: envFor(repo, server) });
    expect(r.code, r.stderr).toBe(0);
    const lines = parseLines(r.stdout);
    expect(shape(lines)).toEqual([
      'start',
      'usage',
      'tool_call',
      'tool_result',
      'text',
      'usage',
      'tool_call',
      'edit',
      'commit',
      'tool_result',
      'text',
      'usage',
      'end',
    ]);
    const start = lines[0]!;
    expect(start).toMatchObject({ type: 'start', v: 1, command: 'run', model: MODEL, message: 'describe the shop in the README', plan: false });
    const calls = lines.filter((l) => l.type === 'tool_call');
    expect(calls.map((c) => c.name)).toEqual(['read_file', 'edit_file']);
    expect(JSON.parse(calls[0]!.arguments as string)).toEqual({ path: 'README.md' });
    const results = lines.filter((l) => l.type === 'tool_result');
    expect(results.map((c) => [c.name, c.ok, c.call])).toEqual([
      ['read_file', true, calls[0]!.call],
      ['edit_file', true, calls[1]!.call],
    ]);
    expect(results[0]!.result).toContain('# shop');
    expect(lines.filter((l) => l.type === 'text').map((l) => l.text).join('')).toBe('The README needs a line about the shop.Added a line to the README.');

    const edit = lines.find((l) => l.type === 'edit')!;
    expect(edit).toMatchObject({ path: 'README.md', change: 'M', applied: true });
    expect(edit.diff).toContain('+A small shop.');
    const commit = lines.find((l) => l.type === 'commit')!;
    expect(commit.files).toEqual(['README.md']);
    expect(repo.git('rev-parse', 'HEAD')).toBe(commit.commit);

    const usage = lines.filter((l) => l.type === 'usage');
    expect(usage.map((u) => [u.input_tokens, u.output_tokens])).toEqual([
      [1000, 20],
      [1200, 40],
      [1500, 10],
    ]);
    // Each request's cost at the registry's prices, and the turn's running total.
    expect(usage[0]!.cost_usd).toBeCloseTo((1000 * 2 + 20 * 8) / 1e6, 10);
    expect((usage[2]!.turn as { cost_usd: number }).cost_usd).toBeCloseTo((3700 * 2 + 70 * 8) / 1e6, 10);

    const end = lines.at(-1)!;
    expect(end).toMatchObject({ type: 'end', exit_code: 0, commits: [commit.commit], files: ['README.md'], steps: 3, model: MODEL, reply: 'Added a line to the README.' });
    expect(end.usage).toMatchObject({ input_tokens: 3700, output_tokens: 70 });
    expect((end.tool_calls as Array<{ name: string }>).map((c) => c.name)).toEqual(['read_file', 'edit_file']);
    expect(end).not.toHaveProperty('error');
    // The end line carries what --json prints: the same keys.
    server.enqueue(reply.text('Nothing to change.'));
    const json = await runCli(['run', '--json', '-m', 'anything to change?'], { cwd: repo.dir, env: envFor(repo, server) });
    const keys = Object.keys(JSON.parse(json.stdout) as object).sort();
    for (const key of keys) expect(end, key).toHaveProperty(key);
  });

  it('lines are written as the turn goes: a text line is out while the reply still streams; Ctrl-C ends with an end line carrying the error, exit 130', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    server.enqueue(call('list_files', {}), { kind: 'text', text: 'Looking at the files one by one, slowly.', chunkSize: 4, stallAfterFrames: 4 });
    const child = spawn(process.execPath, [cliPath, 'run', '--yes', '--json-stream', '-m', 'look around'], { cwd: repo.dir, env: envFor(repo, server), stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end();
    let stdout = '';
    let stderr = '';
    const sawText = new Promise<void>((resolve) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        if (stdout.includes('"type":"text"')) resolve();
      });
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    try {
      await sawText;
      // The second reply is stalled mid-stream: the lines so far were flushed before the turn ended.
      const before = parseLines(stdout.slice(0, stdout.lastIndexOf('\n') + 1));
      expect(shape(before).slice(0, 5)).toEqual(['start', 'usage', 'tool_call', 'tool_result', 'text']);
      expect(before.some((l) => l.type === 'end')).toBe(false);
      child.kill('SIGINT');
      const code = await exited;
      expect(code, stderr).toBe(130);
      const lines = parseLines(stdout);
      const end = lines.at(-1)!;
      expect(end.type).toBe('end');
      expect(end.exit_code).toBe(130);
      expect((end.error as { code: string }).code).toMatch(/^(session\.interrupted|llm\.aborted)$/);
      expect(lines.filter((l) => l.type === 'end')).toHaveLength(1);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a provider that refuses the key: the last line is end with the error, and the exit code is the provider one (4)', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    server.enqueue(reply.unauthorized());
    const r = await runCli(['run', '--yes', '--json-stream', '-m', 'hello'], { cwd: repo.dir, env: envFor(repo, server) });
    expect(r.code, r.stderr).toBe(4);
    const lines = parseLines(r.stdout);
    expect(lines[0]!.type).toBe('start');
    const end = lines.at(-1)!;
    expect(end).toMatchObject({ type: 'end', exit_code: 4 });
    expect((end.error as { code: string }).code).toMatch(/^llm\./);
  });

  it('--json with --json-stream is a usage error (exit 2), before any request', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    const r = await runCli(['run', '--json', '--json-stream', '-m', 'x'], { cwd: repo.dir, env: envFor(repo, server) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--json and --json-stream/);
    expect(server.requests).toHaveLength(0);
  });
});

describe('assist pr --json-stream', () => {
  it('lines from start to end; the end line carries the pr report', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    server.enqueue(reply.edits([{ path: 'README.md', search: '# shop\n', replace: '# shop\n\nA shop.\n' }]));
    const r = await runCli(['pr', '--json-stream', '-m', 'describe the shop'], { cwd: repo.dir, env: envFor(repo, server) });
    expect(r.code, r.stderr).toBe(0);
    const lines = parseLines(r.stdout);
    expect(shape(lines)).toEqual(['start', 'text', 'usage', 'edit', 'commit', 'end']);
    const end = lines.at(-1)!;
    expect(end).toMatchObject({ type: 'end', exit_code: 0, files: ['README.md'], tests: 'not run' });
    expect(end.commits).toEqual([lines.find((l) => l.type === 'commit')!.commit]);
    expect(repo.git('rev-parse', `${end.branch as string}`)).toBe((end.commits as string[])[0]);
  });
});

describe('assist run --max-cost and --max-steps', () => {
  it('--max-cost stops an endless tool loop once the turn costs more: exit 1, one line, the approved edit stays committed', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    const usage = { input: 10_000, output: 500 }; // $0.024 a request
    server.enqueue(call('edit_file', { path: 'README.md', search: '# shop\n', replace: '# shop\n\nA shop.\n' }, usage));
    server.defaultReply = call('list_files', {}, usage);
    const r = await runCli(['run', '--yes', '--json-stream', '--max-cost', '0.05', '-m', 'document the shop'], { cwd: repo.dir, env: envFor(repo, server) });
    expect(r.code).toBe(1);
    // $0.024, $0.048, then $0.072: over after the third request, and nothing of that reply ran.
    expect(server.requests).toHaveLength(3);
    const errors = r.stderr.split('\n').filter((l) => /^(error|assist):/i.test(l));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/stopped: the turn cost \$0\.0720, over --max-cost 0\.05; the approved edit stays committed/);
    expect(readFileSync(join(repo.dir, 'README.md'), 'utf8')).toContain('A shop.');
    const lines = parseLines(r.stdout);
    const end = lines.at(-1)!;
    expect(end).toMatchObject({ type: 'end', exit_code: 1, cost_limit: true, error: { code: 'session.cost-limit' } });
    expect(end.commits).toHaveLength(1);
    expect(repo.git('log', '-1', '--format=%(trailers:key=Assist-Event,valueonly)').trim()).toBe('edit');
    // Only the two completed steps' calls ran: the third reply's list_files did not.
    expect(lines.filter((l) => l.type === 'tool_call').map((l) => l.name)).toEqual(['edit_file', 'list_files']);
  });

  it('--max-cost with a model that has no known price is refused up front (exit 2), naming the model', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    const r = await runCli(['run', '--yes', '--max-cost', '1', '-m', 'x'], { cwd: repo.dir, env: envFor(repo, server, { ASSIST_MODEL: 'openai/my-finetune-7' }) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--max-cost needs every model's price, and assist knows none for openai\/my-finetune-7/);
    expect(server.requests).toHaveLength(0);
    const bad = await runCli(['run', '--max-cost', 'ten', '-m', 'x'], { cwd: repo.dir, env: envFor(repo, server) });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--max-cost must be a positive number/);
  });

  it('chat --max-cost stops a turn over the limit with one line, keeps its edit, and the next turn gets a fresh limit', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    const usage = { input: 10_000, output: 500 }; // $0.024 a request
    server.enqueue(call('edit_file', { path: 'README.md', search: '# shop\n', replace: '# shop\n\nA shop.\n' }, usage));
    server.enqueue(call('list_files', {}, usage));
    server.enqueue(call('list_files', {}, usage));
    server.enqueue({ kind: 'text', text: 'Done looking.', usage });
    const input = 'document the shop\nwhat is left?\n/model openai/my-finetune-7\n/model\n';
    const r = await runCli(['chat', '--yes', '--max-cost', '0.05'], { cwd: repo.dir, env: envFor(repo, server), input });
    expect(r.code).toBe(0);
    // The first turn: $0.024, $0.048, $0.072 — stopped after the third request, its list_files not run.
    expect(r.stderr).toMatch(/stopped: it cost \$0\.0720, over --max-cost 0\.05; 1 approved commit kept\. Ask again to go on\./);
    expect(readFileSync(join(repo.dir, 'README.md'), 'utf8')).toContain('A shop.');
    // The second turn starts its own count: one request, answered.
    expect(server.requests).toHaveLength(4);
    expect(r.stdout).toContain('Done looking.');
    expect(r.stderr.match(/over --max-cost/g)).toHaveLength(1);
    // A model without a price is refused under --max-cost; the chat keeps its model.
    expect(r.stderr).toMatch(/--max-cost needs every model's price, and assist knows none for openai\/my-finetune-7/);
    expect(r.stdout).toMatch(/model: openai\/gpt-4\.1/);
    const bad = await runCli(['chat', '--max-cost', '0'], { cwd: repo.dir, env: envFor(repo, server), input: '' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--max-cost must be a positive number/);
  });

  it('--max-steps 2 stops after two model requests, overriding session.max_steps', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    server.defaultReply = call('list_files', {});
    const r = await runCli(['run', '--yes', '--json', '--max-steps', '2', '-m', 'look around'], { cwd: repo.dir, env: envFor(repo, server, { ASSIST_SESSION__MAX_STEPS: '30' }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/stopped after 2 model requests/);
    expect(server.requests).toHaveLength(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ step_limit: true, steps: 2 });
    const bad = await runCli(['run', '--max-steps', '0', '-m', 'x'], { cwd: repo.dir, env: envFor(repo, server) });
    expect(bad.code).toBe(2);
    expect(server.requests).toHaveLength(2);
  });
});
