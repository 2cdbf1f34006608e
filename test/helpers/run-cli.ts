import { fork, type ChildProcess } from 'node:child_process';
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

interface SpawnerReply {
  id: number;
  code?: number | null;
  signal?: string | null;
  stdout?: string;
  stderr?: string;
  error?: string;
}

let spawner: ChildProcess | undefined;
const pending = new Map<number, { resolve: (r: CliResult) => void; reject: (e: Error) => void }>();
let nextId = 0;

/**
 * This worker's spawner (test/helpers/spawner.cjs), started on the first run, while the worker is
 * still small: the CLI's processes are forked from it, not from the worker (see that file). It
 * holds the worker open only while a run is pending.
 */
function theSpawner(): ChildProcess {
  if (spawner?.connected) return spawner;
  const started = fork(join(projectRoot, 'test', 'helpers', 'spawner.cjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  started.on('message', (reply: SpawnerReply) => {
    const waiting = pending.get(reply.id);
    if (!waiting) return;
    pending.delete(reply.id);
    if (pending.size === 0) release(started);
    if (reply.error !== undefined) waiting.reject(new Error(reply.error));
    else waiting.resolve({ code: reply.code ?? (reply.signal ? 128 : 1), stdout: reply.stdout ?? '', stderr: reply.stderr ?? '' });
  });
  const fail = (): void => {
    if (spawner === started) spawner = undefined;
    for (const [id, waiting] of pending) {
      pending.delete(id);
      waiting.reject(new Error('the test spawner exited'));
    }
  };
  started.on('exit', fail);
  started.on('error', fail);
  spawner = started;
  release(started);
  return started;
}

function release(child: ChildProcess): void {
  child.unref();
  child.channel?.unref();
}

/** Runs the built CLI as a subprocess, the way a person or a script would. */
export function runCli(args: string[], options: RunCliOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = theSpawner();
    const id = nextId++;
    pending.set(id, { resolve, reject });
    child.ref();
    child.channel?.ref();
    child.send({ id, file: process.execPath, args: [cliPath, ...args], cwd: options.cwd, env: options.env, input: options.input ?? '', timeoutMs: options.timeoutMs ?? CLI_KILL_MS });
  });
}
