import { TagExtractor } from './extractor.js';
import { languageForPath } from './languages.js';
import { additive, type SectionCounts } from './render.js';
import { estimateTokens, lazyTokenCounter, type TokenCounter } from './tokens.js';
import type { CachedDef } from './types.js';

/** A piece of a file: whole definitions where they fit, inner boundaries where they do not. */
export interface Chunk {
  file: string;
  /** 1-based, inclusive. */
  startLine: number;
  endLine: number;
  /** Definitions that start inside the chunk. */
  names: string[];
  /** First lines of the definitions enclosing the chunk (class > method), outermost first. */
  header: string[];
  text: string;
}

export interface ChunkOptions {
  /** Target size of a chunk in (estimated) tokens; a single line longer than that is kept whole. */
  maxTokens?: number;
}

const DEFAULT_CHUNK_TOKENS = 400;
const leadingComment = /^\s*(\/\/|#|\/\*|\*|@|\/\/\/|--|;)/;

/**
 * Cuts a file into chunks along its definitions: each function, class or method is one chunk
 * when it fits `maxTokens` (small neighbours are packed together); a larger one is split at
 * the definitions inside it (methods of a class), and a large definition with none inside is
 * split into runs of lines. Comments and decorators directly above a definition stay with it.
 */
export function chunkSource(file: string, source: string, defs: readonly CachedDef[], options: ChunkOptions = {}): Chunk[] {
  const max = options.maxTokens ?? DEFAULT_CHUNK_TOKENS;
  const lines = source.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) return [];
  const cost = lines.map((l) => estimateTokens(l) + 1);

  // Boundaries: where each definition starts (moved up over its comments) and after it ends.
  const starts = new Set<number>([0]);
  const startOf = (def: CachedDef): number => {
    let row = def.line - 1;
    while (row > 0 && leadingComment.test(lines[row - 1] ?? '')) row--;
    return row;
  };
  for (const def of defs) {
    starts.add(startOf(def));
    if (def.endLine < lines.length) starts.add(def.endLine);
  }
  const rows = [...starts].filter((r) => r >= 0 && r < lines.length).sort((a, b) => a - b);

  const chunks: Chunk[] = [];
  let chunkStart = -1;
  let chunkCost = 0;
  const emit = (end: number): void => {
    if (chunkStart < 0 || end < chunkStart) return;
    chunks.push(makeChunk(file, lines, defs, chunkStart, end));
    chunkStart = -1;
    chunkCost = 0;
  };
  for (let i = 0; i < rows.length; i++) {
    const segStart = rows[i]!;
    const segEnd = (rows[i + 1] ?? lines.length) - 1;
    let segCost = 0;
    for (let r = segStart; r <= segEnd; r++) segCost += cost[r]!;
    if (chunkStart >= 0 && chunkCost + segCost > max) emit(segStart - 1);
    if (segCost > max) {
      // No definition boundary inside: cut into runs of lines.
      let runStart = segStart;
      let runCost = 0;
      for (let r = segStart; r <= segEnd; r++) {
        if (runCost > 0 && runCost + cost[r]! > max) {
          chunks.push(makeChunk(file, lines, defs, runStart, r - 1));
          runStart = r;
          runCost = 0;
        }
        runCost += cost[r]!;
      }
      chunkStart = runStart;
      chunkCost = runCost;
      continue;
    }
    if (chunkStart < 0) chunkStart = segStart;
    chunkCost += segCost;
  }
  emit(lines.length - 1);
  return chunks.filter((c) => c.text.trim() !== '');
}

function makeChunk(file: string, lines: string[], defs: readonly CachedDef[], start: number, end: number): Chunk {
  const names = defs.filter((d) => d.line - 1 >= start && d.line - 1 <= end).map((d) => d.name);
  // Enclosing definitions: start before the chunk and end inside or after it.
  const header = defs
    .filter((d) => d.line - 1 < start && d.endLine - 1 >= start)
    .sort((a, b) => a.line - b.line)
    .map((d) => d.signature.split('\n')[0]!);
  return { file, startLine: start + 1, endLine: end + 1, names, header, text: lines.slice(start, end + 1).join('\n') };
}

let extractor: TagExtractor | undefined;

/** Chunks of one file's content, with its definitions from tree-sitter (no tags: runs of lines). */
export async function chunkFile(file: string, content: string | Buffer, options: ChunkOptions & { maxFileBytes?: number } = {}): Promise<Chunk[]> {
  const buffer = Buffer.isBuffer(content) ? content : Buffer.from(content);
  const lang = languageForPath(file);
  let defs: CachedDef[] = [];
  if (lang) {
    extractor ??= new TagExtractor({ baseline: true });
    defs = (await extractor.extractBuffer(lang.id, buffer, { maxFileBytes: options.maxFileBytes ?? 1 << 20 })).defs;
  }
  return chunkSource(file, buffer.toString('utf8'), defs, options);
}

/** How a chunk is shown to the model. */
export function renderChunk(chunk: Chunk): string {
  const head = chunk.header.length > 0 ? `${chunk.header.join('\n')}\n⋮\n` : '';
  return `${chunk.file} (lines ${chunk.startLine}-${chunk.endLine}):\n${head}${chunk.text}\n`;
}

/**
 * A chunk as a unit of the context's text: its rendering and a blank line. Units are put side by
 * side, and each ends with a line break o200k_base closes its piece on before a path (which starts
 * with neither whitespace nor `/`), so the count of chunks side by side is the sum of their
 * counts (`additive`, as for the map's sections; `chunks.test.ts` checks it against the tokenizer).
 */
export function chunkUnit(chunk: Chunk): string {
  return `${renderChunk(chunk)}\n`;
}

const UNIT_END = '\n\n';

/** Whether `known` lacks a count of `unit` that says how it stands against `budget` (-(L + 1) records "more than L"). */
function uncounted(known: SectionCounts, unit: string, budget: number): boolean {
  const n = known.get(unit);
  return n === undefined || (n < 0 && -n - 1 < budget);
}

/**
 * Counts the units of `chunks` that `known` does not hold, all at once: after this, fitting them
 * is sums alone, and a later turn with the same chunks needs no tokenizer.
 */
async function countUnits(chunks: readonly Chunk[], budget: number, count: TokenCounter, known: SectionCounts): Promise<void> {
  const unknown = [...new Set(chunks.map(chunkUnit))].filter((unit) => uncounted(known, unit, budget));
  const counts = await Promise.all(unknown.map((unit) => count(unit, budget)));
  unknown.forEach((unit, i) => known.set(unit, counts[i] ?? -budget - 1));
}

/**
 * The exact count of `units` side by side, or undefined when over `budget`: the sum of their
 * counts in `known` when the units add up, else one count of the whole text.
 */
async function measureUnits(units: readonly string[], budget: number, count: TokenCounter, known: SectionCounts | undefined): Promise<number | undefined> {
  if (!known || !additive(units, UNIT_END) || units.some((unit) => uncounted(known, unit, budget))) return count(units.join(''), budget);
  let sum = 0;
  for (const unit of units) {
    const n = known.get(unit)!;
    if (n < 0) return undefined;
    sum += n;
    if (sum > budget) return undefined;
  }
  return sum;
}

/**
 * Counts into `known` the units of `chunks` it lacks, loading the tokenizer only when some are
 * missing (see {@link fitChunks}): for chunks found but not fitted, so that finding them again
 * needs no tokenizer either.
 */
export async function countChunkUnits(chunks: readonly Chunk[], budget: number, known: SectionCounts, count: TokenCounter = lazyTokenCounter()): Promise<void> {
  await countUnits(chunks, budget, count, known);
}

/** Whether fitting these chunks with `known` would need the tokenizer: some unit was never counted. */
export function chunksNeedCounting(chunks: readonly Chunk[], known: SectionCounts, budget: number): boolean {
  return chunks.some((chunk) => uncounted(known, chunkUnit(chunk), budget));
}

const WORD = /[A-Za-z_$][\w$]*/g;

/** Relevance of a chunk to a request: names it defines that the request mentions, then shared words. */
export function scoreChunk(chunk: Chunk, requestWords: ReadonlySet<string>): number {
  let score = 0;
  for (const name of chunk.names) if (requestWords.has(name) || requestWords.has(name.toLowerCase())) score += 10;
  const seen = new Set<string>();
  for (const word of chunk.text.match(WORD) ?? []) {
    const lower = word.toLowerCase();
    if (seen.has(lower)) continue;
    seen.add(lower);
    if (lower.length >= 3 && (requestWords.has(word) || requestWords.has(lower))) score += 1;
  }
  return score;
}

/**
 * The chunks most relevant to a request that fit `budget` tokens (exact o200k_base count of
 * their units side by side), shown in file and line order. With `known`, units counted before
 * are not counted again (see {@link fitChunks}).
 */
export async function selectChunks(chunks: readonly Chunk[], request: string, budget: number, known?: SectionCounts): Promise<{ text: string; tokens: number; chunks: Chunk[] }> {
  const words = new Set<string>();
  for (const w of request.match(WORD) ?? []) {
    words.add(w);
    words.add(w.toLowerCase());
  }
  const ranked = chunks
    .map((chunk, i) => ({ chunk, i, score: scoreChunk(chunk, words) }))
    .filter((c) => c.score > 0)
    .sort((a, b) => b.score - a.score || a.i - b.i);
  return fitInOrder(ranked, budget, lazyTokenCounter(), known, (a, b) => a.i - b.i);
}

/**
 * The chunks that fit `budget` tokens (exact o200k_base count of their units side by side,
 * {@link chunkUnit}), taken in the order given (best first) and shown in file and line order.
 * The tokenizer is loaded only when a unit `known` does not hold needs counting: chunks all
 * counted before are fitted without it.
 */
export async function fitChunks(chunks: readonly Chunk[], budget: number, known?: SectionCounts, count: TokenCounter = lazyTokenCounter()): Promise<{ text: string; tokens: number; chunks: Chunk[] }> {
  const byPlace = (a: Candidate, b: Candidate): number => (a.chunk.file < b.chunk.file ? -1 : a.chunk.file > b.chunk.file ? 1 : a.chunk.startLine - b.chunk.startLine);
  return fitInOrder(
    chunks.map((chunk, i) => ({ chunk, i })),
    budget,
    count,
    known,
    byPlace,
  );
}

interface Candidate {
  chunk: Chunk;
  i: number;
}

/** Takes each candidate, best first, that still fits with those taken; the text shows them in `order`. */
async function fitInOrder(candidates: readonly Candidate[], budget: number, count: TokenCounter, known: SectionCounts | undefined, order: (a: Candidate, b: Candidate) => number): Promise<{ text: string; tokens: number; chunks: Chunk[] }> {
  const chosen: Candidate[] = [];
  let text = '';
  let tokens = 0;
  if (known) await countUnits(candidates.map((c) => c.chunk), budget, count, known);
  for (const candidate of candidates) {
    const trial = [...chosen, candidate].sort(order);
    const units = trial.map((c) => chunkUnit(c.chunk));
    const n = await measureUnits(units, budget, count, known);
    if (n === undefined || n > budget) continue;
    chosen.push(candidate);
    text = units.join('');
    tokens = n;
  }
  return { text, tokens, chunks: chosen.sort(order).map((c) => c.chunk) };
}
