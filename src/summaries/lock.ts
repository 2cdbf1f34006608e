import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { AssistError } from '../errors.js';
import { processAlive } from '../util/process.js';

/** Takes the lock now, or takes over one whose holder is gone; false when a live process holds it. */
async function tryTake(path: string): Promise<boolean> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.writeFile(path, `${process.pid}\n`, { flag: 'wx' });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const text = await fs.readFile(path, 'utf8').catch(() => null);
    if (text === null) continue;
    const holder = Number.parseInt(text, 10);
    if (!Number.isNaN(holder) && processAlive(holder)) return false;
    // An empty lock may be one being written right now: give it a moment before taking it over.
    if (Number.isNaN(holder)) {
      const age = Date.now() - ((await fs.stat(path).catch(() => null))?.mtimeMs ?? 0);
      if (age < 2_000) return false;
    }
    await fs.rm(path, { force: true });
  }
  return false;
}

/**
 * One summaries refresh at a time per repository (all worktrees share the store). Waits up to
 * `waitMs` for a live holder; returns the release function.
 */
export async function acquireRefreshLock(path: string, waitMs: number): Promise<() => Promise<void>> {
  await fs.mkdir(dirname(path), { recursive: true });
  const deadline = Date.now() + waitMs;
  for (let wait = 20; ; wait = Math.min(wait * 2, 250)) {
    if (await tryTake(path)) {
      return async () => {
        const text = await fs.readFile(path, 'utf8').catch(() => null);
        if (text !== null && Number.parseInt(text, 10) === process.pid) await fs.rm(path, { force: true });
      };
    }
    if (Date.now() >= deadline) {
      const holder = (await fs.readFile(path, 'utf8').catch(() => '')).trim();
      throw new AssistError('summaries.busy', `another summaries refresh is running (pid ${holder || 'unknown'})`, {
        hint: 'wait for it to finish, then run the command again',
      });
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
