import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';

export class HookCommand extends AssistCommand {
  static override paths = [['hook']];
  static override usage = Command.Usage({
    category: 'Hooks and summaries',
    description: 'the background refresher the installed hooks start',
    details: `
      Not meant to be typed: the hooks installed by \`assist hooks install\` start it detached after \`git commit\`, \`checkout\`, \`merge\` and \`rebase\`. It works out which files changed by comparing \`git ls-files -s\` with what it saw last, records them in \`refresh-state.json\` in the shared assist folder and refreshes their tags and summaries. One runs at a time per worktree, at the lowest CPU priority: the commits that land while it runs only mark the worktree changed, and it waits for them to stop (300 ms without one, 3 s at most) before it reads the index, then stays 2 s for more before it exits. It never prints and always exits 0; errors go to \`hooks.log\` in the shared assist folder.
    `,
    examples: [['What post-commit runs', '$0 hook post-commit']],
  });

  name = Option.String({ name: 'git-hook-name' });

  async run(): Promise<number> {
    try {
      const { hookCoalescing, runHookRefresher } = await import('../refreshers.js');
      await runHookRefresher(this.name, { cwd: this.context.cwd, env: this.context.env, coalesce: hookCoalescing(this.context.env), lowPriority: true });
    } catch {
      // Never fail: nothing may reach the terminal of the git command that started us.
    }
    return 0;
  }
}
