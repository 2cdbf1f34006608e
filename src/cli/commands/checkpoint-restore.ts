import { Command, Option } from 'clipanion';
import { AssistCommand, notBuilt } from '../base.js';

export class CheckpointRestoreCommand extends AssistCommand {
  static override paths = [['checkpoint', 'restore']];
  static override usage = Command.Usage({
    category: 'Checkpoints',
    description: 'go back to a checkpoint',
    details: `
      Moves the session branch to the checkpoint NAME, with the same safety rules as \`assist undo\`: refused when a file it would change has uncommitted changes. An automatic checkpoint is taken first, so a restore can itself be restored.
    `,
    examples: [['Go back', '$0 checkpoint restore before-refactor']],
  });

  name = Option.String({ name: 'NAME' });

  async run(): Promise<number> {
    throw notBuilt('checkpoint restore', 'the git event store is being built');
  }
}
