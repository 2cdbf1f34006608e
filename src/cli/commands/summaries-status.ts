import { Command, Option } from 'clipanion';
import { AssistCommand, notBuilt } from '../base.js';

export class SummariesStatusCommand extends AssistCommand {
  static override paths = [['summaries', 'status']];
  static override usage = Command.Usage({
    category: 'Hooks and summaries',
    description: 'count fresh, stale and pending summaries',
    details: `
      Fresh, stale and pending counts, the queue length and the time of the last refresh.
    `,
    examples: [
      ['Status', '$0 summaries status'],
      ['For scripts', '$0 summaries status --json'],
    ],
  });

  json = Option.Boolean('--json', false, { description: 'print JSON' });

  async run(): Promise<number> {
    throw notBuilt('summaries status', 'summaries land with the hooks-and-summaries work');
  }
}
