import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';

export class SessionShowCommand extends AssistCommand {
  static override paths = [['session', 'show']];
  static override usage = Command.Usage({
    category: 'Sessions',
    description: 'show one session (the current one by default)',
    details: `
      The session's branch, base, commits, checkpoints and token usage.
    `,
    examples: [
      ['The current session', '$0 session show'],
      ['Another session', '$0 session show 20261124-101500-a3f9'],
    ],
  });

  id = Option.String({ required: false, name: 'ID' });
  json = Option.Boolean('--json', false, { description: 'print JSON' });

  async run(): Promise<number> {
    const { openStore } = await import('../../git/index.js');
    const store = await openStore({ cwd: this.context.cwd, env: this.context.env, command: 'assist session show' });
    try {
      const d = await store.showSession(this.id);
      if (this.json) {
        this.reporter.json(d);
        return 0;
      }
      this.reporter.print(`session   ${d.session.id}`);
      this.reporter.print(`branch    ${d.session.pendingBranch ? '(none: created at the first edit)' : (d.session.branch ?? '(detached HEAD)')}${d.session.noBranch ? ' (--no-branch)' : ''}`);
      this.reporter.print(`base      ${d.session.base.ref ?? '-'} ${d.session.base.commit?.slice(0, 10) ?? '(unborn)'}`);
      this.reporter.print(`events    ${d.events}, last ${d.lastActivity ?? '-'}${d.finished ? `, finished ${d.finished}` : ''}`);
      const usage = d.usage;
      if (usage) this.reporter.print(`tokens    ${usage.input_tokens} in, ${usage.output_tokens} out`);
      this.reporter.print(`edits     ${d.edits.length}`);
      for (const e of d.edits) this.reporter.print(`  ${e.commit.slice(0, 10)} ${e.undone ? '(undone) ' : ''}${e.summary}  [${e.files.map((f) => `${f.change} ${f.path}`).join(', ')}]`);
      if (d.checkpoints.length) this.reporter.print(`checkpoints ${d.checkpoints.map((c) => c.name).join(', ')}`);
      return 0;
    } finally {
      store.close();
    }
  }
}
