import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';
import { AssistError, ExitCode, usageError } from '../../errors.js';
import type { SessionUI } from '../../session/types.js';
import type { ConfigValue } from '../../config/index.js';

export class PrCommand extends AssistCommand {
  static override paths = [['pr']];
  static override usage = Command.Usage({
    description: 'turn a task into a branch ready for a pull request (headless, for CI)',
    details: `
      Creates a branch (\`--branch\`, default \`assist/pr-<slug>-<session-id>\`) from \`--base\` (default: \`GITHUB_BASE_REF\`, or GitLab's \`CI_MERGE_REQUEST_TARGET_BRANCH_NAME\`, read from the remote's copy first; else the remote's default branch \`refs/remotes/<remote>/HEAD\`; else the current branch), runs the task without prompts within the sandbox policy, runs the test command and lets the model fix failures (at most \`session.max_reflections\` times), commits per edit, optionally squashes into one commit (\`--squash\`), pushes (\`--push\`, after the tests), and writes a pull-request body to \`--body-file\`. HEAD goes back to where it was; the work tree must have no uncommitted changes to tracked files.

      Config and the test command are read from the base ref, never from the work tree or from files the task could change. In CI (\`CI=true\`) the base's \`.assist.toml\` is trusted; elsewhere only after \`assist trust\`. The repository's own git hooks are not run unless \`--allow-repo-hooks\`. Edits to CI files, git hooks, \`.assist.toml\` and lockfiles are refused unless \`--allow-protected\`. Tests run without the model keys and push tokens in their environment. With \`ASSIST_PUSH_TOKEN\` set, the push authenticates with it (user \`ASSIST_PUSH_USER\`, default \`x-access-token\`) and nothing else sees it.

      \`--json\` prints \`session\`, \`branch\`, \`base\`, \`commits\`, \`files\`, \`tests\` (\`passed\`, \`failed\` or \`not run\`), \`pushed\`, \`usage\` and more.

      Exit codes: 0 done; 1 the tests still fail (the branch is kept, and pushed with \`--push\`), or the push failed; 2 usage; 3 refused (every edit refused, uncommitted changes, no sandbox for the tests); 4 the provider failed (nothing pushed); 5 the model proposed no change (no branch is left behind).
    `,
    examples: [
      ['A branch for a task', '$0 pr -m "upgrade the logger to v3"'],
      ['In CI, pushed, with a body for the PR', '$0 pr -m "$TASK" --push --body-file pr.md --json'],
      ['One commit, onto a release branch', '$0 pr -m "backport the fix" --base release-2.x --squash'],
    ],
  });

  message = Option.String('-m,--message', { required: true, description: 'the task' });
  base = Option.String('--base', { description: 'the ref to branch from and target' });
  branch = Option.String('--branch', { description: 'the branch to create (default assist/pr-<slug>-<session-id>)' });
  push = Option.Boolean('--push', false, { description: 'push the branch when done (after the tests)' });
  remote = Option.String('--remote', { description: 'the remote to push to (default origin)' });
  squash = Option.Boolean('--squash', false, { description: 'squash into one commit with a generated message' });
  bodyFile = Option.String('--body-file', { description: 'write the pull-request body here' });
  allowRepoHooks = Option.Boolean('--allow-repo-hooks', false, { description: "run the repository's own git hooks" });
  allowProtected = Option.Boolean('--allow-protected', false, { description: 'let the task edit CI config, git hooks, .assist.toml and lockfiles' });
  allTests = Option.Boolean('--all-tests', false, { description: 'in a workspace, test every package (default: the packages the task changed)' });
  json = Option.Boolean('--json', false, { description: 'print one JSON object on stdout' });
  jsonStream = Option.Boolean('--json-stream', false, { description: 'print JSON lines on stdout as the task goes (docs/json-stream.md)' });
  model = Option.String('--model', { description: 'provider/model to use' });

  async run(): Promise<number> {
    if (this.json && this.jsonStream) throw usageError('cli.json-and-stream', '--json and --json-stream cannot be used together', 'use --json for one object at the end, or --json-stream for lines as the task goes (its `end` line carries the same object)');
    const { runPr } = await import('../../pr/index.js');
    const reporter = this.reporter;
    const { globals } = this.context;
    const flags: Record<string, { value: ConfigValue; flag: string }> = {};
    if (globals.logFile) flags['log.file'] = { value: globals.logFile, flag: '--log-file' };
    if (globals.metricsFile) flags['metrics.file'] = { value: globals.metricsFile, flag: '--metrics-file' };

    // The reply streams to stderr (a CI log shows it); stdout is for the result.
    let midLine = false;
    const line = (text: string): void => {
      if (midLine) reporter.stderr.write('\n');
      midLine = false;
      reporter.info(reporter.err.dim(text));
    };
    const ui: SessionUI = {
      text: (delta) => {
        reporter.stderr.write(delta);
        midLine = !delta.endsWith('\n');
      },
      restart: ({ reason }) => line(`(the reply restarts: ${reason})`),
      status: line,
      review: (review) => {
        if (midLine) reporter.stderr.write('\n');
        midLine = false;
        reporter.stderr.write(renderReview(review, { color: reporter.stderrIsTTY && reporter.err.isColorSupported }));
      },
    };
    const { renderReview } = await import('../../ui/review.js');
    const { createJsonStream } = this.jsonStream ? await import('../../ui/json-stream.js') : { createJsonStream: null };
    const stream = createJsonStream ? createJsonStream(this.context.stdout, ui) : null;
    const controller = new AbortController();
    const onSigint = (): void => controller.abort();
    process.once('SIGINT', onSigint);
    try {
      // Refusals that need no model come before the base is checked out (issue 24 items 1 and 15).
      const { openStore, refuseIfOperationInProgress } = await import('../../git/index.js');
      const store = await openStore({ cwd: this.context.cwd, env: this.context.env, command: 'assist pr' });
      try {
        refuseIfOperationInProgress(store.repo.paths);
        store.refuseIfBranchBlocked(this.branch ?? 'assist/pr-x');
      } finally {
        store.close();
      }
      stream?.line({ type: 'start', v: 1, command: 'pr', session: null, branch: this.branch ?? null, model: this.model ?? null, message: this.message, base: this.base ?? null, push: this.push });
      const outcome = await runPr({
        cwd: this.context.cwd,
        env: this.context.env,
        task: this.message,
        base: this.base,
        branch: this.branch,
        push: this.push,
        remote: this.remote,
        squash: this.squash,
        bodyFile: this.bodyFile,
        allowRepoHooks: this.allowRepoHooks,
        allowProtected: this.allowProtected,
        allTests: this.allTests,
        model: this.model,
        flags,
        signal: controller.signal,
        onWarning: (text) => reporter.warn(text),
        ui: stream?.ui ?? ui,
      });
      if (midLine) reporter.stderr.write('\n');
      const { report, problem } = outcome;
      if (stream) stream.line({ type: 'end', ...report, exit_code: outcome.exitCode, ...(problem && outcome.exitCode !== ExitCode.ok ? { error: { code: problem.code, message: problem.message } } : {}) });
      else if (this.json) reporter.json(report);
      else if (report.branch) {
        reporter.print(`branch ${report.branch} from ${report.base}: ${report.commits.length} commit${report.commits.length === 1 ? '' : 's'}, ${report.files.length} file${report.files.length === 1 ? '' : 's'}`);
        reporter.print(`tests: ${report.tests}${report.test_command ? ` (${report.test_command})` : ''}`);
        if (report.refused.length > 0) reporter.print(`refused: ${report.refused.map((r) => r.file).join(', ')}`);
        for (const f of report.review) for (const b of f.breaking) reporter.print(`breaking: ${b}`);
        const risks = report.review.flatMap((f) => f.risks.map((r) => `${f.file} [${r.tag}]`));
        if (risks.length > 0) reporter.print(`risks: ${risks.join(', ')}`);
        if (report.remote) reporter.print(report.pushed ? `pushed to ${report.remote}` : `not pushed`);
        if (report.body_file) reporter.print(`body: ${report.body_file}`);
      }
      if (problem) {
        if (outcome.exitCode === ExitCode.nothingToDo) reporter.info(problem.message);
        else reporter.error(problem.message, problem.hint);
      }
      return outcome.exitCode;
    } catch (error) {
      if (stream && !stream.ended) {
        const failure = error instanceof AssistError ? { code: error.code, message: error.message } : { code: 'unexpected', message: error instanceof Error ? error.message : String(error) };
        stream.line({ type: 'end', error: failure, exit_code: error instanceof AssistError ? error.exitCode : ExitCode.failure });
      }
      throw error;
    } finally {
      process.off('SIGINT', onSigint);
    }
  }
}
