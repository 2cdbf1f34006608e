import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, lstatSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { processAlive } from './process.js';

/**
 * Who holds a lock. On disk: the pid on the first line (the hook script reads it with `read`, and
 * writes a pid-only lock itself), then this record as JSON.
 */
export interface LockRecord {
  pid: number;
  host: string;
  /** When it was taken, ms since the epoch (a pid-only lock: the file's mtime). */
  time: number;
  /** Fresh per acquisition: release and takeover compare it, never the pid alone. Empty in a pid-only lock. */
  nonce: string;
  /** The holder's start time as the kernel counts it (Linux /proc/<pid>/stat field 22): a reused pid shows another. */
  procStart?: string;
  /** What holds it, for messages ("assist chat"). */
  command?: string;
}

/** How a lock judges its holder gone. */
export interface LockOptions {
  /** Names the holder in messages. */
  command?: string;
  /**
   * A holder older than this is abandoned even when its pid is alive (or on another host, where
   * the pid cannot be checked). Default: never; only a dead or reused pid frees the lock.
   */
  staleMs?: number;
  /** An empty or unreadable lock older than this was left by a crash (default 2000 ms). */
  emptyStaleMs?: number;
  /** Test seam: runs between judging the lock stale and removing it, to widen that window. */
  onStale?: () => void;
}

/** A held lock. `release` removes it only while it is still ours (same nonce). */
export interface HeldLock {
  readonly path: string;
  readonly record: LockRecord;
  /** The holder whose stale lock was removed on the way in, if any (null: an empty lock, or none). */
  readonly tookOver: LockRecord | null;
  /** True when our lock was there and is now removed; false when someone had taken it over. Never throws. */
  release(): boolean;
  [Symbol.dispose](): void;
}

interface Seen {
  raw: string;
  record: LockRecord | null;
  mtimeMs: number;
  ino: number;
}

const GUARD_STALE_MS = 5_000;
const GUARD_WAIT_MS = 3_000;
const EMPTY_STALE_MS = 2_000;
const HOST = hostname();
const NO_LINK = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EINVAL', 'EXDEV']);

let ownStart: string | undefined | null = null;

/** Field 22 of /proc/<pid>/stat (after the parenthesised command, which may hold spaces); undefined off Linux. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function myStart(): string | undefined {
  if (ownStart === null) ownStart = processStartTime(process.pid);
  return ownStart;
}

/** Parses a lock's text: `<pid>\n<json>\n`, a pid alone (the hook script's), or the JSON alone (older assists). */
export function parseLock(raw: string, mtimeMs: number): LockRecord | null {
  const [first = '', second = ''] = raw.split('\n');
  if (first.startsWith('{')) return legacyRecord(first, mtimeMs);
  const pid = Number(first.trim());
  if (first.trim() === '' || !Number.isInteger(pid) || pid <= 0) return null;
  if (second.trim() === '') return { pid, host: HOST, time: mtimeMs, nonce: '' };
  try {
    const record = JSON.parse(second) as LockRecord;
    if (record.pid !== pid || typeof record.nonce !== 'string' || typeof record.host !== 'string') return null;
    return record;
  } catch {
    return null;
  }
}

function legacyRecord(line: string, mtimeMs: number): LockRecord | null {
  try {
    const data = JSON.parse(line) as { pid?: unknown; host?: unknown; time?: unknown; start?: unknown; nonce?: unknown; command?: unknown };
    if (typeof data.pid !== 'number' || !Number.isInteger(data.pid) || data.pid <= 0 || typeof data.host !== 'string') return null;
    const time = typeof data.time === 'number' ? data.time : typeof data.start === 'string' && !Number.isNaN(Date.parse(data.start)) ? Date.parse(data.start) : mtimeMs;
    return {
      pid: data.pid,
      host: data.host,
      time,
      nonce: typeof data.nonce === 'string' ? data.nonce : '',
      ...(typeof data.command === 'string' ? { command: data.command } : {}),
    };
  } catch {
    return null;
  }
}

function formatLock(record: LockRecord): string {
  return `${record.pid}\n${JSON.stringify(record)}\n`;
}

function look(path: string): Seen | null {
  try {
    const stat = lstatSync(path);
    const raw = readFileSync(path, 'utf8');
    return { raw, record: parseLock(raw, stat.mtimeMs), mtimeMs: stat.mtimeMs, ino: stat.ino };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** The current holder of a lock, or null when it is free or unreadable. */
export function readLockHolder(path: string): LockRecord | null {
  try {
    return look(path)?.record ?? null;
  } catch {
    return null;
  }
}

/** Whether the holder is gone: its process dead or replaced (pid reuse), or older than `staleMs`. */
export function holderGone(record: LockRecord, staleMs = Infinity): boolean {
  const age = Date.now() - record.time;
  if (record.host !== HOST) return age > staleMs;
  if (!processAlive(record.pid)) return true;
  if (record.procStart !== undefined) {
    const now = processStartTime(record.pid);
    if (now !== undefined && now !== record.procStart) return true;
  }
  return age > staleMs;
}

function isStale(seen: Seen, options: LockOptions): boolean {
  if (seen.record === null) return Date.now() - seen.mtimeMs > (options.emptyStaleMs ?? EMPTY_STALE_MS);
  return holderGone(seen.record, options.staleMs);
}

function newRecord(command: string | undefined): LockRecord {
  const start = myStart();
  return {
    pid: process.pid,
    host: HOST,
    time: Date.now(),
    nonce: randomBytes(8).toString('hex'),
    ...(start === undefined ? {} : { procStart: start }),
    ...(command === undefined ? {} : { command }),
  };
}

/**
 * Creates `path` holding `text`, only if it does not exist. The text is written to a private file
 * first and hard-linked into place, so the lock never exists empty (a crash between an O_EXCL
 * create and its write would leave one); where hard links are not supported, O_EXCL and a write.
 */
function createExclusive(path: string, text: string, nonce: string): boolean {
  const temp = join(dirname(path), `.${basename(path)}.${nonce}.new`);
  writeFileSync(temp, text, { flag: 'wx', mode: 0o644 });
  try {
    linkSync(temp, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (!NO_LINK.has(code)) throw error;
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // Already gone; nothing else refers to it.
    }
  }
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, text);
  } catch (error) {
    closeSync(fd);
    unlinkSync(path);
    throw error;
  }
  closeSync(fd);
  return true;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Runs `fn` holding `<path>.guard`: every removal and rewrite of the lock (release, takeover,
 * adoption) happens under it, so a check of the lock's content and the removal that follows are
 * one step to every other remover, and nobody removes a lock someone has just created. Creating the
 * lock needs no guard (O_EXCL). The guard is held for a few syscalls; one whose holder died is
 * moved aside and put back if it turns out to be a fresh one (the metrics file's original scheme).
 * Returns undefined when the guard could not be had within a few seconds.
 */
function withGuard<T>(path: string, fn: () => T): T | undefined {
  const guard = `${path}.guard`;
  const mine = newRecord(undefined);
  const text = formatLock(mine);
  const deadline = Date.now() + GUARD_WAIT_MS;
  for (let pause = 1; ; pause = Math.min(pause * 2, 20)) {
    if (createExclusive(guard, text, mine.nonce)) break;
    const seen = look(guard);
    if (seen !== null && isStale(seen, { staleMs: GUARD_STALE_MS, emptyStaleMs: 1_000 })) {
      moveAsideIfSame(guard, seen, mine.nonce);
      continue;
    }
    if (Date.now() >= deadline) return undefined;
    sleepSync(pause);
  }
  try {
    return fn();
  } finally {
    const seen = look(guard);
    if (seen?.record?.nonce === mine.nonce) unlinkSync(guard);
  }
}

/** Removes a stale guard without a guard: move it aside, and put it back if it was not the one judged. */
function moveAsideIfSame(path: string, judged: Seen, nonce: string): void {
  const aside = `${path}.stale-${nonce}`;
  try {
    renameSync(path, aside);
  } catch {
    return;
  }
  const moved = look(aside);
  if (moved === null || moved.raw !== judged.raw || moved.ino !== judged.ino) {
    try {
      linkSync(aside, path);
    } catch {
      // A new guard stands already; the one moved aside was stale too by the time it comes back.
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    // Someone else cleaned it.
  }
}

function held(path: string, record: LockRecord, tookOver: LockRecord | null): HeldLock {
  let released = false;
  const release = (): boolean => {
    if (released) return false;
    released = true;
    try {
      return (
        withGuard(path, () => {
          const seen = look(path);
          if (seen?.record?.nonce !== record.nonce) return false;
          unlinkSync(path);
          return true;
        }) ?? false
      );
    } catch {
      // Its folder is gone, or unwritable now: nothing of ours is left to remove, or nothing can be.
      return false;
    }
  };
  return { path, record, tookOver, release, [Symbol.dispose]: () => void release() };
}

/**
 * One attempt: takes the lock, or removes a stale one and takes it; null when a live holder has
 * it. Never waits beyond the guard's few syscalls.
 */
export function tryAcquireLock(path: string, options: LockOptions = {}): HeldLock | null {
  let tookOver: LockRecord | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    const record = newRecord(options.command);
    if (createExclusive(path, formatLock(record), record.nonce)) return held(path, record, tookOver);
    const seen = look(path);
    if (seen === null) continue;
    if (!isStale(seen, options)) return null;
    options.onStale?.();
    const removed = withGuard(path, () => {
      const now = look(path);
      // Judged stale, and still that very file: nobody can remove or rewrite it while we hold the guard.
      if (now === null || now.raw !== seen.raw || now.ino !== seen.ino || now.mtimeMs !== seen.mtimeMs) return false;
      unlinkSync(path);
      return true;
    });
    if (removed) tookOver = seen.record;
  }
  return null;
}

/** Waits up to `waitMs` for the lock (polling with backoff); null when a live holder kept it. */
export async function acquireLock(path: string, options: LockOptions & { waitMs?: number } = {}): Promise<HeldLock | null> {
  const deadline = Date.now() + (options.waitMs ?? 0);
  for (let pause = 2; ; pause = Math.min(pause * 2, 50)) {
    const lock = tryAcquireLock(path, options);
    if (lock !== null) return lock;
    if (Date.now() >= deadline) return null;
    await delay(Math.min(pause, Math.max(1, deadline - Date.now())));
  }
}

/**
 * Takes over a lock that another process took for us (the hook script writes a bare pid, its own
 * and then ours; `kickRefresher` its own record): replaces it with our record when `accepts` the
 * one there, under the guard. Null when it holds anything else (someone took it over).
 */
export function adoptLock(path: string, accepts: (record: LockRecord) => boolean, options: LockOptions = {}): HeldLock | null {
  const record = newRecord(options.command);
  const adopted = withGuard(path, () => {
    const seen = look(path);
    if (seen?.record == null || !accepts(seen.record)) return false;
    const temp = join(dirname(path), `.${basename(path)}.${record.nonce}.new`);
    writeFileSync(temp, formatLock(record), { flag: 'wx', mode: 0o644 });
    renameSync(temp, path);
    return true;
  });
  return adopted ? held(path, record, null) : null;
}
