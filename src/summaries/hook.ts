import type { RepoPaths } from '../git/repo-paths.js';
import { refreshSummaries } from './refresh.js';

/**
 * The refresher `assist hook` runs after commits, checkouts, merges and rewrites: summaries of
 * whatever changed (every new blob id of the work tree, the `changed` paths' model summaries
 * first). It never waits long for another refresh: the files stay queued for the next one.
 */
export function summariesRefresher(env: NodeJS.ProcessEnv, hook = 'hook'): (paths: RepoPaths, changed: string[]) => Promise<void> {
  return async (paths, changed) => {
    await refreshSummaries({ cwd: paths.root, env, trigger: hook, changed, lockWaitMs: 10_000 });
  };
}
