import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';

export class SessionListCommand extends AssistCommand {
  static override paths = [['session', 'list']];
  static override usage = Command.Usage({
    category: 'Sessions',
    description: 'list the sessions of this repository',
    details: `
      One line per session: id, base branch, commits ahead of the base, last activity, state; a worktree session (\`--worktree\`) adds its worktree and whether it is clean or dirty.
    `,
    examples: [['List sessions', '$0 session list']],
  });

  json = Option.Boolean('--json', false, { description: 'print JSON' });

  async run(): Promise<number> {
    const { openStore } = await import('../../git/index.js');
    const store = await openStore({ cwd: this.context.cwd, env: this.context.env, command: 'assist session list' });
    try {
      const list = await store.listSessions();
      if (this.json) {
        this.reporter.json(list);
        return 0;
      }
      if (list.length === 0) {
        this.reporter.info('No sessions yet: `assist chat` starts one.');
        return 0;
      }
      for (const s of list) {
        const state = s.finished ? `finished (${s.finished})` : s.noBranch ? `on ${s.base ?? 'HEAD'} (--no-branch)` : s.branchPending ? 'no edit yet (its branch comes with the first)' : (s.branch ?? 'no branch');
        const wt = s.worktree ? `  worktree ${s.worktree.path} ${!s.worktree.exists ? '(missing)' : s.worktree.dirty.length ? `dirty (${s.worktree.dirty.length} file(s))` : 'clean'}` : '';
        this.reporter.print(`${s.current ? '*' : ' '} ${s.id}  base ${s.base ?? '-'}  ${s.commits} commit(s) ahead  ${s.lastActivity}  ${state}${wt}`);
      }
      return 0;
    } finally {
      store.close();
    }
  }
}
