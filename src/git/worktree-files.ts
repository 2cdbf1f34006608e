import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmdirSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AssistError } from '../errors.js';
import { prepareAtomicWrite, writeFileAtomicSync, type PreparedWrite } from '../util/atomic-write.js';

/** Checks a repo-relative path given to the store: plain, inside the work tree, not in `.git` or a nested repository. */
export function checkRepoPath(root: string, path: string): string {
  const bad = (why: string): AssistError =>
    new AssistError('git.bad-path', `refusing to write ${JSON.stringify(path)}: ${why}`, { exitCode: 3, data: { path } });
  if (path === '' || path.includes('\0')) throw bad('empty or NUL in path');
  if (path.startsWith('/') || /^[a-zA-Z]:/.test(path) || path.includes('\\')) throw bad('not a repo-relative path with / separators');
  const parts = path.split('/');
  for (const part of parts) {
    if (part === '' || part === '.' || part === '..') throw bad('path has an empty, . or .. component');
    if (part.replace(/[. ]+$/, '').toLowerCase() === '.git') throw bad('inside .git');
  }
  for (let i = 1; i < parts.length; i++) {
    const dir = join(root, ...parts.slice(0, i));
    if (existsSync(join(dir, '.git'))) {
      throw new AssistError('git.nested-repository', `refusing to write ${path}: ${parts.slice(0, i).join('/')} is a nested repository`, {
        exitCode: 3,
        data: { path },
      });
    }
  }
  return path;
}

/** Current bytes of a work tree file, or null when it does not exist. */
export function readWorktree(root: string, path: string): Buffer | null {
  try {
    const full = join(root, path);
    const st = lstatSync(full);
    if (st.isSymbolicLink()) {
      throw new AssistError('git.symlink-path', `${path} is a symbolic link: pass the path it resolves to`, { exitCode: 3, data: { path } });
    }
    if (!st.isFile()) throw new AssistError('git.not-a-file', `${path} is not a regular file`, { exitCode: 3, data: { path } });
    return readFileSync(full);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw error;
  }
}

export function worktreeMode(root: string, path: string): string {
  try {
    return (lstatSync(join(root, path)).mode & 0o111) !== 0 ? '100755' : '100644';
  } catch {
    return '100644';
  }
}

/**
 * Replaces a work tree file atomically: the bytes go to a temp file in assist's own dir (never the
 * work tree) and are renamed over the target; on another device the temp file sits beside it.
 */
export function writeWorktreeAtomic(root: string, path: string, content: Buffer | null, tmpDir: string, mode?: string): void {
  const full = join(root, path);
  if (content === null) {
    try {
      unlinkSync(full);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    removeEmptyParents(root, path);
    return;
  }
  mkdirSync(dirname(full), { recursive: true });
  mkdirSync(tmpDir, { recursive: true });
  writeFileAtomicSync(full, content, { mode: mode === '100755' ? 0o755 : 0o644, tempDir: tmpDir });
}

function removeEmptyParents(root: string, path: string): void {
  const parts = path.split('/');
  for (let i = parts.length - 1; i > 0; i--) {
    try {
      rmdirSync(join(root, ...parts.slice(0, i)));
    } catch {
      return;
    }
  }
}

/**
 * {@link writeWorktreeAtomic} in two halves: the new bytes written to a temp file in assist's own
 * dir now, left open for the caller to sync (nothing in the work tree changes), then `commit()`
 * makes the folders and renames it over the target (a deletion happens only then too).
 */
export function prepareWorktreeWrite(root: string, path: string, content: Buffer | null, tmpDir: string, mode?: string): PreparedWrite {
  if (content === null) return { fd: null, commit: () => writeWorktreeAtomic(root, path, null, tmpDir), discard: () => undefined };
  const full = join(root, path);
  const prepared = prepareAtomicWrite(full, content, { mode: mode === '100755' ? 0o755 : 0o644, tempDir: tmpDir });
  return {
    get fd() {
      return prepared.fd;
    },
    commit: () => {
      mkdirSync(dirname(full), { recursive: true });
      prepared.commit();
    },
    discard: () => prepared.discard(),
  };
}

/**
 * Removes the temp files in `tmpDir` whose writer is gone (a crash between a batch's temp files
 * and their renames leaves them): the name carries the writer's pid (`tempPathFor`), and a file
 * whose pid still runs here is kept. Called under the write lock, which every batch holds.
 */
export function removeDeadTemps(tmpDir: string): void {
  let names: string[];
  try {
    names = readdirSync(tmpDir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /\.(\d+)-\d+-[0-9a-f]+\.tmp$/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processAlive(pid)) continue;
    try {
      unlinkSync(join(tmpDir, name));
    } catch {
      // already gone
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
