import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';

export class UndoCommand extends AssistCommand {
  static override paths = [['undo']];
  static override usage = Command.Usage({
    description: "undo the session's last N edits",
    details: `
      Moves the session branch back N edit commits (default 1). Only the newest commits of the current session are undone, and only while they are at the branch tip. An edit is undone together with the snapshot of your own changes taken before it: your changes come back as uncommitted changes. Every other file keeps its exact state, staged changes still staged.

      Refused (exit 3) when the commits are not this session's, when someone else committed on top, when a commit is already on a remote-tracking branch (unless \`--force\`), or when a file they touched has uncommitted changes. \`assist redo\` restores what was undone.
    `,
    examples: [
      ['Undo the last edit', '$0 undo'],
      ['Undo the last three edits', '$0 undo 3'],
      ['Undo an edit that was already pushed', '$0 undo --force'],
    ],
  });

  count = Option.String({ required: false, name: 'N' });
  force = Option.Boolean('--force', false, { description: 'undo even commits already on a remote-tracking branch' });

  async run(): Promise<number> {
    const { parseUndoCount, undoAction } = await import('../undo-redo.js');
    // Opens the log and metrics when a flag or the config asks for them.
    await this.config();
    const count = parseUndoCount(this.count);
    return undoAction({ cwd: this.context.cwd, env: this.context.env, reporter: this.reporter, obs: this.obs }, { count, force: this.force });
  }
}
