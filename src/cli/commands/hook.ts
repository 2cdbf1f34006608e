import { Command, Option } from 'clipanion';
import { AssistCommand, notBuilt } from '../base.js';

export class HookCommand extends AssistCommand {
  static override paths = [['hook']];
  static override usage = Command.Usage({
    category: 'Hooks and summaries',
    description: 'the background refresher the installed hooks start',
    details: `
      Not meant to be typed: the hooks installed by \`assist hooks install\` start it detached after \`git commit\`, \`checkout\`, \`merge\` and \`rebase\`. It works out which files changed by comparing \`git ls-files -s\` with the cache and refreshes their tags and summaries. It never prints and never fails the git command that started it.
    `,
    examples: [['What post-commit runs', '$0 hook post-commit']],
  });

  name = Option.String({ name: 'git-hook-name' });

  async run(): Promise<number> {
    throw notBuilt('hook', 'the hooks land with the hooks-and-summaries work');
  }
}
