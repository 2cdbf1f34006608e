import { execFile, spawn } from 'node:child_process';
import { isAbsolute, relative, resolve } from 'node:path';
import { AssistError, refusal } from '../../errors.js';
import type { AuditLog } from '../audit-log.js';
import { bwrapArgs, probeBwrap, sandboxEnv } from './bwrap.js';
import { commandEnv } from './env.js';
import { TailBuffer } from './output.js';

/** `sandbox.commands`: how model-requested commands and tests are confined. */
export type CommandMode = 'auto' | 'bwrap' | 'none';

/** The person must say yes before this command runs unconfined. */
export interface ApprovalRequired {
  mode: CommandMode;
  /** One line: why there is no sandbox. */
  reason: string;
  /** What to show the person before asking. */
  warning: string;
}

export interface RunCommandOptions {
  /** Work tree root: the command's cwd and its only writable place. */
  root: string;
  gitDir: string;
  commonDir: string;
  mode: CommandMode;
  /** The environment to start from (default `process.env`); secrets are removed from it. */
  env?: NodeJS.ProcessEnv;
  /** Kill the command after this long. Default 10 minutes. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Output as it arrives (decoded as UTF-8 per stream). */
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
  /**
   * The person approved running this command without a sandbox (after seeing
   * {@link ApprovalRequired.warning}). Never makes a sandboxed run less confined.
   */
  approved?: boolean;
  /** Bytes kept from the end of each of stdout and stderr. Default 64 KiB. */
  maxOutputBytes?: number;
  /** Time between SIGTERM and SIGKILL on timeout or abort. Default 2 s. */
  killGraceMs?: number;
  /** Secret values (e.g. `api_key_cmd` output): variables holding them are dropped too. */
  secrets?: readonly string[];
  /** More absolute paths kept read-only inside the sandbox (e.g. a `core.hooksPath` in the work tree). */
  readOnly?: readonly string[];
  /** Appends a `command` event when given. */
  audit?: AuditLog;
  requestId?: string;
  /** The bubblewrap program. Default `bwrap` from PATH. */
  bwrapPath?: string;
  /** Written to the command's stdin (then closed); without it stdin is /dev/null. */
  input?: string;
}

/** How a command ended. */
export interface CommandResult {
  command: string;
  /** Exit code, or null when it ended by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last `maxOutputBytes` of each stream; a cut front is marked. */
  stdout: string;
  stderr: string;
  /** Ran under bubblewrap. */
  sandboxed: boolean;
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
  /** Names of the environment variables that were withheld. */
  droppedEnv: string[];
}

const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;
const DEFAULT_MAX_OUTPUT = 64 * 1024;
const DEFAULT_GRACE_MS = 2000;
// After the command exits, a background process it left behind may still hold the pipes open.
const DRAIN_MS = 500;

function unavailable(reason: string): AssistError {
  return refusal(
    'sandbox.bwrap-unavailable',
    `sandbox.commands is "bwrap" but bubblewrap does not work here: ${reason}`,
    'install bubblewrap (apt-get install bubblewrap) and allow user namespaces, or set sandbox.commands = "auto" to be asked before each unconfined command',
    { reason },
  );
}

/**
 * Whether a command under `mode` needs the person's approval first: null when it will run under
 * bubblewrap. Mode `bwrap` never falls back: it throws `sandbox.bwrap-unavailable` (exit 3).
 */
export async function needsApproval(mode: CommandMode, options: { bwrapPath?: string } = {}): Promise<ApprovalRequired | null> {
  if (mode === 'none') {
    return {
      mode,
      reason: 'sandbox.commands is "none"',
      warning: 'This command will run WITHOUT a sandbox: it can read and write anything you can, and use the network.',
    };
  }
  const probe = await probeBwrap(options.bwrapPath);
  if (probe.ok) return null;
  if (mode === 'bwrap') throw unavailable(probe.reason ?? 'unknown');
  return {
    mode,
    reason: `bubblewrap does not work here: ${probe.reason ?? 'unknown'}`,
    warning: `No sandbox is available (${probe.reason ?? 'bubblewrap does not work'}): this command will run WITHOUT confinement and can read and write anything you can, and use the network.`,
  };
}

/**
 * `core.hooksPath` when it points inside the work tree (husky, lefthook): a command that could
 * write there would run its code outside the sandbox at the person's next `git commit`.
 */
export function hooksPathInside(root: string, env: Record<string, string>): Promise<string | null> {
  return new Promise((resolvePath) => {
    execFile('git', ['config', '--get', 'core.hooksPath'], { cwd: root, env, encoding: 'utf8', timeout: 5000 }, (error, stdout) => {
      const value = stdout.trim();
      if (error || value === '') return resolvePath(null);
      const abs = resolve(root, value.startsWith('~/') ? `${env['HOME'] ?? ''}/${value.slice(2)}` : value);
      const rel = relative(root, abs);
      resolvePath(rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? abs : null);
    });
  });
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Runs `command` with `/bin/sh -c` in the work tree, without secrets in its environment
 * (see {@link commandEnv}), under bubblewrap when it works (see `bwrapArgs`). When there is no
 * sandbox (mode `none`, or `auto` without a working bwrap) it runs only with `approved: true`,
 * else it throws `sandbox.command-needs-approval` (exit 3) carrying the warning in `data`.
 * stdin is /dev/null unless `input` is given. The command leads its own process group; on timeout or abort the whole
 * group gets SIGTERM, then SIGKILL after `killGraceMs`; anything it left running is killed when
 * it exits. Never throws for a non-zero exit.
 */
export async function runCommand(command: string, options: RunCommandOptions): Promise<CommandResult> {
  const approval = await needsApproval(options.mode, options.bwrapPath === undefined ? {} : { bwrapPath: options.bwrapPath });
  if (approval !== null && options.approved !== true) {
    throw refusal('sandbox.command-needs-approval', `not running \`${command.split('\n')[0] ?? ''}\` without a sandbox: ${approval.reason}`, 'approve it explicitly to run it unconfined', {
      reason: approval.reason,
      warning: approval.warning,
      mode: approval.mode,
    });
  }
  const sandboxed = approval === null;
  const { env: cleanEnv, dropped } = commandEnv(options.env ?? process.env, options.secrets ?? []);
  const maxOutput = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  const started = performance.now();

  const base = (): CommandResult => ({
    command,
    code: null,
    signal: null,
    stdout: '',
    stderr: '',
    sandboxed,
    timedOut: false,
    aborted: false,
    durationMs: 0,
    droppedEnv: dropped,
  });
  if (options.signal?.aborted) return { ...base(), aborted: true };

  let spawnArgs: [string, string[], Record<string, string>] = ['/bin/sh', ['-c', command], cleanEnv];
  if (sandboxed) {
    const hooks = await hooksPathInside(options.root, cleanEnv);
    const readOnly = [...(options.readOnly ?? []), ...(hooks === null ? [] : [hooks])];
    const layout = { root: options.root, gitDir: options.gitDir, commonDir: options.commonDir, readOnly };
    spawnArgs = [options.bwrapPath ?? 'bwrap', [...bwrapArgs(layout), '--', '/bin/sh', '-c', command], sandboxEnv(cleanEnv)];
  }
  const [file, args, env] = spawnArgs;

  const result = await new Promise<CommandResult>((resolve, reject) => {
    const child =
      options.input === undefined
        ? spawn(file, args, { cwd: options.root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn(file, args, { cwd: options.root, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    if (options.input !== undefined && child.stdin) {
      // A command that exits without reading its input must not fail the run with EPIPE.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    }
    const stdout = new TailBuffer(maxOutput);
    const stderr = new TailBuffer(maxOutput);
    let timedOut = false;
    let aborted = false;
    let exited = false;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };

    const stop = (): void => {
      if (exited) return;
      killGroup(child.pid, 'SIGTERM');
      timers.push(setTimeout(() => killGroup(child.pid, 'SIGKILL'), options.killGraceMs ?? DEFAULT_GRACE_MS));
    };
    const onAbort = (): void => {
      aborted = true;
      stop();
    };
    timers.push(
      setTimeout(() => {
        timedOut = true;
        stop();
      }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    );
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      for (const name of ['stdout', 'stderr'] as const) {
        const rest = decoders[name].decode();
        if (rest !== '') options.onOutput?.(name, rest);
      }
      for (const timer of timers) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({
        ...base(),
        code,
        signal,
        stdout: stdout.text(),
        stderr: stderr.text(),
        timedOut,
        aborted,
        durationMs: Math.round(performance.now() - started),
      });
    };

    child.stdout.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      options.onOutput?.('stdout', decoders.stdout.decode(chunk, { stream: true }));
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr.push(chunk);
      options.onOutput?.('stderr', decoders.stderr.decode(chunk, { stream: true }));
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      reject(new AssistError('sandbox.command-spawn-failed', `could not start ${file} in ${options.root}: ${error.message}`, { cause: error }));
    });
    child.on('exit', (code, signal) => {
      exited = true;
      if (settled) return;
      // The group outlives its leader when the command backgrounded something; it must not linger.
      killGroup(child.pid, 'SIGKILL');
      timers.push(
        setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
          finish(code, signal);
        }, DRAIN_MS),
      );
    });
    child.on('close', (code, signal) => finish(code, signal));
  });

  // bwrap reports its own setup failures (a mount it could not make) as exit 1 with `bwrap: …`.
  if (result.sandboxed && result.code === 1 && result.stderr.startsWith('bwrap: ')) {
    throw new AssistError('sandbox.bwrap-failed', `bubblewrap could not set up the sandbox: ${result.stderr.split('\n')[0]?.slice(7) ?? ''}`, {
      hint: 'run `assist doctor`; set sandbox.commands = "none" to be asked before running commands unconfined',
    });
  }
  if (options.audit) {
    const outcome = result.timedOut ? 'timeout' : result.aborted ? 'aborted' : String(result.code ?? result.signal);
    await options.audit.append({
      op: 'command',
      path: command,
      result: outcome,
      reason: result.sandboxed ? 'bwrap' : 'unconfined, approved by the person',
      ...(options.requestId === undefined ? {} : { requestId: options.requestId }),
    });
  }
  return result;
}
