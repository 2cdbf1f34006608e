import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';
export { MAX_SEARCH_K } from '../search-action.js';

export class SearchCommand extends AssistCommand {
  static override paths = [['search']];
  static override usage = Command.Usage({
    description: 'find the code a description is about',
    details: `
      Ranks chunks of the repository's source files (whole functions, classes and methods, cut along their tree-sitter definitions) for QUERY: BM25 over identifier-split terms of each chunk's text, the names it defines and its file's path, fused with the repo map's ranking of files (reciprocal rank fusion). A definition is followed by the chunks that call it.

      Each hit is \`path:start-end\` with its score and why it is there (its place in the lexical and graph rankings), then its text. The index is cached by git blob id under the common git dir, so an unchanged file is never chunked twice; the git hooks (\`assist hooks install\`) keep it fresh in the background. Works with no model configured.
    `,
    examples: [
      ['Find code by what it does', '$0 search "retry with backoff when the server says 429"'],
      ['The best 3 chunks under src/llm', '$0 search --k 3 --path src/llm "parse the retry-after header"'],
      ['As JSON, for scripts', '$0 search --json "session branch name"'],
    ],
  });

  k = Option.String('--k', { description: 'how many chunks to show (default 10)' });
  scope = Option.String('--path', { description: 'only files under this folder (or this file), relative to the current directory' });
  json = Option.Boolean('--json', false, { description: 'print [{file, start, end, score, text, why, callers?}] best first' });
  query = Option.Rest({ name: 'QUERY', required: 1 });

  async run(): Promise<number> {
    const { searchAction } = await import('../search-action.js');
    return searchAction(
      { cwd: this.context.cwd, env: this.context.env, reporter: this.reporter, repo: () => this.repo(), config: (repo) => this.config({}, repo) },
      { k: this.k, scope: this.scope, json: this.json, query: this.query },
    );
  }
}
