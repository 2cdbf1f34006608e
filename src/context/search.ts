import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_WEIGHTS, isRequestWord, queryTerms, scoreChunks, topIndices, type Bm25Weights, type QueryTerm } from './bm25.js';
import { openIndex, type IndexOptions, type IndexStats, type OpenIndex } from './search-index.js';
import { termId, termPostings } from './search-snapshot.js';
import { identifierTerm, tokenize } from './search-tokens.js';
import { TagsCache } from './tags-cache.js';
import { addPhase } from '../obs/phases.js';
import type { CachedDef } from './types.js';
import { chunkCosine, cosines, loadVectorTable, queryVector, refreshVectors, vectorRanking, type EmbeddingsClient, type SendAudit, type VectorRefreshStats, type VectorTable } from './vectors.js';
import { calibrateVectorWeight, DEFAULT_VECTOR_WEIGHT, loadCalibration, type CalibrationOutcome, type VectorCalibration, type VectorWeightSource } from './vector-weight.js';
import { requestCosines, startRequestVectors, type RequestVectorUse, type RequestVectors, type StartedRequestVectors } from './request-vectors.js';
import { DEFAULT_HISTORY_RANK, DEFAULT_HISTORY_WEIGHT, historyRanking, readHistory, refreshHistory, type HistoryIndex, type HistoryRankOptions } from './history.js';
import { indexInSorted } from '../util/sorted.js';

/** Options of `searchCode`. */
export interface SearchOptions extends IndexOptions {
  /** A description of the code wanted, in words or identifiers. */
  query: string;
  /** Chunks to return (default 10). */
  k?: number;
  /** Only chunks of files under this repository-relative folder (or this file). */
  path?: string;
  /** Fuse with the repo map's ranking (default true). */
  graph?: boolean;
  /** Read each hit's text from the work tree (default true). */
  withText?: boolean;
  /** Tuning knobs, for the benchmark. */
  tuning?: Partial<SearchTuning>;
  /**
   * Rank by vectors too (`context.embeddings`): files without stored vectors are embedded first,
   * within `budget` tokens. A failing embeddings API leaves the search lexical, with `notice` set.
   */
  vectors?: {
    embedder: EmbeddingsClient;
    budget: number;
    audit?: SendAudit;
    signal?: AbortSignal;
    /** `context.vector_weight`: the weight fixed by hand; undefined: the calibrated one (docs/search.md "Vector weight"). */
    weight?: number;
  };
  /**
   * Rank by the stored vectors only (a request's path: a turn's hybrid chunks, chat's `/search`):
   * nothing is embedded but the query, nothing calibrated, no request sent when nothing is stored
   * (request-vectors.ts). Ignored when `vectors` is given.
   */
  requestVectors?: RequestVectors;
  /**
   * Fuse the repository's history (default: when `SearchTuning.history` > 0): the stored history
   * index as it is, built first (one `git log`) only when none is stored or it is damaged.
   */
  history?: boolean;
}

/** How the ranks are fused (reciprocal rank fusion: Σ weight / (K + rank)). */
export interface SearchTuning {
  weights: Bm25Weights;
  /** RRF constant. */
  k: number;
  /** Weight of the chunk's own lexical rank. */
  chunk: number;
  /** Weight of its file's lexical rank (by its best chunks). */
  lexical: number;
  /** Weight of index terms of the same root as a request term (`serializations` → `serialize`, `serializer`); 0: none. */
  morph: number;
  /** Weight of its file's rank in the repo map's graph (PageRank of files). */
  graph: number;
  /** Share of a file's second-best chunk added to its best in the file's lexical score. */
  second: number;
  /** Callers of one definition at most (0: none). */
  maxCallers: number;
  /** Weight of the words that say what to do (`fix`, `add`, ...) when kept (1: as any other term). */
  requestWord: number;
  /** Chunk score × (share of the request's roots it holds)^coverage; 0: off. */
  coverage: number;
  /** Weight of the terms of code the request quotes (in backticks, or an identifier such as `onTestRunEnd`, `FORCE_COLOR`, `vi.fn`); 1: as any other. */
  code: number;
  /** Leave out words that say what to do (fix, add, support, ...) when the request has others. */
  dropRequestWords: boolean;
  /** Also look for two adjacent words of the request as one identifier (`summary header` → `summaryHeader`). */
  joinWords: boolean;
  /** Weight of the chunk's vector rank, and of its file's (by its nearest chunk). */
  vector: number;
  /** Cosine at or above which another chunk is grouped with a hit as close (at most `maxClose` per hit). */
  closeVector: number;
  maxClose: number;
  /** Weight of its file's rank by the repository's history (commit subjects like the request that changed it; history.ts); 0: off. */
  history: number;
  /** How the history ranks files. */
  historyRank: HistoryRankOptions;
}

export const DEFAULT_TUNING: SearchTuning = { weights: DEFAULT_WEIGHTS, k: 60, chunk: 1, lexical: 1, morph: 0.25, graph: 0.5, second: 0.3, maxCallers: 2, dropRequestWords: false, requestWord: 0.7, coverage: 0.25, code: 1, joinWords: false, vector: DEFAULT_VECTOR_WEIGHT, closeVector: 0.8, maxClose: 2, history: DEFAULT_HISTORY_WEIGHT, historyRank: DEFAULT_HISTORY_RANK };

/** Why a hit is where it is: its 1-based place in each ranking that found it. */
export interface HitWhy {
  lexical?: number;
  graph?: number;
  vector?: number;
  /** Its file's place by the repository's history (earlier commits like the request changed it). */
  history?: number;
  /** The request's terms the chunk holds (and their relatives of the same root, `rootOf`). */
  terms: string[];
  /** For a caller: `calls NAME` (it mentions a definition of the hit it is grouped under); `close vector 0.91` for a near chunk. */
  related?: string;
}

/** One chunk found for a request. */
export interface SearchHit {
  file: string;
  /** 1-based, inclusive. */
  start: number;
  end: number;
  score: number;
  text: string;
  why: HitWhy;
  /**
   * Chunks elsewhere that call a definition of this one (at most two per definition), so they
   * arrive together; they are not ranked hits and do not count toward `k`.
   */
  callers?: SearchHit[];
}

/** A file and its fused score, best first. */
export interface FileHit {
  file: string;
  score: number;
}

export interface SearchResult {
  hits: SearchHit[];
  /** Files by fused score (lexical and graph), best first, up to 50. */
  files: FileHit[];
  stats: IndexStats & { searchMs: number };
  /**
   * With vectors: what embedding the missing files did, whether vectors took part in the ranking,
   * the weight of the vector ranks and where it came from (the stored calibration when there is one).
   */
  vectors?: VectorRefreshStats & { used: boolean; model: string; weight: number; weightSource: VectorWeightSource; calibration?: VectorCalibration };
  /** One line for the person when vectors were asked for but could not be used (the search went on lexically). */
  notice?: string;
}

// Callers are looked for only for definitions this specific: a name in more chunks says little.
const MAX_CALLER_DF = 40;
const CANDIDATE_CHUNKS = 400;
const CANDIDATE_FILES = 200;

/**
 * Ranked chunks of code for a description (DESIGN §6 "Search"): BM25 over the lexical index,
 * fused by reciprocal rank with the repo map's ranking of files (their PageRank in its graph);
 * a definition is followed by the chunks that call it, so they arrive together.
 */
export async function searchCode(options: SearchOptions): Promise<SearchResult> {
  const onRequest = options.vectors ? undefined : options.requestVectors;
  // The query's embedding goes out beside the index's update when the listing gives the store's place.
  const early = onRequest && options.listing ? startRequestVectors(options.listing.sharedAssistDir, onRequest, options.query) : undefined;
  // The updated index's files are written while the request is ranked, and awaited before the end.
  const index = await openIndex({ ...options, writeBehind: true });
  const t0 = performance.now();
  const tuning: SearchTuning = { ...DEFAULT_TUNING, ...options.tuning, ...(options.graph === false ? { graph: 0 } : {}) };
  let vec = options.vectors ? await vectorsFor(index, options.query, options.vectors) : undefined;
  let weight: { weight: number; source: VectorWeightSource; calibration?: VectorCalibration } | undefined;
  if (vec?.cos && options.vectors) {
    weight = await vectorWeightFor(index, vec.table!, tuning, options.vectors, vec.stats, options.tuning?.vector);
    tuning.vector = weight.weight;
  }
  if (onRequest) {
    const found = await requestCosines(index, early ?? startRequestVectors(index.sharedAssistDir, onRequest, options.query));
    if (found.use) {
      vec = { stats: { files: 0, chunks: 0, tokens: 0, requests: 0, pending: 0, withheld: 0 }, ...(found.cos ? { table: found.table!, cos: found.cos } : {}), ...(found.use.notice !== undefined ? { notice: `${found.use.notice}; search is lexical only` } : {}) };
      weight = { weight: found.use.weight, source: found.use.source };
      tuning.vector = options.tuning?.vector ?? found.use.weight;
    }
  }
  const tVectors = performance.now();
  const history = options.history !== false && tuning.history > 0 ? await historyOf(index, options.env) : undefined;
  const tHistory = performance.now();
  if (history !== undefined) addPhase('search.history', tHistory - tVectors);
  const ranking = rankForQuery(index, options.query, { ...(options.path !== undefined ? { path: options.path } : {}), tuning, ...(vec?.cos ? { vectors: { table: vec.table!, cos: vec.cos } } : {}), ...(history ? { history } : {}) });
  const tRank = performance.now();
  const k = Math.max(1, options.k ?? 10);
  const hits = await groupHits(index, ranking, k, tuning.maxCallers, vec?.cos ? { table: vec.table!, threshold: tuning.closeVector, max: tuning.maxClose } : undefined);
  const tGroup = performance.now();
  if (options.withText !== false) {
    // Each file read and split once: hits and their callers often share files (5 of vitest's 10 for
    // the bench's request).
    const linesOf = new Map<string, string[] | undefined>();
    for (const hit of hits) for (const h of [hit, ...(hit.callers ?? [])]) h.text = readRange(linesOf, join(index.root, h.file), h.start, h.end);
  }
  if (vec) addPhase('search.vectors', tVectors - t0);
  addPhase('search.rank', tRank - tHistory);
  addPhase('search.group', tGroup - tRank);
  addPhase('search.text', performance.now() - tGroup);
  await index.written;
  return {
    hits,
    files: ranking.files.slice(0, 50),
    stats: { ...index.stats, searchMs: performance.now() - t0 },
    ...(vec
      ? {
          vectors: {
            ...vec.stats,
            used: vec.cos !== undefined,
            model: (options.vectors ?? onRequest)!.embedder.model,
            weight: weight?.weight ?? tuning.vector,
            weightSource: weight?.source ?? 'default',
            ...(weight?.calibration ? { calibration: weight.calibration } : {}),
          },
        }
      : {}),
    ...(vec?.notice ? { notice: vec.notice } : {}),
  };
}

/**
 * The stored history index, used as it is however far HEAD has moved since (the hooks' refresher
 * extends it after each commit; a few commits missing change little); built now, by one `git log`,
 * only when none is stored or it does not read. Never throws: without it the search goes on.
 */
async function historyOf(index: OpenIndex, env: NodeJS.ProcessEnv | undefined): Promise<HistoryIndex | undefined> {
  const stored = readHistory(index.sharedAssistDir);
  // Its sections parsed now (natively, well under a millisecond): damage there rebuilds it too.
  if (stored?.commits() && stored.hasPaths()) return stored;
  return (await refreshHistory({ root: index.root, sharedAssistDir: index.sharedAssistDir, ...(env ? { env } : {}) }).catch(() => undefined))?.index;
}

/**
 * The vectors of a search: the stored ones, the missing files embedded within the budget, the
 * query embedded (once per process). Never throws: a failing API gives a notice and no cosines.
 */
async function vectorsFor(
  index: OpenIndex,
  query: string,
  options: NonNullable<SearchOptions['vectors']>,
): Promise<{ table?: VectorTable; cos?: Float32Array; stats: VectorRefreshStats; notice?: string }> {
  const model = options.embedder.model;
  let stats: VectorRefreshStats = { files: 0, chunks: 0, tokens: 0, requests: 0, pending: 0, withheld: 0 };
  const lexical = 'search is lexical only';
  try {
    let table = await loadVectorTable(index, model);
    if (table.missing.length > 0 && options.budget > 0) {
      stats = await refreshVectors(index, table, { embedder: options.embedder, budget: options.budget, ...(options.audit ? { audit: options.audit } : {}), ...(options.signal ? { signal: options.signal } : {}) });
      if (stats.files > 0) table = await loadVectorTable(index, model);
      if (stats.error) return { stats, notice: `embeddings failed (${oneLine(stats.error.message)}); ${lexical}` };
    } else {
      stats.pending = table.missing.length;
    }
    const q = await queryVector(options.embedder, query, options.signal);
    return { table, cos: cosines(table, q), stats };
  } catch (error) {
    return { stats, notice: `embeddings failed (${oneLine(error instanceof Error ? error.message : String(error))}); ${lexical}` };
  }
}

/**
 * The weight of the vector ranks: fixed by the caller (the benchmark's tuning, then
 * `context.vector_weight`), else the model's stored calibration, else calibrated now when the
 * search may embed (what is left of the budget covers the queries), else the default (plain
 * RRF). A calibration that fails leaves the default; it is tried again by the next search.
 */
async function vectorWeightFor(
  index: OpenIndex,
  table: VectorTable,
  tuning: SearchTuning,
  options: NonNullable<SearchOptions['vectors']>,
  spent: VectorRefreshStats,
  fixed: number | undefined,
): Promise<{ weight: number; source: VectorWeightSource; calibration?: VectorCalibration }> {
  if (fixed !== undefined) return { weight: fixed, source: 'config' };
  if (options.weight !== undefined) return { weight: options.weight, source: 'config' };
  const stored = await loadCalibration(index, options.embedder.model);
  if (stored) return { weight: stored.weight, source: 'calibrated', calibration: stored };
  const left = options.budget - spent.tokens;
  if (left > 0) {
    const outcome = await calibrateForIndex(index, table, { ...options, budget: left }, tuning).catch(() => undefined);
    if (outcome && 'calibration' in outcome) return { weight: outcome.calibration.weight, source: 'calibrated', calibration: outcome.calibration };
  }
  return { weight: DEFAULT_VECTOR_WEIGHT, source: 'default' };
}

/**
 * Calibrates the vector weight of an index with the search's own fusion (vector-weight.ts):
 * stored in the model's folder for the searches that follow. Throws what the embeddings client throws.
 */
export function calibrateForIndex(
  index: OpenIndex,
  table: VectorTable,
  options: { embedder: EmbeddingsClient; budget: number; audit?: SendAudit; signal?: AbortSignal; env?: NodeJS.ProcessEnv },
  tuning: Partial<SearchTuning> = {},
): Promise<CalibrationOutcome> {
  const rank = (query: string, vector: number, cos: Float32Array): string[] => rankForQuery(index, query, { tuning: { ...tuning, vector }, vectors: { table, cos } }).files.map((f) => f.file);
  return calibrateVectorWeight(index, table, { ...options, rank });
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 200);
}

/** The fused ranking of one request over an open index. */
export interface Ranking {
  /** Candidate chunks, best first, with fused scores. */
  chunks: { chunk: number; score: number }[];
  files: FileHit[];
  /** 1-based lexical place of chunks, graph place of files (0: not placed). */
  chunkLexRank: Map<number, number>;
  /** 1-based place of chunks by their vector's cosine with the query (only with vectors). */
  chunkVecRank: Map<number, number>;
  fileGraphRank: Map<number, number>;
  /** 1-based place of files by the repository's history (only with a history index). */
  fileHistoryRank: Map<number, number>;
  found: { term: string; id: number }[];
  lexical: Float64Array;
  /** Per chunk, which of `found` it holds (bit k: `found[k]`). */
  termBits: Uint32Array;
}

/** Ranks the chunks and files of an open index for a request. */
export function rankForQuery(index: OpenIndex, query: string, options: { path?: string; tuning?: Partial<SearchTuning>; vectors?: { table: VectorTable; cos: Float32Array }; history?: HistoryIndex } = {}): Ranking {
  const tuning = { ...DEFAULT_TUNING, ...options.tuning };
  const s = index.snapshot;
  const n = s.paths.length;
  let allowed: Uint8Array | undefined;
  const scope = normaliseScope(options.path);
  if (scope !== '') {
    allowed = new Uint8Array(n);
    s.paths.forEach((p, i) => {
      if (p === scope || p.startsWith(`${scope}/`)) allowed![i] = 1;
    });
  }
  let found = tuning.joinWords ? withJoinedWords(s, query, queryTerms(s, query, tuning.dropRequestWords)) : queryTerms(s, query, tuning.dropRequestWords);
  // Words that say what to do weigh less, unless the request says nothing else.
  if (tuning.requestWord !== 1 && found.some((f) => !isRequestWord(f.term))) found = found.map((f) => (isRequestWord(f.term) ? { ...f, boost: tuning.requestWord } : f));
  if (tuning.code !== 1) {
    const code = codeTerms(query);
    if (code.size > 0) found = found.map((f) => (code.has(f.term) && !isRequestWord(f.term) ? { ...f, boost: (f.boost ?? 1) * tuning.code } : f));
  }
  if (tuning.morph > 0) found = withSameRoot(s, found, tuning.morph);
  const { scores: lexical, matched, terms: termBits } = scoreChunks(s, found, tuning.weights, allowed);
  // Files by their best chunks (only the matched chunks are visited); the coverage of the request
  // scales each chunk's score in the same pass (a fresh process runs it before the JIT).
  const cover = tuning.coverage > 0 ? coverageTable(found, tuning.coverage) : undefined;
  const best = new Float64Array(n);
  const second = new Float64Array(n);
  const matchedFiles: number[] = [];
  const chunkFile = s.chunkFile;
  for (let m = 0; m < matched.length; m++) {
    const c = matched[m]!;
    let v = lexical[c]!;
    if (cover) {
      const bits = termBits[c]!;
      if ((bits & (bits - 1)) === 0) {
        // One term (most matched chunks: the request's commonest word): one root.
        v *= cover.factor[1]!;
      } else {
        const table = cover.table;
        let held = table[bits & 255]!;
        if (cover.bytes > 1) held |= table[256 + ((bits >>> 8) & 255)]! | table[512 + ((bits >>> 16) & 255)]! | table[768 + (bits >>> 24)]!;
        held -= (held >>> 1) & 0x55555555;
        held = (held & 0x33333333) + ((held >>> 2) & 0x33333333);
        v *= cover.factor[(((held + (held >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24]!;
      }
      lexical[c] = v;
    }
    const f = chunkFile[c]!;
    if (best[f] === 0) matchedFiles.push(f);
    if (v > best[f]!) {
      second[f] = best[f]!;
      best[f] = v;
    } else if (v > second[f]!) second[f] = v;
  }
  const topChunks = topIndices(lexical, CANDIDATE_CHUNKS, matched);
  const chunkLexRank = new Map<number, number>();
  topChunks.forEach((c, r) => chunkLexRank.set(c, r + 1));
  // Vectors: the chunks nearest the query, and their files by their nearest chunk.
  const chunkVecRank = options.vectors && tuning.vector > 0 ? vectorRanking(options.vectors.table, options.vectors.cos, s.chunkFile, CANDIDATE_CHUNKS, allowed) : new Map<number, number>();
  const fileVecRank = new Map<number, number>();
  for (const [c] of chunkVecRank) {
    const f = s.chunkFile[c]!;
    if (!fileVecRank.has(f)) fileVecRank.set(f, fileVecRank.size + 1);
  }

  const fileLex = new Float64Array(n);
  const secondShare = tuning.second;
  for (let m = 0; m < matchedFiles.length; m++) {
    const f = matchedFiles[m]!;
    fileLex[f] = best[f]! + secondShare * second[f]!;
  }
  const lexFiles = topIndices(fileLex, CANDIDATE_FILES, matchedFiles);
  const fileLexRank = new Map<number, number>();
  lexFiles.forEach((f, r) => fileLexRank.set(f, r + 1));

  // The repo map's graph: files by their PageRank (stored with the index), among the allowed ones.
  const fileGraphRank = new Map<number, number>();
  if (tuning.graph > 0 && (lexFiles.length > 0 || fileVecRank.size > 0)) {
    for (const f of s.graphOrder) {
      if (fileGraphRank.size >= CANDIDATE_FILES) break;
      if (!allowed || allowed[f] === 1) fileGraphRank.set(f, fileGraphRank.size + 1);
    }
  }

  // The repository's history: files changed by earlier commits whose subjects match the request.
  const fileHistoryRank = new Map<number, number>();
  if (options.history && tuning.history > 0) {
    for (const { file } of historyRanking(options.history, query, tuning.historyRank)) {
      if (fileHistoryRank.size >= CANDIDATE_FILES) break;
      const f = indexInSorted(s.paths, file);
      if (f !== -1 && (!allowed || allowed[f] === 1) && !fileHistoryRank.has(f)) fileHistoryRank.set(f, fileHistoryRank.size + 1);
    }
  }

  const rrf = (weight: number, rank: number | undefined): number => (rank === undefined ? 0 : weight / (tuning.k + rank));
  const fileScore = new Map<number, number>();
  for (const f of new Set([...fileLexRank.keys(), ...fileGraphRank.keys(), ...fileVecRank.keys(), ...fileHistoryRank.keys()])) {
    fileScore.set(f, rrf(tuning.lexical, fileLexRank.get(f)) + rrf(tuning.graph, fileGraphRank.get(f)) + rrf(tuning.vector, fileVecRank.get(f)) + rrf(tuning.history, fileHistoryRank.get(f)));
  }
  let candidates = chunkVecRank.size === 0 ? topChunks : [...new Set([...topChunks, ...chunkVecRank.keys()])];
  if (fileHistoryRank.size > 0) candidates = withHistoryChunks(s, candidates, fileHistoryRank, lexical);
  const chunks = candidates
    .map((c) => ({ chunk: c, score: rrf(tuning.chunk, chunkLexRank.get(c)) + rrf(tuning.vector, chunkVecRank.get(c)) + (fileScore.get(s.chunkFile[c]!) ?? 0) }))
    .sort((a, b) => b.score - a.score || a.chunk - b.chunk);
  // Files in the order of their best chunk (measured better than the files' own fused order),
  // then the files only the graph ranking found.
  const files: FileHit[] = [];
  const listed = new Set<number>();
  for (const { chunk, score } of chunks) {
    const f = s.chunkFile[chunk]!;
    if (listed.has(f)) continue;
    listed.add(f);
    files.push({ file: s.paths[f]!, score });
  }
  for (const [f, score] of [...fileScore].sort((a, b) => b[1] - a[1] || a[0] - b[0])) if (!listed.has(f)) files.push({ file: s.paths[f]!, score });
  return { chunks, files, chunkLexRank, chunkVecRank, fileGraphRank, fileHistoryRank, found, lexical, termBits };
}

// Files the history ranks this high get a chunk among the candidates when none of theirs is one.
const HISTORY_CHUNK_FILES = 50;

/**
 * The candidates and, for each of the history's best files without a candidate chunk, its best
 * chunk by the lexical score (its first when none matched): hits are chunks, so a file only the
 * history found needs one to be shown.
 */
function withHistoryChunks(s: OpenIndex['snapshot'], candidates: number[], fileHistoryRank: Map<number, number>, lexical: Float64Array): number[] {
  const have = new Set<number>();
  for (const c of candidates) have.add(s.chunkFile[c]!);
  const out = [...candidates];
  for (const [f, rank] of fileHistoryRank) {
    if (rank > HISTORY_CHUNK_FILES) break;
    if (have.has(f)) continue;
    const c0 = s.fileChunkStart[f]!;
    const c1 = s.fileChunkStart[f + 1]!;
    if (c1 <= c0) continue;
    let best = c0;
    for (let c = c0 + 1; c < c1; c++) if (lexical[c]! > lexical[best]!) best = c;
    out.push(best);
  }
  return out;
}

/** The terms of the code a request quotes: its backticked spans, and words written as identifiers. */
function codeTerms(query: string): Set<string> {
  const out = new Set<string>();
  for (const m of query.matchAll(/`([^`]+)`/g)) for (const t of tokenize(m[1]!)) out.add(t);
  for (const m of query.matchAll(/[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*/g)) {
    const w = m[0];
    if (/[a-z][A-Z]|_|\./.test(w)) for (const t of tokenize(w)) out.add(t);
  }
  return out;
}

/**
 * The coverage of the request (`SearchTuning.coverage`): each matched chunk's score is multiplied by
 * (the share of the request's roots it holds)^`coverage`. BM25 sums its terms, so a chunk that
 * says one word of the request many times can outrank one that holds most of them; this favours
 * the second. A root is a request term with its relatives of the same root (`withSameRoot`); only
 * the first 32 terms, those a chunk's term bits hold, count. Per byte of those bits, `table` gives
 * the roots they hold (bytes 2-4 looked up only when `bytes` > 1); `factor[n]` is the multiplier for n roots.
 * Undefined when the request has one root (nothing to scale).
 */
function coverageTable(found: QueryTerm[], coverage: number): { table: Uint32Array; bytes: number; factor: Float64Array } | undefined {
  const terms = Math.min(found.length, 32);
  // Each term's root as one bit (relatives share their request term's).
  const groupBit = new Uint32Array(terms);
  const rootAt = new Map<string, number>();
  for (let k = 0; k < terms; k++) {
    const root = rootOf(found[k]!.term);
    let g = rootAt.get(root);
    if (g === undefined) rootAt.set(root, (g = rootAt.size));
    groupBit[k] = (1 << g) >>> 0;
  }
  const groups = rootAt.size;
  if (groups < 2) return undefined;
  // The bytes past the last term's stay 0: no chunk has bits there.
  const bytes = Math.ceil(terms / 8);
  const table = new Uint32Array(bytes > 1 ? 1024 : 256);
  for (let b = 0; b < bytes; b++) {
    for (let i = 1; i < 256; i++) {
      const k = b * 8 + 31 - Math.clz32(i & -i);
      table[b * 256 + i] = table[b * 256 + (i & (i - 1))]! | (k < terms ? groupBit[k]! : 0);
    }
  }
  const factor = new Float64Array(33);
  for (let h = 1; h <= groups; h++) factor[h] = Math.pow(h / groups, coverage);
  // A chunk that holds only terms past the 32nd: as if it held one root.
  factor[0] = factor[1]!;
  return { table, bytes, factor };
}

// Endings the light stemmer (search-tokens.ts) leaves on: a request's `serialization` or `caching`
// (`cach`) and the code's `serialize`, `serializer`, `cache` share a root.
const SUFFIX = /(?:izations?|isations?|ations?|izers?|isers?|ize|ise|ers?|ors?|ions?|ments?|ness|ity|ities|ive|able|ible|ally|al|ly|ic|y|e)$/;
const ENDINGS = ['', 'ization', 'isation', 'ation', 'izer', 'iser', 'ize', 'ise', 'er', 'or', 'ion', 'ment', 'ness', 'ity', 'ive', 'able', 'ible', 'ally', 'al', 'ly', 'ic', 'y', 'e'];

/** The root of an index term: one derivational ending off, at least 4 letters left. */
export function rootOf(term: string): string {
  if (term.length < 5 || /\d/.test(term)) return term;
  const r = term.replace(SUFFIX, '');
  return r.length >= 4 ? r : term;
}

/**
 * The request's terms and the index's terms of the same root (`rootOf`), those at `weight` of a
 * request term's. Found by looking up the root with each ending (a hash look-up each), not by a
 * pass over the dictionary, which a fresh process would decode first.
 */
function withSameRoot(s: OpenIndex['snapshot'], found: QueryTerm[], weight: number): QueryTerm[] {
  const have = new Set(found.map((f) => f.id));
  const out = [...found];
  for (const q of found) {
    const root = rootOf(q.term);
    for (const ending of ENDINGS) {
      const term = root + ending;
      if (rootOf(term) !== root) continue;
      const id = termId(s, term);
      if (id === -1 || have.has(id)) continue;
      const p0 = s.termStart[id]!;
      const p1 = s.termStart[id + 1]!;
      const q0 = s.pathTermStart[id]!;
      const q1 = s.pathTermStart[id + 1]!;
      if (p0 > p1 || p1 > s.postChunk.length || q0 > q1 || q1 > s.pathTermFile.length) continue;
      have.add(id);
      out.push({ term, id, count: 1, idf: 0, boost: weight });
    }
  }
  return out.sort((a, b) => a.id - b.id);
}

/**
 * The request's terms and, for each two adjacent words of it, the whole-identifier term of the
 * two joined in camelCase when the index holds it: a request in words names an identifier that
 * way (`github actions reporter` → `GithubActionsReporter`'s `githubactions`).
 */
function withJoinedWords(s: OpenIndex['snapshot'], query: string, found: QueryTerm[]): QueryTerm[] {
  const words = query.match(/[A-Za-z][a-z0-9]*/g) ?? [];
  const have = new Set(found.map((f) => f.term));
  const out = [...found];
  for (let i = 0; i + 1 < words.length; i++) {
    const a = words[i]!;
    const b = words[i + 1]!;
    if (a.length < 2 || b.length < 2) continue;
    const term = identifierTerm(`${a.toLowerCase()}${b[0]!.toUpperCase()}${b.slice(1).toLowerCase()}`);
    if (term === undefined || have.has(term)) continue;
    have.add(term);
    const id = termId(s, term);
    if (id === -1) continue;
    const p0 = s.termStart[id]!;
    const p1 = s.termStart[id + 1]!;
    const q0 = s.pathTermStart[id]!;
    const q1 = s.pathTermStart[id + 1]!;
    if (p0 > p1 || p1 > s.postChunk.length || q0 > q1 || q1 > s.pathTermFile.length) continue;
    out.push({ term, id, count: 1, idf: 0 });
  }
  return out.sort((x, y) => x.id - y.id);
}

function normaliseScope(path: string | undefined): string {
  const p = (path ?? '').replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  return p === '.' ? '' : p;
}

/**
 * The best `k` chunks, each with the chunks elsewhere that call the definitions it holds (at
 * most `maxCallers` per definition, best ranked first), so they arrive together. Callers are
 * attached, not ranked: measured on the retrieval benchmark, callers placed among the hits
 * pushed ranked files out of the first ten (recall@10 of files 40.9% → 37.1%).
 */
async function groupHits(index: OpenIndex, ranking: Ranking, k: number, maxCallers: number, close?: { table: VectorTable; threshold: number; max: number }): Promise<SearchHit[]> {
  const s = index.snapshot;
  const hits: SearchHit[] = [];
  const shown = new Set<number>();
  const leaders = ranking.chunks.slice(0, k);
  for (const { chunk } of leaders) shown.add(chunk);
  const scoreOf = new Map(ranking.chunks.map((c) => [c.chunk, c.score]));
  // The definitions of the hits, and the ids of their names' terms (a native search of the dictionary each).
  const defs = new DefsReader(index);
  const namesOf = new Map<number, string[]>();
  if (maxCallers > 0) await Promise.all(leaders.map(async ({ chunk }) => namesOf.set(chunk, await defs.namesIn(s.chunkFile[chunk]!, s.chunkStart[chunk]!, s.chunkEnd[chunk]!))));
  const wanted = new Map<string, number>();
  for (const names of namesOf.values()) {
    for (const name of names) {
      const term = identifierTerm(name);
      if (term !== undefined && term.length >= 4) wanted.set(term, -1);
    }
  }
  for (const term of wanted.keys()) wanted.set(term, termId(s, term));
  const hitOf = (chunk: number, score: number, why: Partial<HitWhy> = {}): SearchHit => {
    const file = s.chunkFile[chunk]!;
    const lexical = ranking.chunkLexRank.get(chunk);
    const vector = ranking.chunkVecRank.get(chunk);
    const graph = ranking.fileGraphRank.get(file);
    const history = ranking.fileHistoryRank.get(file);
    return {
      file: s.paths[file]!,
      start: s.chunkStart[chunk]!,
      end: s.chunkEnd[chunk]!,
      score: Number(score.toFixed(6)),
      text: '',
      why: { ...(lexical !== undefined ? { lexical } : {}), ...(vector !== undefined ? { vector } : {}), ...(graph !== undefined ? { graph } : {}), ...(history !== undefined ? { history } : {}), terms: termsOf(ranking, chunk), ...why },
    };
  };
  for (const { chunk, score } of leaders) {
    const hit = hitOf(chunk, score);
    hits.push(hit);
    for (const name of namesOf.get(chunk) ?? []) {
      const term = identifierTerm(name);
      const id = term === undefined ? undefined : wanted.get(term);
      if (id === undefined || id === -1) continue;
      const postings = termPostings(s, id, MAX_CALLER_DF);
      if (postings === undefined) continue;
      const callers: { chunk: number; score: number }[] = [];
      for (let p = 0; p < postings.chunks.length; p++) {
        const c = postings.chunks[p]!;
        const tf = postings.tf[p]!;
        // Text mentions only: a chunk that defines the name too (an overload, a re-export) is not a caller.
        if (shown.has(c) || (tf & 0xffff) === 0 || tf >>> 16 !== 0) continue;
        callers.push({ chunk: c, score: scoreOf.get(c) ?? ranking.lexical[c]! * 1e-6 });
      }
      callers.sort((a, b) => b.score - a.score || a.chunk - b.chunk);
      for (const caller of callers.slice(0, maxCallers)) {
        shown.add(caller.chunk);
        (hit.callers ??= []).push(hitOf(caller.chunk, caller.score, { related: `calls ${name}` }));
      }
    }
    // Close vectors: candidates of this search (not all chunks: that would be a scan per hit) whose
    // vector is near the hit's, so near-duplicates and siblings arrive with it.
    if (close && close.max > 0) {
      const near: { chunk: number; cos: number }[] = [];
      for (const { chunk: c } of ranking.chunks) {
        if (shown.has(c)) continue;
        const cos = chunkCosine(close.table, chunk, c);
        if (cos >= close.threshold) near.push({ chunk: c, cos });
      }
      near.sort((a, b) => b.cos - a.cos || a.chunk - b.chunk);
      for (const { chunk: c, cos } of near.slice(0, close.max)) {
        shown.add(c);
        (hit.callers ??= []).push(hitOf(c, scoreOf.get(c) ?? 0, { related: `close vector ${cos.toFixed(2)}` }));
      }
    }
  }
  return hits;
}

function termsOf(ranking: Ranking, chunk: number): string[] {
  const bits = ranking.termBits[chunk] ?? 0;
  return ranking.found.filter((_, k) => k < 32 && (bits & (1 << k)) !== 0).map((f) => f.term).sort();
}

/** Definitions of a few files, from the tags cache (where the map snapshot says they are). */
class DefsReader {
  #cache: TagsCache;
  #index: OpenIndex;
  #defs = new Map<number, readonly CachedDef[]>();

  constructor(index: OpenIndex) {
    this.#index = index;
    this.#cache = new TagsCache(index.sharedAssistDir);
  }

  async namesIn(file: number, start: number, end: number): Promise<string[]> {
    return (await this.#of(file)).filter((d) => d.line >= start && d.line <= end).map((d) => d.name);
  }

  async #of(file: number): Promise<readonly CachedDef[]> {
    let defs = this.#defs.get(file);
    if (defs) return defs;
    defs = [];
    const key = this.#index.snapshot.keys[file] ?? '';
    const colon = key.indexOf(':');
    if (colon > 0) {
      const pack = key.slice(0, colon);
      const blob = key.slice(colon + 1);
      const s = this.#index.snapshot;
      // Where the index knows the entry's place, one positioned read; else a search of the pack.
      const length = s.tagsLen[file]!;
      const misses = length > 0 ? this.#cache.loadAt(pack, [[blob, [s.tagsAt[file]!, length]]]) : [blob];
      if (misses.length > 0) await this.#cache.loadSome(pack, misses);
      defs = this.#cache.get(pack, blob)?.defs() ?? [];
    }
    this.#defs.set(file, defs);
    return defs;
  }
}

/** Lines `start`..`end` (1-based) of a file, '' when it cannot be read; `linesOf` keeps each file's lines for the next range. */
function readRange(linesOf: Map<string, string[] | undefined>, absPath: string, start: number, end: number): string {
  if (!linesOf.has(absPath)) linesOf.set(absPath, readLines(absPath));
  return linesOf.get(absPath)?.slice(start - 1, end).join('\n') ?? '';
}

function readLines(absPath: string): string[] | undefined {
  try {
    return readFileSync(absPath, 'utf8').split('\n');
  } catch {
    return undefined;
  }
}

/** Files the map lifts for a request, with the weight each gets (best 1, then less). */
export const MAP_RETRIEVAL_FILES = 10;

/**
 * The history's part in `map --query`'s retrieval (no graph there: the map ranks its own): any
 * commit whose subject shares a term with the request, the best 50, at 0.5. The search's cut to
 * commits holding two of the request's terms cost the map 5.2 and 1.8 points on vitest ranges 1
 * and 2 for 2.0 on range 3 (docs/search.md "Twelfth session: history").
 */
export const MAP_HISTORY_TUNING: Pick<SearchTuning, 'history' | 'historyRank'> = { history: 0.5, historyRank: { ...DEFAULT_HISTORY_RANK, minTerms: 0 } };

/** What the retrieval gives `map --query`. */
export interface Retrieval {
  /** Per listed file, how strongly the request is about it (0 for most); undefined: nothing found. */
  weights?: Float64Array;
  /** With vectors asked for and stored: whether they took part. */
  vectors?: RequestVectorUse;
}

/**
 * Per listed file, how strongly the request is about it by the search's fusion of the lexical
 * index and (`vectors`: the stored ones and the query's) the vector ranks: what `map --query`
 * personalises its ranking with and lifts to the top of the map, so the files a request is about
 * are in the map even when it names no identifier. The graph ranking is left to the map itself.
 */
export async function retrievalWeights(options: IndexOptions & { query: string; vectors?: StartedRequestVectors }): Promise<Retrieval> {
  const index = await openIndex(options);
  const tVectors = performance.now();
  const found: Awaited<ReturnType<typeof requestCosines>> = options.vectors ? await requestCosines(index, options.vectors) : {};
  // What the map waited for the query's embedding and the vector table, past the index's update.
  if (options.vectors) addPhase('map.vectors', performance.now() - tVectors);
  // The stored history as it is: the map never starts `git log` (a search or the refresher builds it).
  const history = readHistory(index.sharedAssistDir);
  const ranking = rankForQuery(index, options.query, { tuning: { graph: 0, ...MAP_HISTORY_TUNING, ...(found.use ? { vector: found.use.weight } : {}) }, ...(found.cos ? { vectors: { table: found.table!, cos: found.cos } } : {}), ...(history ? { history } : {}) });
  const vectors = found.use ? { vectors: found.use } : {};
  if (ranking.files.length === 0) return vectors;
  const weights = new Float64Array(index.snapshot.paths.length);
  const position = new Map(index.snapshot.paths.map((p, i) => [p, i]));
  ranking.files.slice(0, MAP_RETRIEVAL_FILES).forEach((hit, r) => {
    const i = position.get(hit.file);
    if (i !== undefined) weights[i] = 1 - r / (MAP_RETRIEVAL_FILES * 2);
  });
  return { weights, ...vectors };
}

/** Why a hit is there, for people and models: `lexical #1, graph #19` or `calls NAME, lexical #40`. */
export function describeHit(h: SearchHit): string {
  return [h.why.related ?? '', h.why.lexical !== undefined ? `lexical #${h.why.lexical}` : '', h.why.vector !== undefined ? `vector #${h.why.vector}` : '', h.why.graph !== undefined ? `graph #${h.why.graph}` : '', h.why.history !== undefined ? `history #${h.why.history}` : ''].filter(Boolean).join(', ');
}
