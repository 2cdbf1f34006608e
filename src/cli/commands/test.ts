import { Command, Option } from 'clipanion';
import { AssistCommand, chooseSessionModel, sessionFlags } from '../base.js';
import { AssistError, usageError } from '../../errors.js';
import type { GenerateTestsResult } from '../../session/test-writer.js';

export class TestCommand extends AssistCommand {
  static override paths = [['test']];
  static override usage = Command.Usage({
    description: 'tests proven to catch bugs',
    details: `
      Writes tests for each TARGET (a file, or \`file:symbol\`, relative to the current directory) in the project's own framework, following the nearest existing tests; \`--changed\` takes the definitions this branch and the work tree change instead.

      The model writes the tests and runs them until they pass (up to \`session.max_reflections\` rounds). Then the mutation check: up to \`test.mutants\` small changes to the target definition (operators swapped, conditions negated, constants moved, returned values replaced, statements removed) are each run against the tests in a scratch worktree under the git dir, never in your work tree. Changes no test catches go back to the model. The tests are committed as one commit on the session branch once at least \`test.min_mutation_score\` of the mutants are caught; otherwise the best attempt is written, not committed, and the surviving mutants are named.

      \`--json\` prints one object: \`tests\`, \`passed\`, \`committed\`, \`commit\`, \`mutants\` (\`tried\`, \`caught\`, \`survived\`, \`equivalent\`, \`score\`, and each mutant with its file, line, change and status), \`ms\`, \`mutation_ms\`, \`session\`, \`usage\`.

      Exit codes: 0 committed, 1 not good enough (the reason on stderr), 2 a bad TARGET, 3 refused (approval missing).
    `,
    examples: [
      ['Test one function', '$0 test src/lib/pricing.ts:applyDiscount --yes'],
      ['Test what this branch changed', '$0 test --changed --yes --json'],
    ],
  });

  changed = Option.Boolean('--changed', false, { description: 'test the definitions this branch and the work tree change' });
  model = Option.String('--model', { description: 'provider/model to use' });
  yes = Option.Boolean('--yes', false, { description: 'write the tests without asking (protected files still ask)' });
  json = Option.Boolean('--json', false, { description: 'print one JSON object on stdout' });
  targets = Option.Rest({ name: 'TARGET' });

  async run(): Promise<number> {
    if (this.changed === (this.targets.length > 0)) {
      throw usageError('test.usage', this.changed ? 'give TARGETs or --changed, not both' : 'nothing to test', 'usage: assist test TARGET... | --changed [--yes] [--json]');
    }
    const reporter = this.reporter;
    const repo = await this.repo();
    const loaded = await this.config(sessionFlags({ model: this.model, noBranch: false, autoTest: false }), repo);
    const model = await chooseSessionModel(this, loaded, this.model);
    const stdin = this.context.stdin as NodeJS.ReadStream;
    const interactive = stdin.isTTY === true && reporter.stderrIsTTY && !this.json;
    const { createTurnView } = await import('../../ui/turn-view.js');
    const view = createTurnView({ reporter, stdin, streamReply: false, replyTo: this.context.stdout, interactive, verbose: this.context.globals.verbose });
    const { generateTests } = await import('../../session/test-writer.js');
    const controller = new AbortController();
    const onSigint = (): void => controller.abort();
    process.once('SIGINT', onSigint);
    try {
      const result = await generateTests({
        cwd: this.context.cwd,
        env: this.context.env,
        config: loaded.config,
        model,
        ...(this.obs ? { logger: this.obs.logger, metrics: this.obs.metrics } : {}),
        targets: this.targets,
        changed: this.changed,
        yes: this.yes,
        interactive,
        ui: view,
        command: 'assist test',
        signal: controller.signal,
      });
      if (this.json) reporter.json(jsonOf(result));
      else reporter.print(render(result));
      if (!result.committed) {
        throw new AssistError('test.not-good-enough', `tests not committed: ${result.reason ?? 'see the report'}`, {
          hint: result.tests.length > 0 ? `the best attempt is in ${result.tests.join(', ')} (not committed); strengthen it, or lower test.min_mutation_score` : 'try again, or name a smaller target',
        });
      }
      return 0;
    } finally {
      process.off('SIGINT', onSigint);
    }
  }
}

function jsonOf(r: GenerateTestsResult): Record<string, unknown> {
  return {
    session: r.session,
    branch: r.branch,
    targets: r.targets,
    tests: r.tests,
    passed: r.passed,
    committed: r.committed,
    commit: r.commit,
    ...(r.reason ? { reason: r.reason } : {}),
    rounds: r.rounds,
    mutants: { tried: r.mutants.tried, caught: r.mutants.caught, survived: r.mutants.survived, equivalent: r.mutants.equivalent, score: r.mutants.score, min_score: r.mutants.minScore, results: r.mutants.results },
    dropped: r.dropped,
    ms: r.ms,
    mutation_ms: r.mutationMs,
    usage: r.usage,
    model: r.model,
    steps: r.steps,
    tool_calls: r.tool_calls,
  };
}

function render(r: GenerateTestsResult): string {
  const m = r.mutants;
  const lines = [
    `tests: ${r.tests.join(', ') || '(none)'} — ${r.passed ? 'pass' : 'fail'}`,
    `mutants: ${m.tried} tried, ${m.caught} caught, ${m.survived} survived${m.equivalent ? `, ${m.equivalent} equivalent` : ''} — score ${Math.round(m.score * 100)}% (needed ${Math.round(m.minScore * 100)}%)`,
  ];
  for (const x of m.results.filter((y) => y.status === 'survived' || y.status === 'equivalent')) lines.push(`  ${x.status === 'survived' ? 'survived' : 'equivalent'}  ${x.file}:${x.line}  ${x.change}${x.reason ? `  (${x.reason})` : ''}`);
  if (r.dropped.length > 0) lines.push(`not committed (not test files): ${r.dropped.join(', ')}`);
  lines.push(r.commit ? `committed ${r.commit.slice(0, 10)} on ${r.branch ?? 'the session branch'}` : 'not committed');
  lines.push(`time: ${(r.ms / 1000).toFixed(1)} s, of which the mutation check ${(r.mutationMs / 1000).toFixed(1)} s`);
  return lines.join('\n');
}
