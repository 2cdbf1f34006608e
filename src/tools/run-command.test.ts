import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { toolContext } from '../../test/helpers/tool-context.js';
import type { Config } from '../config/index.js';
import { probeBwrap } from '../sandbox/index.js';
import { executeToolCall } from './execute.js';
import { allTools } from './registry.js';
import { runCommandTool } from './run-command.js';
import { runTestsTool } from './run-tests.js';
import type { ToolOutcome } from './types.js';

const probe = await probeBwrap();
// On CI (and whenever asked) a machine without a working bwrap is a failure, not a skip.
const requireBwrap = process.env.CI !== undefined || process.env.ASSIST_TEST_REQUIRE_BWRAP === '1';
const confined = probe.ok || requireBwrap ? describe : describe.skip;

const KEY = 'sk-ant-canary-0123456789abcdefghijklmnop';
const OTHER = 'sk-proj-canary-zyxwvutsrqponmlkjihgfedcba';

function text(outcome: ToolOutcome): string {
  return outcome.kind === 'result' ? outcome.text : '';
}

function neverAsked(): Promise<boolean> {
  throw new Error('the person must not be asked here');
}

describe('run_command policy (no command runs)', () => {
  it('approval.commands = "never" refuses, with an audit line', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const ctx = await toolContext(repo, { yes: true, interactive: true, confirmCommand: neverAsked, configure: (c) => void (c.approval.commands = 'never') });
    const out = await runCommandTool.run({ command: 'touch ran.txt' }, ctx);
    expect(out).toMatchObject({ ok: false, status: 'run touch ran.txt: refused', text: expect.stringContaining('approval.commands = "never"') });
    expect(existsSync(join(repo.dir, 'ran.txt'))).toBe(false);
    expect(ctx.auditRecords()).toEqual([expect.objectContaining({ op: 'deny', path: 'touch ran.txt', code: 'approval.commands-never' })]);
  });

  it('without a sandbox: "sandboxed" refuses, --yes refuses, nobody to ask refuses', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const none = (policy: 'ask' | 'sandboxed') => (c: Config): void => {
      c.sandbox.commands = 'none';
      c.approval.commands = policy;
    };
    const sandboxed = await toolContext(repo, { configure: none('sandboxed'), interactive: true, confirmCommand: neverAsked });
    expect(await runCommandTool.run({ command: 'touch ran.txt' }, sandboxed)).toMatchObject({ ok: false, text: expect.stringContaining('approval.commands is "sandboxed"') });
    const yes = await toolContext(repo, { configure: none('ask'), yes: true, interactive: true, confirmCommand: neverAsked });
    expect(await runCommandTool.run({ command: 'touch ran.txt' }, yes)).toMatchObject({ ok: false, text: expect.stringContaining('--yes runs only bubblewrap-confined commands') });
    const headless = await toolContext(repo, { configure: none('ask') });
    expect(await runCommandTool.run({ command: 'touch ran.txt' }, headless)).toMatchObject({ ok: false, status: 'run touch ran.txt: needs approval' });
    expect(existsSync(join(repo.dir, 'ran.txt'))).toBe(false);
  });

  it('asks with a warning when the command would run unconfined; declined is not run', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const asked: Array<[string, string | null]> = [];
    const ctx = await toolContext(repo, {
      configure: (c) => void (c.sandbox.commands = 'none'),
      interactive: true,
      confirmCommand: (command, warning) => {
        asked.push([command, warning]);
        return Promise.resolve(false);
      },
    });
    expect(await runCommandTool.run({ command: 'touch ran.txt' }, ctx)).toMatchObject({ ok: false, text: 'Not run: declined by the person.', status: 'run touch ran.txt: declined' });
    expect(asked).toEqual([['touch ran.txt', expect.stringContaining('WITHOUT a sandbox')]]);
    expect(existsSync(join(repo.dir, 'ran.txt'))).toBe(false);
    expect(ctx.auditRecords().at(-1)).toMatchObject({ op: 'deny', code: 'approval.command-declined' });
  });

  it('runs unconfined once the person approved, without provider keys in the environment', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const ctx = await toolContext(repo, {
      configure: (c) => void (c.sandbox.commands = 'none'),
      env: { ...repo.env, ANTHROPIC_API_KEY: KEY, OPENAI_API_KEY: OTHER, MY_SERVICE_API_KEY: 'plain-value-9911', ASSIST_VISIBLE: 'no' },
      interactive: true,
      confirmCommand: () => Promise.resolve(true),
    });
    const out = await runCommandTool.run({ command: 'env; touch ran.txt' }, ctx);
    expect(out).toMatchObject({ ok: true, status: 'run env; touch ran.txt → exit 0', changedFiles: ['ran.txt'] });
    expect(text(out)).toMatch(/^exit 0 \(unconfined, /);
    expect(text(out)).toMatch(/^PATH=/m);
    for (const secret of [KEY, OTHER, 'plain-value-9911', 'ASSIST_VISIBLE']) expect(text(out)).not.toContain(secret);
    expect(ctx.auditRecords().at(-1)).toMatchObject({ op: 'command', path: 'env; touch ran.txt', result: '0', reason: 'unconfined, approved by the person' });
  });

  it('an abort during the call makes executeToolCall throw', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const controller = new AbortController();
    const ctx = await toolContext(repo, {
      configure: (c) => void (c.sandbox.commands = 'none'),
      interactive: true,
      signal: controller.signal,
      confirmCommand: () => {
        controller.abort(new Error('stopped by the person'));
        return Promise.resolve(true);
      },
    });
    const call = { id: 'c1', name: 'run_command', arguments: '{"command":"touch ran.txt"}' };
    await expect(executeToolCall(call, allTools(), ctx)).rejects.toThrow('stopped by the person');
    expect(existsSync(join(repo.dir, 'ran.txt'))).toBe(false);
  });
});

confined('run_command under bubblewrap', () => {
  it('"sandboxed" and --yes run confined without asking; the keys stay out of its environment', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const env = { ...repo.env, ANTHROPIC_API_KEY: KEY, OPENAI_API_KEY: OTHER };
    const sandboxed = (c: Config): void => void (c.approval.commands = 'sandboxed');
    for (const options of [{ configure: sandboxed }, { yes: true }]) {
      const ctx = await toolContext(repo, { ...options, env, interactive: true, confirmCommand: neverAsked });
      const out = await runCommandTool.run({ command: 'env && echo ok > ran.txt' }, ctx);
      expect(out).toMatchObject({ ok: true, changedFiles: ['ran.txt'] });
      expect(text(out)).toMatch(/^exit 0 \(confined by bubblewrap, /);
      expect(text(out)).not.toContain(KEY);
      expect(text(out)).not.toContain(OTHER);
      expect(ctx.auditRecords().at(-1)).toMatchObject({ op: 'command', result: '0', reason: 'bwrap' });
      rmSync(join(repo.dir, 'ran.txt'));
    }
  });

  it('"ask" asks even for a confined command, without a warning', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const asked: Array<string | null> = [];
    const ctx = await toolContext(repo, {
      interactive: true,
      confirmCommand: (_command, warning) => {
        asked.push(warning);
        return Promise.resolve(true);
      },
    });
    expect(await runCommandTool.run({ command: 'exit 3' }, ctx)).toMatchObject({ ok: false, status: 'run exit 3 → exit 3', text: expect.stringMatching(/^exit 3 \(confined/) });
    expect(asked).toEqual([null]);
  });

  it('reports the files it changed, also ones that were dirty before; .env files are left out', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n', 'b.txt': 'b\n', 'tracked.txt': 't\n', 'src/keep.ts': 'k\n' } });
    repo.write('a.txt', 'a changed before\n');
    repo.write('b.txt', 'b changed before\n');
    repo.write('untracked.txt', 'u\n');
    const ctx = await toolContext(repo, { yes: true });
    const out = await runCommandTool.run({ command: 'echo again >> a.txt; echo n > src/new.ts; rm tracked.txt; echo SECRET=1 > .env' }, ctx);
    expect(out).toMatchObject({ ok: true, changedFiles: ['a.txt', 'src/new.ts', 'tracked.txt'] });
    expect(text(out)).toContain('Files changed by the command: a.txt, src/new.ts, tracked.txt');
    expect(text(out)).toContain('Changed but not committed (.env files): .env');
  });

  it('keeps the tail of a long output within the cap', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const ctx = await toolContext(repo, { yes: true, configure: (c) => void (c.tools.maxResultTokens = 500) });
    const out = await runCommandTool.run({ command: 'seq 1 100000; echo failure-at-the-end >&2' }, ctx);
    const body = text(out);
    expect(body.length).toBeLessThanOrEqual(500 * 3.7);
    expect(body).toMatch(/^exit 0/);
    expect(body).toContain('\n100000\n[stderr]\nfailure-at-the-end');
    expect(body).toMatch(/\[… [\d,]+ earlier lines cut\]/);
  });

  it('stops a command at its timeout', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const ctx = await toolContext(repo, { yes: true });
    const out = await runCommandTool.run({ command: 'echo started; exec sleep 30', timeout_s: 1 }, ctx);
    expect(out).toMatchObject({ ok: false, status: 'run echo started; exec sleep 30 → timed out', text: expect.stringMatching(/^timed out after 1 s and was stopped/) });
  });

  it('run_tests runs the test command the same way and names it', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const none = await toolContext(repo, { yes: true });
    expect(await runTestsTool.run({}, none)).toMatchObject({ ok: false, status: 'tests: no test command' });
    const ctx = await toolContext(repo, { yes: true, testCommand: 'echo "1 failed" >&2; exit 1' });
    const out = await runTestsTool.run({}, ctx);
    expect(out).toMatchObject({ ok: false, status: 'test echo "1 failed" >&2; exit 1 → exit 1' });
    expect(text(out)).toMatch(/^\$ echo "1 failed" >&2; exit 1\nexit 1 \(confined by bubblewrap, [\d.]+ s\)\n1 failed$/);
    expect(readFileSync(ctx.audit.path, 'utf8')).toContain('"op":"command"');
  });
});
