import { execFile } from 'node:child_process';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { AssistError } from '../errors.js';
import { hashObjects } from '../context/git-files.js';

/** A tracked file with the blob id of its current work-tree content. */
export interface ListedFile {
  /** Repository-relative, `/`-separated. */
  path: string;
  blob: string;
  /** True when the id came from `git hash-object` (the work tree differs from the index). */
  modified: boolean;
}

function gitText(root: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    // GIT_OPTIONAL_LOCKS=0: reading the listing must never write the index (a hook may be running).
    execFile('git', args, { cwd: root, env: { ...env, GIT_OPTIONAL_LOCKS: '0' }, encoding: 'utf8', maxBuffer: 1 << 30 }, (error, stdout, stderr) => {
      if (error) reject(new AssistError('summaries.git-failed', `git ${args[0] ?? ''} failed: ${stderr.trim().split('\n')[0] ?? ''}`, { cause: error }));
      else resolve(stdout);
    });
  });
}

/**
 * The tracked regular files (stage 0; symlinks, submodules and unmerged paths left out) with the
 * blob id of what is in the work tree now: the index's id when git sees no change, else one batch
 * of `git hash-object`. Files deleted from the work tree are left out. `only` restricts to those
 * repository-relative paths (or directories, as pathspecs).
 */
export async function listFiles(root: string, env: NodeJS.ProcessEnv, only?: readonly string[]): Promise<ListedFile[]> {
  if (only !== undefined && only.length === 0) return [];
  const spec = only === undefined ? [] : ['--', ...only.map((p) => `:(literal)${p}`)];
  const [staged, changed] = await Promise.all([gitText(root, ['ls-files', '-s', '-z', ...spec], env), gitText(root, ['ls-files', '-z', '-t', '-m', '-d', ...spec], env)]);
  const state = new Map<string, 'modified' | 'deleted'>();
  for (const entry of changed.split('\0')) {
    if (entry.length < 3) continue;
    const tag = entry[0];
    const path = entry.slice(2);
    if (tag === 'R') state.set(path, 'deleted');
    else if (tag === 'C' && state.get(path) !== 'deleted') state.set(path, 'modified');
  }
  const files: ListedFile[] = [];
  const toHash: ListedFile[] = [];
  const unmerged = new Set<string>();
  for (const record of staged.split('\0')) {
    if (record === '') continue;
    const tab = record.indexOf('\t');
    if (tab === -1) continue;
    const [mode = '', blob = '', stage = ''] = record.slice(0, tab).split(' ');
    const path = record.slice(tab + 1);
    if (stage !== '0') {
      unmerged.add(path);
      continue;
    }
    if ((mode !== '100644' && mode !== '100755') || path.includes('\n')) continue;
    const s = state.get(path);
    if (s === 'deleted') continue;
    const file = { path, blob, modified: s === 'modified' };
    if (s === 'modified') toHash.push(file);
    else files.push(file);
  }
  // A path replaced by a directory or a symlink since the index was written cannot be hashed as a file.
  const regular = (await Promise.all(toHash.map(async (f) => ((await lstat(join(root, f.path)).catch(() => undefined))?.isFile() ? f : undefined)))).filter(
    (f): f is ListedFile => f !== undefined,
  );
  const ids = await hashObjects(root, regular.map((f) => f.path), env);
  regular.forEach((file, i) => {
    file.blob = ids[i] ?? file.blob;
    files.push(file);
  });
  return files.filter((f) => !unmerged.has(f.path)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
