import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';

export class SummariesStatusCommand extends AssistCommand {
  static override paths = [['summaries', 'status']];
  static override usage = Command.Usage({
    category: 'Hooks and summaries',
    description: 'count fresh, stale and pending summaries',
    details: `
      Compares the summaries with the current content of every tracked file (\`.env*\` files left out): fresh (the summary describes the content as it is now), stale (it describes an older content), pending (no summary of this kind yet: new files, model calls that failed or did not fit the token budget). Also the queue (changes the hooks recorded and no refresh has handled yet), how many directory roll-ups are current, and the last refresh.

      With \`summaries.use_model\` set, only model summaries count as fresh.
    `,
    examples: [
      ['Status', '$0 summaries status'],
      ['For scripts', '$0 summaries status --json'],
    ],
  });

  json = Option.Boolean('--json', false, { description: 'print {files, fresh, stale, pending, failed, queue, dirs, last, notFresh, mode, model} as JSON' });

  async run(): Promise<number> {
    const repo = await this.repo();
    const loaded = await this.config({}, repo);
    const { summariesStatus } = await import('../../summaries/index.js');
    const status = await summariesStatus(this.context.cwd, this.context.env, loaded.config);
    if (this.json) {
      this.reporter.json(status);
      return 0;
    }
    const p = this.reporter;
    p.print(`summaries: ${status.mode === 'model' ? `by ${status.model ?? 'the model'}` : 'outlines'}`);
    p.print(`files: ${status.files}  fresh: ${status.fresh}  stale: ${status.stale}  pending: ${status.pending}${status.failed > 0 ? ` (${status.failed} failed)` : ''}`);
    p.print(`queue: ${status.queue}`);
    p.print(`directories: ${status.dirs.fresh} of ${status.dirs.total} rolled up`);
    const last = status.last;
    if (last) {
      const extra = [`${last.outlines} outlined`, ...(last.models > 0 ? [`${last.models} by model (${last.tokens} tokens)`] : []), ...(last.failed > 0 ? [`${last.failed} failed`] : [])];
      p.print(`last refresh: ${last.finishedAt} (${last.trigger}), ${extra.join(', ')}, ${last.ms} ms`);
    } else {
      p.print('last refresh: never (run `assist summaries refresh`, or `assist hooks install` to refresh on every commit)');
    }
    for (const entry of status.notFresh.slice(0, 10)) p.print(`  ${entry.state.padEnd(8)} ${entry.path}`);
    const more = status.files - status.fresh - Math.min(10, status.notFresh.length);
    if (more > 0 && status.notFresh.length > 10) p.print(`  … ${more} more not fresh`);
    return 0;
  }
}
