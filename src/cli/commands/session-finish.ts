import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';
import { usageError } from '../../errors.js';

export class SessionFinishCommand extends AssistCommand {
  static override paths = [['session', 'finish']];
  static override usage = Command.Usage({
    category: 'Sessions',
    description: "land the session's work on its base branch",
    details: `
      \`--squash\` (the default) makes one commit on the base branch with a message summarising the session; \`--merge\` keeps every commit; \`--keep\` just switches back to the base and keeps the session branch; \`--discard\` switches back and deletes the session branch and its work.

      When the base has moved, the squash is applied on the new base if that is clean, else the command refuses and names the conflicting files. Nothing is ever left half-done. These commits land on your branch, so your commit hooks run and signing follows your config; a branch with commits not on its base is never deleted without \`--discard\`.

      A worktree session (\`--worktree\`) is finished from inside its worktree (\`assist session list\` shows where): its work lands on the base as above, where the base is checked out (your work tree) its files follow, your uncommitted changes kept; then the worktree is removed. When the worktree has uncommitted or untracked files, finish refuses and names them, whatever the mode: removing it would lose them.
    `,
    examples: [
      ['Squash the session onto its base', '$0 session finish'],
      ['Keep every commit', '$0 session finish --merge'],
      ['Throw the session away', '$0 session finish --discard'],
    ],
  });

  squash = Option.Boolean('--squash', false, { description: 'one commit on the base (default)' });
  merge = Option.Boolean('--merge', false, { description: 'merge, keeping every commit' });
  keep = Option.Boolean('--keep', false, { description: 'switch back to the base, keep the session branch' });
  discard = Option.Boolean('--discard', false, { description: 'switch back and delete the session branch' });

  async run(): Promise<number> {
    const modes = (['squash', 'merge', 'keep', 'discard'] as const).filter((m) => this[m]);
    if (modes.length > 1) throw usageError('cli.finish-modes', `choose one of --squash, --merge, --keep, --discard (got ${modes.map((m) => `--${m}`).join(' ')})`);
    const [{ openStore }, kept] = await Promise.all([import('../../git/index.js'), this.checkpointsKept()]);
    const store = await openStore({ cwd: this.context.cwd, env: this.context.env, command: 'assist session finish', checkpointsKept: kept });
    try {
      const r = await store.finishSession({ mode: modes[0] ?? 'squash' });
      const onto = r.onto ?? 'the base';
      if (r.mode === 'squash' || r.mode === 'merge') {
        this.reporter.print(r.commit ? `Landed the session on ${onto} as ${r.commit.slice(0, 10)} (${r.mode}).` : `Nothing to land; back on ${onto}.`);
      } else this.reporter.print(`Back on ${onto}.`);
      if (r.worktree) this.reporter.print(`Removed the worktree ${r.worktree}.`);
      if (r.branch) this.reporter.print(r.branchDeleted ? `Deleted ${r.branch} (its commits stay reachable from refs/assist/).` : `Kept ${r.branch}.`);
      return 0;
    } finally {
      store.close();
    }
  }

  private async checkpointsKept(): Promise<number> {
    return (await this.config()).config.git.checkpointsKept;
  }
}
