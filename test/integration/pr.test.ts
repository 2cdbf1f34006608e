import { describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tempRepo, type TempRepo } from '../helpers/git-repo.js';
import { runCli } from '../helpers/run-cli.js';
import { startFakeLlm, reply, type FakeLlmServer } from '../fake-llm/index.js';
import type { PrReport } from '../../src/pr/run-pr.js';
import { requireTool } from '../helpers/system-tools.js';

// `pr` runs the test command only inside bubblewrap (it refuses to run it unconfined).
const bwrap = await requireTool('bwrap');

/** The `--json` object of `assist pr`, as the command declares it. */
type PrJson = PrReport;

interface Setup {
  repo: TempRepo;
  remote: TempRepo;
  env: NodeJS.ProcessEnv;
  [Symbol.asyncDispose](): Promise<void>;
}

const TOML = (cmd: string): string => `[test]\ncmd = ${JSON.stringify(cmd)}\n`;

/** A clone-like repository whose `origin` is a local bare repository, as CI checks out. */
function setup(server: FakeLlmServer, files: Record<string, string>, extraEnv: Record<string, string> = {}): Setup {
  const remote = tempRepo({ bare: true });
  const repo = tempRepo({ files });
  repo.git('remote', 'add', 'origin', remote.dir);
  repo.git('push', '-q', 'origin', 'main');
  repo.git('fetch', '-q', 'origin');
  repo.git('remote', 'set-head', 'origin', 'main');
  const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '0', CI: 'true', ...extraEnv };
  return {
    repo,
    remote,
    env,
    async [Symbol.asyncDispose]() {
      repo.cleanup();
      remote.cleanup();
    },
  };
}

function remoteBranches(remote: TempRepo): string[] {
  return remote.git('for-each-ref', '--format=%(refname)', 'refs/heads/').split('\n').filter(Boolean);
}

function assistTraces(repo: TempRepo): { branches: string; refs: string; config: string } {
  return {
    branches: repo.git('for-each-ref', '--format=%(refname)', 'refs/heads/assist/'),
    refs: repo.git('for-each-ref', '--format=%(refname)', 'refs/assist/'),
    config: repo
      .git('config', '--list')
      .split('\n')
      .filter((l) => l.startsWith('branch.assist/'))
      .join('\n'),
  };
}

describe('assist pr against a bare remote', () => {
  it('--push makes the branch there with the commit, the body, and tests run without keys or tokens', bwrap.options, async () => {
    await using server = await startFakeLlm();
    // The test command fails if any provider key or push token reached it.
    const cmd = 'test -z "$OPENAI_API_KEY$ANTHROPIC_API_KEY$ASSIST_PUSH_TOKEN$GH_TOKEN" && grep -q two a.txt';
    await using s = setup(server, { 'a.txt': 'one\n', '.assist.toml': TOML(cmd) }, { ASSIST_PUSH_TOKEN: 'push-token-0123456789', GH_TOKEN: 'ghp_faketoken0123456789abcdefABCDEF' });
    server.enqueue(reply.edits([{ path: 'a.txt', search: 'one\n', replace: 'two\n' }], { before: 'I changed one to two, as asked.', usage: { input: 200, output: 40 } }));
    const body = join(s.repo.home, 'body.md');
    const r = await runCli(['pr', '-m', 'Change one to two', '--push', '--json', '--body-file', body], { cwd: s.repo.dir, env: s.env });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as PrJson;
    expect(out.branch).toMatch(new RegExp(`^assist/pr-change-one-to-two-${out.session}$`));
    expect(out.base).toBe('main');
    expect(out.base_commit).toBe(s.repo.git('rev-parse', 'main'));
    expect(out.commits).toHaveLength(1);
    expect(out.files).toEqual(['a.txt']);
    expect(out.tests).toBe('passed');
    expect(out.test_command).toBe(cmd);
    expect(out.pushed).toBe(true);
    expect(out.usage.input_tokens).toBe(200);

    // The remote has the branch at the commit, on top of main.
    expect(remoteBranches(s.remote)).toContain(`refs/heads/${out.branch}`);
    expect(s.remote.git('rev-parse', `refs/heads/${out.branch}`)).toBe(out.commits[0]);
    expect(s.remote.git('rev-list', '--count', `main..${out.branch!}`)).toBe('1');
    expect(s.remote.git('show', `${out.branch!}:a.txt`)).toBe('two');

    // HEAD is back where it was, and the work tree with it.
    expect(s.repo.git('symbolic-ref', 'HEAD')).toBe('refs/heads/main');
    expect(readFileSync(join(s.repo.dir, 'a.txt'), 'utf8')).toBe('one\n');

    const text = readFileSync(body, 'utf8');
    expect(text).toContain('I changed one to two, as asked.');
    expect(text).not.toContain('<<<<<<< SEARCH');
    expect(text).toContain(out.commits[0]!.slice(0, 12));
    expect(text).toContain('`a.txt`');
    expect(text).toContain('**passed**');
    expect(text).toMatch(/200 input and 40 output tokens/);
    expect(text).not.toContain('push-token-0123456789');
  });

  it('--squash leaves one commit after a test-fix round, with a message from the task', bwrap.options, async () => {
    await using server = await startFakeLlm();
    await using s = setup(server, { 'a.txt': 'one\n', '.assist.toml': TOML('grep -q fixed a.txt') });
    server.enqueue(
      reply.edits([{ path: 'a.txt', search: 'one\n', replace: 'two\n' }]),
      reply.edits([{ path: 'a.txt', search: 'two\n', replace: 'two fixed\n' }], { before: 'Fixed the failing test.' }),
    );
    const r = await runCli(['pr', '-m', 'make a.txt say two', '--squash', '--push', '--json'], { cwd: s.repo.dir, env: s.env });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as PrJson;
    expect(out.tests).toBe('passed');
    expect(out.squashed).toBe(true);
    expect(out.commits).toHaveLength(1);
    expect(s.remote.git('rev-list', '--count', `main..${out.branch!}`)).toBe('1');
    expect(s.remote.git('rev-parse', `${out.branch!}^`)).toBe(out.base_commit);
    expect(s.remote.git('show', `${out.branch!}:a.txt`)).toBe('two fixed');
    const message = s.remote.git('log', '-1', '--format=%B', out.branch!);
    expect(message.split('\n')[0]).toBe('Make a.txt say two');
    expect(message).toContain('Squashed from:');
    expect(message).toContain('- a.txt');
    expect(message).toContain('Assist-Event: squash');
    expect(server.requests).toHaveLength(2);
  });

  it('--squash with a weak model: it writes each edit\'s message and the squash message from the whole diff', bwrap.options, async () => {
    await using server = await startFakeLlm();
    await using s = setup(server, { 'a.txt': 'one\n', '.assist.toml': TOML('grep -q fixed a.txt') }, { ASSIST_WEAK_MODEL: 'openai/gpt-4.1-mini' });
    server.enqueueFor(
      { model: 'gpt-4.1' },
      reply.edits([{ path: 'a.txt', search: 'one\n', replace: 'two\n' }], { usage: { input: 1000, output: 100 } }),
      reply.edits([{ path: 'a.txt', search: 'two\n', replace: 'two fixed\n' }], { before: 'Fixed the failing test.', usage: { input: 1000, output: 100 } }),
    );
    server.enqueueFor(
      { model: 'gpt-4.1-mini' },
      reply.text('Say two in a.txt', { usage: { input: 50, output: 5 } }),
      reply.text('Mark a.txt as fixed', { usage: { input: 50, output: 5 } }),
      reply.text('Make a.txt say two, fixed\n\nThe test looks for the word fixed.', { usage: { input: 70, output: 12 } }),
    );
    const r = await runCli(['pr', '-m', 'make a.txt say two', '--squash', '--push', '--json'], { cwd: s.repo.dir, env: s.env });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as PrJson;
    expect(out.squashed).toBe(true);
    const message = s.remote.git('log', '-1', '--format=%B', out.branch!);
    expect(message.split('\n')[0]).toBe('Make a.txt say two, fixed');
    expect(message).toContain('The test looks for the word fixed.\n\nSquashed from:\n- Say two in a.txt (');
    expect(message).toContain('- Mark a.txt as fixed (');
    const squashAsk = server.requests.filter((q) => q.model === 'gpt-4.1-mini').at(-1)!;
    expect(JSON.stringify(squashAsk.body)).toContain('-one');
    expect(JSON.stringify(squashAsk.body)).toContain('+two fixed');
    expect(server.requests.filter((q) => q.model === 'gpt-4.1-mini')).toHaveLength(3);
    // The weak model's tokens are in the report beside the main model's: 2 × 1000 + 50 + 50 + 70.
    expect(out.usage).toMatchObject({ input_tokens: 2170, output_tokens: 222 });
  });

  it('a failing test command is reported in --json and the body; the branch is kept and pushed, exit 1', bwrap.options, async () => {
    await using server = await startFakeLlm();
    await using s = setup(server, { 'a.txt': 'one\n', '.assist.toml': TOML('echo "boom: widget exploded"; exit 1') }, { ASSIST_SESSION__MAX_REFLECTIONS: '1' });
    server.enqueue(reply.edits([{ path: 'a.txt', search: 'one\n', replace: 'two\n' }]), reply.text('I do not know how to fix that.'));
    const body = join(s.repo.home, 'body.md');
    const r = await runCli(['pr', '-m', 'two', '--push', '--json', '--body-file', body], { cwd: s.repo.dir, env: s.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('tests');
    const out = JSON.parse(r.stdout) as PrJson;
    expect(out.tests).toBe('failed');
    expect(out.pushed).toBe(true);
    const text = readFileSync(body, 'utf8');
    expect(text).toContain('**failed**');
    expect(text).toContain('boom: widget exploded');
  });

  it('a no-op task exits 5 and leaves nothing behind, here or on the remote', async () => {
    await using server = await startFakeLlm();
    await using s = setup(server, { 'a.txt': 'one\n' });
    server.enqueue(reply.text('Everything is already as you want it.'));
    const r = await runCli(['pr', '-m', 'nothing to do', '--push', '--json'], { cwd: s.repo.dir, env: s.env });
    expect(r.code, r.stderr).toBe(5);
    const out = JSON.parse(r.stdout) as PrJson;
    expect(out.branch).toBeNull();
    expect(out.pushed).toBe(false);
    expect(assistTraces(s.repo)).toEqual({ branches: '', refs: '', config: '' });
    expect(remoteBranches(s.remote)).toEqual(['refs/heads/main']);
    expect(s.repo.git('symbolic-ref', 'HEAD')).toBe('refs/heads/main');
  });

  it('a provider failure exits 4, pushes nothing and leaves no branch', async () => {
    await using server = await startFakeLlm();
    await using s = setup(server, { 'a.txt': 'one\n' });
    server.enqueue(reply.unauthorized(), reply.unauthorized(), reply.unauthorized());
    const r = await runCli(['pr', '-m', 'change it', '--push'], { cwd: s.repo.dir, env: s.env });
    expect(r.code, r.stderr).toBe(4);
    expect(assistTraces(s.repo)).toEqual({ branches: '', refs: '', config: '' });
    expect(remoteBranches(s.remote)).toEqual(['refs/heads/main']);
  });

  it("the repository's hooks are not run by default, and are with --allow-repo-hooks", async () => {
    await using server = await startFakeLlm();
    await using s = setup(server, { 'a.txt': 'one\n' });
    const markers = mkdtempSync(join(tmpdir(), 'assist-hook-markers-'));
    try {
      for (const hook of ['pre-commit', 'commit-msg', 'pre-push', 'post-checkout', 'reference-transaction']) {
        const file = join(s.repo.dir, '.git', 'hooks', hook);
        writeFileSync(file, `#!/bin/sh\ntouch "${markers}/${hook}"\n`);
        chmodSync(file, 0o755);
      }
      server.enqueue(reply.edits([{ path: 'a.txt', search: 'one\n', replace: 'two\n' }]));
      // origin/main as the base makes pr detach, switch and switch back: every porcelain step a hook could see.
      const r = await runCli(['pr', '-m', 'two', '--base', 'origin/main', '--squash', '--push', '--json'], { cwd: s.repo.dir, env: s.env });
      expect(r.code, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as PrJson).pushed).toBe(true);
      expect(existsSync(join(markers, 'pre-commit'))).toBe(false);
      expect(existsSync(join(markers, 'commit-msg'))).toBe(false);
      expect(existsSync(join(markers, 'pre-push'))).toBe(false);
      expect(existsSync(join(markers, 'post-checkout'))).toBe(false);
      expect(existsSync(join(markers, 'reference-transaction'))).toBe(false);

      server.enqueue(reply.edits([{ path: 'a.txt', search: 'one\n', replace: 'three\n' }]));
      const allowed = await runCli(['pr', '-m', 'three', '--squash', '--push', '--allow-repo-hooks'], { cwd: s.repo.dir, env: s.env });
      expect(allowed.code, allowed.stderr).toBe(0);
      expect(allowed.stdout).toMatch(/^branch assist\/pr-three-\S+ from main: 1 commit, 1 file\ntests: not run\npushed to origin\n$/);
      expect(allowed.stderr).toContain('Here is the change.');
      expect(existsSync(join(markers, 'pre-commit'))).toBe(true);
      expect(existsSync(join(markers, 'commit-msg'))).toBe(true);
      expect(existsSync(join(markers, 'pre-push'))).toBe(true);
    } finally {
      rmSync(markers, { recursive: true, force: true });
    }
  });

  it('the test command comes from the base: neither the current branch nor the task can change it', bwrap.options, async () => {
    await using server = await startFakeLlm();
    const good = 'grep -q two a.txt';
    await using s = setup(server, { 'a.txt': 'one\n', '.assist.toml': TOML(good) });
    // The checked-out branch says otherwise; so does the model's edit (allowed for this test).
    s.repo.git('switch', '-q', '-c', 'feature');
    s.repo.write('.assist.toml', TOML('touch evil-marker; exit 1'));
    s.repo.commitAll('feature rules');
    server.enqueue(
      reply.edits([
        { path: 'a.txt', search: 'one\n', replace: 'two\n' },
        { path: '.assist.toml', search: TOML(good), replace: TOML('touch evil-marker; exit 1') },
      ]),
    );
    const r = await runCli(['pr', '-m', 'two', '--base', 'main', '--allow-protected', '--json'], { cwd: s.repo.dir, env: s.env });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as PrJson;
    expect(out.test_command).toBe(good);
    expect(out.tests).toBe('passed');
    expect(out.files.sort()).toEqual(['.assist.toml', 'a.txt']);
    expect(s.repo.git('symbolic-ref', 'HEAD')).toBe('refs/heads/feature');
    expect(existsSync(join(s.repo.dir, 'evil-marker'))).toBe(false);
  });

  it('an edit to .github/workflows/x.yml is refused: exit 3, nothing committed, no branch', async () => {
    await using server = await startFakeLlm();
    await using s = setup(server, { 'a.txt': 'one\n', '.github/workflows/x.yml': 'on: push\n' });
    server.enqueue(reply.edits([{ path: '.github/workflows/x.yml', search: 'on: push\n', replace: 'on: [push, pull_request_target]\n' }]), reply.text('Understood.'));
    const r = await runCli(['pr', '-m', 'run on more events', '--json'], { cwd: s.repo.dir, env: s.env });
    expect(r.code, r.stderr).toBe(3);
    const out = JSON.parse(r.stdout) as PrJson;
    expect(out.branch).toBeNull();
    expect(out.refused.map((x) => x.file)).toEqual(['.github/workflows/x.yml']);
    expect(r.stderr).toContain('--allow-protected');
    expect(readFileSync(join(s.repo.dir, '.github/workflows/x.yml'), 'utf8')).toBe('on: push\n');
    expect(assistTraces(s.repo)).toEqual({ branches: '', refs: '', config: '' });
  });

  it('a failure after HEAD moved puts it back and leaves no session', async () => {
    await using server = await startFakeLlm();
    await using s = setup(server, { 'a.txt': 'one\n' });
    const r = await runCli(['pr', '-m', 'two', '--base', 'origin/main', '--model', 'nosuchprovider/model'], { cwd: s.repo.dir, env: s.env });
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stderr).toContain('nosuchprovider');
    expect(s.repo.git('symbolic-ref', 'HEAD')).toBe('refs/heads/main');
    expect(assistTraces(s.repo)).toEqual({ branches: '', refs: '', config: '' });
    expect(server.requests).toHaveLength(0);
  });

  it('refuses to start with uncommitted changes to tracked files', async () => {
    await using server = await startFakeLlm();
    await using s = setup(server, { 'a.txt': 'one\n' });
    s.repo.write('a.txt', 'local edit\n');
    const r = await runCli(['pr', '-m', 'two'], { cwd: s.repo.dir, env: s.env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('a.txt');
    expect(server.requests).toHaveLength(0);
  });
});
