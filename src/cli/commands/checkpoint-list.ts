import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';

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

  json = Option.Boolean('--json', false, { description: 'print JSON' });

  async run(): Promise<number> {
    const { openStore } = await import('../../git/index.js');
    const store = await openStore({ cwd: this.context.cwd, env: this.context.env, command: 'assist checkpoint list' });
    try {
      const list = await store.listCheckpoints();
      if (this.json) this.reporter.json(list);
      else if (list.length === 0) this.reporter.info('No checkpoints in this session.');
      else for (const cp of list) this.reporter.print(`${cp.commit.slice(0, 10)}  ${cp.name}${cp.auto ? '  (automatic)' : ''}`);
      return 0;
    } finally {
      store.close();
    }
  }
}
