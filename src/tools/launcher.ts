import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';

/** How a process started by {@link launchGit} ended. */
export interface LaunchEnd {
  /** Exit code; null when it was killed ({@link Launched.kill}) or could not report one. */
  code: number | null;
  /** The start of its standard error (8 KiB at most). */
  stderr: string;
}

/** A git process started by {@link launchGit}. */
export interface Launched {
  readonly done: Promise<LaunchEnd>;
  /** Stops it at once (SIGKILL); `done` then resolves with code null. */
  kill(): void;
}

const MAX_STDERR = 8192;

/**
 * Splits one job's output from the end mark the shell prints after it (`<nonce>:<code>\n`): the
 * mark's nonce is random per shell, so no output can carry it. The last nonce-length bytes are
 * held back until the next chunk says whether they start the mark.
 */
class MarkScanner {
  private held: Buffer | null = null;

  constructor(
    private readonly nonce: Buffer,
    private readonly deliver: (data: Buffer) => void,
    private readonly ended: (code: number | null) => void,
  ) {}

  push(chunk: Buffer): void {
    const data = this.held === null ? chunk : Buffer.concat([this.held, chunk]);
    this.held = null;
    const at = data.indexOf(this.nonce);
    if (at === -1) {
      const keep = Math.min(data.length, this.nonce.length - 1);
      if (data.length > keep) this.deliver(data.subarray(0, data.length - keep));
      if (keep > 0) this.held = Buffer.from(data.subarray(data.length - keep));
      return;
    }
    if (at > 0) this.deliver(data.subarray(0, at));
    const nl = data.indexOf(10, at);
    if (nl === -1) {
      this.held = Buffer.from(data.subarray(at));
      return;
    }
    const code = Number(data.toString('latin1', at + this.nonce.length + 1, nl));
    this.ended(Number.isInteger(code) ? code : null);
  }
}

/** A job in flight on a {@link GitShell}. */
interface Job {
  args: readonly string[];
  onStdout: (data: Buffer) => void;
  /** Some output reached `onStdout` (a job that failed before any can be run again elsewhere). */
  delivered: boolean;
  /** The plain spawn that took the job over when the shell ended before it had said anything. */
  fallback: Launched | null;
  stderr: string;
  code: number | null | undefined;
  stderrEnded: boolean;
  resolve: (end: LaunchEnd) => void;
}

/**
 * A long-lived `/bin/sh` that starts git for this process, one job at a time. Node's spawn forks
 * the whole process (libuv 1.46 on Linux uses fork(), not vfork or posix_spawn): with the ~150 MB
 * of a session, each spawn blocks this thread for milliseconds copying page tables, and every page
 * written afterwards takes a copy-on-write fault. A shell's fork of git costs a fraction of that.
 * The shell is its own process group, so a kill takes git with it; it is unref'd while idle and
 * exits when this process does (end of its standard input).
 */
class GitShell {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly nonce = randomBytes(16).toString('hex');
  private job: Job | null = null;
  private exited = false;
  private retired = false;

  constructor(
    readonly cwd: string,
    readonly env: NodeJS.ProcessEnv,
    private readonly gitEnv: NodeJS.ProcessEnv,
  ) {
    this.child = spawn('/bin/sh', ['-s'], { cwd, env: gitEnv, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const nonce = Buffer.from(this.nonce);
    const out = new MarkScanner(
      nonce,
      (data) => {
        const job = this.job;
        if (!job) return;
        job.delivered = true;
        job.onStdout(data);
      },
      (code) => {
        if (this.job) this.job.code = code;
        this.settle();
      },
    );
    const err = new MarkScanner(
      nonce,
      (data) => {
        const job = this.job;
        if (job && job.stderr.length < MAX_STDERR) job.stderr += data.toString('utf8');
      },
      () => {
        if (this.job) this.job.stderrEnded = true;
        this.settle();
      },
    );
    this.child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    this.child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    this.child.stdin.on('error', () => undefined);
    this.child.on('error', () => this.gone());
    this.child.on('close', () => this.gone());
    this.idle();
  }

  get pid(): number | null {
    return this.exited ? null : (this.child.pid ?? null);
  }

  /** Whether a job can start now. */
  get ready(): boolean {
    return !this.exited && !this.retired && this.job === null;
  }

  run(args: readonly string[], onStdout: (data: Buffer) => void): Launched {
    const done = new Promise<LaunchEnd>((resolve) => {
      this.job = { args, onStdout, delivered: false, fallback: null, stderr: '', code: undefined, stderrEnded: false, resolve };
    });
    const job = this.job as Job | null;
    this.busy();
    // git's exit code goes to stdout after all its output, then a mark to stderr: both streams end
    // for this job once their mark is read. Its standard input is not the shell's (the job queue).
    const line = `${['git', ...args].map(shellQuote).join(' ')} </dev/null; printf '%s:%d\\n' ${this.nonce} "$?"; printf '%s:0\\n' ${this.nonce} >&2\n`;
    this.child.stdin.write(line);
    return {
      done,
      kill: () => {
        if (job?.fallback) job.fallback.kill();
        else this.kill();
      },
    };
  }

  /**
   * Ends the shell once it is idle (now when it is). This process then waits for its exit, so that
   * the shell is reaped (its and its gits' CPU time count as this process's children's) and
   * outlives nothing.
   */
  retire(): void {
    this.retired = true;
    if (this.job === null) this.end();
  }

  private end(): void {
    if (this.exited) return;
    this.child.ref();
    this.child.stdin.end();
  }

  private kill(): void {
    if (this.exited || this.job === null) return;
    try {
      // The shell leads its own group: git goes with it, and no pid of another process is named.
      if (this.child.pid !== undefined) process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    this.finish(null);
    this.gone();
  }

  private settle(): void {
    const job = this.job;
    if (!job || job.code === undefined || !job.stderrEnded) return;
    this.finish(job.code);
  }

  private finish(code: number | null): void {
    const job = this.job;
    if (!job) return;
    this.job = null;
    this.idle();
    if (this.retired) this.end();
    job.resolve({ code, stderr: job.stderr });
  }

  private gone(): void {
    this.exited = true;
    if (shared === this) shared = null;
    const job = this.job;
    if (!job) return;
    this.job = null;
    // The shell could not start or was ended by someone else: a job that has said nothing yet runs
    // the plain way instead; one cut halfway reports that it failed.
    if (!job.delivered && job.code === undefined) {
      try {
        job.fallback = spawnGit(this.cwd, this.gitEnv, job.args, job.onStdout);
        job.fallback.done.then(job.resolve, () => job.resolve({ code: null, stderr: 'git could not be started' }));
        return;
      } catch {
        // an argument git cannot take: reported below
      }
    }
    job.resolve({ code: null, stderr: job.stderr || 'the process that started git ended unexpectedly' });
  }

  // A job in flight keeps this process alive until it ends; an idle shell never does.
  private busy(): void {
    this.child.ref();
    for (const stream of this.streams()) stream.ref();
  }

  private idle(): void {
    this.child.unref();
    for (const stream of this.streams()) stream.unref();
  }

  // A child's pipes are sockets; the typings call them plain streams.
  private streams(): Socket[] {
    return [this.child.stdin, this.child.stdout, this.child.stderr] as unknown as Socket[];
  }
}

let shared: GitShell | null = null;

/** `'…'` for sh: every byte but NUL stands for itself. */
export function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Starts `git <args>` in `cwd` with `gitEnv`, its standard output to `onStdout`, through the
 * process's git shell (one per `cwd` and `env` object, started on first use), or with a plain
 * spawn when the shell is busy, cannot start, or an argument holds a NUL byte. `env` names the
 * person's environment the shell was made for; `gitEnv` is what git gets.
 */
export function launchGit(cwd: string, env: NodeJS.ProcessEnv, gitEnv: () => NodeJS.ProcessEnv, args: readonly string[], onStdout: (data: Buffer) => void): Launched {
  if (!args.some((a) => a.includes('\0')) && process.platform !== 'win32') {
    let shell = shared;
    if (shell !== null && (shell.cwd !== cwd || shell.env !== env) && shell.ready) {
      shell.retire();
      shell = shared = null;
    }
    if (shell === null) {
      try {
        shell = shared = new GitShell(cwd, env, gitEnv());
      } catch {
        shell = null;
      }
    }
    if (shell !== null && shell.cwd === cwd && shell.env === env && shell.ready) return shell.run(args, onStdout);
  }
  return spawnGit(cwd, gitEnv(), args, onStdout);
}

/** The plain way: one spawn of git from this process. */
function spawnGit(cwd: string, env: NodeJS.ProcessEnv, args: readonly string[], onStdout: (data: Buffer) => void): Launched {
  const child = spawn('git', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stdout.on('data', onStdout);
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    if (stderr.length < MAX_STDERR) stderr += chunk;
  });
  const done = new Promise<LaunchEnd>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
  return { done, kill: () => void child.kill('SIGKILL') };
}

/** Ends the git shell (a session's end; tests). Idempotent. */
export function closeGitShell(): void {
  shared?.retire();
  shared = null;
}

/** The git shell's pid, for tests: null when none runs. */
export function gitShellPid(): number | null {
  return shared?.pid ?? null;
}
