import { Command } from 'clipanion';
import { AssistCommand, notBuilt } from '../base.js';

export class RedoCommand extends AssistCommand {
  static override paths = [['redo']];
  static override usage = Command.Usage({
    description: 'restore the edits the last undo removed',
    details: `
      Puts back the commits the last \`assist undo\` took off the session branch, as recorded in the session's event chain. Refused when the branch or the files they touch changed since.
    `,
    examples: [['Redo after an undo', '$0 redo']],
  });

  async run(): Promise<number> {
    throw notBuilt('redo', 'the git event store is being built');
  }
}
