import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TempRepo } from '../helpers/git-repo.js';
import { CLI_KILL_MS, cliPath, runCli, type CliResult } from '../helpers/run-cli.js';
import type { FakeLlmServer } from '../fake-llm/index.js';

declare module 'vitest' {
  interface TaskMeta {
    /** Fault cases this test tried (default 1 when `fault` is set). */
    faultCases?: number;
    /** Of those, how many the repository and the user's work survived. */
    faultSurvived?: number;
    /** User changes lost (must be 0). */
    faultLost?: number;
    /** Marks a test of the fault campaign or the security suite for the report reporters. */
    fault?: 'process' | 'provider' | 'security' | 'secrets';
  }
}

/** Env for a CLI run against the fake server, with the repo map off (not the subject here). */
export function cliEnv(repo: TempRepo, server: FakeLlmServer | null, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...repo.env,
    ...(server ? server.env() : {}),
    ASSIST_MODEL: 'openai/gpt-4.1',
    ASSIST_CONTEXT__MAP_TOKENS: '0',
    ...extra,
  };
}

/** True when a stack trace leaked into what a person sees. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+\(.*:\d+:\d+\)$/m.test(text) || /^\s+at (async )?[\w.<>]+ \(?(file|node):/m.test(text);
}

export interface CrashResult {
  /** True when the process stopped itself at the point and was killed there. */
  paused: boolean;
  /** When it did not pause: how it ended. */
  result?: CliResult;
}

/**
 * Runs the built CLI with `ASSIST_PAUSE_AT=point`; when it announces it stopped there, kills it
 * with SIGKILL. Resolves whether it paused (a process that ends without pausing is reported, not
 * hung on).
 */
export function crashCli(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; point: string; input?: string; timeoutMs?: number }): Promise<CrashResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...options.env, ASSIST_PAUSE_AT: options.point };
    delete env.ASSIST_PAUSE_FILE;
    const child = spawn(process.execPath, [cliPath, ...args], { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let paused = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (!paused && stderr.includes(`paused at ${options.point} (pid`)) {
        paused = true;
        child.kill('SIGKILL');
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? CLI_KILL_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve(paused ? { paused } : { paused, result: { code: code ?? (signal ? 128 : 1), stdout, stderr } });
    });
    child.stdin.end(options.input ?? '');
  });
}

export { runCli };

export function blobId(repo: TempRepo, content: string | Buffer): string {
  return execFileSync('git', ['hash-object', '--stdin'], { cwd: repo.dir, env: repo.env, input: content }).toString().trim();
}

/** The user's own uncommitted work, set up before a fault and checked byte for byte after it. */
export interface UserWork {
  /** Staged (index and work tree agree), not committed. */
  staged: { path: string; content: string };
  /** Modified in the work tree only. */
  unstaged: { path: string; content: string; indexOid: string };
  /** A new file git does not know. */
  untracked: { path: string; content: string };
  /** Files the assistant will also edit, with the user's uncommitted content (snapshotted first). */
  dirtyTargets: { path: string; content: string }[];
}

/** Makes the user's uncommitted work: a staged file, an unstaged one, an untracked one, and dirty targets. */
export function makeUserWork(repo: TempRepo, dirtyTargets: Record<string, string> = {}): UserWork {
  repo.write('staged.txt', 'staged by the user\n');
  repo.git('add', 'staged.txt');
  repo.write('unstaged.txt', 'typed, not staged\n');
  repo.write('untracked.txt', 'a new file of the user\n');
  for (const [path, content] of Object.entries(dirtyTargets)) repo.write(path, content);
  return {
    staged: { path: 'staged.txt', content: 'staged by the user\n' },
    unstaged: { path: 'unstaged.txt', content: 'typed, not staged\n', indexOid: indexOid(repo, 'unstaged.txt') ?? '' },
    untracked: { path: 'untracked.txt', content: 'a new file of the user\n' },
    dirtyTargets: Object.entries(dirtyTargets).map(([path, content]) => ({ path, content })),
  };
}

export function indexOid(repo: TempRepo, path: string): string | null {
  const line = repo.git('ls-files', '--stage', '--', path);
  return line ? (line.split(/\s+/)[1] ?? null) : null;
}

function fileOr(repo: TempRepo, path: string): string | null {
  const full = join(repo.dir, path);
  return existsSync(full) ? readFileSync(full, 'utf8') : null;
}

/**
 * Every user change that is no longer where the user left it and cannot be found anywhere
 * (a dirty target's content may have moved into a snapshot commit reachable from a ref: that is
 * not lost, undo gives it back). Returns one line per loss.
 */
export function lostUserWork(repo: TempRepo, work: UserWork): string[] {
  const lost: string[] = [];
  if (fileOr(repo, work.staged.path) !== work.staged.content) lost.push(`${work.staged.path}: work tree changed`);
  if (indexOid(repo, work.staged.path) !== blobId(repo, work.staged.content)) lost.push(`${work.staged.path}: no longer staged`);
  if (fileOr(repo, work.unstaged.path) !== work.unstaged.content) lost.push(`${work.unstaged.path}: work tree changed`);
  if (indexOid(repo, work.unstaged.path) !== work.unstaged.indexOid) lost.push(`${work.unstaged.path}: index changed (was unstaged)`);
  if (fileOr(repo, work.untracked.path) !== work.untracked.content) lost.push(`${work.untracked.path}: changed or gone`);
  if (work.dirtyTargets.length > 0) {
    const reachable = new Set(
      repo
        .git('rev-list', '--all', '--objects', '--reflog')
        .split('\n')
        .map((l) => l.split(' ')[0]),
    );
    for (const t of work.dirtyTargets) {
      if (fileOr(repo, t.path) === t.content) continue;
      if (!reachable.has(blobId(repo, t.content))) lost.push(`${t.path}: the user's uncommitted content is neither in the work tree nor in any commit`);
    }
  }
  return lost;
}

/** Problems with the repository itself: fsck, status, HEAD, a leftover lock or journal. */
export function repoProblems(repo: TempRepo): string[] {
  const problems: string[] = [];
  try {
    execFileSync('git', ['fsck', '--no-progress', '--no-dangling'], { cwd: repo.dir, env: repo.env, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    problems.push(`git fsck failed: ${String((error as { stderr?: Buffer }).stderr ?? error).slice(0, 400)}`);
  }
  try {
    repo.git('status', '--porcelain');
  } catch (error) {
    problems.push(`git status failed: ${String(error).slice(0, 200)}`);
  }
  try {
    repo.git('rev-parse', '--verify', 'HEAD');
  } catch {
    problems.push('HEAD does not resolve');
  }
  if (existsSync(join(repo.dir, '.git', 'index.lock'))) problems.push('.git/index.lock left behind');
  return problems;
}

/** `git status --porcelain` lines for exactly these paths. */
export function statusOf(repo: TempRepo, paths: readonly string[]): string {
  return repo.git('status', '--porcelain', '--untracked-files=all', '--', ...paths);
}

/** sha256 of a string, short. */
export function sha(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/**
 * Runs a bash script in a new user and mount namespace (`unshare -Urm`), where it may mount a
 * tmpfs or a read-only bind mount that only it sees. Null when namespaces are not available here.
 */
export function inNamespace(script: string, env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string } | null> {
  return new Promise((resolve) => {
    const child = spawn('unshare', ['-Urm', 'bash', '-euo', 'pipefail', '-c', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', () => resolve(null));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

/** Whether `unshare -Urm` with a tmpfs works on this machine (probed once). */
export async function namespacesWork(): Promise<boolean> {
  const r = await inNamespace('d=$(mktemp -d); mount -t tmpfs -o size=64k tmpfs "$d"; echo ok; umount "$d"; rmdir "$d"', process.env, 10_000);
  return r !== null && r.code === 0 && r.stdout.includes('ok');
}

export { cliPath };
