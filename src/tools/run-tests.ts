import { objectSchema } from './args.js';
import { commandLabel, runModelCommand } from './command.js';
import type { Tool, ToolContext, ToolOutcome } from './types.js';

const TEST_TIMEOUT_MS = 10 * 60_000;

async function run(_args: Record<string, unknown>, ctx: ToolContext): Promise<ToolOutcome> {
  const command = await ctx.testCommand();
  if (command === null || command.trim() === '') {
    return { kind: 'result', ok: false, text: 'This repository has no test command (the person can set one with `assist config set test.cmd "..."`).', status: 'tests: no test command' };
  }
  return runModelCommand(ctx, command, { verb: 'test', timeoutMs: TEST_TIMEOUT_MS, heading: `$ ${commandLabel(command, 200)}` });
}

/** `run_tests`: the repository's test command (`test.cmd`, else detected), through the same policy as `run_command`. */
export const runTestsTool: Tool = {
  kind: 'run',
  spec: {
    name: 'run_tests',
    description:
      "Run the repository's test command (configured or detected: npm test, pytest, go test, cargo test, …) in the repository root, sandboxed and approved like run_command. " +
      'Returns the command, its exit code and the tail of its output (capped), and the files it changed.',
    parameters: objectSchema({}),
  },
  run,
};
