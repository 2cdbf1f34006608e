import { Builtins, Cli, UsageError } from 'clipanion';
import type { Readable, Writable } from 'node:stream';
import { splitGlobalFlags } from './globals.js';
import { syntaxErrorLines } from './syntax-error.js';
import type { AssistContext } from './base.js';
import { reportError } from './base.js';
import { Reporter } from '../ui/reporter.js';
import { ChatCommand } from './commands/chat.js';
import { RunCommand } from './commands/run.js';
import { DefaultCommand } from './commands/default.js';
import { UndoCommand } from './commands/undo.js';
import { RedoCommand } from './commands/redo.js';
import { CheckpointCreateCommand } from './commands/checkpoint-create.js';
import { CheckpointListCommand } from './commands/checkpoint-list.js';
import { CheckpointRestoreCommand } from './commands/checkpoint-restore.js';
import { SessionListCommand } from './commands/session-list.js';
import { SessionShowCommand } from './commands/session-show.js';
import { SessionFinishCommand } from './commands/session-finish.js';
import { LogCommand } from './commands/log.js';
import { MapCommand } from './commands/map.js';
import { SearchCommand } from './commands/search.js';
import { ExplainCommand } from './commands/explain.js';
import { TestCommand } from './commands/test.js';
import { StatsContextCommand } from './commands/stats-context.js';
import { HooksInstallCommand } from './commands/hooks-install.js';
import { HooksUninstallCommand } from './commands/hooks-uninstall.js';
import { HooksStatusCommand } from './commands/hooks-status.js';
import { HookCommand } from './commands/hook.js';
import { SummariesRefreshCommand } from './commands/summaries-refresh.js';
import { SummariesShowCommand } from './commands/summaries-show.js';
import { SummariesStatusCommand } from './commands/summaries-status.js';
import { PrCommand } from './commands/pr.js';
import { ConfigGetCommand } from './commands/config-get.js';
import { ConfigSetCommand } from './commands/config-set.js';
import { ConfigListCommand } from './commands/config-list.js';
import { ConfigSchemaCommand } from './commands/config-schema.js';
import { CompletionCommand } from './commands/completion.js';
import { VersionCommand } from './commands/version.js';
import { TrustCommand } from './commands/trust.js';
import { InitCommand } from './commands/init.js';
import { DoctorCommand } from './commands/doctor.js';
import { McpListCommand } from './commands/mcp-list.js';
import { McpLoginCommand } from './commands/mcp-login.js';
import { McpLogoutCommand } from './commands/mcp-logout.js';
import { ExitCode } from '../errors.js';
import { readPrebuiltMachine, usePrebuiltMachine } from './parse-machine.js';

export { encodeMachine, usePrebuiltMachine } from './parse-machine.js';

export const COMMANDS = [
  DefaultCommand,
  ChatCommand,
  RunCommand,
  UndoCommand,
  RedoCommand,
  CheckpointCreateCommand,
  CheckpointListCommand,
  CheckpointRestoreCommand,
  SessionListCommand,
  SessionShowCommand,
  SessionFinishCommand,
  LogCommand,
  MapCommand,
  SearchCommand,
  ExplainCommand,
  TestCommand,
  StatsContextCommand,
  HooksInstallCommand,
  HooksUninstallCommand,
  HooksStatusCommand,
  HookCommand,
  SummariesRefreshCommand,
  SummariesShowCommand,
  SummariesStatusCommand,
  PrCommand,
  ConfigGetCommand,
  ConfigSetCommand,
  ConfigListCommand,
  ConfigSchemaCommand,
  CompletionCommand,
  TrustCommand,
  InitCommand,
  DoctorCommand,
  McpListCommand,
  McpLoginCommand,
  McpLogoutCommand,
];

export interface MainIO {
  argv: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  version: string;
}

/** What buildCli registers: every command, or only those a line that asks the model can reach. */
export type Registration = 'all' | 'run' | 'message';
export const REGISTRATIONS: readonly Registration[] = ['all', 'run', 'message'];

/**
 * The command line's parser. With `argv` (the arguments after the global flags), only what can
 * match a line of the two forms that ask the model (`assist run ...`, `assist "MESSAGE"`) is
 * registered: clipanion builds one state machine of every registered command's options before it
 * parses anything (~10 ms of a turn for all of them on a quiet machine). Any other line gets them all.
 * In the bundles that machine comes built (`prebuilt`, src/cli/parse-machine.ts).
 */
export function buildCli(version: string, colored = false, argv?: readonly string[], prebuilt = true): Cli<AssistContext> {
  return buildCliOf(argv === undefined ? 'all' : registrationFor(argv), version, colored, prebuilt);
}

/** The parser of one registration; `prebuilt` hands it the machine built at build time, if there is one. */
export function buildCliOf(registration: Registration, version: string, colored = false, prebuilt = true): Cli<AssistContext> {
  const cli = new Cli<AssistContext>({ binaryLabel: 'assist', binaryName: 'assist', binaryVersion: version, enableCapture: false, enableColors: colored });
  const only = commandsOf(registration);
  for (const command of only ?? COMMANDS) cli.register(command);
  if (!only) {
    cli.register(Builtins.HelpCommand);
    // Ours, not clipanion's: it also takes `--json`.
    cli.register(VersionCommand);
  }
  const machine = prebuilt ? readPrebuiltMachine(registration) : undefined;
  if (machine !== undefined) usePrebuiltMachine(cli as unknown as Cli<never>, machine);
  return cli;
}

/**
 * The commands that can match `argv` when it is `run ...` (the run command, or the default one
 * reading loose words, whose usage error then names `run`'s usage), or one argument with a space
 * in it (the default command's message); null for anything else.
 */
export function commandsFor(argv: readonly string[]): (typeof COMMANDS)[number][] | null {
  return commandsOf(registrationFor(argv));
}

function commandsOf(registration: Registration): (typeof COMMANDS)[number][] | null {
  return registration === 'run' ? [DefaultCommand, RunCommand] : registration === 'message' ? [DefaultCommand] : null;
}

/** The registration `argv` needs (see commandsFor). */
export function registrationFor(argv: readonly string[]): Registration {
  const first = argv[0];
  if (first === 'run') return 'run';
  if (argv.length === 1 && first !== undefined && /\s/.test(first) && !first.startsWith('-')) return 'message';
  return 'all';
}

/** Runs one command line and returns the exit code; never calls process.exit itself. */
export async function main(io: MainIO): Promise<number> {
  const { globals, rest, error } = splitGlobalFlags(io.argv);
  const reporter = new Reporter({ stdout: io.stdout, stderr: io.stderr, env: io.env, noColor: globals.noColor, verbose: globals.verbose });
  if (error) {
    reporter.error(error);
    return ExitCode.usage;
  }
  const cli = buildCli(io.version, reporter.out.isColorSupported, rest);
  const context: AssistContext = {
    cwd: io.cwd,
    env: io.env,
    stdin: io.stdin,
    stdout: io.stdout,
    stderr: io.stderr,
    colorDepth: reporter.out.isColorSupported ? 8 : 1,
    globals,
  };
  let command;
  try {
    command = cli.process(rest, context);
  } catch (err) {
    // Bad flags and unknown commands: what is wrong and the usage, exit 2.
    const lines = syntaxErrorLines(err);
    if (lines) reporter.error(lines.error, lines.hint);
    else io.stderr.write(cli.error(err instanceof Error ? err : new UsageError(String(err)), { colored: reporter.err.isColorSupported }));
    return ExitCode.usage;
  }
  try {
    return await cli.run(command, context);
  } catch (err) {
    return reportError(err, reporter);
  }
}
