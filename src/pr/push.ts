import type { GitRunner } from './git.js';
import { PUSH_ENV, pushCredentialArgs } from './git.js';

/** How a push went, from `git push --porcelain`. */
export interface PushOutcome {
  ok: boolean;
  /** The ref line's flag: `*` new, ` ` fast-forward, `=` up to date, `!` rejected, `+` forced. */
  flag: string | null;
  /** git's summary of the ref (`[new branch]`, `[rejected] (fetch first)`), or its error. */
  summary: string;
}

/** Parses the ref line of `git push --porcelain` for `dst` (a full ref). */
export function parsePorcelain(stdout: string, dst: string): { flag: string; summary: string } | null {
  for (const line of stdout.split('\n')) {
    const m = /^(.)\t([^\t]*)\t(.*)$/.exec(line);
    if (m && m[2] !== undefined && m[2].endsWith(`:${dst}`)) return { flag: m[1] ?? '', summary: m[3] ?? '' };
  }
  return null;
}

export interface PushOptions {
  git: GitRunner;
  remote: string;
  branch: string;
  /** Skip the repository's pre-push hook (everything but `--allow-repo-hooks`). */
  noVerify: boolean;
  /** The caller's environment, for `ASSIST_PUSH_TOKEN` / `ASSIST_PUSH_USER`. */
  env: NodeJS.ProcessEnv;
}

/**
 * `git push --porcelain <remote> refs/heads/B:refs/heads/B`, never forced: a branch that exists on
 * the remote with other commits is rejected, not overwritten. One ref is updated atomically on the
 * server, so a failed push leaves the remote as it was. With `ASSIST_PUSH_TOKEN` set, git gets the
 * HTTPS credential from it (see {@link pushCredentialArgs}); only this process sees the token.
 */
export async function pushBranch(options: PushOptions): Promise<PushOutcome> {
  const ref = `refs/heads/${options.branch}`;
  const token = options.env.ASSIST_PUSH_TOKEN;
  const extra: Record<string, string> = { GIT_TERMINAL_PROMPT: '0' };
  for (const name of PUSH_ENV) {
    const value = options.env[name];
    if (value !== undefined) extra[name] = value;
  }
  const args = [
    ...(token ? pushCredentialArgs() : []),
    'push',
    '--porcelain',
    ...(options.noVerify ? ['--no-verify'] : []),
    '--',
    options.remote,
    `${ref}:${ref}`,
  ];
  const r = await options.git(args, extra);
  const line = parsePorcelain(r.stdout, ref);
  const ok = r.code === 0 && line !== null && line.flag !== '!';
  const error = r.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('To ') && !l.startsWith('hint:'));
  return { ok, flag: line?.flag ?? null, summary: line?.summary ?? error[0] ?? `git push exited with ${r.code}` };
}
