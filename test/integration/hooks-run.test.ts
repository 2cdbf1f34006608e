import { describe, expect, it } from 'vitest';
import { tempRepo } from '../helpers/git-repo.js';
import { runCli } from '../helpers/run-cli.js';
import { startFakeLlm, reply } from '../fake-llm/index.js';
import { resolveRepoPaths } from '../../src/git/repo-paths.js';
import { readRefreshState, waitForRefresher } from '../../src/hooks/index.js';

describe("assist's own commits and the hooks", () => {
  it('an edit commit starts the background refresher, as a hook would', async () => {
    await using server = await startFakeLlm();
    const repo = tempRepo({ files: { 'src/a.ts': 'export const a = 1;\n' } });
    try {
      const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '0' };
      const install = await runCli(['hooks', 'install'], { cwd: repo.dir, env });
      expect(install.code, install.stderr).toBe(0);
      const paths = await resolveRepoPaths(repo.dir, repo.env);
      const before = (await readRefreshState(paths)).runs.length;

      server.enqueue(reply.edits([{ path: 'src/a.ts', search: 'export const a = 1;\n', replace: 'export const a = 2;\n' }]));
      const r = await runCli(['run', '--yes', '-m', 'bump a'], { cwd: repo.dir, env });
      expect(r.code, r.stderr).toBe(0);

      const deadline = Date.now() + 15_000;
      let runs = (await readRefreshState(paths)).runs;
      while (runs.length <= before && Date.now() < deadline) {
        await waitForRefresher(paths, 2_000);
        runs = (await readRefreshState(paths)).runs;
        if (runs.length <= before) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(runs.length).toBeGreaterThan(before);
      expect(runs.at(-1)!.hook).toBe('post-commit');
    } finally {
      repo.cleanup();
    }
  });
});
