import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { RepoPaths } from '../git/repo-paths.js';
import { readOrNull, writeAtomic } from './files.js';
import { acquireLock } from '../util/lock.js';

/** A file the refresher saw change and nobody has consumed yet. */
export interface PendingChange {
  /** Blob id now in the index, or null when the file was removed. */
  blob: string | null;
  /** When the refresher saw it (ISO 8601). */
  changedAt: string;
  /** The hook that started that refresh (`post-commit`, ...). */
  hook: string;
  /** Work tree root of the worktree whose index it came from. */
  worktree: string;
}

/** One run of the refresher, newest last. */
export interface RefreshRunRecord {
  hook: string;
  worktree: string;
  startedAt: string;
  finishedAt: string;
  changed: number;
  /** Names of the refreshers that threw (their errors are in hooks.log). */
  failed: string[];
  /** The refresher process that made the run (absent in runs recorded by older versions). */
  pid?: number;
}

/**
 * `<sharedAssistDir>/refresh-state.json`: the files changed by commits, checkouts, merges and
 * rewrites, for the summaries work to consume (it removes what it has handled with
 * `updateRefreshState`), and the last runs.
 */
export interface RefreshState {
  version: 1;
  updatedAt: string;
  pending: Record<string, PendingChange>;
  runs: RefreshRunRecord[];
}

const RUNS_KEPT = 20;
const LOCK_STALE_MS = 10_000;

export function refreshStateFile(paths: RepoPaths): string {
  return join(paths.sharedAssistDir, 'refresh-state.json');
}

function emptyState(): RefreshState {
  return { version: 1, updatedAt: new Date(0).toISOString(), pending: {}, runs: [] };
}

/** The state, or an empty one when there is none yet (or it is unreadable). */
export async function readRefreshState(paths: RepoPaths): Promise<RefreshState> {
  const text = await readOrNull(refreshStateFile(paths));
  if (text === null) return emptyState();
  try {
    const data = JSON.parse(text) as Partial<RefreshState>;
    if (data.version !== 1) return emptyState();
    return { version: 1, updatedAt: data.updatedAt ?? emptyState().updatedAt, pending: data.pending ?? {}, runs: data.runs ?? [] };
  } catch {
    return emptyState();
  }
}

/**
 * Read-modify-write under a short lock, so refreshers of two worktrees and a consumer never lose
 * each other's updates. `change` may mutate the state it gets and may return a value.
 */
export async function updateRefreshState<T>(paths: RepoPaths, change: (state: RefreshState) => T | Promise<T>): Promise<T> {
  await fs.mkdir(paths.sharedAssistDir, { recursive: true });
  const lock = join(paths.sharedAssistDir, 'refresh-state.lock');
  // Held for one read and one write: a holder this old is stuck, whatever its pid says.
  const held = await acquireLock(lock, { command: 'refresh-state', staleMs: LOCK_STALE_MS, waitMs: 5_000 });
  if (held === null) throw new Error('refresh-state.json stayed locked for 5 s');
  try {
    const state = await readRefreshState(paths);
    const result = await change(state);
    state.updatedAt = new Date().toISOString();
    state.runs = state.runs.slice(-RUNS_KEPT);
    await writeAtomic(refreshStateFile(paths), JSON.stringify(state, null, 1) + '\n');
    return result;
  } finally {
    held.release();
  }
}

/** Records what one refresh saw: each changed path becomes (or replaces) a pending entry. */
export function recordChanges(state: RefreshState, changes: { path: string; blob: string | null }[], hook: string, worktree: string, at: string): void {
  for (const { path, blob } of changes) state.pending[path] = { blob, changedAt: at, hook, worktree };
}
