import { execText, type ExecResult } from '../util/exec.js';

/** Runs git in the work tree with the environment `pr` chose (hooks off unless allowed). */
export type GitRunner = (args: readonly string[], extraEnv?: Record<string, string>) => Promise<ExecResult>;

export function gitRunner(root: string, env: NodeJS.ProcessEnv): GitRunner {
  return (args, extraEnv) => execText('git', args, { cwd: root, env: extraEnv ? { ...env, ...extraEnv } : env });
}

/**
 * `env` with `core.hooksPath=/dev/null` added through `GIT_CONFIG_COUNT`, so that no git process
 * of the run (switch, update-ref, push, the store's own) starts a hook the repository put in
 * place: in CI an install step can point `core.hooksPath` at files in the work tree (husky).
 * `/dev/null/<hook>` is never executable, so git finds no hook.
 */
export function withoutRepoHooks(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const count = Number.parseInt(env.GIT_CONFIG_COUNT ?? '0', 10);
  const n = Number.isFinite(count) && count >= 0 ? count : 0;
  return { ...env, GIT_CONFIG_COUNT: String(n + 1), [`GIT_CONFIG_KEY_${n}`]: 'core.hooksPath', [`GIT_CONFIG_VALUE_${n}`]: '/dev/null' };
}

/** Variables only the push may see: never the session's, never the tests'. */
export const PUSH_ENV = ['ASSIST_PUSH_TOKEN', 'ASSIST_PUSH_USER'] as const;

export function withoutPushCredentials(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const name of PUSH_ENV) delete out[name];
  return out;
}

/**
 * `-c` options that make git answer an HTTPS credential request from `ASSIST_PUSH_TOKEN` (user
 * `ASSIST_PUSH_USER`, default `x-access-token` as GitHub wants; GitLab takes `oauth2`). The token
 * stays in the push's environment: it is never on a command line, in git config or in a file.
 */
export function pushCredentialArgs(): string[] {
  const helper = '!f() { test "$1" = get || exit 0; echo "username=${ASSIST_PUSH_USER:-x-access-token}"; echo "password=${ASSIST_PUSH_TOKEN}"; }; f';
  return ['-c', 'credential.helper=', '-c', `credential.helper=${helper}`];
}
