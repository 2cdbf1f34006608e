import { AssistError, ExitCode } from '../errors.js';
import type { Reporter } from '../ui/reporter.js';

/** Maps any error to stderr and an exit code. The only place that decides how errors look. */
export function reportError(error: unknown, reporter: Reporter): number {
  if (error instanceof AssistError) {
    reporter.error(error.message, error.hint);
    if (reporter.verbose && error.cause) reporter.debug(String((error.cause as Error).stack ?? error.cause));
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  reporter.error(`unexpected: ${message.split('\n')[0] ?? ''}`, reporter.verbose ? undefined : 'run again with --verbose for details, and report it');
  if (reporter.verbose && error instanceof Error) reporter.debug(error.stack ?? '');
  return ExitCode.failure;
}
