import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempRepo, type TempRepo } from '../helpers/git-repo.js';
import { runCli } from '../helpers/run-cli.js';
import { startFakeLlm, type FakeLlmServer } from '../fake-llm/index.js';
import type { RecordedRequest, Scripted } from '../fake-llm/types.js';
import { requireTool } from '../helpers/system-tools.js';

// Tests run under bubblewrap with --yes (unconfined commands would need a person to approve them).
await requireTool('bwrap');

// Each package's test script leaves a marker file (git-ignored, so no step commits it) and prints one.
const script = (name: string): string => `node -e "require('fs').writeFileSync('ran','${name}');console.log('TESTED-${name.toUpperCase()}')"`;
const FILES = {
  'package.json': `${JSON.stringify({ name: 'mono', private: true, workspaces: ['packages/*'] }, null, 2)}\n`,
  'packages/a/package.json': `${JSON.stringify({ name: 'a', version: '1.0.0', scripts: { test: script('a') } }, null, 2)}\n`,
  'packages/a/index.js': 'module.exports = (x) => x + 1;\n',
  'packages/b/package.json': `${JSON.stringify({ name: 'b', version: '1.0.0', scripts: { test: script('b') } }, null, 2)}\n`,
  'packages/b/index.js': 'module.exports = (x) => x * 2;\n',
  '.gitignore': 'ran\n',
};

const call = (name: string, args: Record<string, unknown>): Scripted => ({ kind: 'text', text: '', toolCalls: [{ name, arguments: args }] });
const answer = (text: string): Scripted => ({ kind: 'text', text });
const envFor = (repo: TempRepo, server: FakeLlmServer): NodeJS.ProcessEnv => ({ ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '256' });
/** The result of the call just before a request (the last tool result it carries). */
const lastResult = (request: RecordedRequest): string => request.messages.flatMap((m) => (m.toolResults ?? []).map((r) => r.content)).at(-1) ?? '';
const ran = (repo: TempRepo, pkg: string): boolean => existsSync(join(repo.dir, 'packages', pkg, 'ran'));

describe('an npm-workspaces repository with two packages', () => {
  it('auto-test after an edit in packages/a runs only packages/a tests', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    server.enqueue(call('edit_file', { path: 'packages/a/index.js', search: 'module.exports = (x) => x + 1;\n', replace: 'module.exports = (x) => x + 2;\n' }), answer('done'));
    const r = await runCli(['run', '--yes', '--auto-test', '--json', '-m', 'add two, not one'], { cwd: repo.dir, env: envFor(repo, server) });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { files: string[]; tests: string };
    expect(out.files).toEqual(['packages/a/index.js']);
    expect(out.tests).toBe('passed');
    expect(ran(repo, 'a')).toBe(true);
    expect(ran(repo, 'b')).toBe(false);
    expect(r.stderr).toContain('testing packages/a');
  });

  it("run_tests runs the package the session changed; all: true runs both; path picks one", async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    server.enqueue(
      call('edit_file', { path: 'packages/b/index.js', search: 'module.exports = (x) => x * 2;\n', replace: 'module.exports = (x) => x * 3;\n' }),
      call('run_tests', {}),
      call('run_tests', { all: true }),
      call('run_tests', { path: 'packages/a/index.js' }),
      answer('tests pass'),
    );
    const r = await runCli(['run', '--yes', '--json', '-m', 'triple it and run the tests'], { cwd: repo.dir, env: envFor(repo, server) });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { commits: string[]; tool_calls: Array<{ name: string; ok: boolean }> };
    expect(out.tool_calls.map((c) => [c.name, c.ok])).toEqual([
      ['edit_file', true],
      ['run_tests', true],
      ['run_tests', true],
      ['run_tests', true],
    ]);
    const touched = lastResult(server.requests[2]!);
    expect(touched).toContain('$ cd packages/b && npm test');
    expect(touched).toContain('TESTED-B');
    expect(touched).not.toContain('TESTED-A');
    const all = lastResult(server.requests[3]!);
    expect(all).toContain('(cd packages/a && npm test) || s=1; (cd packages/b && npm test) || s=1');
    expect(all).toContain('TESTED-A');
    expect(all).toContain('TESTED-B');
    const byPath = lastResult(server.requests[4]!);
    expect(byPath).toContain('$ cd packages/a && npm test');
    expect(byPath).not.toContain('TESTED-B');
    // The markers are ignored: the only commit is the edit.
    expect(out.commits).toHaveLength(1);
    expect(repo.git('show', '--name-only', '--format=', out.commits[0]!)).toBe('packages/b/index.js');
  });

  it('pr tests the packages the task touched, chosen at the base; --all-tests tests every package', async () => {
    for (const all of [false, true]) {
      await using server = await startFakeLlm();
      await using repo = tempRepo({ files: FILES });
      server.enqueue(call('edit_file', { path: 'packages/b/index.js', search: 'module.exports = (x) => x * 2;\n', replace: 'module.exports = (x) => x * 3;\n' }), answer('done'));
      const r = await runCli(['pr', '-m', 'triple it', '--json', ...(all ? ['--all-tests'] : [])], { cwd: repo.dir, env: { ...envFor(repo, server), CI: 'true' } });
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { tests: string; test_command: string; files: string[] };
      expect(out.files).toEqual(['packages/b/index.js']);
      expect(out.tests).toBe('passed');
      expect(out.test_command).toBe(all ? 's=0; (cd packages/a && npm test) || s=1; (cd packages/b && npm test) || s=1; exit $s' : 'cd packages/b && npm test');
      expect([ran(repo, 'a'), ran(repo, 'b')]).toEqual([all, true]);
    }
  });

  it('/test in chat runs the package of the changed files; /test --all runs both', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    repo.write('packages/a/index.js', 'module.exports = (x) => x + 3;\n');
    const r = await runCli(['chat'], { cwd: repo.dir, env: envFor(repo, server), input: '/test\n/test --all\n' });
    expect(r.code, r.stderr).toBe(0);
    const [first = '', second = ''] = r.stdout.split('cd packages/a && npm test: exit 0');
    expect(first).toContain('testing packages/a\n');
    expect(first).toContain('TESTED-A');
    expect(first).not.toContain('TESTED-B');
    expect(second).toContain('testing packages/a, packages/b');
    expect(second).toMatch(/TESTED-A[\s\S]*TESTED-B/);
    expect(server.requests).toHaveLength(0);
  });

  it('doctor lists the packages and their commands; map --json marks the package boundaries', async () => {
    await using repo = tempRepo({ files: FILES });
    const doctor = await runCli(['doctor', '--json'], { cwd: repo.dir, env: repo.env });
    const checks = (JSON.parse(doctor.stdout) as { checks: Array<{ id: string; what: string }> }).checks;
    expect(checks.filter((c) => c.id.startsWith('tests')).map((c) => c.what)).toEqual([
      'npm workspace, 2 packages: a change runs the tests of the packages it touches',
      'package packages/a (a): npm test',
      'package packages/b (b): npm test',
    ]);
    const map = await runCli(['map', '--json'], { cwd: repo.dir, env: repo.env });
    expect(map.code, map.stderr).toBe(0);
    const json = JSON.parse(map.stdout) as { workspace: string; packages: Array<{ dir: string; command: string; files: string[] }> };
    expect(json.workspace).toBe('npm');
    expect(json.packages.map((p) => [p.dir, p.command, p.files])).toEqual([
      ['packages/a', 'npm test', ['packages/a/index.js']],
      ['packages/b', 'npm test', ['packages/b/index.js']],
    ]);
  });
});
