import { AssistError, ExitCode } from '../errors.js';
import type { SessionCore } from './core.js';
import type { ChosenTests } from './test-command.js';
import type { TurnResult } from './types.js';

/**
 * After a turn that committed edits (`--auto-test`, `test.auto`): runs the test command and, while
 * it fails, asks the model to fix the code through `fix` (one text-mode request), up to
 * `session.max_reflections` times.
 */
export async function testLoop(core: SessionCore, result: TurnResult, signal: AbortSignal | undefined, fix: (feedback: string) => Promise<unknown>): Promise<NonNullable<TurnResult['tests']>> {
  const { trimTestOutput } = await import('./test-command.js');
  // The packages of the turn's edited files (a fix may touch another one: chosen again each round).
  const choose = (): Promise<ChosenTests | null> => testsFor(core, core.options.testAll ? { all: true } : { files: result.files });
  let chosen = await choose();
  if (!chosen) {
    core.ui.status?.('no test command: set `test.cmd` in config');
    return { status: 'not run' };
  }
  if (chosen.packages.length > 0) core.ui.status?.(`testing ${describePackages(chosen.packages)}`);
  let last = await runTests(core, chosen.cmd, signal);
  for (let round = 0; last.code !== 0 && round < core.config.session.maxReflections; round++) {
    core.ui.status?.(`tests failed: asking the model to fix them (${round + 1}/${core.config.session.maxReflections})`);
    const feedback = `The test command \`${chosen.cmd}\` failed after your edits (exit ${last.code}):\n\n${trimTestOutput(last.output)}\n\nFix the code (not the tests, unless they are wrong) with SEARCH/REPLACE blocks.`;
    const before = result.commits.length;
    await fix(feedback);
    if (result.commits.length === before) break;
    chosen = (await choose()) ?? chosen;
    last = await runTests(core, chosen.cmd, signal);
  }
  return { status: last.code === 0 ? 'passed' : 'failed', output: last.output, command: chosen.cmd };
}

/** The packages' folders for a status line (`''` is the root's command). */
export function describePackages(dirs: readonly string[]): string {
  return dirs.map((d) => (d === '' ? 'the root' : d)).join(', ');
}

/**
 * The tests to run (DESIGN §6 "Tests"): `all`, the packages of `files` (repo-relative files or
 * folders), or, with neither, of the files the session changed since its base (committed or not,
 * untracked included). Outside a workspace, or with `test.cmd` set, the one repository command.
 * A `pr` session chooses from the setup detected at its base (`options.testSetup`).
 */
export async function testsFor(core: SessionCore, scope: { all?: boolean; files?: readonly string[] }): Promise<ChosenTests | null> {
  const { chooseTests } = await import('./test-command.js');
  const files = scope.all ? [] : (scope.files ?? (await changedSinceBase(core)));
  return chooseTests(core.root, core.config.test.cmd, scope.all || files.length === 0 ? { all: true } : { paths: files }, core.options.env, core.options.testSetup);
}

/** Repo-relative files that differ between the session's base (HEAD before it started) and the work tree, untracked ones included. */
async function changedSinceBase(core: SessionCore): Promise<string[]> {
  const { execText } = await import('../util/exec.js');
  const base = core.info ? core.info.base.commit : 'HEAD';
  if (base === null) return [];
  const opts = { cwd: core.root, env: core.options.env };
  const [diff, untracked] = await Promise.all([execText('git', ['diff', '--name-only', '-z', '--no-renames', base, '--'], opts), execText('git', ['ls-files', '-z', '--others', '--exclude-standard'], opts)]);
  return [...new Set([...diff.stdout.split('\0'), ...untracked.stdout.split('\0')].filter(Boolean))];
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
