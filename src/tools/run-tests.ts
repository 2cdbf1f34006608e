import { objectSchema } from './args.js';
import { commandLabel, runModelCommand } from './command.js';
import type { Tool, ToolContext, ToolOutcome } from './types.js';

const TEST_TIMEOUT_MS = 10 * 60_000;

async function run(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolOutcome> {
  const path = typeof args['path'] === 'string' && args['path'].trim() !== '' ? args['path'].trim() : undefined;
  const all = args['all'] === true;
  const command = await ctx.testCommand({ ...(path !== undefined ? { path } : {}), ...(all ? { all } : {}) });
  if (command === null || command.trim() === '') {
    return { kind: 'result', ok: false, text: 'This repository has no test command (the person can set one with `assist config set test.cmd "..."`).', status: 'tests: no test command' };
  }
  return runModelCommand(ctx, command, { verb: 'test', timeoutMs: TEST_TIMEOUT_MS, heading: `$ ${commandLabel(command, 200)}` });
}

/**
 * `run_tests`: the repository's test command (`test.cmd`, else detected), through the same policy
 * as `run_command`. In a workspace (npm, pnpm, yarn, Cargo, go.work, Mix umbrella, uv): the
 * commands of the packages the session changed, of `path`'s package, or of every package (`all`).
 */
export const runTestsTool: Tool = {
  kind: 'run',
  spec: {
    name: 'run_tests',
    description:
      "Run the repository's tests (configured or detected: npm test, pytest, go test, cargo test, …), sandboxed and approved like run_command. " +
      "In a workspace of several packages it runs the tests of the packages the session's changes touched, each in its folder; " +
      '`path` (a file or folder) picks that package instead, `all: true` runs every package. ' +
      'Returns the command, its exit code and the tail of its output (capped), and the files it changed.',
    parameters: objectSchema({
      path: { type: 'string', description: "Optional: a repo-relative file or folder whose package's tests to run (in a workspace)." },
      all: { type: 'boolean', description: 'Optional: run the tests of every package of a workspace.' },
    }),
  },
  run,
};
