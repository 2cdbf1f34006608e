import { closeSync, constants, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { AssistError } from '../errors.js';
import type { LogEvent, LogLevel } from './events.js';
import { createScrubber, type Scrubber } from './scrub.js';

// The level type sits with the event catalog, which names each event's level.
export type { LogLevel };

/** Structured fields of a log line; any JSON-able value, Errors included (scrubbed on the way out). */
export type LogFields = Record<string, unknown>;

/** A catalogued event (see `LOG_EVENTS`), or another dotted name while it is being added there. */
export type LogEventName = LogEvent | (string & Record<never, never>);

/**
 * Writes structured JSON lines to the log file. Never to the terminal: the CLI's reporter does
 * that. Each line carries time, level, event, the correlation ids bound so far (`session`,
 * `request`), pid, then the fields.
 */
export interface Logger {
  /** The threshold, or `off` when no file is set. */
  readonly level: LogLevel | 'off';
  /** Whether a line at `level` would be written: check it before building costly fields. */
  enabled(level: LogLevel): boolean;
  error(event: LogEventName, fields?: LogFields): void;
  warn(event: LogEventName, fields?: LogFields): void;
  info(event: LogEventName, fields?: LogFields): void;
  debug(event: LogEventName, fields?: LogFields): void;
  log(level: LogLevel, event: LogEventName, fields?: LogFields): void;
  /** A logger whose lines also carry `bindings`, e.g. `child({ request })`. Shares the file. */
  child(bindings: LogFields): Logger;
  /** Closes the file (for this logger and all its children); later lines are dropped. */
  close(): void;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** The log file (`--log-file`, `log.file`); none gives the no-op logger and opens nothing. */
  file?: string | undefined;
  /** Base of a relative `file`. Default: process.cwd(). */
  cwd?: string;
  /** Default `info`. */
  level?: LogLevel;
  /** The session id, when known; or bind it later with `child({ session })`. */
  session?: string | undefined;
  /** Shared scrubber; by default one for `env`. */
  scrubber?: Scrubber;
  env?: NodeJS.ProcessEnv;
  /** Fields every line carries. */
  bindings?: LogFields;
  /** Called once, at the first line that could not be written; logging never stops the work. */
  onWriteError?: (error: Error) => void;
  now?: () => Date;
}

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };
export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];
/** Longest string field kept in a line; longer ones are cut after scrubbing. */
export const MAX_LOG_STRING = 16_384;
// Written by the logger itself; fields cannot override them.
const RESERVED = new Set(['time', 'level', 'event', 'pid']);

export function isLogLevel(value: string): value is LogLevel {
  return value in RANK;
}

class Sink {
  private fd: number | null;
  private reported = false;
  dropped = 0;

  constructor(
    readonly path: string,
    private readonly onWriteError: ((error: Error) => void) | undefined,
  ) {
    try {
      mkdirSync(dirname(path), { recursive: true });
      this.fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
    } catch (error) {
      throw new AssistError('obs.log-file-unwritable', `cannot open the log file ${path}: ${(error as Error).message}`, {
        hint: 'choose another --log-file (or log.file), or fix the permissions of its directory',
        cause: error,
      });
    }
  }

  write(line: string): void {
    if (this.fd === null) {
      this.dropped++;
      return;
    }
    const bytes = Buffer.from(line, 'utf8');
    try {
      // One write(2) per line on an O_APPEND descriptor: lines of concurrent processes never interleave.
      const written = writeSync(this.fd, bytes, 0, bytes.length);
      if (written !== bytes.length) throw new Error(`short write to ${this.path}: ${written} of ${bytes.length} bytes`);
    } catch (error) {
      this.dropped++;
      if (!this.reported) {
        this.reported = true;
        this.onWriteError?.(error as Error);
      }
    }
  }

  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    closeSync(fd);
  }
}

class FileLogger implements Logger {
  constructor(
    private readonly sink: Sink,
    readonly level: LogLevel,
    private readonly scrubber: Scrubber,
    private readonly bindings: LogFields,
    private readonly now: () => Date,
  ) {}

  enabled(level: LogLevel): boolean {
    return RANK[level] <= RANK[this.level];
  }

  error(event: LogEventName, fields?: LogFields): void {
    this.log('error', event, fields);
  }
  warn(event: LogEventName, fields?: LogFields): void {
    this.log('warn', event, fields);
  }
  info(event: LogEventName, fields?: LogFields): void {
    this.log('info', event, fields);
  }
  debug(event: LogEventName, fields?: LogFields): void {
    this.log('debug', event, fields);
  }

  log(level: LogLevel, event: LogEventName, fields: LogFields = {}): void {
    if (!this.enabled(level)) return;
    const record: Record<string, unknown> = { time: this.now().toISOString(), level, event: this.scrubber.scrub(event) };
    // Key order: correlation ids first, so a line reads left to right.
    if (this.bindings.session !== undefined || fields.session !== undefined) record.session = undefined;
    if (this.bindings.request !== undefined || fields.request !== undefined) record.request = undefined;
    record.pid = process.pid;
    let line: string;
    try {
      const clean = this.scrubber.scrubValue(fields, { maxString: MAX_LOG_STRING }) as LogFields;
      for (const source of [this.bindings, clean]) {
        for (const [key, value] of Object.entries(source)) if (!RESERVED.has(key) && value !== undefined) record[key] = value;
      }
      line = JSON.stringify(record);
    } catch (error) {
      // A throwing getter or proxy in the fields: a log call must still never throw.
      line = JSON.stringify({ time: record.time, level, event: record.event, pid: process.pid, log_error: this.scrubber.scrub(String(error)) });
    }
    // Second pass over the finished line for secrets added after the bindings were cleaned.
    this.sink.write(`${this.scrubber.scrubSecrets(line)}\n`);
  }

  child(bindings: LogFields): Logger {
    const clean = this.scrubber.scrubValue(bindings, { maxString: MAX_LOG_STRING }) as LogFields;
    return new FileLogger(this.sink, this.level, this.scrubber, { ...this.bindings, ...clean }, this.now);
  }

  close(): void {
    this.sink.close();
  }
}

const NOOP: Logger = {
  level: 'off',
  enabled: () => false,
  error: () => {},
  warn: () => {},
  info: () => {},
  debug: () => {},
  log: () => {},
  child: () => NOOP,
  close: () => {},
};

/** The logger used when no log file is set: writes nothing, opens nothing, costs a call. */
export const noopLogger: Logger = NOOP;

/** Resolves a log or metrics file name as the person meant it: `~/` is HOME, relative is from cwd. */
export function resolveObsPath(file: string, cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  if ((file === '~' || file.startsWith('~/')) && env.HOME) return join(env.HOME, file.slice(1));
  return isAbsolute(file) ? file : resolve(cwd, file);
}

/**
 * A JSON-lines logger appending to `options.file` (created 0600 with its directory), or the
 * no-op logger when there is no file. Throws `obs.log-file-unwritable` when the file cannot be
 * opened; later write failures drop the line and call `onWriteError` once.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  if (options.file === undefined || options.file === '') return NOOP;
  const env = options.env ?? process.env;
  const path = resolveObsPath(options.file, options.cwd ?? process.cwd(), env);
  const scrubber = options.scrubber ?? createScrubber(env);
  const sink = new Sink(path, options.onWriteError);
  const root = new FileLogger(sink, options.level ?? 'info', scrubber, {}, options.now ?? (() => new Date()));
  const bindings = { ...(options.session === undefined ? {} : { session: options.session }), ...options.bindings };
  return Object.keys(bindings).length === 0 ? root : root.child(bindings);
}
