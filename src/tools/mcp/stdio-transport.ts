import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { ReadBuffer, serializeMessage, type JSONRPCMessage, type Transport } from '@modelcontextprotocol/client';

/**
 * Runs the server in a process group of its own, beside a watcher that holds the read end of a
 * pipe only assist writes to. When assist goes away in any way (exit, crash, SIGKILL), the kernel
 * closes that pipe, the watcher's `read` returns, and it kills the whole group: the server and
 * whatever it started (`npx` and its node, say). No orphan outlives assist. The server itself is
 * `exec`ed, so its pid is the group's and its exit is seen directly.
 */
const LAUNCH = [
  '( trap "" TERM; exec </dev/null >/dev/null 2>&1; read _ <&3; kill -TERM 0; sleep 1; kill -KILL 0 ) &',
  'exec "$@" 3<&-',
].join('\n');

/** How a stdio server is started: `command` and `args` of its entry, in the repository, with exactly `env`. */
export interface StdioServerParams {
  command: string;
  args: readonly string[];
  env: Record<string, string>;
  cwd: string;
}

const STDERR_TAIL = 4096;

/**
 * A stdio transport for the MCP client (the SDK's `Transport` interface) that owns its server's
 * whole process group (see {@link LAUNCH}) and keeps the tail of its stderr, so a server that
 * fails to start or dies mid-call can be reported in one line with its own last words.
 */
export class GroupStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private child: ChildProcess | undefined;
  private readonly readBuffer = new ReadBuffer();
  private readonly stderrStream = new PassThrough();
  private tail = '';
  private closed = false;
  /** How the server ended, once it has. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  constructor(private readonly params: StdioServerParams) {
    this.stderrStream.resume();
  }

  /** The server's pid (its process group's id), once started. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** The server's stderr (read by nobody but the tail kept here). */
  get stderr(): PassThrough {
    return this.stderrStream;
  }

  /** The last line the server wrote to stderr, for one-line fault reports. */
  lastStderrLine(): string {
    const lines = this.tail.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    const last = lines.at(-1) ?? '';
    return last.length > 200 ? `${last.slice(0, 199)}…` : last;
  }

  start(): Promise<void> {
    if (this.child) throw new Error('the MCP server was already started');
    return new Promise((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', LAUNCH, 'sh', this.params.command, ...this.params.args], {
        cwd: this.params.cwd,
        env: this.params.env,
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      });
      this.child = child;
      // The watcher's pipe never carries data; it must not keep assist running on its own.
      const watch = child.stdio[3] as unknown as { unref?: () => void; on(event: 'error', listener: () => void): void } | null;
      watch?.unref?.();
      watch?.on('error', () => undefined);
      child.on('error', (error) => {
        reject(error);
        this.onerror?.(error);
      });
      child.on('spawn', () => resolve());
      // Not the 'close' event: the watcher holds the far end of fd 3 until assist lets go of it,
      // so that stream never ends while the server is merely dead. Exit plus the end of its
      // stdout is the end of the server.
      let stdoutEnded = false;
      const ended = (): void => {
        if (this.exit === null || !stdoutEnded || this.child !== child) return;
        this.child = undefined;
        // Our end of the watcher's pipe closes too: it kills whatever the server left in its group.
        for (const stream of child.stdio) stream?.destroy();
        if (!this.closed) {
          this.closed = true;
          this.onclose?.();
        }
      };
      child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        ended();
      });
      child.stdout?.on('end', () => {
        stdoutEnded = true;
        ended();
      });
      child.stdout?.on('close', () => {
        stdoutEnded = true;
        ended();
      });
      child.stdin?.on('error', (error) => this.onerror?.(error));
      child.stdout?.on('data', (chunk: Buffer) => {
        try {
          this.readBuffer.append(chunk);
        } catch (error) {
          // One message over the buffer's limit: the stream can no longer be framed.
          this.onerror?.(error as Error);
          void this.close();
          return;
        }
        for (;;) {
          let message: JSONRPCMessage | null;
          try {
            message = this.readBuffer.readMessage();
          } catch (error) {
            // A line that is not JSON-RPC (a server logging to stdout): reported, not fatal.
            this.onerror?.(error as Error);
            continue;
          }
          if (message === null) break;
          this.onmessage?.(message);
        }
      });
      child.stdout?.on('error', (error) => this.onerror?.(error));
      child.stderr?.on('data', (chunk: Buffer) => {
        this.tail = (this.tail + chunk.toString('utf8')).slice(-STDERR_TAIL);
        this.stderrStream.write(chunk);
      });
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      const stdin = this.child?.stdin;
      if (!stdin || stdin.destroyed) {
        reject(new Error('the MCP server is not running'));
        return;
      }
      if (stdin.write(serializeMessage(message))) resolve();
      else stdin.once('drain', () => resolve());
    });
  }

  /** Ends the server: TERM to its group, KILL a second later if anything is left. */
  async close(): Promise<void> {
    const child = this.child;
    this.kill();
    if (child && child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          signalGroup(child.pid, 'SIGKILL');
          resolve();
        }, 1000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    if (!this.closed) {
      this.closed = true;
      this.onclose?.();
    }
  }

  /**
   * Synchronous part of {@link close}, also safe on the way out of the process: TERM to the group,
   * and the watcher's pipe closed so it finishes the job if the server ignores TERM.
   */
  kill(): void {
    const child = this.child;
    if (!child) return;
    signalGroup(child.pid, 'SIGTERM');
    for (const stream of child.stdio) stream?.destroy();
  }
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}
