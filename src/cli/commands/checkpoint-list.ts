import { Command } from 'clipanion';
import { AssistCommand, notBuilt } from '../base.js';

export class CheckpointListCommand extends AssistCommand {
  static override paths = [['checkpoint', 'list']];
  static override usage = Command.Usage({
    category: 'Checkpoints',
    description: "list the session's checkpoints",
    details: `
      Named checkpoints and the automatic ones (taken at session start and before restore and finish; the last \`git.checkpoints_kept\` are kept).
    `,
    examples: [['List checkpoints', '$0 checkpoint list']],
  });

  async run(): Promise<number> {
    throw notBuilt('checkpoint list', 'the git event store is being built');
  }
}
