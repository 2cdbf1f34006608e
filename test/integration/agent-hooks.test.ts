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
});
