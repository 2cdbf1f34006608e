import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cliPath = join(projectRoot, 'bin', 'assist.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunCliOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  input?: string;
  timeoutMs?: number;
}

/**
 * When a CLI run is killed unless `timeoutMs` says otherwise. Only a hung run should reach it: a
 * run of a second or two takes twenty and more when two workers' concurrent tests share two busy
 * cores, and a kill then is a false failure.
 */
export const CLI_KILL_MS = 90_000;

/**
 * The timeout of a test in a `describe.concurrent` block of CLI runs: five of them share a worker
 * and, with two workers, the machine with another such file; the config's 30 s is one test's alone.
 */
export const CONCURRENT_CLI_TEST_MS = 120_000;

/** Runs the built CLI as a subprocess, the way a person or a script would. */
export function runCli(args: string[], options: RunCliOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? CLI_KILL_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}
