import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { resolveRepoPaths } from '../git/repo-paths.js';
import { diffSnapshots, parseLsFiles } from './index-snapshot.js';
import { readRefreshState, updateRefreshState } from './refresh-state.js';
import { refresherFiles, refresherStatus, runRefresher, waitForRefresher } from './refresher.js';
import { RefresherRegistry } from './registry.js';

function recording(): { registry: RefresherRegistry; calls: string[][] } {
  const registry = new RefresherRegistry();
  const calls: string[][] = [];
  registry.register('record', async (_paths, changed) => void calls.push(changed));
  return { registry, calls };
}

describe('ls-files snapshots', () => {
  it('parses stage-0 entries, skips submodules and conflict stages', () => {
    const out = ['100644 aaa 0\ta.ts', '160000 bbb 0\tvendor/lib', '100644 ccc 1\tc.ts', '100644 ddd 2\tc.ts', '100755 eee 0\tdir/with\ttab.sh', ''].join('\0');
    expect([...parseLsFiles(out)]).toEqual([
      ['a.ts', '100644 aaa'],
      ['dir/with\ttab.sh', '100755 eee'],
    ]);
  });

  it('diffs added, removed, changed blob and changed mode', () => {
    const before = new Map([['a', '100644 1'], ['b', '100644 2'], ['c', '100644 3']]);
    const after = new Map([['a', '100644 1'], ['b', '100644 9'], ['c', '100755 3'], ['d', '100644 4']]);
    expect(diffSnapshots(before, after)).toEqual(['b', 'c', 'd']);
    expect(diffSnapshots(after, before)).toEqual(['b', 'c', 'd']);
    expect(diffSnapshots(null, after)).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('runRefresher', () => {
  it('passes what changed since the last run, records it, and clears the mark', async () => {
    await using repo = tempRepo({ files: { 'a.ts': 'a\n', 'b.ts': 'b\n', 'keep.ts': 'k\n' } });
    const paths = await resolveRepoPaths(repo.dir, repo.env);
    const { registry, calls } = recording();
    const files = refresherFiles(paths);
    mkdirSync(paths.worktreeAssistDir, { recursive: true });
    writeFileSync(files.dirty, '');

    const first = await runRefresher('post-commit', { cwd: repo.dir, env: repo.env, registry });
    expect(first).toMatchObject({ ran: true, loops: 1, changed: ['a.ts', 'b.ts', 'keep.ts'] });
    expect(existsSync(files.dirty)).toBe(false);
    expect(existsSync(files.lock)).toBe(false);

    await runRefresher('post-commit', { cwd: repo.dir, env: repo.env, registry });
    expect(calls).toHaveLength(1);

    repo.write('a.ts', 'a2\n');
    repo.git('rm', '-q', 'b.ts');
    repo.write('new.ts', 'n\n');
    repo.commitAll('change');
    const third = await runRefresher('post-commit', { cwd: repo.dir, env: repo.env, registry });
    expect(third?.changed).toEqual(['a.ts', 'b.ts', 'new.ts']);
    expect(calls[1]).toEqual(['a.ts', 'b.ts', 'new.ts']);

    const state = await readRefreshState(paths);
    expect(state.pending['a.ts']).toMatchObject({ blob: repo.git('rev-parse', 'HEAD:a.ts'), hook: 'post-commit', worktree: repo.dir });
    expect(state.pending['b.ts']?.blob).toBeNull();
    expect(state.runs.map((r) => r.changed)).toEqual([3, 3]);
    const status = await refresherStatus(paths);
    expect(status).toMatchObject({ dirty: false, running: false, lockPid: null, pending: 4, lastError: null });
    expect(status.last?.changed).toBe(3);
  });

  it('leaves the mark and runs nothing while a live refresher holds the lock', async () => {
    await using repo = tempRepo({ files: { 'a.ts': 'a\n' } });
    const paths = await resolveRepoPaths(repo.dir, repo.env);
    const files = refresherFiles(paths);
    mkdirSync(paths.worktreeAssistDir, { recursive: true });
    writeFileSync(files.lock, `${process.pid}\n`);
    const { registry, calls } = recording();
    const outcome = await runRefresher('post-commit', { cwd: repo.dir, env: repo.env, registry });
    expect(outcome).toMatchObject({ ran: false });
    expect(calls).toEqual([]);
    expect(existsSync(files.dirty)).toBe(true);
    expect(readFileSync(files.lock, 'utf8')).toBe(`${process.pid}\n`);

    // Started by the hook that took this very lock: it runs.
    const owned = await runRefresher('post-commit', { cwd: repo.dir, env: { ...repo.env, ASSIST_HOOK_LOCK: '.git/assist/refresh.lock' }, registry });
    expect(owned).toMatchObject({ ran: true });
    expect(existsSync(files.lock)).toBe(false);
  });

  it('takes over the lock of a refresher that died', async () => {
    await using repo = tempRepo({ files: { 'a.ts': 'a\n' } });
    const paths = await resolveRepoPaths(repo.dir, repo.env);
    const files = refresherFiles(paths);
    mkdirSync(paths.worktreeAssistDir, { recursive: true });
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(files.lock, `${dead}\n`);
    const { registry, calls } = recording();
    expect(await runRefresher('post-commit', { cwd: repo.dir, env: repo.env, registry })).toMatchObject({ ran: true });
    expect(calls).toEqual([['a.ts']]);
    expect(existsSync(files.lock)).toBe(false);
  });

  it('waitForRefresher gives up at once on a refresher that died holding the lock', async () => {
    await using repo = tempRepo({ files: { 'a.ts': 'a\n' } });
    const paths = await resolveRepoPaths(repo.dir, repo.env);
    const files = refresherFiles(paths);
    mkdirSync(paths.worktreeAssistDir, { recursive: true });
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(files.lock, `${dead}\n`);
    writeFileSync(files.dirty, '');
    const start = Date.now();
    expect(await waitForRefresher(paths, 20_000)).toBe(false);
    expect(Date.now() - start).toBeLessThan(5_000);
    expect((await refresherStatus(paths)).running).toBe(false);
  });

  it('looks again when a commit lands during a refresh', async () => {
    await using repo = tempRepo({ files: { 'a.ts': 'a\n' } });
    const paths = await resolveRepoPaths(repo.dir, repo.env);
    const files = refresherFiles(paths);
    const registry = new RefresherRegistry();
    const calls: string[][] = [];
    registry.register('commits-meanwhile', async (_paths, changed) => {
      calls.push(changed);
      if (calls.length === 1) {
        repo.write('b.ts', 'b\n');
        repo.commitAll('during refresh');
        writeFileSync(files.dirty, ''); // what the post-commit hook does
      }
    });
    const outcome = await runRefresher('post-commit', { cwd: repo.dir, env: repo.env, registry });
    expect(outcome).toMatchObject({ ran: true, loops: 2, changed: ['a.ts', 'b.ts'] });
    expect(calls).toEqual([['a.ts'], ['b.ts']]);
    expect(existsSync(files.dirty)).toBe(false);
  });

  it('logs a failing refresher, goes on with the others, and never throws', async () => {
    await using repo = tempRepo({ files: { 'a.ts': 'a\n' } });
    const paths = await resolveRepoPaths(repo.dir, repo.env);
    const registry = new RefresherRegistry();
    const seen: string[] = [];
    registry.register('broken', async () => {
      throw new Error('parser exploded');
    });
    registry.register('fine', async (_p, changed) => void seen.push(...changed));
    const outcome = await runRefresher('post-merge', { cwd: repo.dir, env: repo.env, registry });
    expect(outcome).toMatchObject({ ran: true, failed: ['broken'] });
    expect(seen).toEqual(['a.ts']);
    const log = readFileSync(refresherFiles(paths).log, 'utf8');
    expect(log).toMatch(/post-merge pid=\d+: refresher broken: parser exploded/);
    expect((await refresherStatus(paths)).lastError).toMatch(/parser exploded/);
  });

  it('returns null outside a repository instead of throwing', async () => {
    await using dir = tempRepo({ noInit: true });
    expect(await runRefresher('post-commit', { cwd: dir.dir, env: dir.env, registry: new RefresherRegistry() })).toBeNull();
  });

  it('lets a consumer take pending entries without losing concurrent updates', async () => {
    await using repo = tempRepo({ files: { 'a.ts': 'a\n' } });
    const paths = await resolveRepoPaths(repo.dir, repo.env);
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        updateRefreshState(paths, (state) => {
          state.pending[`f${i}`] = { blob: String(i), changedAt: '', hook: 'x', worktree: repo.dir };
        }),
      ),
    );
    const taken = await updateRefreshState(paths, (state) => {
      const keys = Object.keys(state.pending);
      state.pending = {};
      return keys;
    });
    expect(taken.sort()).toEqual(['f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7']);
    expect((await readRefreshState(paths)).pending).toEqual({});
  });
});
