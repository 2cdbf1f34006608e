import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { OpenIndex } from './search-index.js';
import { vectorsDir } from './vector-store.js';
import { cosines, type EmbeddingsClient, type SendAudit, type VectorTable } from './vectors.js';

/** The weight of the vector ranks before any calibration: plain reciprocal rank fusion. */
export const DEFAULT_VECTOR_WEIGHT = 1;

/** The vector weights a calibration chooses from: none, a quarter, a half, plain RRF. */
export const VECTOR_WEIGHT_GRID: readonly number[] = [0, 0.25, 0.5, 1];
/** Commits of the repository's history a calibration asks at most. */
export const CALIBRATION_QUERIES = 50;
/** Fewer qualifying commits than this: too little evidence, the default weight stays. */
export const MIN_CALIBRATION_QUERIES = 12;
/** Share of the index's files that must have vectors before a calibration means something. */
const MIN_COVERAGE = 0.95;
// 2: a weight counts only when it beats no vectors by two standard errors (nineteenth session).
const CALIBRATION_FORMAT = 2;
/**
 * How many standard errors of the paired difference (per query, recall@10 at a weight minus at 0)
 * a weight's gain over no vectors must reach before the vectors count: the usual two, so that a
 * gain a few lucky commits make is not taken for the model's worth.
 */
export const CALIBRATION_MIN_GAIN_SE = 2;
const CHARS_PER_TOKEN = 3.5;

/** One query of the calibration: a commit's subject and the source files it changed. */
export interface CalibrationQuery {
  commit: string;
  query: string;
  answer: string[];
}

/** What a calibration measured and chose, stored in the model's vector folder (`weight.json`). */
export interface VectorCalibration {
  format: number;
  model: string;
  /** The commit the index stood at; the queries are commits strictly older than it. */
  commit: string;
  /** The weight chosen: the best recall@10 among the weights whose gain over 0 is at least {@link CALIBRATION_MIN_GAIN_SE} standard errors, ties to the larger weight; else 0. */
  weight: number;
  /**
   * Recall@10 of the calibration queries per weight of the grid, in the grid's order, and for a
   * weight above 0 the standard error of its gain over 0 (paired by query).
   */
  recall: { weight: number; recall: number; se?: number }[];
  queries: number;
}

/** Where a search's vector weight came from. */
export type VectorWeightSource = 'config' | 'calibrated' | 'default';

/**
 * A ranking of files for a query at a vector weight: the search's own fusion, passed in so this
 * module does not import search.ts (which imports it).
 */
export type RankFiles = (query: string, vectorWeight: number, cos: Float32Array) => string[];

function calibrationPath(index: Pick<OpenIndex, 'sharedAssistDir'>, model: string): string {
  return join(vectorsDir(index.sharedAssistDir, model), 'weight.json');
}

/** The stored calibration of this model, when there is a valid one. */
export async function loadCalibration(index: Pick<OpenIndex, 'sharedAssistDir'>, model: string): Promise<VectorCalibration | undefined> {
  try {
    const c = JSON.parse(await readFile(calibrationPath(index, model), 'utf8')) as Partial<VectorCalibration>;
    if (c.format !== CALIBRATION_FORMAT || c.model !== model || typeof c.weight !== 'number' || !Number.isFinite(c.weight) || c.weight < 0) return undefined;
    return c as VectorCalibration;
  } catch {
    return undefined;
  }
}

// The same request types the retrieval benchmark leaves out: their subjects say little about code.
const SKIP_TYPES = /^(chore|ci|docs|release|build|revert|style)(\(|!|:)/i;

/** A commit subject as a request: the conventional-commit prefix and PR or issue numbers removed. */
export function cleanSubject(subject: string): string {
  return subject
    .replace(/^[\w-]+(\([^)]*\))?!?:\s*/, '')
    .replace(/\s*\((?:fix(?:es)?|close[sd]?|resolve[sd]?)?\s*#\d+(?:,\s*#\d+)*\)/gi, '')
    .replace(/\s*#\d+\s*$/, '')
    .trim();
}

/**
 * The calibration's queries, from the history before the index's commit (`HEAD^` and older,
 * first parent, no merges): the subjects of the last `limit` commits that are not chore, ci,
 * docs, release, build, revert or style, have two words or more and modified (or deleted) 1-20
 * files of which some are in the index; the answer is those files. One `git log`.
 */
export async function calibrationQueries(index: OpenIndex, limit = CALIBRATION_QUERIES, env?: NodeJS.ProcessEnv): Promise<{ commit: string; queries: CalibrationQuery[] }> {
  const run = (args: string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile('git', args, { cwd: index.root, env: { ...(env ?? process.env), GIT_OPTIONAL_LOCKS: '0' }, encoding: 'utf8', maxBuffer: 1 << 28 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
    });
  const commit = (await run(['rev-parse', '--verify', '-q', 'HEAD']).catch(() => '')).trim();
  if (commit === '') return { commit, queries: [] };
  const log = await run(['log', '--first-parent', '--no-merges', '--no-renames', '--name-status', '--format=%x1e%H%x09%s', '-n', String(limit * 8), `${commit}^`, '--']).catch(() => '');
  const indexed = new Set(index.snapshot.paths.filter((_, f) => index.snapshot.fileChunkStart[f + 1]! > index.snapshot.fileChunkStart[f]!));
  const queries: CalibrationQuery[] = [];
  for (const record of log.split('\x1e')) {
    if (queries.length >= limit) break;
    const lines = record.split('\n');
    const head = lines[0] ?? '';
    const tab = head.indexOf('\t');
    if (tab < 0) continue;
    const subject = head.slice(tab + 1);
    if (SKIP_TYPES.test(subject) || subject.startsWith('Merge ')) continue;
    const query = cleanSubject(subject);
    if (query.split(/\s+/).length < 2) continue;
    const changed = lines
      .slice(1)
      .map((l) => l.split('\t'))
      .filter(([status, path]) => (status === 'M' || status === 'D') && path !== undefined)
      .map(([, path]) => path!);
    if (changed.length === 0 || changed.length > 20) continue;
    const answer = changed.filter((p) => indexed.has(p));
    if (answer.length > 0) queries.push({ commit: head.slice(0, tab), query, answer });
  }
  return { commit, queries };
}

/** Recall@10 of one ranking of files: the share of the answer among the first ten distinct files. */
export function recallAt10(files: readonly string[], answer: readonly string[]): number {
  const top = new Set<string>();
  for (const f of files) {
    top.add(f);
    if (top.size === 10) break;
  }
  return answer.filter((a) => top.has(a)).length / answer.length;
}

/**
 * Chooses the vector weight from the grid by recall@10 on the queries, given their embeddings.
 * Vectors count when they measurably help: a weight above 0 is a candidate only when its mean gain
 * over no vectors, paired by query, is at least {@link CALIBRATION_MIN_GAIN_SE} standard errors
 * (or every query gains alike); of the candidates the best mean recall wins, ties to the larger
 * weight; none, 0. Vectors that carry no signal (the project's fake server's hashed word bags)
 * measured +3.1 points on one range's 50 commits by luck, and lost 1.7 on its requests.
 */
export function chooseWeight(queries: readonly CalibrationQuery[], vectors: readonly Float32Array[], table: VectorTable, rank: RankFiles): { weight: number; recall: { weight: number; recall: number; se?: number }[] } {
  const per: number[][] = queries.map((q, i) => {
    const cos = cosines(table, vectors[i]!);
    return VECTOR_WEIGHT_GRID.map((w) => recallAt10(rank(q.query, w, cos), q.answer));
  });
  const n = Math.max(1, queries.length);
  // Decided on the exact figures; stored rounded.
  const measured = VECTOR_WEIGHT_GRID.map((weight, g) => {
    const mean = per.reduce((sum, r) => sum + r[g]!, 0) / n;
    if (g === 0) return { weight, mean, gain: 0, se: undefined };
    const gains = per.map((r) => r[g]! - r[0]!);
    const gain = gains.reduce((a, b) => a + b, 0) / n;
    const variance = gains.length > 1 ? gains.reduce((a, d) => a + (d - gain) ** 2, 0) / (gains.length - 1) : 0;
    return { weight, mean, gain, se: Math.sqrt(variance / n) };
  });
  let best = measured[0]!;
  for (const m of measured) {
    if (m.se === undefined || !(m.gain > 0 && (m.se === 0 || m.gain >= CALIBRATION_MIN_GAIN_SE * m.se))) continue;
    if (best.se === undefined || m.mean >= best.mean) best = m;
  }
  const round = (x: number): number => Number(x.toFixed(4));
  const recall = measured.map((m) => (m.se === undefined ? { weight: m.weight, recall: round(m.mean) } : { weight: m.weight, recall: round(m.mean), se: round(m.se) }));
  return { weight: best.weight, recall };
}

/** What {@link calibrateVectorWeight} did: the calibration, or why there is none. */
export type CalibrationOutcome = { calibration: VectorCalibration; tokens: number; requests: number } | { skipped: 'coverage' | 'queries' | 'budget' | 'no-commit' };

/**
 * Calibrates the weight of the vector ranks on the repository's own history (docs/search.md
 * "Vector weight"): the subjects of the last qualifying commits before the index's commit are
 * the queries, the source files they changed the answers; the queries are embedded in one
 * batched call (within `budget` tokens), each weight of the grid is tried with the search's own
 * fusion, and the best by recall@10 is stored in the model's folder. Skipped (nothing stored)
 * when under 95% of the index's files have vectors, with too few qualifying commits or over the
 * budget. Throws what the embeddings client throws.
 */
export async function calibrateVectorWeight(
  index: OpenIndex,
  table: VectorTable,
  options: { embedder: EmbeddingsClient; budget: number; rank: RankFiles; audit?: SendAudit; signal?: AbortSignal; env?: NodeJS.ProcessEnv },
): Promise<CalibrationOutcome> {
  const s = index.snapshot;
  let withChunks = 0;
  for (let f = 0; f < s.paths.length; f++) if (s.fileChunkStart[f + 1]! > s.fileChunkStart[f]!) withChunks++;
  if (withChunks === 0 || table.missing.length > (1 - MIN_COVERAGE) * withChunks) return { skipped: 'coverage' };
  const { commit, queries } = await calibrationQueries(index, CALIBRATION_QUERIES, options.env);
  if (commit === '') return { skipped: 'no-commit' };
  if (queries.length < MIN_CALIBRATION_QUERIES) return { skipped: 'queries' };
  const texts = queries.map((q) => q.query);
  if (Math.ceil(texts.join('\n').length / CHARS_PER_TOKEN) > options.budget) return { skipped: 'budget' };
  // Commit subjects are the repository's text too: one audit line says they went.
  await options.audit?.append({ op: 'send', path: '.', result: 'ok', reason: `embedding by ${options.embedder.model}: ${texts.length} commit subjects (vector weight calibration)` }).catch(() => undefined);
  const out = await options.embedder.embed(texts, options.signal);
  const chosen = chooseWeight(queries, out.vectors, table, options.rank);
  const calibration: VectorCalibration = { format: CALIBRATION_FORMAT, model: options.embedder.model, commit, weight: chosen.weight, recall: chosen.recall, queries: queries.length };
  const path = calibrationPath(index, options.embedder.model);
  await mkdir(join(path, '..'), { recursive: true })
    .then(() => writeFileAtomic(path, `${JSON.stringify(calibration)}\n`, { fsync: false }))
    .catch(() => undefined);
  return { calibration, tokens: out.tokens, requests: out.requests };
}
