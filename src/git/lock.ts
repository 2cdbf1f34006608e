import { mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { AssistError } from '../errors.js';
import { processAlive } from '../util/process.js';

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

export interface LockOptions {
  command: string;
  /** How long a second writer waits before failing (default 2000 ms). */
  waitMs?: number;
}

const UNREADABLE_STALE_MS = 5_000;

function olderThan(file: string, ms: number): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs > ms;
  } catch {
    return false;
  }
}

function readHolder(file: string): LockHolder | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
  } catch {
    return null;
  }
}

/**
 * Takes the worktree's write lock (`<gitDir>/assist/lock`, created with O_EXCL). A live holder
 * makes us poll until `waitMs`, then fail with `git.locked` (exit 1) naming it; a holder on this
 * host whose pid is gone is taken over.
 */
export async function acquireLock(dir: string, options: LockOptions): Promise<WriteLock> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'lock');
  const holder: LockHolder = { pid: process.pid, host: hostname(), command: options.command, start: new Date().toISOString() };
  const deadline = Date.now() + (options.waitMs ?? 2000);
  let tookOver: LockHolder | null = null;
  for (;;) {
    try {
      const fd = openSync(file, 'wx', 0o644);
      try {
        writeSync(fd, JSON.stringify(holder));
      } catch (error) {
        // A full disk fails the write after the create: an empty lock left here would block every later writer.
        closeSync(fd);
        unlinkSync(file);
        throw error;
      }
      closeSync(fd);
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        const current = readHolder(file);
        if (current && current.pid === holder.pid && current.start === holder.start) unlinkSync(file);
      };
      return { holder, tookOver, release, [Symbol.dispose]: release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const current = readHolder(file);
    // An unreadable lock older than a few seconds was left by a writer killed between create and write.
    if ((current && current.host === holder.host && !processAlive(current.pid)) || (!current && olderThan(file, UNREADABLE_STALE_MS))) {
      // Move the stale lock aside atomically so two takers cannot both remove a fresh one.
      const aside = `${file}.stale-${process.pid}`;
      try {
        renameSync(file, aside);
        const moved = readHolder(aside);
        if (current ? moved && moved.pid === current.pid && moved.start === current.start : !moved) {
          unlinkSync(aside);
          tookOver = current;
        } else renameSync(aside, file);
      } catch {
        // someone else moved it first; try again
      }
      continue;
    }
    if (Date.now() >= deadline) {
      const who = current ? `${current.command} (pid ${current.pid} on ${current.host}, since ${current.start})` : 'another process';
      throw new AssistError('git.locked', `another assist is writing to this worktree: ${who}`, {
        hint: current ? `wait for it to finish; if it is gone, remove ${file}` : `remove ${file} if no assist is running`,
        data: { holder: current },
      });
    }
    await delay(25);
  }
}
