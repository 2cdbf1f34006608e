import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';

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
    const [{ openStore }, { reportRecovery }, kept] = await Promise.all([import('../../git/index.js'), import('../undo-redo.js'), this.checkpointsKept()]);
    const store = await openStore({ cwd: this.context.cwd, env: this.context.env, command: 'assist checkpoint restore', checkpointsKept: kept });
    try {
      await reportRecovery(store, this.reporter);
      const r = await store.restoreCheckpoint(this.name);
      if (r.from === r.to) this.reporter.print(`Already at checkpoint ${r.name}.`);
      else this.reporter.print(`Restored ${r.name}: the session is at ${r.to.slice(0, 10)}${r.undone ? ` (${r.undone} edit(s) taken back; assist redo returns them)` : ''}.`);
      return 0;
    } finally {
      store.close();
    }
  }

  private async checkpointsKept(): Promise<number> {
    return (await this.config()).config.git.checkpointsKept;
  }
}
