/**
 * Git commands the entry point (`bin/assist.js`) starts before the command line has loaded, so
 * their ~20-40 ms run beside the ~50 ms of loading the CLI instead of after it. `assist map`
 * uses it: most of a warm map is waiting on `git rev-parse` and `git ls-files` otherwise.
 *
 * The entry point leaves an array of {@link Prefetched} under {@link PREFETCH_KEY} on
 * `globalThis`. A caller takes one whose directory and arguments are exactly those it would
 * run, once: a prefetch is a snapshot of one moment, so a long-lived process (the chat) never
 * starts any and a later call always runs git itself.
 */
export interface Prefetched {
  cwd: string;
  args: readonly string[];
  /** git's outcome as `execFile` reports it; the environment was `process.env` plus `GIT_OPTIONAL_LOCKS=0`. */
  result: Promise<PrefetchedResult>;
}

/** What `execFile` gave the callback. */
export interface PrefetchedResult {
  error: Error | null;
  stdout: string;
  stderr: string;
}

/** The `globalThis` key the entry point uses (a registered symbol: no name clash, no import needed). */
export const PREFETCH_KEY = Symbol.for('assist.gitPrefetch');

/**
 * The prefetched outcome of `git <args>` in `cwd`, as {@link takePrefetched} finds it, but left
 * for the command that will take it: for work that can start on git's output before that command
 * runs (a changed file's parser, `changed-parsers.ts`).
 */
export function peekPrefetched(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv | undefined): Promise<PrefetchedResult> | undefined {
  if (env !== undefined && env !== process.env) return undefined;
  const list = (globalThis as Record<symbol, unknown>)[PREFETCH_KEY];
  if (!Array.isArray(list)) return undefined;
  return (list as Prefetched[]).find((p) => p.cwd === cwd && p.args.length === args.length && p.args.every((a, i) => a === args[i]))?.result;
}

/**
 * The prefetched outcome of `git <args>` in `cwd`, when the entry point started exactly that
 * under the same environment object; it is then removed. Undefined otherwise: run git.
 */
export function takePrefetched(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv | undefined): Promise<PrefetchedResult> | undefined {
  if (env !== undefined && env !== process.env) return undefined;
  const list = (globalThis as Record<symbol, unknown>)[PREFETCH_KEY];
  if (!Array.isArray(list)) return undefined;
  const at = (list as Prefetched[]).findIndex((p) => p.cwd === cwd && p.args.length === args.length && p.args.every((a, i) => a === args[i]));
  if (at === -1) return undefined;
  const [taken] = (list as Prefetched[]).splice(at, 1);
  return taken!.result;
}
