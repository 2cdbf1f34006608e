import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { OpenIndex } from './search-index.js';
import { VECTOR_FORMAT, VectorStore } from './vector-store.js';

/** The embeddings client the index needs (src/llm's `Embedder` is one). */
export interface EmbeddingsClient {
  /** `provider/model`: the store is keyed by it. */
  readonly model: string;
  embed(texts: readonly string[], signal?: AbortSignal): Promise<{ vectors: Float32Array[]; tokens: number; requests: number }>;
}

/** Where each file sent is recorded (the audit log of src/sandbox). */
export interface SendAudit {
  append(event: { op: 'send'; path: string; result: 'ok'; reason: string; requestId?: string }): Promise<unknown>;
}

/** Options of {@link refreshVectors}. */
export interface VectorRefreshOptions {
  embedder: EmbeddingsClient;
  /** Tokens this refresh may embed (estimated before sending). */
  budget: number;
  audit?: SendAudit;
  /** Paths embedded first (the hook's changed files). */
  first?: readonly string[];
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

/** What one refresh did. */
export interface VectorRefreshStats {
  /** Files (blob ids) embedded and stored. */
  files: number;
  chunks: number;
  tokens: number;
  requests: number;
  /** Files still without vectors: over the budget, or not reached after a failure. */
  pending: number;
  /** Files never sent: `.env*`, ignored by git, protected. */
  withheld: number;
  /** The provider's failure, one line; the vectors stored before it are kept. */
  error?: { code: string; message: string };
}

/** The vectors of an index's chunks, gathered from the per-blob store. */
export interface VectorTable {
  model: string;
  dim: number;
  /** Per chunk of the index: its row, or -1 (no vector). */
  rowOf: Int32Array;
  /** Per row: its chunk. */
  chunkOf: Uint32Array;
  /** `rows × dim` int8. */
  data: Int8Array;
  /** Per row: √Σq² of the int8 values (the scale cancels out of a cosine). */
  qnorm: Float32Array;
  /** Files with chunks but no (valid) stored vectors. */
  missing: number[];
}

// Chunks sent per embeddings call from here (the client splits further to the API's maximum); vectors are stored after each.
const CHUNKS_PER_CALL = 256;
// Estimated tokens per character of code, erring high so the budget holds by the servers' counts.
const CHARS_PER_TOKEN = 3.5;

function blobOf(key: string): string {
  return key.slice(key.indexOf(':') + 1);
}

function chunkRange(index: OpenIndex, file: number): [number, number] {
  const s = index.snapshot;
  return [s.fileChunkStart[file]!, s.fileChunkStart[file + 1]!];
}

/**
 * The vectors of every chunk of the index: from the packed table (`table.bin` in the model's
 * folder, one read) when it was made for this listing's blobs and chunks, else gathered from the
 * per-blob files and the table written for the next search. A damaged table is gathered again.
 */
export async function loadVectorTable(index: OpenIndex, model: string, options: { fresh?: boolean } = {}): Promise<VectorTable> {
  const store = new VectorStore(index.sharedAssistDir, model);
  const path = join(store.dir, 'table.bin');
  const id = tableId(index, model);
  const packed =
    options.fresh === true
      ? undefined
      : await readFile(path).then(
          (buf) => decodeTable(buf, id, model, index.snapshot.chunkFile.length),
          () => undefined,
        );
  if (packed) return packed;
  const table = await gatherVectorTable(index, model);
  await mkdir(store.dir, { recursive: true })
    .then(() => writeFileAtomic(path, encodeTable(table, id), { fsync: false }))
    .catch(() => undefined);
  return table;
}

/** What a packed table was made for: the model, the listing's keys and the chunks' lines. */
function tableId(index: OpenIndex, model: string): Buffer {
  const s = index.snapshot;
  const h = createHash('sha1').update(`${VECTOR_FORMAT}\0${model}\0`).update(s.keys.join('\n'));
  for (const a of [s.fileChunkStart, s.chunkStart, s.chunkEnd]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest();
}

// Packed table: 'AVTB', u32 dim, u32 rows, u32 chunks, u32 missing, 20-byte id, then rowOf
// (i32 × chunks), chunkOf (u32 × rows), qnorm (f32 × rows), missing (u32 × missing), data (i8).
const TABLE_MAGIC = 0x42545641;
function encodeTable(t: VectorTable, id: Buffer): Buffer {
  const rows = t.qnorm.length;
  const head = Buffer.alloc(40);
  head.writeUInt32LE(TABLE_MAGIC, 0);
  head.writeUInt32LE(t.dim, 4);
  head.writeUInt32LE(rows, 8);
  head.writeUInt32LE(t.rowOf.length, 12);
  head.writeUInt32LE(t.missing.length, 16);
  id.copy(head, 20);
  const bytes = (a: ArrayBufferView): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  return Buffer.concat([head, bytes(t.rowOf), bytes(t.chunkOf), bytes(t.qnorm), bytes(Uint32Array.from(t.missing)), bytes(t.data)]);
}

function decodeTable(buf: Buffer, id: Buffer, model: string, chunks: number): VectorTable | undefined {
  if (buf.length < 40 || buf.readUInt32LE(0) !== TABLE_MAGIC || !buf.subarray(20, 40).equals(id)) return undefined;
  const dim = buf.readUInt32LE(4);
  const rows = buf.readUInt32LE(8);
  const missingCount = buf.readUInt32LE(16);
  if (buf.readUInt32LE(12) !== chunks || buf.length !== 40 + 4 * chunks + 8 * rows + 4 * missingCount + rows * dim) return undefined;
  // Copied out: typed arrays over a Buffer need 4-byte alignment the pool does not promise.
  const copy = <T>(at: number, length: number, make: (b: ArrayBuffer) => T): T => make(new Uint8Array(buf.subarray(at, at + length)).buffer);
  let at = 40;
  const rowOf = copy(at, 4 * chunks, (b) => new Int32Array(b));
  at += 4 * chunks;
  const chunkOf = copy(at, 4 * rows, (b) => new Uint32Array(b));
  at += 4 * rows;
  const qnorm = copy(at, 4 * rows, (b) => new Float32Array(b));
  at += 4 * rows;
  const missing = Array.from(copy(at, 4 * missingCount, (b) => new Uint32Array(b)));
  at += 4 * missingCount;
  const data = copy(at, rows * dim, (b) => new Int8Array(b));
  return { model, dim, rowOf, chunkOf, data, qnorm, missing };
}

/** Reads the stored vectors of every file of the index: one small read per blob, in parallel. */
async function gatherVectorTable(index: OpenIndex, model: string): Promise<VectorTable> {
  const s = index.snapshot;
  const store = new VectorStore(index.sharedAssistDir, model);
  const nChunks = s.chunkFile.length;
  const rowOf = new Int32Array(nChunks).fill(-1);
  const files: number[] = [];
  for (let f = 0; f < s.paths.length; f++) {
    const [a, b] = chunkRange(index, f);
    if (b > a && s.keys[f]) files.push(f);
  }
  const loaded = new Array<Awaited<ReturnType<VectorStore['read']>>>(files.length);
  const byBlob = new Map<string, Promise<Awaited<ReturnType<VectorStore['read']>>>>();
  await Promise.all(
    files.map(async (f, k) => {
      const blob = blobOf(s.keys[f]!);
      let p = byBlob.get(blob);
      if (!p) byBlob.set(blob, (p = store.read(blob)));
      loaded[k] = await p;
    }),
  );
  let dim = 0;
  for (const v of loaded) if (v && v.dim > 0) dim ||= v.dim;
  const missing: number[] = [];
  let rows = 0;
  files.forEach((f, k) => {
    const v = loaded[k];
    const [a, b] = chunkRange(index, f);
    // Vectors count only when they are of this file version's chunks, line for line.
    let ok = v !== undefined && v.dim === dim && v.starts.length === b - a;
    for (let c = a; ok && c < b; c++) if (v!.starts[c - a] !== s.chunkStart[c] || v!.ends[c - a] !== s.chunkEnd[c]) ok = false;
    if (!ok) {
      missing.push(f);
      loaded[k] = undefined;
      return;
    }
    for (let c = a; c < b; c++) rowOf[c] = rows++;
  });
  const data = new Int8Array(rows * dim);
  const qnorm = new Float32Array(rows);
  const chunkOf = new Uint32Array(rows);
  files.forEach((f, k) => {
    const v = loaded[k];
    if (!v) return;
    const [a] = chunkRange(index, f);
    for (let i = 0; i < v.starts.length; i++) {
      const row = rowOf[a + i]!;
      chunkOf[row] = a + i;
      const src = v.data.subarray(i * dim, (i + 1) * dim);
      data.set(src, row * dim);
      let n = 0;
      for (let j = 0; j < dim; j++) n += src[j]! * src[j]!;
      qnorm[row] = Math.sqrt(n);
    }
  });
  return { model, dim, rowOf, chunkOf, data, qnorm, missing };
}

/**
 * Embeds the chunks of files that have no vectors yet (`table.missing`), within the budget, and
 * stores them per blob id, so an unchanged file is never embedded twice across branches,
 * sessions and worktrees. Each file is an audit line before it is sent. `.env*` files, files git
 * ignores and protected files are never sent. A failing provider ends the refresh with `error`
 * set; nothing throws for it.
 */
export async function refreshVectors(index: OpenIndex, table: VectorTable, options: VectorRefreshOptions): Promise<VectorRefreshStats> {
  const s = index.snapshot;
  const stats: VectorRefreshStats = { files: 0, chunks: 0, tokens: 0, requests: 0, pending: 0, withheld: 0 };
  if (table.missing.length === 0) return stats;
  const first = new Set(options.first ?? []);
  // One file per blob id: the same content at two paths is embedded once.
  const seen = new Set<string>();
  const todo = [...table.missing]
    .sort((a, b) => Number(first.has(s.paths[b]!)) - Number(first.has(s.paths[a]!)) || a - b)
    .filter((f) => {
      const blob = blobOf(s.keys[f]!);
      if (seen.has(blob)) return false;
      seen.add(blob);
      return true;
    });
  const { checkSensitive, classifyProtected, isEnvFileName } = await import('../sandbox/index.js');
  const sensitive = await checkSensitive(
    index.root,
    todo.map((f) => s.paths[f]!),
    options.env ? { env: options.env } : {},
  ).catch(() => new Map(todo.map((f) => [s.paths[f]!, null])));
  const store = new VectorStore(index.sharedAssistDir, options.embedder.model);
  let remaining = options.budget;
  type Job = { file: number; texts: string[]; chunks: { start: number; end: number }[] };
  let group: Job[] = [];
  let groupChunks = 0;

  const flush = async (): Promise<boolean> => {
    if (group.length === 0) return true;
    const jobs = group;
    group = [];
    groupChunks = 0;
    for (const job of jobs) await options.audit?.append({ op: 'send', path: s.paths[job.file]!, result: 'ok', reason: `embedding by ${options.embedder.model}` }).catch(() => undefined);
    try {
      const out = await options.embedder.embed(
        jobs.flatMap((j) => j.texts),
        options.signal,
      );
      stats.tokens += out.tokens;
      stats.requests += out.requests;
      let at = 0;
      for (const job of jobs) {
        const vectors = out.vectors.slice(at, at + job.texts.length);
        at += job.texts.length;
        await store.write(blobOf(s.keys[job.file]!), job.chunks, vectors).catch(() => undefined);
        stats.files++;
        stats.chunks += job.texts.length;
      }
      return true;
    } catch (error) {
      const e = error as { code?: unknown; message?: unknown };
      stats.error = { code: typeof e.code === 'string' ? e.code : 'llm.embeddings-failed', message: String(e.message ?? error) };
      stats.pending += jobs.length;
      return false;
    }
  };

  for (let k = 0; k < todo.length; k++) {
    const f = todo[k]!;
    const path = s.paths[f]!;
    if (sensitive.has(path) || isEnvFileName(path.slice(path.lastIndexOf('/') + 1)) || classifyProtected(path) !== undefined) {
      stats.withheld++;
      continue;
    }
    let source: string;
    try {
      source = await readFile(join(index.root, path), 'utf8');
    } catch {
      continue;
    }
    const lines = source.split('\n');
    const [a, b] = chunkRange(index, f);
    const job: Job = { file: f, texts: [], chunks: [] };
    let chars = 0;
    for (let c = a; c < b; c++) {
      const start = s.chunkStart[c]!;
      const end = s.chunkEnd[c]!;
      // The path goes with the text: it says much of what the code is about.
      const text = `${path}\n${lines.slice(start - 1, end).join('\n')}`;
      job.texts.push(text);
      job.chunks.push({ start, end });
      chars += text.length;
    }
    const cost = Math.ceil(chars / CHARS_PER_TOKEN);
    if (cost > remaining) {
      stats.pending++;
      continue;
    }
    remaining -= cost;
    group.push(job);
    groupChunks += job.texts.length;
    if (groupChunks >= CHUNKS_PER_CALL && !(await flush())) {
      stats.pending += todo.length - k - 1;
      if (stats.files > 0) await loadVectorTable(index, options.embedder.model, { fresh: true });
      return stats;
    }
  }
  await flush();
  // The packed table of this listing is out of date now: gathered again and written for the next search.
  if (stats.files > 0) await loadVectorTable(index, options.embedder.model, { fresh: true });
  return stats;
}

/**
 * Query vectors of this process, by model and text: a query is embedded once per process. The
 * promise is kept, so rankings that run side by side (a turn's map and its hybrid search) share
 * one request; a failed one is forgotten, so the next asks again.
 */
const queryCache = new Map<string, Promise<Float32Array>>();

/**
 * The query's vector (cached in-process). Throws what the embeddings client throws. `onSend` is
 * called when a request is actually sent (not for a cached or shared one): its audit line.
 */
export function queryVector(embedder: EmbeddingsClient, query: string, signal?: AbortSignal, onSend?: () => void): Promise<Float32Array> {
  const key = `${embedder.model}\0${query}`;
  const hit = queryCache.get(key);
  if (hit) return hit;
  if (queryCache.size > 256) queryCache.clear();
  onSend?.();
  const sent = embedder.embed([query], signal).then((out) => out.vectors[0] ?? new Float32Array(0));
  queryCache.set(key, sent);
  sent.catch(() => {
    if (queryCache.get(key) === sent) queryCache.delete(key);
  });
  return sent;
}

/** Cosine of the query with every stored chunk vector: undefined where a chunk has none. */
export function cosines(table: VectorTable, query: Float32Array): Float32Array {
  const rows = table.qnorm.length;
  const out = new Float32Array(rows);
  const dim = table.dim;
  if (query.length !== dim || dim === 0) return out.fill(Number.NaN);
  let qn = 0;
  for (let j = 0; j < dim; j++) qn += query[j]! * query[j]!;
  qn = Math.sqrt(qn) || 1;
  const data = table.data;
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    const base = r * dim;
    for (let j = 0; j < dim; j++) dot += data[base + j]! * query[j]!;
    out[r] = table.qnorm[r]! === 0 ? 0 : dot / (table.qnorm[r]! * qn);
  }
  return out;
}

/** Cosine of two stored chunks (NaN when either has no vector). */
export function chunkCosine(table: VectorTable, a: number, b: number): number {
  const ra = table.rowOf[a]!;
  const rb = table.rowOf[b]!;
  if (ra < 0 || rb < 0) return Number.NaN;
  const dim = table.dim;
  let dot = 0;
  for (let j = 0; j < dim; j++) dot += table.data[ra * dim + j]! * table.data[rb * dim + j]!;
  const n = table.qnorm[ra]! * table.qnorm[rb]!;
  return n === 0 ? 0 : dot / n;
}

/**
 * The chunks nearest the query, best first (`limit` at most), within the allowed files: 1-based
 * places by chunk.
 */
export function vectorRanking(table: VectorTable, cos: Float32Array, chunkFile: Uint32Array, limit: number, allowed?: Uint8Array): Map<number, number> {
  const rows: number[] = [];
  for (let r = 0; r < cos.length; r++) {
    if (!(cos[r]! > 0)) continue;
    if (allowed && allowed[chunkFile[table.chunkOf[r]!]!] !== 1) continue;
    rows.push(r);
  }
  rows.sort((a, b) => cos[b]! - cos[a]! || a - b);
  const ranks = new Map<number, number>();
  rows.slice(0, limit).forEach((r, i) => ranks.set(table.chunkOf[r]!, i + 1));
  return ranks;
}
