import { objectSchema } from './args.js';
import { runModelCommand } from './command.js';
import type { Tool, ToolContext, ToolOutcome } from './types.js';

export const DEFAULT_COMMAND_TIMEOUT_S = 120;
export const MAX_COMMAND_TIMEOUT_S = 600;

async function run(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolOutcome> {
  const command = args['command'] as string;
  if (command.trim() === '') return { kind: 'result', ok: false, text: 'The command is empty.', status: 'run: empty command' };
  const timeout = (args['timeout_s'] as number | undefined) ?? DEFAULT_COMMAND_TIMEOUT_S;
  return runModelCommand(ctx, command, { verb: 'run', timeoutMs: timeout * 1000 });
}

/** `run_command`: a shell command in the work tree, sandboxed and approved as DESIGN.md §7 says. */
export const runCommandTool: Tool = {
  kind: 'run',
  spec: {
    name: 'run_command',
    description:
      'Run a shell command (/bin/sh -c) in the repository root, e.g. a build, a linter or a script. It runs without network and can write only inside the work tree when sandboxed, ' +
      'may need the person\'s approval, and gets no API keys or tokens in its environment. Returns the exit code, the tail of stdout and stderr (capped), and the files it changed. ' +
      `Use search and read_file rather than grep/cat. Default timeout ${DEFAULT_COMMAND_TIMEOUT_S} s.`,
    parameters: objectSchema(
      {
        command: { type: 'string', description: 'the shell command' },
        timeout_s: { type: 'integer', description: `seconds before it is stopped (default ${DEFAULT_COMMAND_TIMEOUT_S}, at most ${MAX_COMMAND_TIMEOUT_S})`, minimum: 1, maximum: MAX_COMMAND_TIMEOUT_S },
      },
      ['command'],
    ),
  },
  run,
};
