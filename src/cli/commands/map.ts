import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';
import { usageError } from '../../errors.js';
import type { UpkeepReport } from '../../context/index.js';

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
    let tokens: number | undefined;
    if (this.tokens !== undefined) {
      tokens = Number(this.tokens);
      if (!/^\d+$/.test(this.tokens.trim()) || !Number.isSafeInteger(tokens)) {
        throw usageError('map.bad-tokens', `--tokens must be a whole number, not '${this.tokens}'`, 'for example `assist map --tokens 1024`');
      }
    }
    const repo = await this.repo();
    // A focus that names nothing would silently rank as if it were not given (issue 24 item 17).
    const { existsSync } = await import('node:fs');
    const { resolve } = await import('node:path');
    const missing = (this.focus ?? []).filter((f) => !existsSync(resolve(this.context.cwd, f)));
    if (missing.length > 0) {
      throw usageError('map.focus-missing', `--focus ${missing.join(', ')}: no such file`, 'paths are relative to the current directory, as in git');
    }
    const loaded = await this.config({}, repo);
    const { buildRepoMap } = await import('../../context/index.js');

    // A progress line on stderr, only on a terminal and only once a cold build has run for a second.
    const started = Date.now();
    let progressShown = false;
    const stderr = this.reporter.stderr;
    const onProgress = (done: number, total: number): void => {
      if (!this.reporter.stderrIsTTY || Date.now() - started < 1000) return;
      progressShown = true;
      stderr.write(`\rtagging files ${done}/${total}`);
    };

    const map = await buildRepoMap({
      cwd: this.context.cwd,
      env: this.context.env,
      paths: repo,
      tokens: tokens ?? loaded.config.context.mapTokens,
      maxFileBytes: loaded.config.context.maxFileBytes,
      focusFiles: this.focus ?? [],
      ...(this.query === undefined ? {} : { query: this.query }),
      onProgress,
    });
    if (progressShown) stderr.write('\r\x1b[K');

    if (this.json) {
      this.reporter.json({ tokens: map.tokens, files: map.files, definitions: map.definitions, ...(this.stats ? { stats: map.stats } : {}) });
    } else if (map.text !== '') {
      this.reporter.print(map.text);
    }
    if (this.stats && !this.json) {
      const s = map.stats;
      const ms = (n: number): string => `${Math.round(n)} ms`;
      this.reporter.info(
        [
          `files ${s.files} (excluded ${s.excluded}, skipped ${s.skipped}), parsed ${s.parsed} with ${s.workers} workers, cache hits ${s.cacheHits}, hashed ${s.hashed}${s.reused ? ', map reused' : ''}`,
          `tokens ${map.tokens}, files shown ${map.files.length}, definitions shown ${map.definitions.length}`,
          `list ${ms(s.ms.list)}, hash ${ms(s.ms.hash)}, cache ${ms(s.ms.cache)}, parse ${ms(s.ms.parse)}, rank ${ms(s.ms.rank)}, render ${ms(s.ms.render)}, total ${ms(s.ms.total)}`,
          ...(s.upkeep ? [upkeepLine(s.upkeep)] : []),
        ].join('\n'),
      );
    }
    return 0;
  }
}

function upkeepLine(upkeep: UpkeepReport): string {
  const kb = (n: number): string => `${Math.round(n / 1024)} KB`;
  const parts = upkeep.compacted.map((c) => `compacted ${c.pack} ${kb(c.before)} -> ${kb(c.after)}`);
  if (upkeep.deleted.length > 0) parts.push(`deleted ${upkeep.deleted.join(', ')}`);
  return `tags cache: ${parts.join('; ')} (${Math.round(upkeep.ms)} ms, after the map)`;
}
