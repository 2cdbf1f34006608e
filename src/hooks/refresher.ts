import { spawn } from 'node:child_process';
import { promises as fs, watch } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { resolveRepoPaths, type RepoPaths } from '../git/repo-paths.js';
import { exists, readOrNull, writeAtomic } from './files.js';
import { adoptLock, holderGone, readLockHolder, tryAcquireLock, type HeldLock, type LockRecord } from '../util/lock.js';
import { processAlive } from '../util/process.js';
import { announcePid } from '../git/pause.js';
import { blobOf, diffSnapshots, loadSnapshot, readIndex, saveSnapshot } from './index-snapshot.js';
import { readRefreshState, recordChanges, updateRefreshState, type RefreshRunRecord } from './refresh-state.js';
import { refresherRegistry, registerBuiltinRefreshers, type RefresherRegistry } from './registry.js';

/** The files of the refresher in one worktree. */
export interface RefresherFiles {
  /** Touched by the hooks; cleared by the refresher before it reads the index. */
  dirty: string;
  /** Held by the one refresher running in this worktree (util/lock.ts; the hook script writes a bare pid). */
  lock: string;
  /** The last run in this worktree. */
  last: string;
  /** Errors of every refresher of the repository; never printed. */
  log: string;
}

export function refresherFiles(paths: RepoPaths): RefresherFiles {
  return {
    dirty: join(paths.worktreeAssistDir, 'dirty'),
    lock: join(paths.worktreeAssistDir, 'refresh.lock'),
    last: join(paths.worktreeAssistDir, 'refresh-last.json'),
    log: join(paths.sharedAssistDir, 'hooks.log'),
  };
}

export interface RefresherOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Defaults to the CLI's registry, with the built-in refreshers added. */
  registry?: RefresherRegistry;
  /** Runs to make at most while commits keep landing during a refresh (default 20). */
  maxLoops?: number;
}

/** What one `assist hook` did. */
export interface RefreshOutcome {
  /** False when another refresher held the lock (it will see the dirty mark). */
  ran: boolean;
  loops: number;
  /** Every path seen changed, over all loops. */
  changed: string[];
  /** Refreshers that threw at least once. */
  failed: string[];
}

/**
 * `assist hook <name>`: clears the dirty mark, finds what changed in the index since the last run,
 * records it in refresh-state.json, and calls every registered refresher; loops while commits keep
 * landing. Never throws and never prints: errors go to `<sharedAssistDir>/hooks.log`.
 */
export async function runRefresher(hook: string, options: RefresherOptions): Promise<RefreshOutcome | null> {
  let paths: RepoPaths;
  try {
    paths = await resolveRepoPaths(options.cwd, options.env);
  } catch {
    return null;
  }
  const files = refresherFiles(paths);
  const outcome: RefreshOutcome = { ran: false, loops: 0, changed: [], failed: [] };
  try {
    await fs.mkdir(paths.worktreeAssistDir, { recursive: true });
    await fs.mkdir(paths.sharedAssistDir, { recursive: true });
    let lock = (await startedHoldingLock(files.lock, options)) ?? tryAcquireLock(files.lock, LOCK_OPTIONS);
    if (lock === null) {
      // Someone is refreshing: leave the mark so it looks again before it stops.
      await fs.writeFile(files.dirty, '');
      return outcome;
    }
    outcome.ran = true;
    pauseForTests(options.env);
    const registry = options.registry ?? (await builtinRegistry(files.log, hook));
    const changedAll = new Set<string>();
    const failed = new Set<string>();
    const maxLoops = options.maxLoops ?? 20;
    try {
      while (outcome.loops < maxLoops) {
        outcome.loops++;
        const startedAt = new Date().toISOString();
        await fs.rm(files.dirty, { force: true });
        const index = await readIndex(paths, options.env);
        const changed = diffSnapshots(await loadSnapshot(paths), index);
        const failedNow: string[] = [];
        if (changed.length > 0) {
          for (const path of changed) changedAll.add(path);
          await updateRefreshState(paths, (state) => {
            recordChanges(state, changed.map((path) => ({ path, blob: blobOf(index, path) })), hook, paths.root, startedAt);
          });
          for (const [name, refresher] of registry.entries()) {
            try {
              await refresher(paths, changed);
            } catch (error) {
              failedNow.push(name);
              failed.add(name);
              await logError(files.log, hook, `refresher ${name}: ${describe(error)}`);
            }
          }
        }
        await saveSnapshot(paths, index);
        const run: RefreshRunRecord = { hook, worktree: paths.root, startedAt, finishedAt: new Date().toISOString(), changed: changed.length, failed: failedNow };
        await writeAtomic(files.last, JSON.stringify(run) + '\n');
        if (changed.length > 0) await updateRefreshState(paths, (state) => void state.runs.push(run));
        if (await exists(files.dirty)) continue;
        lock.release();
        lock = null;
        // A hook that touched the mark just before we let go found the lock taken and started nobody.
        if (await exists(files.dirty)) {
          lock = tryAcquireLock(files.lock, LOCK_OPTIONS);
          if (lock !== null) continue;
        }
        break;
      }
    } finally {
      lock?.release();
    }
    outcome.changed = [...changedAll].sort();
    outcome.failed = [...failed];
  } catch (error) {
    await logError(files.log, hook, describe(error));
  }
  return outcome;
}

const LOCK_OPTIONS = { command: 'hook refresher' };

/**
 * The hook script (or `kickRefresher`) took the lock for us and said so in ASSIST_HOOK_LOCK: make it
 * ours. The script writes its own pid (ASSIST_HOOK_PID) and then ours; `kickRefresher` writes its
 * record, whose nonce it passes in ASSIST_HOOK_NONCE. Null when it is no longer theirs.
 */
async function startedHoldingLock(lock: string, options: RefresherOptions): Promise<HeldLock | null> {
  const given = options.env.ASSIST_HOOK_LOCK;
  if (given === undefined || given === '') return null;
  const [a, b] = await Promise.all([fs.realpath(resolve(options.cwd, given)).catch(() => null), fs.realpath(lock).catch(() => null)]);
  if (a === null || a !== b) return null;
  const nonce = options.env.ASSIST_HOOK_NONCE ?? '';
  const parent = Number(options.env.ASSIST_HOOK_PID ?? '');
  // The script writes our pid right after it forks us; wait for it rather than race it.
  for (let i = 0; i < 200; i++) {
    const holder = readLockHolder(lock);
    if (holder === null || holder.pid !== parent || holder.nonce !== '' || !processAlive(parent)) break;
    await delay(5);
  }
  const ours = (record: LockRecord): boolean => (nonce !== '' ? record.nonce === nonce : record.nonce === '' && (record.pid === process.pid || record.pid === parent));
  return adoptLock(lock, ours, LOCK_OPTIONS);
}

async function builtinRegistry(log: string, hook: string): Promise<RefresherRegistry> {
  try {
    await registerBuiltinRefreshers(refresherRegistry);
  } catch (error) {
    await logError(log, hook, `loading refreshers: ${describe(error)}`);
  }
  return refresherRegistry;
}

const LOG_MAX_BYTES = 1024 * 1024;

async function logError(log: string, hook: string, message: string): Promise<void> {
  try {
    const stat = await fs.stat(log).catch(() => null);
    if (stat && stat.size > LOG_MAX_BYTES) {
      const text = await fs.readFile(log, 'utf8');
      await writeAtomic(log, text.slice(text.length - LOG_MAX_BYTES / 4).replace(/^[^\n]*\n/, ''));
    }
    await fs.appendFile(log, `${new Date().toISOString()} ${hook} pid=${process.pid}: ${message.replace(/\n/g, ' | ')}\n`);
  } catch {
    // Nowhere left to report to, and the refresher must never fail the git command.
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Crash and concurrency tests stop the refresher here, holding the lock: with ASSIST_PAUSE_AT=hook-refresh
 * it writes its pid to ASSIST_PAUSE_FILE and stops itself (SIGSTOP) until the test sends SIGCONT or kills it.
 */
function pauseForTests(env: NodeJS.ProcessEnv): void {
  if (env.ASSIST_PAUSE_AT !== 'hook-refresh' || !env.ASSIST_PAUSE_FILE) return;
  announcePid(env.ASSIST_PAUSE_FILE);
  process.kill(process.pid, 'SIGSTOP');
}

/**
 * Resolves true once the worktree's refresher is idle (no dirty mark, no lock); false after
 * `timeoutMs`, or as soon as the lock's holder is found dead twice in a row (a refresher that
 * crashed: the next hook takes its lock over). Woken by changes in the assist folder, with a slow
 * poll as a safety net.
 */
export async function waitForRefresher(paths: RepoPaths, timeoutMs = 10_000): Promise<boolean> {
  await fs.mkdir(paths.worktreeAssistDir, { recursive: true });
  if (await refresherIdle(paths)) return true;
  const lock = refresherFiles(paths).lock;
  let deadSeen = 0;
  const holderDead = async (): Promise<boolean> => {
    const holder = readLockHolder(lock);
    deadSeen = holder !== null && holderGone(holder) ? deadSeen + 1 : 0;
    return deadSeen >= 2;
  };
  return new Promise((resolvePromise) => {
    let done = false;
    const finish = (value: boolean): void => {
      if (done) return;
      done = true;
      watcher.close();
      clearInterval(poll);
      clearTimeout(timer);
      resolvePromise(value);
    };
    const check = (): void => {
      void refresherIdle(paths).then((idle) => idle && finish(true), () => undefined);
    };
    const watcher = watch(paths.worktreeAssistDir, check);
    watcher.on('error', () => undefined);
    const poll = setInterval(() => {
      check();
      void holderDead().then((dead) => dead && finish(false), () => undefined);
    }, 100);
    const timer = setTimeout(() => finish(false), timeoutMs);
    check();
  });
}

/** How the refresher of this worktree is doing, for `assist hooks status`. */
export interface RefresherStatus {
  /** A change was marked and not yet picked up. */
  dirty: boolean;
  /** Pid in the lock, when there is one. */
  lockPid: number | null;
  /** The lock's holder is alive. */
  running: boolean;
  last: RefreshRunRecord | null;
  /** The last line of hooks.log. */
  lastError: string | null;
  /** Files changed and not yet consumed by the summaries work. */
  pending: number;
}

export async function refresherStatus(paths: RepoPaths): Promise<RefresherStatus> {
  const files = refresherFiles(paths);
  const holder = readLockHolder(files.lock);
  let last: RefreshRunRecord | null = null;
  try {
    const text = await readOrNull(files.last);
    if (text !== null) last = JSON.parse(text) as RefreshRunRecord;
  } catch {
    last = null;
  }
  const log = await readOrNull(files.log);
  const lastError = log === null ? null : (log.trimEnd().split('\n').pop() ?? null);
  const state = await readRefreshState(paths);
  return {
    dirty: await exists(files.dirty),
    lockPid: holder?.pid ?? null,
    running: holder !== null && !holderGone(holder),
    last,
    lastError: lastError === '' ? null : lastError,
    pending: Object.keys(state.pending).length,
  };
}

/** True when nothing is marked and no refresher holds the lock. */
export async function refresherIdle(paths: RepoPaths): Promise<boolean> {
  const files = refresherFiles(paths);
  return !(await exists(files.dirty)) && !(await exists(files.lock));
}

export interface KickOptions {
  env?: NodeJS.ProcessEnv;
  /** Defaults to the running node. */
  nodePath?: string;
  /** Defaults to this install's `bin/assist.js`. */
  entryPath?: string;
}

/**
 * What the shell hook does, from node: marks the worktree changed and starts a detached refresher
 * unless one runs. For assist's own commits, which run no hooks. Returns the pid started, if any.
 */
export async function kickRefresher(paths: RepoPaths, hook: string, options: KickOptions = {}): Promise<number | null> {
  const files = refresherFiles(paths);
  await fs.mkdir(paths.worktreeAssistDir, { recursive: true });
  await fs.writeFile(files.dirty, '');
  const lock = tryAcquireLock(files.lock, { command: 'hook kick' });
  if (lock === null) return null;
  const { defaultEntryPath } = await import('./install.js');
  // The child adopts our record by its nonce; until then the lock names us, alive, so nobody takes it.
  const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env), ASSIST_HOOK_LOCK: files.lock, ASSIST_HOOK_NONCE: lock.record.nonce };
  delete env.GIT_INDEX_FILE;
  delete env.ASSIST_HOOK_PID;
  try {
    const child = spawn(options.nodePath ?? process.execPath, [options.entryPath ?? defaultEntryPath(), 'hook', hook], {
      cwd: paths.root,
      env,
      detached: true,
      stdio: 'ignore',
    });
    // Gone before it adopted the lock: give it back (a no-op once the child holds it under its own nonce).
    child.on('error', () => void lock.release());
    child.on('exit', () => void lock.release());
    child.unref();
    return child.pid ?? null;
  } catch {
    lock.release();
    return null;
  }
}
