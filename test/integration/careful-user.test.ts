// Issue 24, "the cases a careful first-time user found": each case through the built CLI, real git
// and the fake model server. Items 1, 4, 5, 10, 11, 12, 15 and the cli/git parts of 17.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reply, startFakeLlm, type FakeLlmServer } from '../fake-llm/index.js';
import { tempRepo, type TempRepo } from '../helpers/git-repo.js';
import { runCli } from '../helpers/run-cli.js';
import { crashCli } from '../faults/harness.js';

function cliEnv(repo: TempRepo, server: FakeLlmServer, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '0', ...extra };
}

/** `main` and `other` both change a.txt's one line: any operation between them stops on a conflict. */
function conflicting(): TempRepo {
  const repo = tempRepo({ files: { 'a.txt': 'one\n', 'b.txt': 'bee\n' } });
  repo.git('switch', '-q', '-c', 'other');
  repo.write('a.txt', 'other\n');
  repo.commitAll('other');
  repo.git('switch', '-q', 'main');
  repo.write('a.txt', 'main\n');
  repo.commitAll('main');
  return repo;
}

/** Runs a git command expected to stop half-way on a conflict. */
function stops(repo: TempRepo, ...args: string[]): void {
  try {
    execFileSync('git', args, { cwd: repo.dir, env: repo.env, stdio: 'ignore' });
  } catch {
    return;
  }
  throw new Error(`git ${args.join(' ')} did not stop`);
}

/** What must not change while git has an operation in progress. */
function gitState(repo: TempRepo): { index: Buffer; head: string; status: string; config: string; branches: string } {
  return {
    index: readFileSync(join(repo.dir, '.git', 'index')),
    head: readFileSync(join(repo.dir, '.git', 'HEAD'), 'utf8'),
    status: repo.git('status', '--porcelain'),
    config: readFileSync(join(repo.dir, '.git', 'config'), 'utf8'),
    branches: repo.git('for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads/'),
  };
}

/** stderr without the first line of `run`/`chat`, which says which model is used and why. */
const withoutModelLine = (stderr: string): string => stderr.replace(/^using [^\n]*; --model to change\n/, '');
const oneLine = (stderr: string): string[] => withoutModelLine(stderr).trimEnd().split('\n');

describe('item 1: a merge, rebase, cherry-pick, revert or bisect in progress', () => {
  const states: Array<[string, (repo: TempRepo) => void, RegExp]> = [
    ['merge', (r) => stops(r, 'merge', 'other'), /^error: a merge is in progress: finish it with `git merge --continue` or abort it with `git merge --abort`/],
    ['rebase (rebase-merge)', (r) => stops(r, 'rebase', '--merge', 'other'), /^error: a rebase is in progress: finish it with `git rebase --continue` or abort it with `git rebase --abort`/],
    ['rebase (rebase-apply)', (r) => stops(r, 'rebase', '--apply', 'other'), /^error: a rebase is in progress: .*`git rebase --abort`/],
    ['cherry-pick', (r) => stops(r, 'cherry-pick', 'other'), /^error: a cherry-pick is in progress: finish it with `git cherry-pick --continue` or abort it with `git cherry-pick --abort`/],
    [
      'revert',
      (r) => {
        r.write('a.txt', 'later\n');
        r.commitAll('later');
        stops(r, 'revert', '--no-edit', 'HEAD~1');
      },
      /^error: a revert is in progress: finish it with `git revert --continue` or abort it with `git revert --abort`/,
    ],
    ['bisect', (r) => r.git('bisect', 'start'), /^error: a bisect is in progress: end it with `git bisect reset`/],
  ];

  it.each(states)('%s: run refuses with exit 3 before any request, and touches nothing', async (_name, make, message) => {
    await using server = await startFakeLlm();
    await using repo = conflicting();
    make(repo);
    const before = gitState(repo);
    server.enqueue(reply.edits([{ path: 'b.txt', search: 'bee\n', replace: 'wasp\n' }]));
    const r = await runCli(['run', '--yes', '-m', 'change b'], { cwd: repo.dir, env: cliEnv(repo, server) });
    expect(r.code, r.stderr).toBe(3);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(withoutModelLine(r.stderr)).toMatch(message);
    expect(server.requests).toHaveLength(0);
    expect(gitState(repo)).toEqual(before);
    expect(readFileSync(join(repo.dir, 'b.txt'), 'utf8')).toBe('bee\n');
  });

  it('undo, redo, checkpoint restore, session finish, chat and pr refuse during a merge on the session branch', async () => {
    await using server = await startFakeLlm();
    await using repo = conflicting();
    const env = cliEnv(repo, server);
    server.enqueue(reply.edits([{ path: 'b.txt', search: 'bee\n', replace: 'wasp\n' }]));
    expect((await runCli(['run', '--yes', '-m', 'change b'], { cwd: repo.dir, env })).code).toBe(0);
    expect((await runCli(['checkpoint', 'create', 'here'], { cwd: repo.dir, env })).code).toBe(0);
    stops(repo, 'merge', 'other');
    const before = gitState(repo);
    const commands = [['undo'], ['redo'], ['checkpoint', 'restore', 'here'], ['session', 'finish'], ['chat'], ['pr', '-m', 'do it'], ['run', '--yes', '-m', 'again']];
    for (const args of commands) {
      const r = await runCli(args, { cwd: repo.dir, env });
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 3]);
      expect(withoutModelLine(r.stderr)).toMatch(/^error: a merge is in progress: .*`git merge --abort`, then run assist again\n$/);
    }
    expect(server.requests).toHaveLength(1);
    expect(gitState(repo)).toEqual(before);
  });
});

describe('item 12: what would refuse the write refuses before the paid request', () => {
  it('a session branch moved under assist', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'a.txt': 'one\n' } });
    const env = cliEnv(repo, server);
    server.enqueue(reply.edits([{ path: 'a.txt', search: 'one\n', replace: 'two\n' }]));
    expect((await runCli(['run', '--yes', '-m', 'change a'], { cwd: repo.dir, env })).code).toBe(0);
    repo.write('mine.txt', 'my own\n');
    repo.commitAll('my own commit on the session branch');
    server.enqueue(reply.edits([{ path: 'a.txt', search: 'two\n', replace: 'three\n' }]));
    const r = await runCli(['run', '--yes', '-m', 'change a again'], { cwd: repo.dir, env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('moved under assist');
    expect(server.requests).toHaveLength(1);
  });

  it('a pending batch a hook rejected (--no-branch)', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'a.txt': 'one\n' } });
    const env = cliEnv(repo, server);
    const hook = join(repo.dir, '.git', 'hooks', 'pre-commit');
    writeFileSync(hook, '#!/bin/sh\necho "not today" >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    server.enqueue(reply.edits([{ path: 'a.txt', search: 'one\n', replace: 'two\n' }]));
    const first = await runCli(['run', '--yes', '--no-branch', '-m', 'change a'], { cwd: repo.dir, env });
    expect(first.stderr).toContain('pre-commit hook rejected');
    server.enqueue(reply.edits([{ path: 'a.txt', search: 'two\n', replace: 'three\n' }]));
    const r = await runCli(['run', '--yes', '--no-branch', '-m', 'change a again'], { cwd: repo.dir, env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('pending');
    expect(server.requests).toHaveLength(1);
  });
});

describe('item 15: a branch named assist', () => {
  it('refuses cleanly before anything, leaves no config behind; --no-branch works', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'a.txt': 'one\n' } });
    repo.git('branch', 'assist');
    const env = cliEnv(repo, server);
    server.enqueue(reply.edits([{ path: 'a.txt', search: 'one\n', replace: 'two\n' }]));
    for (let i = 0; i < 2; i++) {
      const r = await runCli(['run', '--yes', '-m', 'change a'], { cwd: repo.dir, env });
      expect(r.code).toBe(3);
      expect(oneLine(r.stderr)).toEqual(["error: a branch named `assist` is in the way of assist's session branches (`assist/<id>`): rename it with `git branch -m assist <new-name>`, or run with --no-branch"]);
    }
    expect(server.requests).toHaveLength(0);
    expect(repo.git('config', '--list')).not.toMatch(/^branch\.assist\//m);
    const ok = await runCli(['run', '--yes', '--no-branch', '-m', 'change a'], { cwd: repo.dir, env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('two\n');
  });
});

describe('item 4: names that are not plain paths get their own edits', () => {
  it('spaces, quotes, dotfiles and names without an extension are edited, not the previous block\'s file', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({
      files: {
        'a.txt': 'alpha\n',
        'config copy.txt': 'copy = 1\n',
        "docs/what's-new.md": '# New\n',
        '.prettierignore': 'dist\n',
        '.python-version': '3.11\n',
        VERSION: '1.0.0\n',
      },
    });
    const F = '```';
    const edit = (path: string, search: string, replace: string): string => `${path}\n${F}\n<<<<<<< SEARCH\n${search}=======\n${replace}>>>>>>> REPLACE\n${F}\n`;
    server.enqueue(
      reply.text(
        [
          'Changes:',
          edit('a.txt', 'alpha\n', 'ALPHA\n'),
          edit('config copy.txt', 'copy = 1\n', 'copy = 2\n'),
          edit("docs/what's-new.md", '# New\n', '# New\n\n- faster\n'),
          edit('.prettierignore', 'dist\n', 'dist\ncoverage\n'),
          edit('.python-version', '3.11\n', '3.12\n'),
          edit('VERSION', '1.0.0\n', '1.1.0\n'),
        ].join('\n'),
      ),
    );
    const r = await runCli(['run', '--yes', '--json', '-m', 'bump everything'], { cwd: repo.dir, env: cliEnv(repo, server, { ASSIST_SESSION__MAX_REFLECTIONS: '0' }) });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { failed: number; files: string[] };
    expect(out.failed).toBe(0);
    expect(out.files.sort()).toEqual(['.prettierignore', '.python-version', 'VERSION', 'a.txt', 'config copy.txt', "docs/what's-new.md"]);
    const read = (p: string): string => readFileSync(join(repo.dir, p), 'utf8');
    expect([read('a.txt'), read('config copy.txt'), read("docs/what's-new.md"), read('.prettierignore'), read('.python-version'), read('VERSION')]).toEqual([
      'ALPHA\n',
      'copy = 2\n',
      '# New\n\n- faster\n',
      'dist\ncoverage\n',
      '3.12\n',
      '1.1.0\n',
    ]);
  });
});

describe('item 5: sparse checkout', () => {
  it('an append to a file outside the sparse cone is refused with the reason; nothing is recorded as deleted', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'in/a.txt': 'a\n', 'out/b.txt': 'b line 1\nb line 2\n' } });
    repo.git('sparse-checkout', 'set', 'in');
    expect(existsSync(join(repo.dir, 'out/b.txt'))).toBe(false);
    const blob = repo.git('rev-parse', ':out/b.txt');
    server.enqueue(
      reply.edits([
        { path: 'in/a.txt', search: 'a\n', replace: 'A\n' },
        { path: 'out/b.txt', search: '', replace: 'appended\n' },
      ]),
    );
    const r = await runCli(['run', '--yes', '--json', '-m', 'append to b'], { cwd: repo.dir, env: cliEnv(repo, server) });
    expect(r.stderr).toContain('refused out/b.txt: outside the sparse checkout');
    expect(r.stderr).toContain('git sparse-checkout add out');
    const out = JSON.parse(r.stdout) as { files: string[]; commits: string[]; refused: Array<{ file: string }> };
    expect(out.files).toEqual(['in/a.txt']);
    expect(out.refused.map((x) => x.file)).toEqual(['out/b.txt']);
    expect(existsSync(join(repo.dir, 'out/b.txt'))).toBe(false);
    expect(repo.git('rev-parse', ':out/b.txt')).toBe(blob);
    expect(repo.git('rev-parse', 'HEAD:out/b.txt')).toBe(blob);
    expect(repo.git('status', '--porcelain')).toBe('');
    // Undo leaves no phantom deletion either.
    expect((await runCli(['undo'], { cwd: repo.dir, env: cliEnv(repo, server) })).code).toBe(0);
    expect(repo.git('status', '--porcelain')).toBe('');
  });

  it('alone, the refused append ends the run with exit 3', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'in/a.txt': 'a\n', 'out/b.txt': 'b\n' } });
    repo.git('sparse-checkout', 'set', 'in');
    server.enqueue(reply.edits([{ path: 'out/b.txt', search: '', replace: 'appended\n' }]));
    const r = await runCli(['run', '--yes', '-m', 'append to b'], { cwd: repo.dir, env: cliEnv(repo, server) });
    expect(r.code).toBe(3);
    // No snapshot and no edit commit anywhere (the event chain's commits carry no trailers).
    expect(repo.git('log', '--all', '--format=%H', '--grep=^Assist-Event:')).toBe('');
    expect(repo.git('status', '--porcelain')).toBe('');
  });
});

describe('item 10: words near a command are never paid requests', () => {
  const cases: Array<[string[], RegExp]> = [
    [['completion'], /^error: an argument is missing\nhint: usage: assist completion <bash\|zsh\|fish>\n$/],
    [['completion', 'tcsh'], /^error: no completion for 'tcsh'\nhint: usage: assist completion bash\|zsh\|fish\n$/],
    [['mcp', 'lst'], /^error: no command matches: assist mcp lst\nhint: usage, one of:\n {2}assist mcp list \[--json\]\n/],
    [['chta'], /^error: unknown command 'chta'\nhint: did you mean `assist chat`\?\n$/],
    [['completon', 'bash'], /^error: unknown command 'completon'\nhint: did you mean `assist completion`\?\n$/],
    [['fix', 'the', 'bug'], /^error: not a command: fix the bug\nhint: to ask the model, give the message as one quoted argument/],
  ];
  it.each(cases)('assist %j: exit 2 with the usage, no request', async (args, expected) => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    server.enqueue(reply.text('a paid answer'));
    const r = await runCli(args, { cwd: repo.dir, env: cliEnv(repo, server) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(expected);
    expect(server.requests).toHaveLength(0);
  });

  it('one argument with a space in it is a message', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    server.enqueue(reply.text('Nothing to change.'));
    const r = await runCli(['completion of the docs'], { cwd: repo.dir, env: cliEnv(repo, server) });
    expect(r.code, r.stderr).toBe(5);
    expect(server.requests).toHaveLength(1);
  });
});

describe('item 11: a reply that partly applied', () => {
  it('exits 1 naming the failed blocks; what applied stays committed', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'a.txt': 'one\n', 'b.txt': 'bee\n' } });
    server.enqueue(
      reply.edits([
        { path: 'a.txt', search: 'one\n', replace: 'two\n' },
        { path: 'b.txt', search: 'no such line\nat all\n', replace: 'x\n' },
      ]),
    );
    const r = await runCli(['run', '--yes', '--json', '-m', 'change both'], { cwd: repo.dir, env: cliEnv(repo, server, { ASSIST_SESSION__MAX_REFLECTIONS: '0' }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: partly applied: 1 edit block did not apply: b\.txt \("no such line"\); the rest is committed\n$/m);
    const out = JSON.parse(r.stdout) as { commits: string[]; failed: number; failed_blocks: Array<{ file: string; first_line: string }> };
    expect(out.failed).toBe(1);
    expect(out.failed_blocks).toEqual([{ file: 'b.txt', first_line: 'no such line' }]);
    expect(out.commits).toHaveLength(1);
    expect(repo.git('rev-parse', 'HEAD')).toBe(out.commits[0]);
    expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('two\n');
    expect(repo.git('status', '--porcelain')).toBe('');
  });
});

describe('item 17, the smaller ones in cli/ and git/', () => {
  it('map --focus on a missing file fails with exit 2 naming it', async () => {
    await using repo = tempRepo({ files: { 'a.ts': 'export const a = 1;\n' } });
    const r = await runCli(['map', '--focus', 'missing.ts'], { cwd: repo.dir, env: repo.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('missing.ts: no such file');
  });

  it('config set model without a provider is refused and nothing is written', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const r = await runCli(['config', 'set', 'model', 'noprefix'], { cwd: repo.dir, env: repo.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('provider/model');
    expect(existsSync(join(repo.dir, '.assist.toml'))).toBe(false);
    const fallback = await runCli(['config', 'set', 'fallback', 'openai/gpt-4.1,gpt-4o'], { cwd: repo.dir, env: repo.env });
    expect(fallback.code).toBe(2);
    expect((await runCli(['config', 'set', 'model', 'openai/gpt-4.1'], { cwd: repo.dir, env: repo.env })).code).toBe(0);
  });

  it('a protected file with --yes and no terminal: no "rerun with --yes" hint', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { '.github/workflows/ci.yml': 'on: push\n' } });
    server.enqueue(reply.edits([{ path: '.github/workflows/ci.yml', search: 'on: push\n', replace: 'on: [push, pull_request]\n' }]));
    const r = await runCli(['run', '--yes', '-m', 'run CI on PRs'], { cwd: repo.dir, env: cliEnv(repo, server) });
    expect(r.code).toBe(3);
    expect(r.stderr).not.toContain('rerun with --yes');
    expect(r.stderr).toContain('even with --yes');
  });

  it('chat --resume=<a finished session> does not send the person to its deleted branch', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'a.txt': 'one\n' } });
    const env = cliEnv(repo, server);
    server.enqueue(reply.edits([{ path: 'a.txt', search: 'one\n', replace: 'two\n' }]));
    const run = await runCli(['run', '--yes', '--json', '-m', 'change a'], { cwd: repo.dir, env });
    const { session } = JSON.parse(run.stdout) as { session: string };
    expect((await runCli(['session', 'finish'], { cwd: repo.dir, env })).code).toBe(0);
    const r = await runCli(['chat', `--resume=${session}`], { cwd: repo.dir, env });
    expect(r.code).toBe(3);
    expect(r.stderr).not.toContain('git switch');
    expect(r.stderr).toContain(`session ${session} was finished (squash onto main)`);
  });

  it('undo and checkpoint create say what a crash left and what was rolled back', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'a.txt': 'one\n', 'b.txt': 'bee\n' } });
    const env = cliEnv(repo, server);
    const twoFiles = (): void => {
      server.enqueue(
        reply.edits([
          { path: 'a.txt', search: 'one\n', replace: 'two\n' },
          { path: 'b.txt', search: 'bee\n', replace: 'wasp\n' },
        ]),
      );
    };
    server.enqueue(reply.edits([{ path: 'c.txt', search: '', replace: 'c\n' }]));
    expect((await runCli(['run', '--yes', '-m', 'add c'], { cwd: repo.dir, env })).code).toBe(0);

    twoFiles();
    expect((await crashCli(['run', '--yes', '-m', 'change both'], { cwd: repo.dir, env, point: 'between-writes' })).paused).toBe(true);
    const undo = await runCli(['undo'], { cwd: repo.dir, env });
    expect(undo.code, undo.stderr).toBe(0);
    expect(undo.stderr).toContain('an interrupted edit batch was rolled back: a.txt, b.txt');
    expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('one\n');

    twoFiles();
    expect((await crashCli(['run', '--yes', '-m', 'change both'], { cwd: repo.dir, env, point: 'between-writes' })).paused).toBe(true);
    const cp = await runCli(['checkpoint', 'create', 'after-crash'], { cwd: repo.dir, env });
    expect(cp.stderr).toContain('an interrupted edit batch was rolled back: a.txt, b.txt');
    expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('one\n');
  });
});
