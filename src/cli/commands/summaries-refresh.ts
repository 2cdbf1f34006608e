import { Command, Option } from 'clipanion';
import { AssistCommand, notBuilt } from '../base.js';

export class SummariesRefreshCommand extends AssistCommand {
  static override paths = [['summaries', 'refresh']];
  static override usage = Command.Usage({
    category: 'Hooks and summaries',
    description: 'bring per-file summaries up to date',
    details: `
      Summarises the files whose content (git blob id) has no summary yet: structural outlines from the tags, or written by \`weak_model\` when \`summaries.use_model\` is set, within \`summaries.max_tokens_per_run\`. \`--all\` rebuilds every summary.
    `,
    examples: [
      ['Refresh what changed', '$0 summaries refresh'],
      ['Rebuild everything', '$0 summaries refresh --all'],
    ],
  });

  all = Option.Boolean('--all', false, { description: 'rebuild every summary' });

  async run(): Promise<number> {
    throw notBuilt('summaries refresh', 'summaries land with the hooks-and-summaries work');
  }
}
