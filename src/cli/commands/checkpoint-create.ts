import { Command, Option } from 'clipanion';
import { AssistCommand, notBuilt } from '../base.js';

export class CheckpointCreateCommand extends AssistCommand {
  static override paths = [['checkpoint', 'create']];
  static override usage = Command.Usage({
    category: 'Checkpoints',
    description: 'name the current state of the session',
    details: `
      Records the session branch's tip as \`refs/assist/checkpoints/<session-id>/NAME\`. \`assist checkpoint restore NAME\` goes back to it.
    `,
    examples: [['Before a risky change', '$0 checkpoint create before-refactor']],
  });

  name = Option.String({ name: 'NAME' });

  async run(): Promise<number> {
    throw notBuilt('checkpoint create', 'the git event store is being built');
  }
}
