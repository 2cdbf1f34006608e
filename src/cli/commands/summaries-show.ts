import { Command, Option } from 'clipanion';
import { AssistCommand, notBuilt } from '../base.js';

export class SummariesShowCommand extends AssistCommand {
  static override paths = [['summaries', 'show']];
  static override usage = Command.Usage({
    category: 'Hooks and summaries',
    description: "show one file's summary",
    details: `
      Prints the summary of FILE with its blob id and whether it is fresh (matches the file's current content).
    `,
    examples: [['Show a summary', '$0 summaries show src/session/loop.ts']],
  });

  file = Option.String({ name: 'FILE' });

  async run(): Promise<number> {
    throw notBuilt('summaries show', 'summaries land with the hooks-and-summaries work');
  }
}
