import { lstat, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { runGit } from './common.js';
import type { ToolContext } from './types.js';

/** Each path git reports as not clean (modified, staged, untracked), with its status letters and a content id. */
export type DirtySnapshot = Map<string, string>;

/** Paths of `git status --porcelain -z` output, with their `XY` letters; a rename gives both its paths. */
export function parsePorcelainZ(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  const records = text.split('\0');
  for (let i = 0; i < records.length; i++) {
    const record = records[i] ?? '';
    if (record.length < 4) continue;
    const xy = record.slice(0, 2);
    entries.set(record.slice(3), xy);
    // The source of a rename or copy follows as its own record.
    if (xy[0] === 'R' || xy[0] === 'C') {
      const from = records[++i];
      if (from !== undefined && from !== '') entries.set(from, xy);
    }
  }
  return entries;
}

/**
 * The dirty paths of the work tree and what they hold now, so that a command that changes a file
 * that was already dirty is still noticed: regular files by `git hash-object --no-filters`
 * (content, no filter programs run), symbolic links by their target. Null when git cannot tell.
 */
export async function dirtySnapshot(ctx: ToolContext): Promise<DirtySnapshot | null> {
  const status = await runGit(ctx, ['status', '--porcelain', '-z', '--untracked-files=all']);
  if (status.code !== 0) return null;
  const entries = parsePorcelainZ(status.stdout.toString('utf8'));
  const snapshot: DirtySnapshot = new Map();
  const toHash: string[] = [];
  await Promise.all(
    [...entries].map(async ([path, xy]) => {
      let id = 'gone';
      try {
        const stats = await lstat(join(ctx.root, path));
        if (stats.isSymbolicLink()) id = `link:${await readlink(join(ctx.root, path))}`;
        // --stdin-paths takes one path a line: a name with a newline gets its size and time instead.
        else if (stats.isFile()) id = path.includes('\n') ? `file ${stats.size} ${stats.mtimeMs}` : 'file';
        else id = stats.isDirectory() ? 'dir' : 'other';
      } catch {
        // Deleted in the work tree: the status letters say so.
      }
      snapshot.set(path, `${xy} ${id}`);
      if (id === 'file') toHash.push(path);
    }),
  );
  if (toHash.length > 0) {
    const hashed = await runGit(ctx, ['hash-object', '--no-filters', '--stdin-paths'], `${toHash.join('\n')}\n`);
    const ids = hashed.code === 0 ? hashed.stdout.toString('utf8').split('\n') : [];
    toHash.forEach((path, i) => snapshot.set(path, `${snapshot.get(path) ?? ''} ${ids[i] ?? 'unhashed'}`));
  }
  return snapshot;
}

/** Paths whose state differs between two snapshots (new, cleaned, or changed again), sorted. */
export function changedPaths(before: DirtySnapshot, after: DirtySnapshot): string[] {
  const changed = new Set<string>();
  for (const [path, state] of after) if (before.get(path) !== state) changed.add(path);
  for (const path of before.keys()) if (!after.has(path)) changed.add(path);
  return [...changed].sort();
}
