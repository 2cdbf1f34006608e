import { spawn } from 'node:child_process';
import { AssistError } from '../errors.js';

/** Result of one git process. */
export interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export interface GitRunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  input?: string | Buffer;
  /** Exit codes that are not failures (default: only 0). */
  okCodes?: readonly number[];
  /** Extra environment on top of `env`. */
  extraEnv?: Record<string, string>;
}

/** Runs `git` once (no shell) and collects its output; rejects with `git.command-failed` on an unexpected exit code. */
export function runGit(args: readonly string[], options: GitRunOptions): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd: options.cwd,
      env: options.extraEnv ? { ...options.env, ...options.extraEnv } : options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (error) => reject(new AssistError('git.not-found', `cannot run git: ${error.message}`, { hint: 'install git 2.39 or newer', cause: error })));
    child.on('close', (code) => {
      const result: GitResult = { code: code ?? 128, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') };
      const ok = options.okCodes ?? [0];
      if (!ok.includes(result.code)) {
        reject(
          new AssistError('git.command-failed', `git ${args[0] ?? ''} failed: ${firstLine(result.stderr) || `exit ${result.code}`}`, {
            data: { args: [...args], code: result.code, stderr: result.stderr },
          }),
        );
        return;
      }
      resolve(result);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Runs git and returns stdout as text. */
export async function gitText(args: readonly string[], options: GitRunOptions): Promise<string> {
  return (await runGit(args, options)).stdout.toString('utf8');
}

export function firstLine(text: string): string {
  return (text.trim().split('\n')[0] ?? '').trim();
}
