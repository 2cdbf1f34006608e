import { join } from 'node:path';
import type { RepoPaths } from '../git/repo-paths.js';
import { git } from './exec.js';
import { readOrNull, writeAtomic } from './files.js';

/** Path -> `<mode> <blob>` of the index at stage 0, as `git ls-files -s` shows it. */
export type IndexSnapshot = Map<string, string>;

/** Parses `git ls-files -s -z`; submodules (mode 160000) are not files and are left out. */
export function parseLsFiles(output: string): IndexSnapshot {
  const snapshot: IndexSnapshot = new Map();
  for (const record of output.split('\0')) {
    if (record === '') continue;
    const tab = record.indexOf('\t');
    if (tab === -1) continue;
    const [mode = '', blob = '', stage = ''] = record.slice(0, tab).split(' ');
    // During a conflicted merge only the stage-0 entries are settled content.
    if (stage !== '0' || mode === '160000') continue;
    snapshot.set(record.slice(tab + 1), `${mode} ${blob}`);
  }
  return snapshot;
}

/** Paths added, removed or with another mode or blob, sorted. */
export function diffSnapshots(before: IndexSnapshot | null, after: IndexSnapshot): string[] {
  const changed = new Set<string>();
  for (const [path, entry] of after) if (before?.get(path) !== entry) changed.add(path);
  if (before) for (const path of before.keys()) if (!after.has(path)) changed.add(path);
  return [...changed].sort();
}

/** The blob id recorded for a path, or null when it is not in the snapshot. */
export function blobOf(snapshot: IndexSnapshot, path: string): string | null {
  const entry = snapshot.get(path);
  return entry === undefined ? null : (entry.split(' ')[1] ?? null);
}

export async function readIndex(paths: RepoPaths, env: NodeJS.ProcessEnv): Promise<IndexSnapshot> {
  const out = await git(['ls-files', '-s', '-z'], paths.root, env);
  if (out.code !== 0) throw new Error(`git ls-files failed: ${out.stderr.trim().split('\n')[0] ?? ''}`);
  return parseLsFiles(out.stdout);
}

/** Per worktree: each has its own index. */
export function snapshotFile(paths: RepoPaths): string {
  return join(paths.worktreeAssistDir, 'index-seen.json');
}

export async function loadSnapshot(paths: RepoPaths): Promise<IndexSnapshot | null> {
  const text = await readOrNull(snapshotFile(paths));
  if (text === null) return null;
  try {
    const data = JSON.parse(text) as { version?: number; entries?: Record<string, string> };
    if (data.version !== 1 || typeof data.entries !== 'object' || data.entries === null) return null;
    return new Map(Object.entries(data.entries));
  } catch {
    return null;
  }
}

export async function saveSnapshot(paths: RepoPaths, snapshot: IndexSnapshot): Promise<void> {
  await writeAtomic(snapshotFile(paths), JSON.stringify({ version: 1, entries: Object.fromEntries(snapshot) }) + '\n');
}
