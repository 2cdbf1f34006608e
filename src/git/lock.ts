import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AssistError } from '../errors.js';
import { acquireLock as acquireFileLock, readLockHolder, type LockRecord } from '../util/lock.js';

/** Who holds the write lock of a worktree. */
export interface LockHolder {
  pid: number;
  host: string;
  command: string;
  start: string;
}

/** A held lock; release it in `finally` (or with `using`). */
export interface WriteLock {
  holder: LockHolder;
  /** True when a dead holder's lock was taken over. */
  tookOver: LockHolder | null;
  release(): void;
  [Symbol.dispose](): void;
}

/** A second writer's default wait for the worktree's write lock. */
export const WRITE_LOCK_WAIT_MS = 10_000;

export interface LockOptions {
  command: string;
  /**
   * How long a second writer waits before failing (default {@link WRITE_LOCK_WAIT_MS}): a write
   * holds the lock through the person's own commit hooks, which can take seconds.
   */
  waitMs?: number;
}

function holderOf(record: LockRecord): LockHolder {
  return { pid: record.pid, host: record.host, command: record.command ?? 'assist', start: new Date(record.time).toISOString() };
}

/**
 * Takes the worktree's write lock (`<gitDir>/assist/lock`, see util/lock.ts). A live holder
 * makes us poll until `waitMs`, then fail with `git.locked` (exit 1) naming it; a holder on this
 * host whose process is gone (or whose pid now belongs to another process) is taken over.
 */
export async function acquireLock(dir: string, options: LockOptions): Promise<WriteLock> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'lock');
  const lock = await acquireFileLock(file, { command: options.command, waitMs: options.waitMs ?? WRITE_LOCK_WAIT_MS });
  if (lock === null) {
    const record = readLockHolder(file);
    const current = record === null ? null : holderOf(record);
    const who = current ? `${current.command} (pid ${current.pid} on ${current.host}, since ${current.start})` : 'another process';
    throw new AssistError('git.locked', `another assist is writing to this worktree: ${who}`, {
      hint: current ? `wait for it to finish; if it is gone, remove ${file}` : `remove ${file} if no assist is running`,
      data: { holder: current },
    });
  }
  const release = (): void => void lock.release();
  return { holder: holderOf(lock.record), tookOver: lock.tookOver === null ? null : holderOf(lock.tookOver), release, [Symbol.dispose]: release };
}
