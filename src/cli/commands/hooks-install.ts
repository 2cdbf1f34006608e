import { Command } from 'clipanion';
import { AssistCommand } from '../base.js';

export class HooksInstallCommand extends AssistCommand {
  static override paths = [['hooks', 'install']];
  static override usage = Command.Usage({
    category: 'Hooks and summaries',
    description: 'install the git hooks that keep tags and summaries fresh',
    details: `
      Adds a marked block (\`# >>> assist >>>\` ... \`# <<< assist <<<\`) at the top of \`post-commit\`, \`post-checkout\`, \`post-merge\` and \`post-rewrite\` in this repository's hooks folder (shared by all its worktrees), creating the files when absent. The hook's own lines, output and exit status stay as they were. The block is shell only and calls no git command: it marks the repository as changed and starts at most one background refresher (\`assist hook\`), so a commit is not slowed down. It records the absolute paths of node and of this install of assist, and does nothing once they are gone. Installing twice changes nothing; installing again after moving assist updates the block.

      When \`core.hooksPath\` points elsewhere (husky's \`.husky/_\`, or a folder set globally), assist writes nothing there and prints the line to add to each hook.
    `,
    examples: [['Install', '$0 hooks install']],
  });

  async run(): Promise<number> {
    const { installHooks, formatChangeReport } = await import('../../hooks/index.js');
        const report = await installHooks(await this.repo(), { env: this.context.env });
    for (const line of formatChangeReport(report, 'install')) this.reporter.print(line);
    return 0;
  }
}
