import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';
import { usageError } from '../../errors.js';
import type { SearchHit } from '../../context/index.js';

export const MAX_SEARCH_K = 200;

export class SearchCommand extends AssistCommand {
  static override paths = [['search']];
  static override usage = Command.Usage({
    description: 'find the code a description is about',
    details: `
      Ranks chunks of the repository's source files (whole functions, classes and methods, cut along their tree-sitter definitions) for QUERY: BM25 over identifier-split terms of each chunk's text, the names it defines and its file's path, fused with the repo map's ranking of files (reciprocal rank fusion). A definition is followed by the chunks that call it.

      With \`context.embeddings = true\`, chunks are also ranked by the cosine of their vectors (from the embeddings API of \`context.embedding_model\`) with the query's, fused the same way; files without vectors are embedded first, within \`context.embedding_budget\` tokens, and each is an audit line. When the embeddings API fails, the search is lexical and says so in one line.

      Each hit is \`path:start-end\` with its score and why it is there (its place in the lexical, vector and graph rankings), then its text. The index is cached by git blob id under the common git dir, so an unchanged file is never chunked twice; the git hooks (\`assist hooks install\`) keep it fresh in the background. Works with no model configured.
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
    const query = this.query.join(' ').trim();
    if (query === '') throw usageError('search.empty-query', 'the query is empty', 'describe the code to find: `assist search "where the retry delay is computed"`');
    let k = 10;
    if (this.k !== undefined) {
      k = Number(this.k);
      if (!/^\d+$/.test(this.k.trim()) || k < 1 || k > MAX_SEARCH_K) {
        throw usageError('search.bad-k', `--k must be a whole number from 1 to ${MAX_SEARCH_K}, not '${this.k}'`, 'for example `assist search --k 5 "..."`');
      }
    }
    const repo = await this.repo();
    let scope: string | undefined;
    if (this.scope !== undefined) {
      const { existsSync } = await import('node:fs');
      const { relative, resolve, sep } = await import('node:path');
      const abs = resolve(this.context.cwd, this.scope);
      const rel = relative(repo.root, abs);
      if (rel.startsWith('..') || resolve(repo.root, rel) !== abs) throw usageError('search.path-outside', `--path ${this.scope} is outside the repository`, 'give a folder inside the repository');
      if (!existsSync(abs)) throw usageError('search.path-missing', `--path ${this.scope}: no such file or folder`, 'paths are relative to the current directory, as in git');
      scope = rel.split(sep).join('/');
    }
    const loaded = await this.config({}, repo);
    const { searchCode, vectorSetup } = await import('../../context/index.js');
    // context.embeddings: with no embeddings model to be had (an Anthropic chat model), or an API
    // that fails, the search is lexical and says so in one line; the exit code stays what it was.
    const vectors = await vectorSetup(loaded.config, this.context.env, repo, 'search').catch((error: unknown) => {
      this.reporter.warn(`${error instanceof Error ? error.message : String(error)}; search is lexical only`);
      return undefined;
    });
    const result = await searchCode({
      ...(vectors ? { vectors } : {}),
      cwd: this.context.cwd,
      env: this.context.env,
      query,
      k,
      maxFileBytes: loaded.config.context.maxFileBytes,
      ...(scope !== undefined ? { path: scope } : {}),
    });
    if (result.notice !== undefined) this.reporter.warn(result.notice);
    if (this.json) {
      const shape = (h: SearchHit): Record<string, unknown> => ({ file: h.file, start: h.start, end: h.end, score: h.score, text: h.text, why: h.why, ...(h.callers ? { callers: h.callers.map(shape) } : {}) });
      this.reporter.json(result.hits.map(shape));
      return 0;
    }
    if (result.hits.length === 0) {
      this.reporter.info('no chunks match: try other words, or the names of what you are looking for');
      return 0;
    }
    const { describeHit } = await import('../../context/index.js');
    const blocks = result.hits.map((h) => {
      const own = `${h.file}:${h.start}-${h.end}  ${h.score.toFixed(4)}  (${describeHit(h)})\n${h.text.replace(/\s+$/, '')}\n`;
      const callers = (h.callers ?? []).map((c) => `  ↳ ${c.file}:${c.start}-${c.end}  (${describeHit(c)})\n${c.text.replace(/\s+$/, '')}\n`);
      return [own, ...callers].join('\n');
    });
    this.reporter.print(blocks.join('\n'));
    return 0;
  }
}
