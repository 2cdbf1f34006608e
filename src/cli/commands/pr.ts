import { Command, Option } from 'clipanion';
import { AssistCommand, notBuilt } from '../base.js';

export class PrCommand extends AssistCommand {
  static override paths = [['pr']];
  static override usage = Command.Usage({
    description: 'turn a task into a branch ready for a pull request (headless, for CI)',
    details: `
      Creates a branch (\`--branch\`, default \`assist/pr-<slug>-<session-id>\`) from \`--base\` (default: \`GITHUB_BASE_REF\` or the CI system's equivalent, else the remote's default branch, else the current branch), runs the task without prompts within the sandbox policy, runs the test command and lets the model fix failures (bounded), commits per edit, optionally squashes (\`--squash\`), pushes (\`--push\`), and writes a pull-request body to \`--body-file\`.

      Config and the test command are read from the base ref, not from files the task could change. The repository's own git hooks are not run unless \`--allow-repo-hooks\`. Edits to CI files, hooks and \`.assist.toml\` are refused. A task that produced no change exits 5 and creates no branch.
    `,
    examples: [
      ['A branch for a task', '$0 pr -m "upgrade the logger to v3"'],
      ['In CI, pushed, with a body for the PR', '$0 pr -m "$TASK" --push --body-file pr.md --json'],
    ],
  });

  message = Option.String('-m,--message', { required: true, description: 'the task' });
  base = Option.String('--base', { description: 'the ref to branch from and target' });
  branch = Option.String('--branch', { description: 'the branch to create' });
  push = Option.Boolean('--push', false, { description: 'push the branch when done' });
  remote = Option.String('--remote', { description: 'the remote to push to (default origin)' });
  squash = Option.Boolean('--squash', false, { description: 'squash into one commit with a generated message' });
  bodyFile = Option.String('--body-file', { description: 'write the pull-request body here' });
  allowRepoHooks = Option.Boolean('--allow-repo-hooks', false, { description: "run the repository's own git hooks" });
  json = Option.Boolean('--json', false, { description: 'print one JSON object on stdout' });
  model = Option.String('--model', { description: 'provider/model to use' });

  async run(): Promise<number> {
    throw notBuilt('pr', 'the PR path lands with the PR-in-CI work');
  }
}
