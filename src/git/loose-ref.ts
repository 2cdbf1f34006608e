import { closeSync, existsSync, fsync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';

/** What {@link updateLooseRef} needs of the repository. */
export interface LooseRefRepo {
  /** The folder that holds `refs/` (the common dir). */
  refsDir: string;
  /** The work tree's root (a relative `core.hooksPath` is taken from there). */
  root: string;
  /** Last value of a config key, as `git var -l` gave it. */
  config(key: string): string | undefined;
  /** The value of `ref` in packed-refs, or null. */
  packed(ref: string): string | null;
}

/**
 * How an in-process update of one ref ended: `done`; `moved` with the value found (the
 * compare-and-swap failed, nothing was written); or `git` when this case is left to
 * `git update-ref` (nothing was written either).
 */
export type LooseRefOutcome = { kind: 'done' } | { kind: 'moved'; found: string | null } | { kind: 'git' };

const OID = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/**
 * Moves one of assist's own refs (`refs/assist/…`) from `old` (null: must not exist) to `value`
 * without starting git, the way git's files backend does it: `<ref>.lock` created exclusively,
 * the current value checked under that lock (the loose file, else packed-refs), the new value
 * written and fsynced (more than git's default `core.fsync=committed,-loose-object`, which leaves
 * refs unflushed: ~1 ms here, and the chain's tip is what a session resumes from), the lock renamed over the ref.
 * A git process updating the same ref meanwhile meets the lock and fails, as between two gits.
 *
 * Left to git (`{ kind: 'git' }`): anything where git would do more than that — a reflog
 * (`core.logAllRefUpdates=always`, or one that exists for the ref), a `reference-transaction`
 * hook, `core.sharedRepository` (file modes), a symbolic ref, a lock already held, or any
 * unexpected file-system error before the rename.
 */
export async function updateLooseRef(repo: LooseRefRepo, ref: string, value: string, old: string | null): Promise<LooseRefOutcome> {
  if (!ref.startsWith('refs/assist/') || ref.split('/').some((part) => part === '' || part === '.' || part === '..' || part.endsWith('.lock')) || !OID.test(value)) return { kind: 'git' };
  if (repo.config('core.logallrefupdates')?.toLowerCase() === 'always') return { kind: 'git' };
  const shared = repo.config('core.sharedrepository')?.toLowerCase();
  if (shared !== undefined && !['', 'false', 'umask', '0', 'no', 'off'].includes(shared)) return { kind: 'git' };
  const hooksPath = repo.config('core.hookspath');
  if (hooksPath?.startsWith('~')) return { kind: 'git' };
  const hooksDir = hooksPath === undefined || hooksPath === '' ? join(repo.refsDir, 'hooks') : isAbsolute(hooksPath) ? hooksPath : join(repo.root, hooksPath);
  if (existsSync(join(hooksDir, 'reference-transaction')) || existsSync(join(repo.refsDir, 'logs', ref))) return { kind: 'git' };

  const path = join(repo.refsDir, ref);
  const lockPath = `${path}.lock`;
  // Synchronous but for the fsync: each of these calls takes microseconds, while each trip through
  // the thread pool waits for this thread, which during a tool loop is building and sending the
  // next request (the chain is written meanwhile): ten trips made a step's chain write outlast the
  // request. The fsync alone goes to the pool, so this thread sends the request while it runs.
  let fd: number | null;
  try {
    fd = openLock(lockPath);
  } catch {
    return { kind: 'git' }; // held by another writer (git waits and reports it), or a name git would refuse
  }
  let renamed = false;
  try {
    let text: string | null;
    try {
      text = readFileSync(path, 'utf8').trim();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return { kind: 'git' };
      text = null;
    }
    if (text !== null && !OID.test(text)) return { kind: 'git' }; // a symbolic ref, or a file git would call broken
    const found = text ?? repo.packed(ref);
    if (found !== old) return { kind: 'moved', found };
    try {
      const line = Buffer.from(`${value}\n`);
      for (let at = 0; at < line.length; ) at += writeSync(fd, line, at, line.length - at);
      const synced = fd;
      await new Promise<void>((resolve, reject) => fsync(synced, (error) => (error ? reject(error) : resolve())));
    } finally {
      const closing = fd;
      fd = null;
      closeSync(closing);
    }
    renameSync(lockPath, path);
    renamed = true;
    return { kind: 'done' };
  } catch {
    return { kind: 'git' };
  } finally {
    if (fd !== null) closeQuietly(fd);
    if (!renamed) unlinkQuietly(lockPath);
  }
}

/** `<ref>.lock`, created exclusively (its folder too when missing). */
function openLock(lockPath: string): number {
  try {
    return openSync(lockPath, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(dirname(lockPath), { recursive: true });
    return openSync(lockPath, 'wx', 0o644);
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // never created, or already gone
  }
}
