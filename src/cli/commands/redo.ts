import { Command } from 'clipanion';
import { AssistCommand } from '../base.js';

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
    const { redoAction } = await import('../undo-redo.js');
    // Opens the log and metrics when a flag or the config asks for them.
    await this.config();
    return redoAction({ cwd: this.context.cwd, env: this.context.env, reporter: this.reporter, obs: this.obs });
  }
}
