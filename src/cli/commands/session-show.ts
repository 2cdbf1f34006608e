import { Command, Option } from 'clipanion';
import { AssistCommand, notBuilt } from '../base.js';

export class SessionShowCommand extends AssistCommand {
  static override paths = [['session', 'show']];
  static override usage = Command.Usage({
    category: 'Sessions',
    description: 'show one session (the current one by default)',
    details: `
      The session's branch, base, commits, checkpoints and token usage.
    `,
    examples: [
      ['The current session', '$0 session show'],
      ['Another session', '$0 session show 20261124-101500-a3f9'],
    ],
  });

  id = Option.String({ required: false, name: 'ID' });
  json = Option.Boolean('--json', false, { description: 'print JSON' });

  async run(): Promise<number> {
    throw notBuilt('session show', 'the git event store is being built');
  }
}
