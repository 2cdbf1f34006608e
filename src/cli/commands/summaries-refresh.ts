import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';

export class SummariesRefreshCommand extends AssistCommand {
  static override paths = [['summaries', 'refresh']];
  static override usage = Command.Usage({
    category: 'Hooks and summaries',
    description: 'bring per-file summaries up to date',
    details: `
      Summarises every tracked file whose current content (its git blob id) has no summary yet, then rewrites the roll-ups of the directories whose files changed. A summary is a structural outline from the tree-sitter tags (what the file exports, one line per definition with its signature); with \`summaries.use_model\` set, \`weak_model\` also writes one, within \`summaries.max_tokens_per_run\` tokens per run: files that do not fit, or whose call failed, stay pending for the next refresh.

      \`.env*\` files and files git ignores are never summarised nor sent to a model. Summaries live in the shared assist folder of the git directory, keyed by blob id, so each content is summarised once across branches and worktrees. The hooks (\`assist hooks install\`) run the same refresh in the background after every commit, checkout, merge and rebase.

      \`--all\` rewrites every summary and roll-up (after an upgrade of assist, or to spend a budget on model summaries again).
    `,
    examples: [
      ['Refresh what changed', '$0 summaries refresh'],
      ['Rewrite everything', '$0 summaries refresh --all'],
      ['For scripts', '$0 summaries refresh --json'],
    ],
  });

  all = Option.Boolean('--all', false, { description: 'rewrite every summary, not only those of new contents' });
  json = Option.Boolean('--json', false, { description: 'print what the refresh did as JSON' });

  async run(): Promise<number> {
    const repo = await this.repo();
    const loaded = await this.config({}, repo);
    const { refreshSummaries } = await import('../../summaries/index.js');
    const report = await refreshSummaries({ cwd: this.context.cwd, env: this.context.env, config: loaded.config, all: this.all, trigger: 'command' });
    for (const warning of report.warnings) this.reporter.warn(warning);
    if (this.json) {
      this.reporter.json(report);
      return 0;
    }
    const parts = [`${report.files} files: ${report.upToDate} already up to date, ${report.outlines} outlined`];
    if (report.mode === 'model') parts.push(`${report.models} summarised by ${report.model ?? 'the model'} (${report.tokens} tokens)`);
    if (report.overBudget > 0) parts.push(`${report.overBudget} left for the next run (token budget spent)`);
    if (report.notSent > 0) parts.push(`${report.notSent} not sent (the provider kept failing)`);
    if (report.skipped.length > 0) parts.push(`${report.skipped.length} skipped (.env or ignored)`);
    parts.push(`${report.dirsRebuilt} director${report.dirsRebuilt === 1 ? 'y' : 'ies'} rolled up`);
    this.reporter.print(`${parts.join(', ')}; ${Math.round(report.ms)} ms`);
    for (const failure of report.failed.slice(0, 10)) this.reporter.warn(`${failure.path}: model call failed (${failure.error}); it stays pending`);
    if (report.failed.length > 10) this.reporter.warn(`… and ${report.failed.length - 10} more failed calls`);
    return 0;
  }
}
