import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AssistError } from '../errors.js';
import { execText } from '../util/exec.js';

/** A detached worktree under `<common>/assist/scratch/` that mirrors the person's work tree. */
export interface ScratchWorktree {
  /** Its root. */
  dir: string;
  /** Its own git dir (`<common>/worktrees/<name>`). */
  gitDir: string;
  commonDir: string;
  /** The dependency folders linked in (real paths): a sandbox must let the tests read them. */
  linked: string[];
}

export interface ScratchOptions {
  /** The person's work tree root. */
  root: string;
  commonDir: string;
  env: NodeJS.ProcessEnv;
}

// Dependencies git ignores but tests need: linked from the person's work tree, never copied.
const DEPENDENCY_DIRS = ['node_modules', '.venv', 'venv', 'deps', '_build'];

/**
 * Runs `fn` in a scratch worktree (DESIGN §6 "Tests"): `git worktree add --detach` at HEAD under
 * the common git dir, with the person's uncommitted changes and untracked files copied in (their
 * work tree is only read), and dependency folders linked. The worktree is removed afterwards,
 * whether `fn` returns, throws or is aborted; one left by a killed process is removed by the next.
 */
export async function withScratchWorktree<T>(options: ScratchOptions, fn: (scratch: ScratchWorktree) => Promise<T>): Promise<T> {
  const base = join(options.commonDir, 'assist', 'scratch');
  mkdirSync(base, { recursive: true });
  await removeStale(base, options);
  const name = `${process.pid}-${randomBytes(3).toString('hex')}`;
  const dir = join(base, name);
  // No hooks: a post-checkout hook of the repository has no business running for a scratch copy.
  const added = await git(options, ['-c', 'core.hooksPath=/dev/null', 'worktree', 'add', '--detach', '--quiet', dir, 'HEAD']);
  if (added.code !== 0) {
    throw new AssistError('test.scratch-failed', `could not make a scratch worktree: ${(added.stderr || added.stdout).trim().split('\n')[0] ?? ''}`, {
      hint: 'the mutation check needs a commit to start from (HEAD) and room under the git dir',
    });
  }
  try {
    const gitDirOut = await execText('git', ['rev-parse', '--path-format=absolute', '--git-dir'], { cwd: dir, env: options.env });
    await mirrorChanges(options, dir);
    const linked = linkDependencies(options.root, dir);
    const scratch: ScratchWorktree = { dir, gitDir: gitDirOut.stdout.trim(), commonDir: options.commonDir, linked };
    return await fn(scratch);
  } finally {
    await removeWorktree(options, dir);
  }
}

/** Copies what differs from HEAD in the person's work tree (staged or not, untracked included) into the scratch worktree. */
async function mirrorChanges(options: ScratchOptions, dir: string): Promise<void> {
  const changed = await git(options, ['diff', '--name-only', '-z', '--no-renames', 'HEAD']);
  const untracked = await git(options, ['ls-files', '-z', '--others', '--exclude-standard']);
  const paths = new Set([...changed.stdout.split('\0'), ...untracked.stdout.split('\0')].filter(Boolean));
  for (const path of paths) {
    const from = join(options.root, path);
    const to = join(dir, path);
    if (!existsSync(from)) {
      await rm(to, { force: true });
      continue;
    }
    if (!lstatSync(from).isFile()) continue;
    await mkdir(dirname(to), { recursive: true });
    await copyFile(from, to);
  }
}

/** Links the dependency folders of the root and of every package folder (where a manifest sits next to one). */
function linkDependencies(root: string, dir: string): string[] {
  const linked: string[] = [];
  const visit = (rel: string, depth: number): void => {
    const from = join(root, rel);
    let entries: string[];
    try {
      entries = readdirSync(from);
    } catch {
      return;
    }
    for (const entry of entries) {
      if (DEPENDENCY_DIRS.includes(entry)) {
        const target = join(dir, rel, entry);
        if (!existsSync(target) && existsSync(join(dir, rel))) {
          const real = realpathSync(join(from, entry));
          symlinkSync(real, target);
          linked.push(real);
        }
        continue;
      }
      if (depth >= 3 || entry === '.git' || entry.startsWith('.')) continue;
      const child = join(rel, entry);
      try {
        if (lstatSync(join(root, child)).isDirectory()) visit(child, depth + 1);
      } catch {
        // Gone meanwhile.
      }
    }
  };
  visit('', 0);
  return linked;
}

async function removeWorktree(options: ScratchOptions, dir: string): Promise<void> {
  const removed = await git(options, ['worktree', 'remove', '--force', '--force', dir]);
  if (removed.code !== 0 || existsSync(dir)) {
    rmSync(dir, { recursive: true, force: true });
    await git(options, ['worktree', 'prune']);
  }
}

/** Scratch worktrees whose process is gone (a kill -9, a power cut). */
async function removeStale(base: string, options: ScratchOptions): Promise<void> {
  let stale = false;
  for (const entry of readdirSync(base)) {
    const pid = Number(entry.split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) continue;
    stale = true;
    await removeWorktree(options, join(base, entry));
  }
  if (stale) await git(options, ['worktree', 'prune']);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function git(options: ScratchOptions, args: string[]): ReturnType<typeof execText> {
  return execText('git', args, { cwd: options.root, env: options.env });
}
