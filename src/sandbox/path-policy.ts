import { lstat, readlink, realpath } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import picomatch from 'picomatch';
import { isEnvFileName, isGitDirName } from './git-names.js';
import { listIgnored, type NotIgnoredLookup } from './sensitivity.js';

/** Stable codes of a path denial; never reused for another meaning. */
export type PathDenialCode =
  | 'sandbox.empty-path'
  | 'sandbox.nul-byte'
  | 'sandbox.control-char'
  | 'sandbox.backslash'
  | 'sandbox.too-long'
  | 'sandbox.absolute'
  | 'sandbox.traversal'
  | 'sandbox.git-dir'
  | 'sandbox.nested-repo'
  | 'sandbox.symlink-escape'
  | 'sandbox.symlink-loop'
  | 'sandbox.not-a-directory'
  | 'sandbox.is-directory'
  | 'sandbox.special-file'
  | 'sandbox.hard-link'
  | 'sandbox.outside-write-paths'
  | 'sandbox.outside-read-paths'
  | 'sandbox.env-file'
  | 'sandbox.ignored'
  | 'sandbox.ignore-check-failed';

/** A path the policy refuses. A value, not an exception: the caller tells the model or the person. */
export interface PathDenial {
  ok: false;
  code: PathDenialCode;
  /** One line, safe to show to a person or a model (control characters escaped). */
  reason: string;
  /** The path as it was asked for (control characters escaped). */
  path: string;
}

/** A path the policy allows. */
export interface PathAllowed {
  ok: true;
  /** Real absolute path to read or write: symlinks resolved, so a writer replaces the target, not the link. */
  abs: string;
  /** `abs` relative to the repository root, posix separators; for a read outside the repo, equal to `abs`. */
  rel: string;
  /** False only for reads allowed by `readPaths`. */
  inRepo: boolean;
  /** Whether the file exists now (a write may create it and its directories). */
  exists: boolean;
  /** Whether a symlink was followed on the way. */
  viaSymlink: boolean;
}

export type PathResult = PathAllowed | PathDenial;

/** How to judge one path. */
export interface ResolveOptions {
  mode: 'read' | 'write';
  /** `sandbox.write_paths`: when non-empty, writes only to these repo-relative files, directories or globs. */
  writePaths?: readonly string[];
  /** `sandbox.read_paths`: absolute (or `~/`) files or directories outside the repo that may be read. */
  readPaths?: readonly string[];
  /** Repo-relative paths the person added by name: exempt from the ignored / `.env*` rule. */
  addedByName?: ReadonlySet<string>;
  /**
   * Ask git whether the path is ignored (one `git check-ignore` per call). Default true;
   * callers that checked a batch with `checkSensitive` pass false.
   */
  checkIgnored?: boolean;
  /**
   * Paths known not to be ignored (tracked in the index as it is now): for those the ignore check
   * asks no git process. Not used for a file inside a nested repository (its own rules apply).
   */
  knownNotIgnored?: NotIgnoredLookup;
  /** More git dirs to refuse (a linked worktree's or a `GIT_DIR` inside the work tree). */
  gitDirs?: readonly string[];
  /** Environment for the `git` child process. */
  env?: NodeJS.ProcessEnv;
}

const MAX_PATH = 4096;
const MAX_COMPONENT = 255;
const MAX_SYMLINK_HOPS = 40;

/** Shows a path in one line with its control characters made visible. */
export function printablePath(path: string): string {
  return JSON.stringify(path).slice(1, -1);
}

function deny(code: PathDenialCode, path: string, reason: string): PathDenial {
  return { ok: false, code, reason, path: printablePath(path) };
}

function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function toPosix(rel: string): string {
  return sep === '/' ? rel : rel.split(sep).join('/');
}

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw error;
  }
}

interface Resolved {
  real: string;
  /** Stats of `real` when it exists. */
  stats: Stats | undefined;
  viaSymlink: boolean;
}

type ResolveFailure = { failure: 'loop' | 'not-a-directory'; at: string };

/**
 * Resolves every symlink along `parts` starting at the real directory `start`, as the kernel
 * would, except that a missing tail is allowed (a write may create it).
 */
async function resolveReal(start: string, parts: string[]): Promise<Resolved | ResolveFailure> {
  let cur = start;
  let hops = 0;
  let missing = false;
  let viaSymlink = false;
  let stats: Stats | undefined = await lstat(start);
  const queue = [...parts];
  while (queue.length > 0) {
    const part = queue.shift() as string;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      cur = dirname(cur);
      stats = missing ? undefined : await lstat(cur);
      continue;
    }
    const next = join(cur, part);
    if (missing) {
      cur = next;
      continue;
    }
    if (stats !== undefined && !stats.isDirectory()) return { failure: 'not-a-directory', at: cur };
    const st = await lstatOrUndefined(next);
    if (st === undefined) {
      missing = true;
      stats = undefined;
      cur = next;
      continue;
    }
    if (st.isSymbolicLink()) {
      hops += 1;
      if (hops > MAX_SYMLINK_HOPS) return { failure: 'loop', at: next };
      viaSymlink = true;
      const target = await readlink(next);
      queue.unshift(...target.split('/'));
      if (isAbsolute(target)) {
        cur = '/';
        stats = await lstat('/');
      }
      continue;
    }
    cur = next;
    stats = st;
  }
  return { real: cur, stats: missing ? undefined : stats, viaSymlink };
}

function expandHome(path: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return path;
}

async function realOrSelf(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return resolve(path);
  }
}

function matchesWritePaths(rel: string, writePaths: readonly string[]): boolean {
  for (const raw of writePaths) {
    const entry = raw.replace(/^\.\//, '').replace(/\/+$/, '');
    if (entry === '' || entry === '.') return true;
    if (rel === entry || rel.startsWith(`${entry}/`)) return true;
    if (picomatch.scan(entry).isGlob && picomatch(entry, { dot: true })(rel)) return true;
  }
  return false;
}

function describeSpecial(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/**
 * Judges one path the model (or a person) named, relative to the repository root, for a
 * read or a write, by the rules of DESIGN.md §7 (see docs/sandbox.md). Never throws for a
 * bad path: it returns a denial with a stable code and a one-line reason.
 */
export async function resolveInside(root: string, input: string, options: ResolveOptions): Promise<PathResult> {
  const { mode } = options;
  if (typeof input !== 'string' || input.length === 0) return deny('sandbox.empty-path', String(input ?? ''), 'empty path');
  if (input.includes('\0')) return deny('sandbox.nul-byte', input, 'path contains a NUL byte');
  // eslint-disable-next-line no-control-regex
  if (/[\x01-\x1f\x7f-\x9f]/.test(input)) return deny('sandbox.control-char', input, 'path contains a control character');
  if (input.includes('\\')) return deny('sandbox.backslash', input, 'path contains a backslash; use / as the separator');
  if (input.length > MAX_PATH || input.split('/').some((c) => Buffer.byteLength(c) > MAX_COMPONENT)) {
    return deny('sandbox.too-long', input, 'path or one of its names is too long');
  }
  const driveLetter = /^[A-Za-z]:/.test(input);
  const homeRelative = input === '~' || input.startsWith('~/');
  const absolute = isAbsolute(input) || driveLetter || homeRelative;
  if (absolute && mode === 'write') return deny('sandbox.absolute', input, 'absolute paths are not allowed; name files relative to the repository root');
  if (driveLetter) return deny('sandbox.absolute', input, 'drive-letter paths are not allowed');

  const realRoot = await realpath(root);
  const lexical = absolute ? resolve(expandHome(input)) : resolve(realRoot, input);
  const lexicalInside = isInside(realRoot, lexical);

  if (!lexicalInside) {
    if (mode === 'write') return deny('sandbox.traversal', input, 'path leaves the repository');
    return resolveOutsideRead(lexical, input, options, false);
  }

  const lexRel = toPosix(relative(realRoot, lexical));
  if (lexRel === '') return deny('sandbox.is-directory', input, 'path names the repository root, not a file');
  const lexParts = lexRel.split('/');
  if (lexParts.some(isGitDirName)) return deny('sandbox.git-dir', input, 'path is inside a .git directory');

  const resolved = await resolveReal(realRoot, lexParts);
  if ('failure' in resolved) {
    return resolved.failure === 'loop'
      ? deny('sandbox.symlink-loop', input, 'too many levels of symbolic links')
      : deny('sandbox.not-a-directory', input, `a parent of the path is not a directory: ${printablePath(toPosix(relative(realRoot, resolved.at)) || '.')}`);
  }
  const { real, stats, viaSymlink } = resolved;

  if (!isInside(realRoot, real)) {
    if (mode === 'write') return deny('sandbox.symlink-escape', input, 'a symbolic link on the path leads outside the repository');
    return resolveOutsideRead(real, input, options, viaSymlink);
  }
  const rel = toPosix(relative(realRoot, real));
  if (rel === '') return deny('sandbox.is-directory', input, 'path names the repository root, not a file');
  const parts = rel.split('/');
  if (parts.some(isGitDirName)) return deny('sandbox.git-dir', input, 'a symbolic link on the path leads into a .git directory');
  for (const gitDir of options.gitDirs ?? []) {
    if (isInside(await realOrSelf(gitDir), real)) return deny('sandbox.git-dir', input, 'path is inside the git directory');
  }

  // A directory with its own `.git` (dir or file) is another repository: a submodule, a
  // nested clone or a linked worktree. Its history is not this session's to change.
  let nested: string | undefined;
  for (let i = 1; i < parts.length; i += 1) {
    const dir = join(realRoot, ...parts.slice(0, i));
    if ((await lstatOrUndefined(dir)) === undefined) break;
    if (await lstatOrUndefined(join(dir, '.git'))) {
      if (mode === 'write') {
        return deny('sandbox.nested-repo', input, `path is inside a nested repository: ${printablePath(parts.slice(0, i).join('/'))}`);
      }
      nested = dir;
    }
  }

  if (stats !== undefined) {
    if (stats.isDirectory()) return deny('sandbox.is-directory', input, 'path is a directory, not a file');
    if (!stats.isFile()) return deny('sandbox.special-file', input, `path is ${describeSpecial(stats)}`);
    // A second name of the inode may be anywhere on the file system (outside the repo, in a
    // package store): an in-place write would change it too, a rename would silently unlink.
    if (mode === 'write' && stats.nlink > 1) {
      return deny('sandbox.hard-link', input, `file has ${stats.nlink} hard links; assist does not write to a file whose other names it cannot see`);
    }
  }

  if (mode === 'write' && options.writePaths && options.writePaths.length > 0 && !matchesWritePaths(rel, options.writePaths)) {
    return deny('sandbox.outside-write-paths', input, 'path is outside sandbox.write_paths');
  }

  const named = options.addedByName;
  const byName = named !== undefined && (named.has(rel) || named.has(lexRel));
  if (!byName) {
    if (isEnvFileName(parts[parts.length - 1] ?? '') || isEnvFileName(lexParts[lexParts.length - 1] ?? '')) {
      return deny('sandbox.env-file', input, '.env files may hold secrets; add the file to the chat by name to use it');
    }
    const knownTracked = nested === undefined && options.knownNotIgnored !== undefined && options.checkIgnored !== false && (await options.knownNotIgnored([rel])).has(rel);
    if (options.checkIgnored !== false && !knownTracked) {
      // A file in a nested repository is judged by that repository's ignore rules too; the
      // outer git refuses to answer for a submodule's files, and that refusal is not a verdict.
      let outerIgnored: boolean | undefined;
      try {
        outerIgnored = (await listIgnored(realRoot, [rel], options.env)).has(rel);
      } catch {
        outerIgnored = undefined;
      }
      let innerIgnored = false;
      if (nested !== undefined) {
        const innerRel = toPosix(relative(nested, real));
        try {
          innerIgnored = (await listIgnored(nested, [innerRel], options.env)).has(innerRel);
        } catch {
          return deny('sandbox.ignore-check-failed', input, 'git could not tell whether the path is ignored');
        }
      } else if (outerIgnored === undefined) {
        return deny('sandbox.ignore-check-failed', input, 'git could not tell whether the path is ignored');
      }
      if (outerIgnored === true || innerIgnored) return deny('sandbox.ignored', input, 'git ignores this file; add it to the chat by name to use it');
    }
  }

  return { ok: true, abs: real, rel, inRepo: true, exists: stats !== undefined, viaSymlink };
}

async function resolveOutsideRead(target: string, input: string, options: ResolveOptions, viaSymlink: boolean): Promise<PathResult> {
  const readPaths = options.readPaths ?? [];
  if (readPaths.length === 0) return deny('sandbox.outside-read-paths', input, 'path is outside the repository and sandbox.read_paths is empty');
  const resolved = await resolveReal('/', target.split('/'));
  if ('failure' in resolved) return deny('sandbox.outside-read-paths', input, 'path outside the repository could not be resolved');
  for (const entry of readPaths) {
    const allowed = await realOrSelf(resolve(expandHome(entry)));
    if (!isInside(allowed, resolved.real)) continue;
    const { stats } = resolved;
    if (stats === undefined) return deny('sandbox.outside-read-paths', input, 'file does not exist');
    if (stats.isDirectory()) return deny('sandbox.is-directory', input, 'path is a directory, not a file');
    if (!stats.isFile()) return deny('sandbox.special-file', input, `path is ${describeSpecial(stats)}`);
    if (resolved.real.split('/').some(isGitDirName)) return deny('sandbox.git-dir', input, 'path is inside a .git directory');
    return { ok: true, abs: resolved.real, rel: resolved.real, inRepo: false, exists: true, viaSymlink: viaSymlink || resolved.viaSymlink };
  }
  return deny('sandbox.outside-read-paths', input, 'path is outside the repository and not within sandbox.read_paths');
}
