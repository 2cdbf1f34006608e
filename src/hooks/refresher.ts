import { spawn } from 'node:child_process';
import { promises as fs, watch } from 'node:fs';
import { setPriority } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { resolveRepoPaths, type RepoPaths } from '../git/repo-paths.js';
import { exists, readOrNull, writeAtomic } from './files.js';
import { adoptLock, holderGone, readLockHolder, tryAcquireLock, type HeldLock, type LockRecord } from '../util/lock.js';
import { processAlive } from '../util/process.js';
import { announcePid } from '../git/pause.js';
import { blobOf, diffSnapshots, loadSnapshot, readIndex, saveSnapshot } from './index-snapshot.js';
import { readRefreshState, recordChanges, updateRefreshState, type RefreshRunRecord } from './refresh-state.js';
import { defaultEntryPath } from './entry.js';
import { refresherRegistry, type RefresherRegistry } from './registry.js';

/** The files of the refresher in one worktree. */
export interface RefresherFiles {
  /** Touched by the hooks; cleared by the refresher before it reads the index. */
  dirty: string;
  /** Held by the one refresher running in this worktree (util/lock.ts; the hook script writes a bare pid). */
  lock: string;
  /** The last run in this worktree. */
  last: string;
  /** Present while the refresher has nothing left to do and lingers for more commits. */
  idle: string;
  /** Errors of every refresher of the repository; never printed. */
  log: string;
}

export function refresherFiles(paths: RepoPaths): RefresherFiles {
  return {
    dirty: join(paths.worktreeAssistDir, 'dirty'),
    lock: join(paths.worktreeAssistDir, 'refresh.lock'),
    last: join(paths.worktreeAssistDir, 'refresh-last.json'),
    idle: join(paths.worktreeAssistDir, 'refresh-idle'),
    log: join(paths.sharedAssistDir, 'hooks.log'),
  };
}

export interface RefresherOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Defaults to the shared `refresherRegistry`, after `loadRefreshers` has filled it. */
  registry?: RefresherRegistry;
  /**
   * Registers the refreshers to run into the shared registry, called once the lock is held (so a
   * refresher that finds another running loads nothing); its failure is logged, not thrown. The
   * caller supplies it: which refreshers exist is decided above this folder (src/cli/refreshers.ts).
   */
  loadRefreshers?: (registry: RefresherRegistry) => Promise<unknown>;
  /** Runs to make at most while commits keep landing during a refresh (default 50). */
  maxLoops?: number;
  /**
   * Coalescing (default 0: none). Before a run, wait until no new commit has marked the worktree
   * for `quietMs`, but never more than `maxDelayMs` in all; after a run, stay (holding the lock,
   * so the hooks of further commits only mark) for `lingerMs` in case more commits come.
   */
  coalesce?: { quietMs: number; maxDelayMs: number; lingerMs: number };
  /** Lower this process's CPU priority (and with it, on Linux, its disk priority) to the lowest. */
  lowPriority?: boolean;
}

/** What `assist hook` coalesces with: a commit storm costs one refresher, fresh soon after it ends. */
export function hookCoalescing(env: NodeJS.ProcessEnv): { quietMs: number; maxDelayMs: number; lingerMs: number } {
  const ms = (value: string | undefined, fallback: number): number => {
    const n = Number(value);
    return value !== undefined && value !== '' && Number.isFinite(n) && n >= 0 ? n : fallback;
  };
  return { quietMs: ms(env.ASSIST_HOOK_QUIET_MS, 300), maxDelayMs: ms(env.ASSIST_HOOK_MAX_DELAY_MS, 3_000), lingerMs: ms(env.ASSIST_HOOK_LINGER_MS, 2_000) };
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
      await markDirty(files.dirty, hook);
      return outcome;
    }
    outcome.ran = true;
    if (options.lowPriority === true) lowerPriority();
    await fs.rm(files.idle, { force: true });
    pauseForTests(options.env);
    const registry = options.registry ?? (await loadedRegistry(options.loadRefreshers, files.log, hook));
    const changedAll = new Set<string>();
    const failed = new Set<string>();
    const maxLoops = options.maxLoops ?? 50;
    const coalesce = options.coalesce;
    // One refresher serves the hooks of every commit, checkout, merge that lands while it runs:
    // each run is recorded under the newest hook that marked the worktree (the mark holds their names).
    let runHook = hook;
    const take = async (): Promise<void> => {
      runHook = (await takeMark(files.dirty)) ?? runHook;
    };
    try {
      while (outcome.loops < maxLoops) {
        if (coalesce !== undefined) await settle(take, files.dirty, coalesce.quietMs, coalesce.maxDelayMs);
        outcome.loops++;
        const startedAt = new Date().toISOString();
        await take();
        const index = await readIndex(paths, options.env);
        const changed = diffSnapshots(await loadSnapshot(paths), index);
        const failedNow: string[] = [];
        if (changed.length > 0) {
          for (const path of changed) changedAll.add(path);
          await updateRefreshState(paths, (state) => {
            recordChanges(state, changed.map((path) => ({ path, blob: blobOf(index, path) })), runHook, paths.root, startedAt);
          });
          for (const [name, refresher] of registry.entries()) {
            try {
              await refresher(paths, changed);
            } catch (error) {
              failedNow.push(name);
              failed.add(name);
              await logError(files.log, runHook, `refresher ${name}: ${describe(error)}`);
            }
          }
        }
        await saveSnapshot(paths, index);
        const run: RefreshRunRecord = { hook: runHook, worktree: paths.root, startedAt, finishedAt: new Date().toISOString(), changed: changed.length, failed: failedNow, pid: process.pid };
        await writeAtomic(files.last, JSON.stringify(run) + '\n');
        if (changed.length > 0) await updateRefreshState(paths, (state) => void state.runs.push(run));
        if (await exists(files.dirty)) continue;
        if (coalesce !== undefined && coalesce.lingerMs > 0) {
          await fs.writeFile(files.idle, '');
          const more = await markAppears(paths.worktreeAssistDir, files.dirty, coalesce.lingerMs);
          await fs.rm(files.idle, { force: true });
          if (more) continue;
        }
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

/**
 * Waits until the dirty mark stays away for `quietMs` (the commits of a storm re-create it), at
 * most `maxDelayMs`: during a storm the refresher sleeps instead of competing with git for the CPU.
 */
async function settle(take: () => Promise<void>, dirty: string, quietMs: number, maxDelayMs: number): Promise<void> {
  if (quietMs <= 0) return;
  const deadline = Date.now() + maxDelayMs;
  do {
    await take();
    await delay(Math.max(0, Math.min(quietMs, deadline - Date.now())));
  } while ((await exists(dirty)) && Date.now() < deadline);
}

/**
 * Removes the dirty mark; returns the name of the newest hook that marked the worktree, which
 * every hook writes just before its mark (so one that ran before the removal is seen).
 */
/** What the hook script does: `ran.<name>` (its mtime says which hook came last), then the mark. */
async function markDirty(dirty: string, hook: string): Promise<void> {
  if (/^[a-z-]+$/.test(hook)) await fs.writeFile(join(dirname(dirty), `ran.${hook}`), '');
  await fs.writeFile(dirty, '');
}

/**
 * Removes the dirty mark; returns the name of the newest hook that marked the worktree (the
 * newest `ran.<name>`: every hook touches it just before its mark, so one that ran before the
 * removal is seen).
 */
async function takeMark(dirty: string): Promise<string | null> {
  await fs.rm(dirty, { force: true });
  const dir = dirname(dirty);
  let newest: { name: string; at: number } | null = null;
  for (const entry of await fs.readdir(dir).catch(() => [] as string[])) {
    const name = /^ran\.([a-z-]+)$/.exec(entry)?.[1];
    if (name === undefined) continue;
    const at = (await fs.stat(join(dir, entry)).catch(() => null))?.mtimeMs ?? -1;
    if (newest === null || at > newest.at) newest = { name, at };
  }
  return newest?.name ?? null;
}

/** Resolves true as soon as `file` exists (woken by the folder changing, with a slow poll behind it), false after `ms`. */
async function markAppears(dir: string, file: string, ms: number): Promise<boolean> {
  if (await exists(file)) return true;
  return new Promise((resolvePromise) => {
    let done = false;
    const finish = (value: boolean): void => {
      if (done) return;
      done = true;
      watcher?.close();
      clearInterval(poll);
      clearTimeout(timer);
      resolvePromise(value);
    };
    const check = (): void => void exists(file).then((yes) => yes && finish(true), () => undefined);
    let watcher: ReturnType<typeof watch> | undefined;
    try {
      watcher = watch(dir, check);
      watcher.on('error', () => undefined);
    } catch {
      watcher = undefined;
    }
    const poll = setInterval(check, 250);
    const timer = setTimeout(() => finish(false), ms);
    check();
  });
}

/** Nice 19: the lowest CPU priority; Linux derives the best-effort disk priority from it (io level 7). */
function lowerPriority(): void {
  try {
    setPriority(19);
  } catch {
    // Not permitted (some containers): run at the priority we were given.
  }
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

async function loadedRegistry(load: RefresherOptions['loadRefreshers'], log: string, hook: string): Promise<RefresherRegistry> {
  try {
    await load?.(refresherRegistry);
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

/** True when nothing is marked and no refresher is at work (none holds the lock, or its holder only lingers). */
export async function refresherIdle(paths: RepoPaths): Promise<boolean> {
  const files = refresherFiles(paths);
  if (await exists(files.dirty)) return false;
  return !(await exists(files.lock)) || (await exists(files.idle));
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
  await markDirty(files.dirty, hook);
  const lock = tryAcquireLock(files.lock, { command: 'hook kick' });
  if (lock === null) return null;
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
