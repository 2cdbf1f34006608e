import { Command, Option } from 'clipanion';
import { AssistCommand, notBuilt } from '../base.js';

export class SessionListCommand extends AssistCommand {
  static override paths = [['session', 'list']];
  static override usage = Command.Usage({
    category: 'Sessions',
    description: 'list the sessions of this repository',
    details: `
      One line per session: id, base branch, commits, last activity.
    `,
    examples: [['List sessions', '$0 session list']],
  });

  json = Option.Boolean('--json', false, { description: 'print JSON' });

  async run(): Promise<number> {
    throw notBuilt('session list', 'the git event store is being built');
  }
}
