import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createAssistMetrics, type AssistMetrics } from './assist-metrics.js';
import { createLogger, resolveObsPath, type Logger, type LogLevel } from './logger.js';
import { writeMetricsFile } from './metrics-file.js';
import { createScrubber, type Scrubber } from './scrub.js';

/** The metrics file inside `sharedAssistDir` when `metrics.file` is not set. */
export const DEFAULT_METRICS_FILE = 'metrics.prom';

/** What {@link openObservability} needs: the `log` and `metrics` sections of the config, and where it runs. */
export interface ObservabilityOptions {
  config: { log: { level: LogLevel; file: string | undefined }; metrics: { file: string | undefined } };
  /** The command path for logs and `assist_command_duration_seconds`, e.g. `chat`, `session finish`. */
  command: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /**
   * The repository's shared assist dir (`RepoPaths.sharedAssistDir`), when the command runs in one:
   * without `metrics.file`, metrics then accumulate in `<sharedAssistDir>/metrics.prom`.
   */
  sharedAssistDir?: string | undefined;
  /** The session id when already known. */
  session?: string | undefined;
  /** Arguments to record in `command.start` (scrubbed). */
  argv?: readonly string[];
  version?: string;
}

/** The logger, metrics and scrubber of one CLI command. */
export interface Observability {
  logger: Logger;
  metrics: AssistMetrics;
  scrubber: Scrubber;
  /** Absolute metrics file, or undefined when none is set. */
  metricsFile: string | undefined;
  /**
   * Ends the command: observes its duration, logs `command.end`, adds the metrics to the metrics
   * file and closes the log. Never throws: returns one-line warnings for the reporter.
   */
  close(exitCode: number, error?: unknown): Promise<string[]>;
}

/**
 * Opens the log (if `log.file` is set) and the metrics of one command, and logs `command.start`.
 * Throws `obs.log-file-unwritable` when a log file is set but cannot be opened.
 */
export function openObservability(options: ObservabilityOptions): Observability {
  const started = performance.now();
  const scrubber = createScrubber(options.env);
  const warnings: string[] = [];
  const logger = createLogger({
    file: options.config.log.file,
    level: options.config.log.level,
    cwd: options.cwd,
    env: options.env,
    scrubber,
    session: options.session,
    onWriteError: (error) => warnings.push(`log lines are being dropped: ${error.message}`),
  });
  const metrics = createAssistMetrics();
  const metricsFile = options.config.metrics.file
    ? resolveObsPath(options.config.metrics.file, options.cwd, options.env)
    : options.sharedAssistDir === undefined
      ? undefined
      : join(options.sharedAssistDir, DEFAULT_METRICS_FILE);
  logger.info('command.start', {
    command: options.command,
    ...(options.argv === undefined ? {} : { argv: [...options.argv] }),
    cwd: options.cwd,
    ...(options.version === undefined ? {} : { version: options.version }),
  });
  let closed = false;

  return {
    logger,
    metrics,
    scrubber,
    metricsFile,
    async close(exitCode, error) {
      if (closed) return [];
      closed = true;
      const seconds = (performance.now() - started) / 1000;
      metrics.commandDuration.observe({ command: options.command }, seconds);
      logger.info('command.end', {
        command: options.command,
        exit_code: exitCode,
        duration_ms: Math.round(seconds * 1000),
        ...(error === undefined ? {} : { error }),
      });
      if (metricsFile !== undefined) {
        try {
          const result = await writeMetricsFile(metrics.registry, metricsFile, { scrubLabel: scrubber.scrub });
          warnings.push(...result.warnings.map((w) => `metrics: ${w}`));
        } catch (failure) {
          logger.warn('obs.metrics_write_failed', { file: metricsFile, error: failure });
          warnings.push(scrubber.scrub((failure as Error).message));
        }
      }
      logger.close();
      return warnings;
    },
  };
}
