import { closeSync, constants, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { REDACTED, isSecretLongEnough, redactShapes, secretValuesFromEnv } from '../util/secrets.js';

/** What happened to a file or command. */
export type AuditOp = 'send' | 'write' | 'deny' | 'read' | 'command' | 'mcp' | 'hook';

/** One event given to {@link AuditLog.append}. Paths and reasons only: never file contents. */
export interface AuditEvent {
  op: AuditOp;
  /** Repo-relative path (or the command line for `command`). */
  path: string;
  /** `ok`, `denied`, `failed`, an exit code, ... */
  result: string;
  /** A one-line reason, e.g. a denial's reason. */
  reason?: string;
  /** A stable code, e.g. a denial's `sandbox.*` code. */
  code?: string;
  /** Correlation id of the model request or turn. */
  requestId?: string;
}

/** The line written to `audit.jsonl`. */
export interface AuditRecord extends AuditEvent {
  /** ISO 8601 time. */
  time: string;
  session: string;
}

/** An append-only JSON-lines audit log shared by every worktree and process of a repository. */
export interface AuditLog {
  /** `<sharedAssistDir>/audit.jsonl` */
  readonly path: string;
  append(event: AuditEvent): Promise<AuditRecord>;
}

export interface AuditLogOptions {
  /** Values that must never reach the log; by default the values of secret-looking env variables. */
  secrets?: readonly string[];
  /** Clock for tests. */
  now?: () => Date;
}

const MAX_FIELD = 2048;

/** Values of environment variables whose names look like credentials, long enough to be worth hiding. */
export function secretsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return secretValuesFromEnv(env);
}

function clean(value: string, secrets: readonly string[]): string {
  let text = value;
  for (const secret of secrets) if (text.includes(secret)) text = text.split(secret).join(REDACTED);
  // Keys that did not come from the environment (api_key_cmd, a pasted token) still have recognisable shapes.
  text = redactShapes(text);
  return text.length > MAX_FIELD ? `${text.slice(0, MAX_FIELD)}…` : text;
}

/**
 * Opens the audit log of a session (DESIGN.md §7). Each event is one JSON line written with
 * a single write(2) on a descriptor opened with O_APPEND, so lines from concurrent processes
 * never interleave; the directory is created on first use. Strings are scrubbed of known
 * secret values and key-shaped tokens, and capped in length.
 */
export function createAuditLog(sharedAssistDir: string, sessionId: string, options: AuditLogOptions = {}): AuditLog {
  const path = join(sharedAssistDir, 'audit.jsonl');
  const secrets = (options.secrets ?? secretsFromEnv()).filter(isSecretLongEnough);
  const now = options.now ?? (() => new Date());

  return {
    path,
    // Synchronous inside: four calls that each take microseconds from the page cache, where their
    // asynchronous forms are four trips through the thread pool, each waiting for this thread to be
    // scheduled again (tens of ms under load, and the last line of a turn holds the exit for them).
    async append(event) {
      // Every time: someone may have removed the directory since the last event.
      mkdirSync(sharedAssistDir, { recursive: true, mode: 0o700 });
      const record: AuditRecord = {
        time: now().toISOString(),
        session: sessionId,
        op: event.op,
        path: clean(event.path, secrets),
        result: clean(event.result, secrets),
        ...(event.reason === undefined ? {} : { reason: clean(event.reason, secrets) }),
        ...(event.code === undefined ? {} : { code: event.code }),
        ...(event.requestId === undefined ? {} : { requestId: event.requestId }),
      };
      const line = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
      const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
      try {
        const bytesWritten = writeSync(fd, line, 0, line.length);
        if (bytesWritten !== line.length) throw new Error(`short write to ${path}: ${bytesWritten} of ${line.length} bytes`);
      } finally {
        closeSync(fd);
      }
      return record;
    },
  };
}
