import { execFile } from 'node:child_process';

/** What one git run returned; `code` is the exit status (0 on success). */
export interface GitOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs git without a shell and never rejects on a non-zero exit (callers decide what it means). */
export function git(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<GitOutput> {
  return new Promise((resolve, reject) => {
    execFile('git', [...args], { cwd, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(error);
        return;
      }
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}
