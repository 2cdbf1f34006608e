import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fdatasync, fsync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { workerThreads } from './lazy-builtins.js';

/** How {@link writeFileAtomic} writes. */
export interface AtomicWriteOptions {
  /** Mode of the file (default 0o644; the umask applies unless `exactMode`). */
  mode?: number;
  /** Set `mode` exactly, whatever the umask (hook scripts must be executable). */
  exactMode?: boolean;
  /**
   * fsync the file before the rename (default true), so a power loss leaves the old content or the
   * new, never an empty file. Caches that are rebuilt when torn pass false: a sync costs
   * milliseconds on a busy disk.
   */
  fsync?: boolean;
  /** Also fsync the directory after the rename, so the rename itself survives a power loss (the crash journals). */
  fsyncDir?: boolean;
  /**
   * Where the temp file goes (default: beside the target). Another folder keeps temp files out of
   * a work tree; when it is on another device the temp file goes beside the target after all.
   */
  tempDir?: string;
}

let ownThreadId: number | undefined;

/** A temp name no other writer (thread, process, or a reused pid) can pick at the same time. */
export function tempPathFor(path: string, dir = dirname(path)): string {
  ownThreadId ??= workerThreads().threadId;
  return join(dir, `.${basename(path)}.${process.pid}-${ownThreadId}-${randomBytes(6).toString('hex')}.tmp`);
}

/** fsyncs a folder, so the names created, renamed or removed in it survive a power loss; a no-op where folders cannot be synced. */
export function fsyncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return; // Windows cannot open a folder; its renames are durable with the file's own flush.
  }
  try {
    fsyncSync(fd);
  } catch (error) {
    // Some filesystems refuse to fsync a folder (EINVAL, EISDIR): nothing more can be done there.
    if (!['EINVAL', 'EISDIR', 'EBADF', 'EPERM', 'ENOTSUP'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    closeSync(fd);
  }
}

function writeTempSync(temp: string, data: string | Uint8Array, options: AtomicWriteOptions): void {
  const fd = openSync(temp, 'wx', options.mode ?? 0o644);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    for (let at = 0; at < buf.byteLength; ) at += writeSync(fd, buf, at, buf.byteLength - at);
    if (options.exactMode === true) fchmodSync(fd, options.mode ?? 0o644);
    if (options.fsync !== false) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Never created, or already renamed.
  }
}

/**
 * Replaces `path` with `data` so that a reader (or a crash) sees the old content or the new, never
 * a mix: a uniquely named temp file, written and fsynced, renamed over the target. The temp file
 * is removed when anything fails. The folder must exist.
 */
export function writeFileAtomicSync(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  let temp = tempPathFor(path, options.tempDir);
  try {
    writeTempSync(temp, data, options);
    try {
      renameSync(temp, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      removeQuietly(temp);
      temp = tempPathFor(path);
      writeTempSync(temp, data, options);
      renameSync(temp, path);
    }
  } catch (error) {
    removeQuietly(temp);
    throw error;
  }
  if (options.fsyncDir === true) fsyncDirectory(dirname(path));
}

async function writeTemp(temp: string, data: string | Uint8Array | readonly Uint8Array[], options: AtomicWriteOptions): Promise<void> {
  const handle = await open(temp, 'wx', options.mode ?? 0o644);
  try {
    if (typeof data === 'string' || !Array.isArray(data)) await handle.writeFile(data as string | Uint8Array);
    else await writeGathered((batch) => handle.writev(batch), data);
    if (options.exactMode === true) await handle.chmod(options.mode ?? 0o644);
    if (options.fsync !== false) await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes pieces in order through `writev` (no buffer of their sum is made); a short write goes on
 * from where it stopped, the rest of a piece cut there taken as a view.
 */
export async function writeGathered(writev: (batch: Uint8Array[]) => Promise<{ bytesWritten: number }>, parts: readonly Uint8Array[]): Promise<void> {
  let rest = parts.filter((p) => p.byteLength > 0);
  while (rest.length > 0) {
    // At most 1,024 pieces a call (IOV_MAX on Linux).
    const batch = rest.slice(0, 1024);
    let { bytesWritten } = await writev(batch);
    if (bytesWritten === 0) throw new Error('writev wrote nothing');
    let k = 0;
    while (k < batch.length && bytesWritten >= batch[k]!.byteLength) bytesWritten -= batch[k++]!.byteLength;
    rest = rest.slice(k);
    if (bytesWritten > 0) rest[0] = rest[0]!.subarray(bytesWritten);
  }
}

/** The asynchronous {@link writeFileAtomicSync}; `data` may be pieces, written in order as one file. */
export async function writeFileAtomic(path: string, data: string | Uint8Array | readonly Uint8Array[], options: AtomicWriteOptions = {}): Promise<void> {
  let temp = tempPathFor(path, options.tempDir);
  try {
    await writeTemp(temp, data, options);
    try {
      await rename(temp, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      await unlink(temp).catch(() => undefined);
      temp = tempPathFor(path);
      await writeTemp(temp, data, options);
      await rename(temp, path);
    }
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  if (options.fsyncDir === true) fsyncDirectory(dirname(path));
}

/** A write whose temp file is written, still open and not yet synced, waiting to be renamed over its target. */
export interface PreparedWrite {
  /** The temp file's descriptor, open until `commit()` or `discard()`: sync it (see {@link syncAll}) before `commit()`. */
  readonly fd: number | null;
  /** Closes and renames the temp file over the target (on another device: written again beside it, synced). */
  commit(): void;
  /** Closes and removes the temp file: the write is not going to happen. */
  discard(): void;
}

/**
 * The first half of {@link writeFileAtomicSync}: the temp file written (from the page cache, no
 * wait on the disk) and left open, unsynced, so that the caller can sync it together with other
 * files in one wait ({@link syncAll}). Nothing is renamed until `commit()`.
 */
export function prepareAtomicWrite(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): PreparedWrite {
  const temp = tempPathFor(path, options.tempDir);
  let fd: number | null = openSync(temp, 'wx', options.mode ?? 0o644);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    for (let at = 0; at < buf.byteLength; ) at += writeSync(fd, buf, at, buf.byteLength - at);
    if (options.exactMode === true) fchmodSync(fd, options.mode ?? 0o644);
  } catch (error) {
    closeSync(fd);
    removeQuietly(temp);
    throw error;
  }
  const close = (): void => {
    if (fd === null) return;
    const open = fd;
    fd = null;
    closeSync(open);
  };
  return {
    get fd() {
      return fd;
    },
    commit: () => {
      close();
      try {
        renameSync(temp, path);
      } catch (error) {
        removeQuietly(temp);
        if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
        writeFileAtomicSync(path, data, { ...options, tempDir: dirname(path) });
        return;
      }
      if (options.fsyncDir === true) fsyncDirectory(dirname(path));
    },
    discard: () => {
      try {
        close();
      } finally {
        removeQuietly(temp);
      }
    },
  };
}

/**
 * Syncs several open files at once, each in a thread of the pool: one wait for all of them (the
 * disk's journal often commits them together) instead of one after another. `dataOnly`: these
 * descriptors need only their data and size (`fdatasync`).
 */
export async function syncAll(fds: readonly number[], dataOnly: readonly number[] = []): Promise<void> {
  const sync = (fd: number, data: boolean): Promise<void> =>
    new Promise((resolve, reject) => (data ? fdatasync : fsync)(fd, (error) => (error ? reject(error) : resolve())));
  await Promise.all([...fds.map((fd) => sync(fd, false)), ...dataOnly.map((fd) => sync(fd, true))]);
}
