import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';

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
    const [{ openStore }, { reportRecovery }] = await Promise.all([import('../../git/index.js'), import('../undo-redo.js')]);
    const store = await openStore({ cwd: this.context.cwd, env: this.context.env, command: 'assist checkpoint create' });
    try {
      await reportRecovery(store, this.reporter);
      const cp = await store.createCheckpoint(this.name);
      this.reporter.print(`Checkpoint ${cp.name} at ${cp.commit.slice(0, 10)} (${cp.ref})`);
      return 0;
    } finally {
      store.close();
    }
  }
}
