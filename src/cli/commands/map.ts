import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';

export class MapCommand extends AssistCommand {
  static override paths = [['map']];
  static override usage = Command.Usage({
    description: 'print the repo map the model would see',
    details: `
      Tags every tracked source file with tree-sitter (definitions and references), links files by the identifiers they share, ranks them (PageRank personalised to \`--focus\` files and to the paths and identifiers of \`--query\`), and renders the most important definitions with their signatures within \`--tokens\` (default \`context.map_tokens\`), a budget never exceeded.

      Tags are cached by git blob id, so an unchanged file is never parsed twice. Works with no model configured.
    `,
    examples: [
      ['The map at the default budget', '$0 map'],
      ['A small map about one request', '$0 map --tokens 1024 --query "where is the retry policy?"'],
      ['Personalised to two files', '$0 map --focus src/a.ts --focus src/b.ts'],
      ['Ranked definitions as JSON', '$0 map --json'],
    ],
  });

  tokens = Option.String('--tokens', { description: 'token budget of the map' });
  focus = Option.Array('--focus', { description: 'a file to personalise the ranking to (repeatable)' });
  query = Option.String('--query', { description: 'rank as if TEXT were the request' });
  json = Option.Boolean('--json', false, { description: 'print {tokens, files, definitions}' });
  stats = Option.Boolean('--stats', false, { description: 'print files, parsed, cache hits and time per phase' });

  async run(): Promise<number> {
    const { mapAction } = await import('../map-action.js');
    return mapAction(
      { cwd: this.context.cwd, env: this.context.env, reporter: this.reporter, repo: () => this.repo(), config: (repo) => this.config({}, repo) },
      { tokens: this.tokens, focus: this.focus ?? [], query: this.query, json: this.json, stats: this.stats },
    );
  }
}
