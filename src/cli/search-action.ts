import { usageError } from '../errors.js';
import type { SearchHit, SearchResult } from '../context/index.js';
import type { MapIO } from './map-action.js';

export const MAX_SEARCH_K = 200;

/** The flags of `assist search`, as typed. */
export interface SearchFlags {
  k: string | undefined;
  /** `--path`, relative to the current directory. */
  scope: string | undefined;
  json: boolean;
  /** The words of QUERY. */
  query: readonly string[];
}

/** Where `assist search` runs: the command (`SearchCommand`) or the entry point's fast path (`search-fast.ts`). */
export type SearchIO = MapIO;

/** `assist search`: ranks chunks for the query and prints them, or their JSON. Returns the exit code. */
export async function searchAction(io: SearchIO, flags: SearchFlags): Promise<number> {
  const query = flags.query.join(' ').trim();
  if (query === '') throw usageError('search.empty-query', 'the query is empty', 'describe the code to find: `assist search "where the retry delay is computed"`');
  let k = 10;
  if (flags.k !== undefined) {
    k = Number(flags.k);
    if (!/^\d+$/.test(flags.k.trim()) || k < 1 || k > MAX_SEARCH_K) {
      throw usageError('search.bad-k', `--k must be a whole number from 1 to ${MAX_SEARCH_K}, not '${flags.k}'`, 'for example `assist search --k 5 "..."`');
    }
  }
  const repo = await io.repo();
  let scope: string | undefined;
  if (flags.scope !== undefined) {
    const { existsSync } = await import('node:fs');
    const { relative, resolve, sep } = await import('node:path');
    const abs = resolve(io.cwd, flags.scope);
    const rel = relative(repo.root, abs);
    if (rel.startsWith('..') || resolve(repo.root, rel) !== abs) throw usageError('search.path-outside', `--path ${flags.scope} is outside the repository`, 'give a folder inside the repository');
    if (!existsSync(abs)) throw usageError('search.path-missing', `--path ${flags.scope}: no such file or folder`, 'paths are relative to the current directory, as in git');
    scope = rel.split(sep).join('/');
  }
  const loaded = await io.config(repo);
  const { searchCode, describeHit, vectorSetup } = await import('../context/index.js');
  // context.embeddings: with no embeddings model to be had (an Anthropic chat model), or an API
  // that fails, the search is lexical and says so in one line; the exit code stays what it was.
  const vectors = await vectorSetup(loaded.config, io.env, repo, 'search').catch((error: unknown) => {
    io.reporter.warn(`${error instanceof Error ? error.message : String(error)}; search is lexical only`);
    return undefined;
  });
  const result = await searchCode({
    ...(vectors ? { vectors } : {}),
    cwd: io.cwd,
    env: io.env,
    query,
    k,
    maxFileBytes: loaded.config.context.maxFileBytes,
    ...(scope !== undefined ? { path: scope } : {}),
  });
  if (result.notice !== undefined) io.reporter.warn(result.notice);
  const v = result.vectors;
  if (v?.used) io.reporter.debug(describeVectorWeight(v));
  if (flags.json) {
    // With vectors, each hit says the weight their ranks had (`why.vectorWeight`): the JSON stays an array of hits.
    const why = (h: SearchHit): Record<string, unknown> => (v?.used ? { ...h.why, vectorWeight: v.weight, vectorWeightSource: v.weightSource } : { ...h.why });
    const shape = (h: SearchHit): Record<string, unknown> => ({ file: h.file, start: h.start, end: h.end, score: h.score, text: h.text, why: why(h), ...(h.callers ? { callers: h.callers.map(shape) } : {}) });
    io.reporter.json(result.hits.map(shape));
    return 0;
  }
  if (result.hits.length === 0) {
    io.reporter.info('no chunks match: try other words, or the names of what you are looking for');
    return 0;
  }
  const blocks = result.hits.map((h) => {
    const own = `${h.file}:${h.start}-${h.end}  ${h.score.toFixed(4)}  (${describeHit(h)})\n${h.text.replace(/\s+$/, '')}\n`;
    const callers = (h.callers ?? []).map((c) => `  ↳ ${c.file}:${c.start}-${c.end}  (${describeHit(c)})\n${c.text.replace(/\s+$/, '')}\n`);
    return [own, ...callers].join('\n');
  });
  io.reporter.print(blocks.join('\n'));
  return 0;
}

/** `--verbose`: the vector weight, where it came from and what the calibration measured. */
export function describeVectorWeight(v: NonNullable<SearchResult['vectors']>): string {
  const head = `vector weight ${v.weight} (${v.model})`;
  if (v.weightSource === 'config') return `${head}: context.vector_weight`;
  if (v.weightSource === 'default' || !v.calibration) return `${head}: the default, not calibrated yet (needs vectors for 95% of the files and 12 qualifying commits)`;
  const c = v.calibration;
  const none = c.recall[0]?.recall ?? 0;
  const pts = (x: number): string => (100 * x).toFixed(1);
  const recalls = c.recall.map((r) => `${r.weight} → ${pts(r.recall)}%${r.se === undefined ? '' : ` (${r.recall >= none ? '+' : '−'}${pts(Math.abs(r.recall - none))} ± ${pts(r.se)})`}`).join(', ');
  return `${head}: calibrated on ${c.queries} commits before ${c.commit.slice(0, 12)}, recall@10 ${recalls}; a weight counts when it gains 2 standard errors over 0`;
}
