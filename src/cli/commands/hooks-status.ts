import { Command } from 'clipanion';
import { AssistCommand } from '../base.js';

export class HooksStatusCommand extends AssistCommand {
  static override paths = [['hooks', 'status']];
  static override usage = Command.Usage({
    category: 'Hooks and summaries',
    description: 'tell whether the hooks are installed',
    details: `
      For each hook: installed, outdated (\`assist hooks install\` would change it), not installed, or managed elsewhere (\`core.hooksPath\`), with the line to add in that case. Then whether the node and assist recorded in the hooks still exist, and the background refresher's state: running, a change waiting, its last run and last error (from \`hooks.log\` in the shared assist folder).
    `,
    examples: [['Check', '$0 hooks status']],
  });

  async run(): Promise<number> {
    const { hooksStatus, formatStatus } = await import('../../hooks/index.js');
    for (const line of formatStatus(await hooksStatus(await this.repo(), { env: this.context.env }))) this.reporter.print(line);
    return 0;
  }
}
