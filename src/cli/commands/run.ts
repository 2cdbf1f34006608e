import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';

export class RunCommand extends AssistCommand {
  static override paths = [['run']];
  static override usage = Command.Usage({
    description: 'one request to the model, then exit',
    details: `
      Sends MESSAGE with the FILES in context, applies the edits the model proposes (after approval), commits them on the session branch, and exits. Failed edits are sent back to the model up to \`session.max_reflections\` times.

      Without a terminal and without \`--yes\`, edits are not applied: the command exits 3 and says how to approve. \`--json\` prints one object with \`session\`, \`branch\`, \`commits\`, \`files\` and \`usage\`. \`--json-stream\` prints one JSON object per line as the turn goes (\`start\`, \`text\`, \`tool_call\`, \`tool_result\`, \`edit\`, \`commit\`, \`usage\`, \`end\` with the \`--json\` object; docs/json-stream.md); the two do not go together.

      \`--plan\` offers the model only the read-only tools and asks for a numbered plan naming files: the plan is printed (\`plan\` in \`--json\`), recorded in the session's events, and nothing is changed. \`--worktree[=NAME]\` runs the session in a linked worktree under the common git dir (\`assist/worktrees/<NAME or id>\`) on its own session branch: your work tree, index and HEAD are not touched, and several runs on one repository go at once; NAME reuses that worktree and continues its session. \`assist session finish\` from inside it lands it and removes it. \`--max-steps N\` overrides \`session.max_steps\`. \`--max-cost USD\` stops the turn (exit 1, approved edits stay committed) once the registry's prices put it over that many dollars; it is refused when a model in use has no known price.

      Exit codes: 0 done (or a plan made), 1 failed or stopped at a limit, 2 usage, 3 refused (approval missing), 4 the provider failed after retries, 5 the model proposed no change.
    `,
    examples: [
      ['Ask for a change', '$0 run -m "add a --verbose flag" src/cli.ts'],
      ['In a script, applying edits', '$0 run --yes --json -m "fix the typo in README"'],
      ['See what would change', '$0 run --dry-run -m "rename foo to bar"'],
      ['Plan first, change nothing', '$0 run --plan -m "split the parser into modules"'],
      ['In a worktree of its own, beside your work', '$0 run --worktree --yes -m "add a changelog entry"'],
      ['For CI: lines as it goes, within a budget', '$0 run --yes --json-stream --max-cost 0.50 -m "fix the failing test"'],
    ],
  });

  message = Option.String('-m,--message', { required: true, description: 'the request' });
  files = Option.Rest({ name: 'FILES' });
  model = Option.String('--model', { description: 'provider/model to use' });
  yes = Option.Boolean('--yes', false, { description: 'apply edits without asking (protected files still ask)' });
  dryRun = Option.Boolean('--dry-run', false, { description: 'show the diffs; write and commit nothing' });
  noBranch = Option.Boolean('--no-branch', false, { description: 'record the session on the current branch' });
  autoTest = Option.Boolean('--auto-test', false, { description: 'run the test command after the edits' });
  json = Option.Boolean('--json', false, { description: 'print one JSON object on stdout' });
  jsonStream = Option.Boolean('--json-stream', false, { description: 'print JSON lines on stdout as the turn goes (docs/json-stream.md)' });
  plan = Option.Boolean('--plan', false, { description: 'plan only: read-only tools, print a numbered plan, change nothing' });
  worktree = Option.String('--worktree', { tolerateBoolean: true, description: 'run in a linked worktree on its own session branch (NAME reuses one)' });
  maxSteps = Option.String('--max-steps', { description: 'model requests the turn may make (overrides session.max_steps)' });
  maxCost = Option.String('--max-cost', { description: 'stop the turn once it costs more than this many US dollars' });

  async run(): Promise<number> {
    const { runOnce } = await import('../run-once.js');
    return runOnce(this, {
      message: this.message,
      files: this.files,
      model: this.model,
      yes: this.yes,
      dryRun: this.dryRun,
      noBranch: this.noBranch,
      autoTest: this.autoTest,
      json: this.json,
      jsonStream: this.jsonStream,
      plan: this.plan,
      maxSteps: this.maxSteps,
      maxCost: this.maxCost,
      worktree: this.worktree,
    });
  }
}
