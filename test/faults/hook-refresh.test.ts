import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reply, startFakeLlm } from '../fake-llm/index.js';
import { tempRepo } from '../helpers/git-repo.js';
import { pausedPid } from '../helpers/paused-pid.js';
import { CONCURRENT_CLI_TEST_MS } from '../helpers/run-cli.js';
import { cliEnv, lostUserWork, makeUserWork, repoProblems, runCli } from './harness.js';

/**
 * The hooks' refresher killed at its named point (the other points: crash-points.test.ts). A file
 * of its own because it waits on the refresher, which runs at the lowest CPU priority: it runs with
 * the files that run alone (vitest.config.ts), where a core is left for it.
 */
describe('kill -9 of the hook refresher, then the next commit', { timeout: CONCURRENT_CLI_TEST_MS }, () => {
  it('kill -9 of the hook refresher mid-refresh (hook-refresh point, src/hooks): the next commit takes its lock over', async ({ task }) => {
    task.meta.fault = 'process';
    task.meta.faultSurvived = 0;
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'a.ts': 'export const a = 1;\n', 'staged.txt': 's\n', 'unstaged.txt': 'u\n' } });
    const env = cliEnv(repo, server);
    expect((await runCli(['hooks', 'install'], { cwd: repo.dir, env })).code).toBe(0);
    const work = makeUserWork(repo);
    const pauseFile = join(repo.home, 'refresher-pid');
    server.enqueue(reply.edits([{ path: 'a.ts', search: 'export const a = 1;\n', replace: 'export const a = 2;\n' }]));
    // assist's own commit starts the background refresher, which stops itself at its named point.
    const first = await runCli(['run', '--yes', '-m', 'bump a'], { cwd: repo.dir, env: { ...env, ASSIST_PAUSE_AT: 'hook-refresh', ASSIST_PAUSE_FILE: pauseFile } });
    expect(first.code, first.stderr).toBe(0);
    const pid = await pausedPid(pauseFile);
    process.kill(pid, 'SIGKILL');
    // Not our child, so no exit event: wait until init has reaped it (a zombie still answers kill(pid, 0)).
    await gone(pid);

    server.enqueue(reply.edits([{ path: 'b.ts', search: '', replace: 'export const b = 1;\n' }]));
    const next = await runCli(['run', '--yes', '-m', 'add b'], { cwd: repo.dir, env });
    expect(next.code, next.stderr).toBe(0);
    const { resolveRepoPaths } = await import('../../src/git/repo-paths.js');
    const { waitForRefresher } = await import('../../src/hooks/index.js');
    // The refresher runs at the lowest CPU priority: on saturated cores it finishes late, not never.
    expect(await waitForRefresher(await resolveRepoPaths(repo.dir, repo.env), 60_000)).toBe(true);
    const status = await runCli(['summaries', 'status', '--json'], { cwd: repo.dir, env });
    expect(status.code, status.stderr).toBe(0);
    expect((await runCli(['log'], { cwd: repo.dir, env })).code).toBe(0);
    const lost = lostUserWork(repo, work);
    task.meta.faultLost = lost.length;
    expect(lost).toEqual([]);
    expect(repoProblems(repo)).toEqual([]);
    task.meta.faultSurvived = 1;
  });
});

/** Resolves once `pid` no longer exists (checked every 50 ms; there is no signal for a non-child's end). */
async function gone(pid: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    if (Date.now() > deadline) throw new Error(`pid ${pid} still exists after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
