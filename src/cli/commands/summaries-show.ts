import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';

export class SummariesShowCommand extends AssistCommand {
  static override paths = [['summaries', 'show']];
  static override usage = Command.Usage({
    category: 'Hooks and summaries',
    description: "show one file's or directory's summary",
    details: `
      Prints the summary of FILE (relative to the current directory): a header with the blob id of its current content, whether the summary is fresh (it describes that content) or stale (it describes an older content: the file changed since the last refresh), and how it was written (outline, or the model's name); then the summary.

      For a directory (\`.\` is the one you are in; the repository root gives the repository's), prints its roll-up: its sub-directories and files, each with the first line of its summary.

      Exits 1 when the file has no summary yet (run \`assist summaries refresh\`) or is not tracked.
    `,
    examples: [
      ['Show a summary', '$0 summaries show src/session/loop.ts'],
      ["A directory's roll-up", '$0 summaries show src/session'],
      ['As JSON', '$0 summaries show src/session/loop.ts --json'],
    ],
  });

  file = Option.String({ name: 'FILE' });
  json = Option.Boolean('--json', false, { description: 'print {path, blob, fresh, summaryBlob, kind, model, text} as JSON' });

  async run(): Promise<number> {
    const repo = await this.repo();
    const loaded = await this.config({}, repo);
    const { showSummary } = await import('../../summaries/index.js');
    const shown = await showSummary(this.context.cwd, this.file, this.context.env, loaded.config);
    if (this.json) {
      this.reporter.json(shown);
      return 0;
    }
    const name = shown.path === '' ? '(repository)' : shown.directory ? `${shown.path}/` : shown.path;
    const state = shown.fresh ? 'fresh' : shown.directory ? 'stale: files below changed since the roll-up' : `stale: describes blob ${shown.summaryBlob.slice(0, 12)}`;
    const how = shown.directory ? 'roll-up' : shown.kind === 'model' ? `model ${shown.model ?? ''}`.trim() : 'outline';
    this.reporter.print(shown.directory ? `${name}  ${state}  ${how}` : `${name}  blob ${shown.blob.slice(0, 12)}  ${state}  ${how}`);
    this.reporter.print('');
    this.reporter.print(shown.text);
    return 0;
  }
}
