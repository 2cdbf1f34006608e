import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startFakeLlm, type FakeLlmServer } from '../fake-llm/index.js';
import type { RecordedRequest, Scripted } from '../fake-llm/types.js';
import { tempRepo, type TempRepo } from '../helpers/git-repo.js';
import { runCli } from '../helpers/run-cli.js';

const MODEL = 'openai/gpt-4.1';

// The hooks are scripts in the repository (they run with the work tree as cwd, confined like the
// model's commands when bubblewrap works, so they write only inside the work tree).
const FILES = {
  'src/app.ts': 'export const app = 1;\n',
  '.gitignore': 'hook-out/\n',
  'hooks/block-rm.sh': [
    '#!/bin/sh',
    'input=$(cat)',
    'case "$input" in',
    '  *\'"command":"rm \'*) echo "rm is not allowed here: delete files with an edit the person reviews" >&2; exit 2 ;;',
    'esac',
    'exit 0',
    '',
  ].join('\n'),
  'hooks/record.sh': ['#!/bin/sh', 'mkdir -p hook-out', 'cat >> hook-out/payloads.jsonl', 'echo >> hook-out/payloads.jsonl', ''].join('\n'),
};

const call = (name: string, args: Record<string, unknown>): Scripted => ({ kind: 'text', text: '', toolCalls: [{ name, arguments: args }] });
const answer = (text: string): Scripted => ({ kind: 'text', text });

function envFor(repo: TempRepo, server: FakeLlmServer): NodeJS.ProcessEnv {
  return { ...repo.env, ...server.env(), ASSIST_MODEL: MODEL, ASSIST_CONTEXT__MAP_TOKENS: '256' };
}

function userConfig(repo: TempRepo, toml: string): void {
  const dir = join(repo.env['XDG_CONFIG_HOME'] as string, 'assist');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.toml'), toml);
}

function resultsIn(request: RecordedRequest): string[] {
  return request.messages.flatMap((m) => (m.toolResults ?? []).map((r) => r.content));
}

function hookAudit(repo: TempRepo): Array<{ op: string; path: string; result: string; reason: string }> {
  const file = join(repo.dir, '.git/assist/audit.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { op: string; path: string; result: string; reason: string })
    .filter((a) => a.op === 'hook');
}

function payloads(repo: TempRepo): Array<Record<string, unknown>> {
  const file = join(repo.dir, 'hook-out/payloads.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('agent hooks through the fake server', () => {
  it('a pre_tool hook on run_command turns `rm -rf src` into a refusal the model reads, and the turn goes on', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    userConfig(repo, ['[[agent_hooks.pre_tool]]', 'match = "run_command"', 'command = "sh hooks/block-rm.sh"', ''].join('\n'));
    server.enqueue(call('run_command', { command: 'rm -rf src' }), call('read_file', { path: 'src/app.ts' }), answer('src stays; I will not delete it.'));
    const r = await runCli(['run', '--yes', '--json', '-m', 'clean up the source tree'], { cwd: repo.dir, env: envFor(repo, server) });
    expect(r.code, r.stderr).toBe(5); // nothing changed
    expect(existsSync(join(repo.dir, 'src/app.ts'))).toBe(true);
    const out = JSON.parse(r.stdout) as { steps: number; tool_calls: Array<{ name: string; ok: boolean }>; reply: string };
    expect(out.tool_calls.map((c) => [c.name, c.ok])).toEqual([
      ['run_command', false],
      ['read_file', true],
    ]);
    expect(out.steps).toBe(3);
    const refused = resultsIn(server.requests[1]!).join('\n');
    expect(refused).toContain('Blocked by a pre_tool hook: rm is not allowed here: delete files with an edit the person reviews');
    expect(resultsIn(server.requests[2]!).join('\n')).toContain('export const app = 1;');
    // The hook matched run_command only: one run, audited with its verdict.
    const audit = hookAudit(repo);
    expect(audit.map((a) => [a.path, a.result])).toEqual([['sh hooks/block-rm.sh', 'blocked']]);
    expect(audit[0]!.reason).toMatch(/^pre_tool run_command \(file:.*config\.toml:3; (bwrap|unconfined)\): rm is not allowed/);
  });

  it('a post_commit hook receives the commit id and the files; pre_commit and post_tool see the batch and the result', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    userConfig(
      repo,
      ['pre_commit', 'post_commit', 'post_tool'].map((event) => `[[agent_hooks.${event}]]\ncommand = "sh hooks/record.sh"\n`).join('\n'),
    );
    server.enqueue(call('edit_file', { path: 'src/app.ts', search: 'export const app = 1;\n', replace: 'export const app = 2;\n' }), answer('done'));
    const r = await runCli(['run', '--yes', '--json', '-m', 'bump app'], { cwd: repo.dir, env: envFor(repo, server) });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { session: string; commits: string[] };
    expect(out.commits).toHaveLength(1);
    const seen = payloads(repo);
    expect(seen.map((p) => p['event'])).toEqual(['pre_commit', 'post_commit', 'post_tool']);
    expect(seen[0]).toMatchObject({ files: ['src/app.ts'], session: out.session, cwd: repo.dir });
    expect(seen[1]).toMatchObject({ event: 'post_commit', commit: out.commits[0], files: ['src/app.ts'], session: out.session });
    expect(seen[2]).toMatchObject({ tool: 'edit_file', arguments: { path: 'src/app.ts' }, ok: true });
    expect(String(seen[2]!['result'])).toMatch(/^applied/);
  });

  it('a pre_commit hook that exits 2 keeps the batch out: nothing committed, the reason reaches the model', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    userConfig(repo, '[[agent_hooks.pre_commit]]\ncommand = "echo frozen: no commits on Fridays >&2; exit 2"\n');
    server.enqueue(call('edit_file', { path: 'src/app.ts', search: 'export const app = 1;\n', replace: 'export const app = 2;\n' }), answer('ok'));
    const r = await runCli(['run', '--yes', '--json', '-m', 'bump app'], { cwd: repo.dir, env: envFor(repo, server) });
    const out = JSON.parse(r.stdout) as { commits: string[] };
    expect(out.commits).toEqual([]);
    expect(readFileSync(join(repo.dir, 'src/app.ts'), 'utf8')).toBe('export const app = 1;\n');
    expect(resultsIn(server.requests[1]!).join('\n')).toContain('declined: a pre_commit hook blocked the commit: frozen: no commits on Fridays');
    expect(r.stderr).toContain('not committed: a pre_commit hook blocked the commit');
  });

  it('a hook that hangs is killed at timeout_s and reported; the turn goes on', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    userConfig(repo, '[[agent_hooks.pre_tool]]\ncommand = "sleep 60"\ntimeout_s = 1\n');
    server.enqueue(call('read_file', { path: 'src/app.ts' }), answer('read it'));
    const started = Date.now();
    const r = await runCli(['run', '--yes', '--json', '-m', 'read app'], { cwd: repo.dir, env: envFor(repo, server) });
    expect(r.code, r.stderr).toBe(5); // nothing changed
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(r.stderr).toContain('agent pre_tool hook `sleep 60` was killed after 1 s (timeout_s)');
    expect(resultsIn(server.requests[1]!).join('\n')).toContain('export const app = 1;');
    expect(hookAudit(repo).map((a) => a.result)).toEqual(['timeout']);
  });

  it("a project .assist.toml's hook never runs until `assist trust`, then runs; user_prompt stdout goes with the message", async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({
      files: {
        ...FILES,
        '.assist.toml': ['[[agent_hooks.user_prompt]]', 'command = "sh hooks/record.sh; echo Ticket ABC-12: the app constant must be 2"', ''].join('\n'),
      },
    });
    server.enqueue(answer('first'), answer('second'));
    const first = await runCli(['run', '--yes', '-m', 'what is the ticket?'], { cwd: repo.dir, env: envFor(repo, server) });
    expect(first.code, first.stderr).toBe(5);
    expect(first.stderr).toMatch(/ignoring agent_hooks\.user_prompt\.0\.command from \.assist\.toml until you trust it/);
    expect(payloads(repo)).toEqual([]);
    expect(hookAudit(repo)).toEqual([]);
    expect(JSON.stringify(server.requests[0]!.messages)).not.toContain('ABC-12');
    const before = await runCli(['doctor'], { cwd: repo.dir, env: repo.env });
    expect(before.stdout).toMatch(/^warn +agent hooks of \.assist\.toml not run until trusted: agent_hooks\.user_prompt\.0$/m);

    const trust = await runCli(['trust'], { cwd: repo.dir, env: repo.env });
    expect(trust.code, trust.stderr).toBe(0);
    const after = await runCli(['doctor'], { cwd: repo.dir, env: repo.env });
    expect(after.stdout).toMatch(/^ok +agent hook user_prompt: `sh hooks\/record\.sh; echo Ticket ABC-12: the app constant must be 2` \(timeout 60 s, file:.*\.assist\.toml:2\)$/m);
    const second = await runCli(['run', '--yes', '-m', 'what is the ticket?'], { cwd: repo.dir, env: envFor(repo, server) });
    expect(second.code, second.stderr).toBe(5);
    expect(payloads(repo)).toEqual([expect.objectContaining({ event: 'user_prompt', prompt: 'what is the ticket?' })]);
    const last = server.requests[1]!.messages.at(-1);
    expect(JSON.stringify(last)).toContain('what is the ticket?\\n\\n[user_prompt hook]\\nTicket ABC-12: the app constant must be 2');
    expect(hookAudit(repo).map((a) => a.result)).toEqual(['0']);
  });

  it('session_start runs once per chat before its first turn; its stdout goes with the first message only', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    userConfig(repo, '[[agent_hooks.session_start]]\ncommand = "sh hooks/record.sh; echo Release freeze until Monday"\n');
    server.enqueue(answer('first'), answer('second'));
    const r = await runCli(['chat'], { cwd: repo.dir, env: envFor(repo, server), input: 'what is app?\nand now?\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests).toHaveLength(2);
    const started = payloads(repo);
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ event: 'session_start', cwd: repo.dir });
    expect(JSON.stringify(server.requests[0]!.messages.at(-1))).toContain('what is app?\\n\\n[session_start hook]\\nRelease freeze until Monday');
    expect(JSON.stringify(server.requests[1]!.messages.at(-1))).not.toContain('session_start hook');
    expect(hookAudit(repo).map((a) => a.result)).toEqual(['0']);
  });

  it('a stop hook that exits 2 sends its reason to the model and the turn goes on; the continuations are bounded', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({
      files: {
        ...FILES,
        // Blocks the first stop only: once the model has been told, the hook sees stop_hook_active and lets it end.
        'hooks/stop-once.sh': ['#!/bin/sh', 'input=$(cat)', 'case "$input" in', '  *\'"stop_hook_active":true\'*) exit 0 ;;', 'esac', 'echo "end your answer with the word CHECKED" >&2', 'exit 2', ''].join('\n'),
      },
    });
    userConfig(repo, '[[agent_hooks.stop]]\ncommand = "sh hooks/stop-once.sh"\n');
    server.enqueue(answer('app is 1'), answer('app is 1. CHECKED'));
    const r = await runCli(['run', '--yes', '--json', '-m', 'what is app?'], { cwd: repo.dir, env: envFor(repo, server) });
    expect(r.code, r.stderr).toBe(5);
    expect(server.requests).toHaveLength(2);
    expect(JSON.stringify(server.requests[1]!.messages)).toContain('end your answer with the word CHECKED');
    expect((JSON.parse(r.stdout) as { reply: string }).reply).toContain('CHECKED');

    // A hook that never lets the turn end: it ends after session.max_reflections continuations, reported.
    userConfig(repo, '[[agent_hooks.stop]]\ncommand = "echo not yet >&2; exit 2"\n');
    server.reset();
    server.defaultReply = answer('still app is 1');
    const endless = await runCli(['run', '--yes', '-m', 'what is app?'], { cwd: repo.dir, env: { ...envFor(repo, server), ASSIST_SESSION__MAX_REFLECTIONS: '2' } });
    expect(endless.code, endless.stderr).toBe(5);
    expect(server.requests).toHaveLength(3);
    expect(endless.stderr).toContain('a stop hook still objects after 2 more rounds; ending the turn: not yet');
  });

  it('a pre_compact hook that exits 2 keeps the history from being summarised: the oldest exchanges are left out instead', async () => {
    await using server = await startFakeLlm();
    const WINDOW = 3400;
    server.contextWindow = WINDOW;
    await using repo = tempRepo({ files: FILES });
    userConfig(repo, `[models."${MODEL}"]\ncontext_window = ${WINDOW}\nmax_output = 512\n\n[[agent_hooks.pre_compact]]\ncommand = "echo keep my history >&2; exit 2"\n`);
    server.defaultReply = answer(`Reply about it. ${'Lorem ipsum dolor sit amet, consectetur. '.repeat(25)}`);
    const turns = 8;
    const input = Array.from({ length: turns }, (_, i) => `Question ${i}: ${'tell me more about this long topic please. '.repeat(35)}`).join('\n') + '\n';
    const r = await runCli(['chat'], { cwd: repo.dir, env: { ...envFor(repo, server), ASSIST_CONTEXT__MAP_TOKENS: '0' }, input, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('a pre_compact hook kept the history from being compressed (keep my history)');
    // No summary was asked for, every request fitted the window, and the last one lost its oldest questions.
    expect(server.requests.filter((q) => JSON.stringify(q.body).includes('You summarise a conversation'))).toEqual([]);
    expect(server.requests).toHaveLength(turns);
    for (const q of server.requests) expect(q.promptTokens).toBeLessThanOrEqual(WINDOW);
    const last = JSON.stringify(server.requests[turns - 1]!.messages);
    expect(last).toContain(`Question ${turns - 1}:`);
    expect(last).not.toContain('Question 0:');
    const runs = hookAudit(repo);
    expect(runs.length).toBeGreaterThan(0);
    for (const run of runs) expect(run).toMatchObject({ result: 'blocked', reason: expect.stringMatching(/^pre_compact .*: keep my history$/) });
  });
});
