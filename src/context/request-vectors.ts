import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { OpenIndex } from './search-index.js';
import { vectorsDir } from './vector-store.js';
import { DEFAULT_VECTOR_WEIGHT, loadCalibration, type VectorCalibration, type VectorWeightSource } from './vector-weight.js';
import { cosines, loadVectorTable, queryVector, type EmbeddingsClient, type SendAudit, type VectorTable } from './vectors.js';

/**
 * How long a turn waits for its request's embedding, from when it was sent: past it the map and
 * the hybrid chunks rank lexically (docs/search.md "Vectors on a request's path").
 */
export const QUERY_VECTOR_CAP_MS = 2_000;

/**
 * Vectors for a ranking on a request's path (`map --query`, a turn's map and hybrid chunks, chat's
 * `/search`): the stored vectors and the query's only. No file is embedded and nothing is
 * calibrated there; files without stored vectors rank lexically.
 */
export interface RequestVectors {
  embedder: EmbeddingsClient;
  /** `context.vector_weight`; undefined: the stored calibration, else the default. */
  weight?: number;
  /** Where the query's request is recorded (one line per request sent). */
  audit?: SendAudit;
  requestId?: string;
  /**
   * The text embedded (default: the ranking's query). A turn's map ranks by the recent requests
   * too but embeds only this one, so its map and its hybrid search share one embedding.
   */
  text?: string;
  /** The longest wait for the query's embedding (ms); past it the ranking is lexical. Undefined: no cap. */
  capMs?: number;
}

/** What a ranking on a request's path will use, decided from the store before ranking. */
export interface VectorPlan {
  model: string;
  weight: number;
  source: VectorWeightSource;
  calibration?: VectorCalibration;
  /** The packed table's size and time: with the model and weight, what a stored map is keyed by. */
  stamp: string;
}

/** How a ranking on a request's path used vectors. */
export interface RequestVectorUse {
  /** Whether the vector ranks took part. */
  used: boolean;
  model: string;
  weight: number;
  source: VectorWeightSource;
  /** Why they were wanted but left out (one line, without the "lexical only" ending). */
  notice?: string;
}

/** The query's embedding, started beside the other work of a ranking. */
export interface StartedRequestVectors {
  plan: Promise<VectorPlan | undefined>;
  /** The query's vector, or why not; `{}` when the plan leaves vectors out. Never rejects. */
  query: Promise<{ vector?: Float32Array; notice?: string }>;
}

// Packed table header (vectors.ts): magic, dim, rows at byte 8.
const TABLE_HEADER = 40;

/** The packed table's stamp and row count; undefined when there is none. */
async function readTableHead(sharedAssistDir: string, model: string): Promise<{ rows: number; stamp: string } | undefined> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(join(vectorsDir(sharedAssistDir, model), 'table.bin'), 'r');
    const [info, head] = await Promise.all([handle.stat(), handle.read(Buffer.alloc(TABLE_HEADER), 0, TABLE_HEADER, 0)]);
    if (head.bytesRead < TABLE_HEADER) return undefined;
    return { rows: head.buffer.readUInt32LE(8), stamp: `${info.size}:${info.mtimeMs}` };
  } catch {
    return undefined;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** The stamp of the model's packed table (`none` without one), for a stored map's key. */
export async function tableStamp(sharedAssistDir: string, model: string): Promise<string> {
  return (await readTableHead(sharedAssistDir, model))?.stamp ?? 'none';
}

/**
 * Whether vectors would take part, read from the store alone: not when nothing is stored for the
 * model (no packed table, or one without rows: no request is sent for a ranking that cannot use
 * it) or when the weight is 0 (the vectors would not move the ranking). Never rejects.
 */
export async function planRequestVectors(sharedAssistDir: string, vectors: RequestVectors): Promise<VectorPlan | undefined> {
  const model = vectors.embedder.model;
  const [head, calibration] = await Promise.all([readTableHead(sharedAssistDir, model), vectors.weight === undefined ? loadCalibration({ sharedAssistDir }, model) : Promise.resolve(undefined)]);
  if (!head || head.rows === 0) return undefined;
  const weight = vectors.weight ?? calibration?.weight ?? DEFAULT_VECTOR_WEIGHT;
  if (!(weight > 0)) return undefined;
  const source: VectorWeightSource = vectors.weight !== undefined ? 'config' : calibration ? 'calibrated' : 'default';
  return { model, weight, source, ...(calibration ? { calibration } : {}), stamp: head.stamp };
}

/**
 * Plans, and when vectors would take part sends the query's embedding (once per process, shared
 * with a ranking that asks for the same text meanwhile), with one audit line when a request goes.
 * A wait past `capMs` gives a notice and aborts the request.
 */
export function startRequestVectors(sharedAssistDir: string, vectors: RequestVectors, query: string, planned?: Promise<VectorPlan | undefined>): StartedRequestVectors {
  const plan = (planned ?? planRequestVectors(sharedAssistDir, vectors)).catch(() => undefined);
  const text = vectors.text ?? query;
  const asked = plan.then(async (p): Promise<{ vector?: Float32Array; notice?: string }> => {
    if (!p) return {};
    const cap = vectors.capMs;
    const signal = cap === undefined ? undefined : AbortSignal.timeout(cap);
    const onSend = (): void => {
      void vectors.audit?.append({ op: 'send', path: '.', result: 'ok', reason: `embedding by ${p.model}: the request (query)`, ...(vectors.requestId !== undefined ? { requestId: vectors.requestId } : {}) }).catch(() => undefined);
    };
    const wait: { timer?: NodeJS.Timeout } = {};
    try {
      const sent = queryVector(vectors.embedder, text, signal, onSend);
      // A request another ranking started (with no cap, or a later one) is not waited on past ours.
      const late =
        cap === undefined
          ? undefined
          : new Promise<undefined>((resolve) => {
              wait.timer = setTimeout(() => resolve(undefined), cap);
              wait.timer.unref();
            });
      const vector = await (late ? Promise.race([sent, late]) : sent);
      if (vector === undefined) return { notice: `embeddings failed (no answer within ${cap} ms)` };
      return { vector };
    } catch (error) {
      if (signal?.aborted) return { notice: `embeddings failed (no answer within ${cap} ms)` };
      return { notice: `embeddings failed (${oneLine(error instanceof Error ? error.message : String(error))})` };
    } finally {
      clearTimeout(wait.timer);
    }
  });
  return { plan, query: asked };
}

/**
 * The stored vectors of an open index and the query's cosines with them: what a ranking fuses.
 * The table loads while the query's embedding is awaited.
 */
export async function requestCosines(index: OpenIndex, started: StartedRequestVectors): Promise<{ use?: RequestVectorUse; table?: VectorTable; cos?: Float32Array }> {
  const plan = await started.plan;
  if (!plan) return {};
  const base = { model: plan.model, weight: plan.weight, source: plan.source };
  const [table, query] = await Promise.all([loadVectorTable(index, plan.model).catch(() => undefined), started.query]);
  if (query.notice !== undefined || !query.vector) return { use: { ...base, used: false, ...(query.notice !== undefined ? { notice: query.notice } : {}) } };
  if (!table || table.qnorm.length === 0) return { use: { ...base, used: false } };
  if (table.dim !== query.vector.length) return { use: { ...base, used: false, notice: `the stored vectors have ${table.dim} dimensions, the query's ${query.vector.length}` } };
  return { use: { ...base, used: true }, table, cos: cosines(table, query.vector) };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 200);
}
