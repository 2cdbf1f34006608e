import { Command } from 'clipanion';
import { AssistCommand, notBuilt } from '../base.js';

export class HooksStatusCommand extends AssistCommand {
  static override paths = [['hooks', 'status']];
  static override usage = Command.Usage({
    category: 'Hooks and summaries',
    description: 'tell whether the hooks are installed',
    details: `
      For each hook: installed, missing, or managed elsewhere (\`core.hooksPath\`), with the line to add in that case.
    `,
    examples: [['Check', '$0 hooks status']],
  });

  async run(): Promise<number> {
    throw notBuilt('hooks status', 'the hooks land with the hooks-and-summaries work');
  }
}
