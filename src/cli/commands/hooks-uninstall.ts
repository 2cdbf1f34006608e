import { Command } from 'clipanion';
import { AssistCommand, notBuilt } from '../base.js';

export class HooksUninstallCommand extends AssistCommand {
  static override paths = [['hooks', 'uninstall']];
  static override usage = Command.Usage({
    category: 'Hooks and summaries',
    description: "remove assist's block from the git hooks",
    details: `
      Removes exactly the block \`assist hooks install\` added; the rest of each hook stays.
    `,
    examples: [['Uninstall', '$0 hooks uninstall']],
  });

  async run(): Promise<number> {
    throw notBuilt('hooks uninstall', 'the hooks land with the hooks-and-summaries work');
  }
}
