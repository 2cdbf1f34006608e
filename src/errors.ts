/**
 * Exit codes of the external contract (DESIGN.md §3). Never reassigned.
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  refused: 3,
  provider: 4,
  nothingToDo: 5,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface AssistErrorOptions {
  /** What the person can do about it, shown after the message. */
  hint?: string;
  /** Process exit code; defaults to 1. */
  exitCode?: ExitCode;
  /** Structured details for logs and `--json`; never secrets. */
  data?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * The one error type that reaches a person. `code` is a stable string
 * (`config.unknown-key`, `git.head-moved`, ...) that is never reused for
 * another meaning; messages may change, codes may not.
 */
export class AssistError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly exitCode: ExitCode;
  readonly data: Record<string, unknown>;
  /** Clipanion prints errors carrying this marker without a stack trace. */
  readonly clipanion = { type: 'none' } as const;

  constructor(code: string, message: string, options: AssistErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AssistError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? ExitCode.failure;
    this.data = options.data ?? {};
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, hint: this.hint, exitCode: this.exitCode, data: this.data };
  }
}

export function isAssistError(value: unknown): value is AssistError {
  return value instanceof AssistError;
}

/** A user mistake in how a command was called: exit 2. */
export function usageError(code: string, message: string, hint?: string): AssistError {
  return new AssistError(code, message, { exitCode: ExitCode.usage, ...(hint === undefined ? {} : { hint }) });
}

/** Something assist will not do without the person's say-so: exit 3. */
export function refusal(code: string, message: string, hint?: string, data?: Record<string, unknown>): AssistError {
  return new AssistError(code, message, {
    exitCode: ExitCode.refused,
    ...(hint === undefined ? {} : { hint }),
    ...(data === undefined ? {} : { data }),
  });
}
