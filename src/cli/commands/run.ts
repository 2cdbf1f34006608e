import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';

export class RunCommand extends AssistCommand {
  static override paths = [['run']];
  static override usage = Command.Usage({
    description: 'one request to the model, then exit',
    details: `
      Sends MESSAGE with the FILES in context, applies the edits the model proposes (after approval), commits them on the session branch, and exits. Failed edits are sent back to the model up to \`session.max_reflections\` times.

      Without a terminal and without \`--yes\`, edits are not applied: the command exits 3 and says how to approve. \`--json\` prints one object with \`session\`, \`branch\`, \`commits\`, \`files\` and \`usage\`.

      Exit codes: 0 done, 3 refused (approval missing), 4 the provider failed after retries, 5 the model proposed no change.
    `,
    examples: [
      ['Ask for a change', '$0 run -m "add a --verbose flag" src/cli.ts'],
      ['In a script, applying edits', '$0 run --yes --json -m "fix the typo in README"'],
      ['See what would change', '$0 run --dry-run -m "rename foo to bar"'],
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
    });
  }
}
