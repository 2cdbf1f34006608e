import { execFile } from 'node:child_process';
import { existsSync, watch } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { resolveRepoPaths } from '../git/repo-paths.js';
import { installHooks } from './install.js';
import { readRefreshState } from './refresh-state.js';
import { blobOf, loadSnapshot } from './index-snapshot.js';
import { refresherFiles, waitForRefresher } from './refresher.js';

function gitAsync(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, env, encoding: 'utf8' }, (error, stdout, stderr) => (error ? reject(error) : resolve(stdout + stderr)));
  });
}

/** Resolves once `file` is gone: woken by its folder changing. */
function gone(file: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const watcher = watch(dirname(file), () => !existsSync(file) && finish(true));
    const timer = setTimeout(() => finish(false), timeoutMs);
    const finish = (value: boolean): void => {
      watcher.close();
      clearTimeout(timer);
      resolve(value);
    };
    if (!existsSync(file)) finish(true);
  });
}

describe('hooks under a commit storm', () => {
  it('30 commits back to back: one refresher, asleep during the storm, one run after it, fresh soon after the last commit', async () => {
    await using repo = tempRepo({ files: { 'a.ts': 'a\n' } });
    const paths = await resolveRepoPaths(repo.dir, repo.env);
    await installHooks(paths, { env: repo.env });
    // The refresher inherits these through git and the hook. A quiet window longer than any gap
    // between two commits of a loaded machine, and no cap: the storm must be one run, after it.
    const env = { ...repo.env, ASSIST_HOOK_QUIET_MS: '1500', ASSIST_HOOK_MAX_DELAY_MS: '60000', ASSIST_HOOK_LINGER_MS: '1000' };
    for (let i = 0; i < 30; i++) {
      repo.write(`f${i % 6}.ts`, `export const v = ${i};\n`);
      await gitAsync(['add', '-A'], repo.dir, env);
      expect(await gitAsync(['commit', '-q', '-m', `c${i}`], repo.dir, env)).toBe('');
    }
    const lastCommit = Date.now();
    expect(await waitForRefresher(paths, 20_000)).toBe(true);
    expect(Date.now() - lastCommit).toBeLessThan(10_000);

    const seen = (await loadSnapshot(paths))!;
    for (let f = 0; f < 6; f++) expect(blobOf(seen, `f${f}.ts`)).toBe(repo.git('rev-parse', `HEAD:f${f}.ts`));
    const { runs } = await readRefreshState(paths);
    // One process for the whole storm (the hooks of the commits after the first only marked the
    // worktree), and far fewer runs than commits.
    expect(new Set(runs.map((r) => r.pid)).size).toBe(1);
    expect(runs).toHaveLength(1);
    // It slept through the storm instead of competing with git for the CPU.
    expect(Date.parse(runs[0]!.startedAt)).toBeGreaterThanOrEqual(lastCommit - 50);
    expect(runs[0]!.changed).toBe(7); // a.ts too: the first run has no snapshot to compare with
    // It lingers a moment for more commits, then lets go.
    expect(await gone(refresherFiles(paths).lock, 20_000)).toBe(true);
  }, 60_000);
});
