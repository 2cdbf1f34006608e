import { execFile } from 'node:child_process';
import { isAbsolute, join, resolve } from 'node:path';
import { AssistError } from '../errors.js';
import { takePrefetched } from './prefetch.js';

/** Where a repository and assist's own files live, as git reports them. */
export interface RepoPaths {
  /** Work tree root (absolute, as git prints it). */
  root: string;
  /** This worktree's git dir (`.git`, or `.git/worktrees/<name>` in a linked worktree). */
  gitDir: string;
  /** The git dir shared by all worktrees. */
  commonDir: string;
  /** Path of cwd relative to the root, with a trailing slash, or '' at the root. */
  prefix: string;
  /** Per-worktree files of assist: write lock, crash journal. */
  worktreeAssistDir: string;
  /** Shared files of assist: tags cache, summaries, audit.jsonl, metrics. */
  sharedAssistDir: string;
}

/** The arguments of the one `git rev-parse`; `bin/assist.js` starts the same command early for `assist map`. */
export const REV_PARSE_ARGS: readonly string[] = ['rev-parse', '--path-format=absolute', '--show-toplevel', '--git-dir', '--git-common-dir', '--path-format=relative', '--show-prefix'];

// The variables that change what `git rev-parse` finds from a directory.
const DISCOVERY_ENV = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_COMMON_DIR', 'GIT_CEILING_DIRECTORIES', 'GIT_DISCOVERY_ACROSS_FILESYSTEM'];
const known = new Map<string, Promise<RepoPaths>>();

function discoveryKey(cwd: string, env: NodeJS.ProcessEnv): string {
  return [cwd, ...DISCOVERY_ENV.map((name) => env[name] ?? '\u0001')].join('\0');
}

/**
 * Resolves every path assist needs with one `git rev-parse` (DESIGN.md §2, "files of assist").
 * Asked again from the same directory with the same git variables, in the same process, it gives
 * the first answer (the CLI, the store, the repo map and the search index each ask at the start of
 * a turn); the root itself is remembered too. A failure is not remembered.
 */
export function resolveRepoPaths(cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<RepoPaths> {
  const key = discoveryKey(cwd, env);
  const cached = known.get(key);
  if (cached) return cached;
  const asked = askRepoPaths(cwd, env);
  known.set(key, asked);
  asked.then(
    (paths) => {
      const atRoot = discoveryKey(paths.root, env);
      if (!known.has(atRoot)) known.set(atRoot, Promise.resolve({ ...paths, prefix: '' }));
    },
    () => {
      if (known.get(key) === asked) known.delete(key);
    },
  );
  return asked;
}

function askRepoPaths(cwd: string, env: NodeJS.ProcessEnv): Promise<RepoPaths> {
  return new Promise((resolvePromise, reject) => {
    const run = (done: (error: Error | null, stdout: string, stderr: string) => void): void => {
      // Started by the entry point before the CLI loaded, when it was (`assist map`).
      const prefetched = takePrefetched(cwd, REV_PARSE_ARGS, env);
      if (prefetched) void prefetched.then((r) => done(r.error, r.stdout, r.stderr));
      else execFile('git', [...REV_PARSE_ARGS], { cwd, env, encoding: 'utf8' }, done);
    };
    run(
      (error, stdout, stderr) => {
        if (error) {
          const notRepo = /not a git repository/i.test(stderr);
          reject(
            new AssistError(
              notRepo ? 'git.not-a-repository' : 'git.rev-parse-failed',
              notRepo ? `not a git repository: ${cwd}` : `git rev-parse failed: ${stderr.trim().split('\n')[0] ?? ''}`,
              {
                hint: notRepo ? 'run assist inside a git repository, or create one with `git init`' : 'check that git works here: `git status`',
                cause: error,
              },
            ),
          );
          return;
        }
        const [root = '', gitDir = '', commonDir = '', prefix = ''] = stdout.split('\n');
        if (root === '') {
          reject(new AssistError('git.no-work-tree', 'this repository has no work tree', { hint: 'run assist in a checkout, not in a bare repository' }));
          return;
        }
        const abs = (p: string): string => (isAbsolute(p) ? p : resolve(cwd, p));
        resolvePromise({
          root,
          gitDir: abs(gitDir),
          commonDir: abs(commonDir),
          prefix,
          worktreeAssistDir: join(abs(gitDir), 'assist'),
          sharedAssistDir: join(abs(commonDir), 'assist'),
        });
      },
    );
  });
}
