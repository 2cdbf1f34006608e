import { Command } from 'clipanion';
import { AssistCommand } from '../base.js';

export class HooksUninstallCommand extends AssistCommand {
  static override paths = [['hooks', 'uninstall']];
  static override usage = Command.Usage({
    category: 'Hooks and summaries',
    description: "remove assist's block from the git hooks",
    details: `
      Removes exactly the block \`assist hooks install\` added; the rest of each hook stays. A hook file assist created is deleted when nothing but its shebang is left. Lines you added by hand to hooks managed by \`core.hooksPath\` are listed for you to remove (they do nothing once assist is uninstalled).
    `,
    examples: [['Uninstall', '$0 hooks uninstall']],
  });

  async run(): Promise<number> {
    const { uninstallHooks, formatChangeReport } = await import('../../hooks/index.js');
        const report = await uninstallHooks(await this.repo(), { env: this.context.env });
    for (const line of formatChangeReport(report, 'uninstall')) this.reporter.print(line);
    return 0;
  }
}
