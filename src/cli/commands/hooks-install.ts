import { Command } from 'clipanion';
import { AssistCommand, notBuilt } from '../base.js';

export class HooksInstallCommand extends AssistCommand {
  static override paths = [['hooks', 'install']];
  static override usage = Command.Usage({
    category: 'Hooks and summaries',
    description: 'install the git hooks that keep tags and summaries fresh',
    details: `
      Adds a marked block to \`post-commit\`, \`post-checkout\`, \`post-merge\` and \`post-rewrite\` in this repository's hooks folder, leaving any existing hook's own lines as they were. The block is shell only: it marks the repository as changed and starts at most one background refresher, so a commit is not slowed down. Installing twice changes nothing.

      When \`core.hooksPath\` points into the work tree (husky and the like) or is set globally, assist writes nothing there and prints the line to add.
    `,
    examples: [['Install', '$0 hooks install']],
  });

  async run(): Promise<number> {
    throw notBuilt('hooks install', 'the hooks land with the hooks-and-summaries work');
  }
}
