import { Command, Option } from 'clipanion';
import { AssistCommand, notBuilt } from '../base.js';

export class LogCommand extends AssistCommand {
  static override paths = [['log']];
  static override usage = Command.Usage({
    description: "show a session's events, replayed from git",
    details: `
      Rebuilds the session's events (started, messages, replies, edits, refusals, undo, redo, checkpoints, finish) from its event chain \`refs/assist/log/<session-id>\`. The current session by default.
    `,
    examples: [
      ['The current session', '$0 log'],
      ['As JSON, for scripts', '$0 log 20261124-101500-a3f9 --json'],
    ],
  });

  id = Option.String({ required: false, name: 'ID' });
  json = Option.Boolean('--json', false, { description: 'print the events as JSON' });

  async run(): Promise<number> {
    throw notBuilt('log', 'the git event store is being built');
  }
}
