import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { AssistError } from '../errors.js';
import { acquireLock, readLockHolder } from '../util/lock.js';

/**
 * One summaries refresh at a time per repository (all worktrees share the store). Waits up to
 * `waitMs` for a live holder (one whose process is gone is taken over); returns the release function.
 */
export async function acquireRefreshLock(path: string, waitMs: number): Promise<() => Promise<void>> {
  await fs.mkdir(dirname(path), { recursive: true });
  const lock = await acquireLock(path, { command: 'summaries refresh', waitMs });
  if (lock === null) {
    const holder = readLockHolder(path);
    throw new AssistError('summaries.busy', `another summaries refresh is running (pid ${holder?.pid ?? 'unknown'})`, {
      hint: 'wait for it to finish, then run the command again',
    });
  }
  return async () => void lock.release();
}
