import { AssistError, ExitCode } from '../errors.js';
import type { SessionCore } from './core.js';
import type { TurnResult } from './types.js';

/**
 * After a turn that committed edits (`--auto-test`, `test.auto`): runs the test command and, while
 * it fails, asks the model to fix the code through `fix` (one text-mode request), up to
 * `session.max_reflections` times.
 */
export async function testLoop(core: SessionCore, result: TurnResult, signal: AbortSignal | undefined, fix: (feedback: string) => Promise<unknown>): Promise<NonNullable<TurnResult['tests']>> {
  const { detectTestCommand, trimTestOutput } = await import('./test-command.js');
  const detected = core.config.test.cmd ? { cmd: core.config.test.cmd } : await detectTestCommand(core.root);
  if (!detected) {
    core.ui.status?.('no test command: set `test.cmd` in config');
    return { status: 'not run' };
  }
  let last = await runTests(core, detected.cmd, signal);
  for (let round = 0; last.code !== 0 && round < core.config.session.maxReflections; round++) {
    core.ui.status?.(`tests failed: asking the model to fix them (${round + 1}/${core.config.session.maxReflections})`);
    const feedback = `The test command \`${detected.cmd}\` failed after your edits (exit ${last.code}):\n\n${trimTestOutput(last.output)}\n\nFix the code (not the tests, unless they are wrong) with SEARCH/REPLACE blocks.`;
    const before = result.commits.length;
    await fix(feedback);
    if (result.commits.length === before) break;
    last = await runTests(core, detected.cmd, signal);
  }
  return { status: last.code === 0 ? 'passed' : 'failed', output: last.output };
}

/** Runs `cmd` confined as `sandbox.commands` says; unconfined only once the person approved it. */
export async function runTests(core: SessionCore, cmd: string, signal: AbortSignal | undefined): Promise<{ code: number; output: string }> {
  const { runCommand, needsApproval } = await import('../sandbox/index.js');
  const mode = core.config.sandbox.commands;
  let approved = false;
  const unconfined = await needsApproval(mode);
  if (unconfined) {
    // No working bubblewrap: a command runs only after the person says so (DESIGN.md §7).
    const ok = core.options.interactive && core.ui.confirmCommand ? await core.ui.confirmCommand(cmd, unconfined.warning) : false;
    if (!ok) {
      throw new AssistError('sandbox.command-needs-approval', `not running \`${cmd}\`: ${unconfined.reason}`, {
        hint: 'install bubblewrap so commands run confined, or run it in a terminal and approve it',
        exitCode: ExitCode.refused,
      });
    }
    approved = true;
  }
  const r = await runCommand(cmd, {
    root: core.root,
    gitDir: core.store.repo.paths.gitDir,
    commonDir: core.store.repo.paths.commonDir,
    env: core.options.env,
    mode,
    approved,
    timeoutMs: 10 * 60_000,
    ...(signal ? { signal } : {}),
  });
  return { code: r.code ?? 1, output: `${r.stdout}\n${r.stderr}` };
}
