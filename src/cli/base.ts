import { Command, type BaseContext } from 'clipanion';
import { AssistError, ExitCode, usageError } from '../errors.js';
import { reportError } from './report-error.js';
import type { GlobalFlags } from './globals.js';
import { Reporter } from '../ui/reporter.js';
import type { LoadedConfig, ConfigValue } from '../config/index.js';
import type { RepoPaths } from '../git/repo-paths.js';
import type { Observability } from '../obs/index.js';
import type { SessionOptions } from '../session/types.js';
import type { Config } from '../config/types.js';

/** What every command gets: the streams and env of clipanion, plus cwd and the global flags. */
export interface AssistContext extends BaseContext {
  cwd: string;
  globals: GlobalFlags;
}

/**
 * Base of every command: `run()` does the work; errors are mapped to a one-line message on stderr
 * and an exit code here, in one place, never a stack trace unless `--verbose`.
 */
export abstract class AssistCommand extends Command<AssistContext> {
  private reporterInstance: Reporter | undefined;

  get reporter(): Reporter {
    this.reporterInstance ??= new Reporter({
      stdout: this.context.stdout,
      stderr: this.context.stderr,
      env: this.context.env,
      noColor: this.context.globals.noColor,
      verbose: this.context.globals.verbose,
    });
    return this.reporterInstance;
  }

  /** Structured log and metrics, opened by `config()` when `log.file` or `metrics.file` is set. */
  obs: Observability | undefined;

  abstract run(): Promise<number | void>;

  async execute(): Promise<number> {
    let code: number = ExitCode.ok;
    let failure: unknown;
    try {
      code = (await this.run()) ?? ExitCode.ok;
    } catch (error) {
      failure = error;
      code = reportError(error, this.reporter);
    }
    if (this.obs) {
      for (const warning of await this.obs.close(code, failure)) this.reporter.warn(warning);
    }
    return code;
  }

  /** The command's path as typed: `session finish`. */
  get commandName(): string {
    const paths = (this.constructor as { paths?: string[][] }).paths;
    return paths?.[0]?.join(' ') || 'run';
  }

  /** Finds the repository around cwd; null when `optional` and cwd is not in one. */
  async repo(): Promise<RepoPaths>;
  async repo(optional: true): Promise<RepoPaths | null>;
  async repo(optional = false): Promise<RepoPaths | null> {
    const { resolveRepoPaths } = await import('../git/repo-paths.js');
    try {
      return await resolveRepoPaths(this.context.cwd, this.context.env);
    } catch (error) {
      if (optional && error instanceof AssistError && error.code === 'git.not-a-repository') return null;
      throw error;
    }
  }

  /** Loads config for this repository (or none), printing its warnings once. */
  async config(flags: Record<string, { value: ConfigValue; flag: string }> = {}, repo?: RepoPaths | null): Promise<LoadedConfig> {
    const { loadConfig } = await import('../config/index.js');
    const paths = repo === undefined ? await this.repo(true) : repo;
    const allFlags = { ...flags };
    if (this.context.globals.logFile) allFlags['log.file'] = { value: this.context.globals.logFile, flag: '--log-file' };
    if (this.context.globals.metricsFile) allFlags['metrics.file'] = { value: this.context.globals.metricsFile, flag: '--metrics-file' };
    const loaded = await loadConfig({ env: this.context.env, repoRoot: paths?.root ?? null, flags: allFlags });
    for (const warning of loaded.warnings) this.reporter.warn(warning);
    // The obs module is loaded only when someone asked for a log or metrics: most commands stay lean.
    if (!this.obs && (loaded.config.log.file || loaded.config.metrics.file)) {
      const { openObservability } = await import('../obs/index.js');
      this.obs = openObservability({
        config: loaded.config,
        command: this.commandName,
        cwd: this.context.cwd,
        env: this.context.env,
        sharedAssistDir: paths?.sharedAssistDir,
      });
    }
    return loaded;
  }
}

export { reportError } from './report-error.js';

/** The options chat and run share: the files to add and the flags every session takes. */
export interface SessionCommandOptions {
  files: readonly string[];
  model?: string | undefined;
  yes: boolean;
  dryRun: boolean;
  noBranch: boolean;
  autoTest: boolean;
}

/** The flags of chat and run that set config keys (`--model`, `--no-branch`, `--auto-test`), with their origin. */
export function sessionFlags(options: Pick<SessionCommandOptions, 'model' | 'noBranch' | 'autoTest'>): Record<string, { value: ConfigValue; flag: string }> {
  const flags: Record<string, { value: ConfigValue; flag: string }> = {};
  if (options.model) flags.model = { value: options.model, flag: '--model' };
  if (options.noBranch) flags['git.session_branch'] = { value: false, flag: '--no-branch' };
  if (options.autoTest) flags['test.auto'] = { value: true, flag: '--auto-test' };
  return flags;
}

/**
 * The model of a chat or `run` (DESIGN.md §4: `--model`, `ASSIST_MODEL`, config, a provider key,
 * a local Ollama), said on stderr as the first line so `--json` stdout stays one object. A usage
 * error (exit 2) when there is none, before any request.
 */
export async function chooseSessionModel(command: AssistCommand, loaded: LoadedConfig, flag: string | undefined): Promise<string> {
  const { chooseModel, configModel, describeChoice } = await import('../llm/choose-model.js');
  const choice = await chooseModel({ flag, env: command.context.env, config: configModel(loaded) });
  command.reporter.info(command.reporter.err.dim(describeChoice(choice)));
  return choice.model;
}

/** What chat and run give every session alike: where, the config, the log and metrics, and their shared flags. */
export function baseSessionOptions(
  command: AssistCommand,
  config: Config,
  options: SessionCommandOptions,
): SessionOptions {
  return {
    cwd: command.context.cwd,
    env: command.context.env,
    config,
    ...(command.obs ? { logger: command.obs.logger, metrics: command.obs.metrics } : {}),
    ...(options.model ? { model: options.model } : {}),
    files: options.files,
    yes: options.yes,
    dryRun: options.dryRun,
    noBranch: options.noBranch,
    autoTest: options.autoTest,
  };
}

/**
 * `--worktree[=NAME]` of chat and run (DESIGN §6b): the linked worktree the session runs in,
 * made (with its session) or reused by name, said on stderr. Returns the directory to work from:
 * the same subdirectory of the worktree as cwd is of the person's work tree.
 */
export async function enterWorktree(command: AssistCommand, worktree: string | boolean, options: { noBranch: boolean; dryRun: boolean }): Promise<{ cwd: string; path: string; created: boolean }> {
  if (options.noBranch) throw usageError('cli.worktree-no-branch', '--worktree and --no-branch cannot be used together', 'a worktree session always has its own branch');
  if (options.dryRun) throw usageError('cli.worktree-dry-run', '--worktree and --dry-run cannot be used together', '--dry-run writes nothing, and --worktree makes a worktree');
  const { openStore } = await import('../git/index.js');
  const { join } = await import('node:path');
  const store = await openStore({ cwd: command.context.cwd, env: command.context.env, command: `assist ${command.commandName} --worktree` });
  try {
    const opened = await store.openWorktreeSession(typeof worktree === 'string' ? worktree : undefined);
    const verb = opened.created ? 'Started' : 'Continuing';
    command.reporter.info(command.reporter.err.dim(`${verb} session ${opened.session.id} in the worktree ${opened.path} (branch ${opened.session.branch ?? '?'}); your work tree is not touched`));
    return { cwd: join(opened.path, store.repo.paths.prefix), path: opened.path, created: opened.created };
  } finally {
    store.close();
  }
}
