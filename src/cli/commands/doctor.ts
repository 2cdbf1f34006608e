import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';

export class DoctorCommand extends AssistCommand {
  static override paths = [['doctor']];
  static override usage = Command.Usage({
    description: 'check that assist can work here, and say how to fix what is missing',
    details: `
      Checks git and its version, whether this is a repository (a linked worktree, a submodule), the config files, which provider keys are present (names only, never values), the model setting, the instruction files a session here would send (AGENTS.md and the others, with their sizes and what was left out), the git hooks, and whether the tree-sitter grammars load. Exits 1 when a check fails. Works with no model configured.
    `,
    examples: [
      ['Check this repository', '$0 doctor'],
      ['The same as one JSON object', '$0 doctor --json'],
    ],
  });

  json = Option.Boolean('--json', false, { description: 'print {ok, checks: [{id, level, what, fix?}]} on stdout' });

  async run(): Promise<number> {
    const { doctorChecks } = await import('../doctor.js');
    const checks = await doctorChecks(this);
    const failed = checks.filter((c) => c.level === 'fail').length;
    const r = this.reporter;
    if (this.json) {
      r.json({ ok: failed === 0, checks });
      return failed > 0 ? 1 : 0;
    }
    const label = { ok: r.out.green('ok  '), warn: r.out.yellow('warn'), fail: r.out.red('FAIL') };
    for (const check of checks) {
      r.print(`${label[check.level]}  ${check.what}`);
      if (check.fix && check.level !== 'ok') r.print(`      fix: ${check.fix}`);
    }
    return failed > 0 ? 1 : 0;
  }
}
