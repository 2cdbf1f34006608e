import { execText, type ExecResult } from '../util/exec.js';

/** What one git run returned; `code` is the exit status (0 on success, 127 when git could not start). */
export type GitOutput = ExecResult;

/** Runs git without a shell and never rejects on a non-zero exit (callers decide what it means). */
export function git(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<GitOutput> {
  return execText('git', args, { cwd, env });
}
