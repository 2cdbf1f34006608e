import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { addPhase, markPhase, phasesEnabled } from '../obs/phases.js';
import { TagExtractor, toFileTags, type ExtractLimits } from './extractor.js';
import type { LanguageId } from './languages.js';
import { encodeTags } from './tags-line.js';
import { workerThreads } from '../util/lazy-builtins.js';

/** One file to parse. */
export interface ParseJob {
  lang: LanguageId;
  absPath: string;
}

/** @internal message to a worker */
export interface ParseBatch {
  /** Index of the batch in the pool's plan. */
  id: number;
  jobs: ParseJob[];
}

/** @internal message from a worker */
export interface ParseBatchResult {
  id: number;
  /** Each file's tags as `encodeTags` gives them. */
  lines: string[];
  /** With ASSIST_PHASES: the milliseconds the worker spent on this batch. */
  busyMs?: number;
}

export interface ParseOptions {
  limits: ExtractLimits;
  /** Upper bound of worker threads; defaults to the number of cores. 0 parses on this thread. */
  maxWorkers?: number;
  /** The compiled worker script; defaults to `tag-worker.js` beside this module. */
  workerUrl?: URL;
  /** Called after each finished batch with the number of files done. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Workers started ahead of time ({@link startParseWorkers}), with the same limits: used
   * instead of starting new ones, those not needed terminated. Always consumed.
   */
  started?: StartedWorkers;
}

/** Parse workers started before the files to parse are known (a build that is most likely cold). */
export interface StartedWorkers {
  workers: Worker[];
  /** Terminates them; for a build that turned out to need no parse. */
  close(): Promise<void>;
}

/**
 * Starts the parse pool's workers now, so their boot (a thread, web-tree-sitter's runtime)
 * runs beside the file listing. Undefined when there is no compiled worker (from .ts sources)
 * or no worker is allowed.
 */
export function startParseWorkers(limits: ExtractLimits, options: { maxWorkers?: number; workerUrl?: URL } = {}): StartedWorkers | undefined {
  const workerUrl = options.workerUrl ?? defaultWorkerUrl;
  const count = options.maxWorkers ?? availableParallelism();
  if (count < 1 || !existsSync(fileURLToPath(workerUrl))) return undefined;
  const workers: Worker[] = [];
  for (let i = 0; i < count; i++) workers.push(quietWorker(new (workerThreads().Worker)(workerUrl, { workerData: limits })));
  markPhase('parse.prestarted');
  return { workers, close: () => terminateAll(workers) };
}

// Started workers that ended before the pool used them (a failed boot): the pool fails on them.
const endedEarly = new WeakMap<Worker, unknown>();

/** A worker whose failure before it is given work is not an unhandled error: the pool reports it when it uses the worker. */
function quietWorker(worker: Worker): Worker {
  let failure: unknown;
  worker.on('error', (error) => (failure = error));
  worker.once('exit', (code) => endedEarly.set(worker, failure ?? new Error(`tags worker exited with code ${code}`)));
  return worker;
}

async function terminateAll(workers: readonly Worker[]): Promise<void> {
  await Promise.all(workers.map((w) => w.terminate()));
}

export interface ParseOutcome {
  /**
   * Each file's tags as a tags-pack line (`encodeTags`; `decodeTags` reads it): workers send
   * strings, which cost the calling thread nothing to receive and are written to the pack as they are.
   */
  lines: string[];
  /** Worker threads used (0: parsed on the calling thread). */
  workers: number;
}

const BATCH = 16;
// A batch also ends at this many bytes, so the largest files go out one or a few at a time.
const BATCH_BYTES = 64 * 1024;
// The end of a parse: its last TAIL_BYTES in batches of up to TAIL_BATCH files, ended once they reach TAIL_BATCH_BYTES.
const TAIL_BYTES = 256 * 1024;
const TAIL_BATCH = 4;
const TAIL_BATCH_BYTES = 8 * 1024;
// Below this many files a worker's start (a thread plus the wasm runtime) costs more than it saves.
export const MIN_FILES_FOR_WORKERS = 24;

const defaultWorkerUrl = new URL('./tag-worker.js', import.meta.url);

let localExtractor: TagExtractor | undefined;

/** This thread's extractor, shared by the map's small parses and the review's, so grammars load once. */
export function threadExtractor(): TagExtractor {
  return (localExtractor ??= new TagExtractor({ baseline: true }));
}

/**
 * Parses files into tags, in a pool of min(cores, batches) worker threads when there are
 * enough files and the compiled worker exists (it does not when running from .ts sources),
 * else on this thread. Results are in job order.
 */
export async function parseFiles(jobs: ParseJob[], options: ParseOptions): Promise<ParseOutcome> {
  const workerUrl = options.workerUrl ?? defaultWorkerUrl;
  const cap = options.maxWorkers ?? availableParallelism();
  const started = options.started?.workers ?? [];
  if (jobs.length < MIN_FILES_FOR_WORKERS || cap < 1 || (started.length === 0 && !existsSync(fileURLToPath(workerUrl)))) {
    await terminateAll(started);
    const extractor = threadExtractor();
    const lines: string[] = [];
    for (const job of jobs) {
      lines.push(encodeTags(toFileTags(await extractor.extractFile(job.lang, job.absPath, options.limits))));
      if (lines.length % BATCH === 0) options.onProgress?.(lines.length, jobs.length);
    }
    options.onProgress?.(jobs.length, jobs.length);
    return { lines, workers: 0 };
  }

  // Every batch holds at most BATCH files, so there are at least this many batches.
  const workerCount = Math.min(started.length > 0 ? started.length : cap, Math.ceil(jobs.length / BATCH));
  markPhase('parse.pool');
  const workers = started.slice(0, workerCount);
  await terminateAll(started.slice(workerCount));
  while (workers.length < workerCount) workers.push(new (workerThreads().Worker)(workerUrl, { workerData: options.limits }));
  const lines = new Array<string>(jobs.length);
  let next = 0;
  let done = 0;
  try {
    // Each file is stat'ed once, when the tail is measured or its batch is made.
    const sizes = new Map<number, number>();
    const sizeAt = (i: number): number => {
      let size = sizes.get(i);
      if (size === undefined) sizes.set(i, (size = sizeOf(jobs[i]!.absPath)));
      return size;
    };
    const batches = batchesOf(jobs, sizeAt);
    const plan: number[][] = [];
    await new Promise<void>((resolve, reject) => {
      const feed = (worker: Worker): void => {
        const made = batches.next();
        if (made.done === true) return;
        const id = next++;
        plan.push(made.value);
        const batch: ParseBatch = { id, jobs: made.value.map((i) => jobs[i]!) };
        worker.postMessage(batch);
      };
      markPhase('parse.workers-started');
      const lastAt = workers.map(() => 0);
      workers.forEach((worker, k) => {
        let first = true;
        worker.on('message', (reply: ParseBatchResult) => {
          if (phasesEnabled) {
            // Per worker: its busy time, when its first batch came back, when its last did
            // (the gap between the workers' last marks is the parse's tail).
            addPhase(`parse.worker${k}.busy`, reply.busyMs ?? 0);
            if (first) markPhase(`parse.worker${k}.first`);
            first = false;
            lastAt[k] = performance.now();
            if (done + reply.lines.length === jobs.length) lastAt.forEach((at, w) => markPhase(`parse.worker${w}.last`, at));
          }
          reply.lines.forEach((line, i) => (lines[plan[reply.id]![i]!] = line));
          done += reply.lines.length;
          options.onProgress?.(done, jobs.length);
          if (done === jobs.length) resolve();
          else feed(worker);
        });
        worker.on('error', reject);
        worker.on('exit', (code) => {
          if (done < jobs.length) reject(new Error(`tags worker exited with code ${code}`));
        });
        if (endedEarly.has(worker)) reject(endedEarly.get(worker));
        // Two batches in flight: the next one is queued in the worker while the main thread
        // takes the last results in (measured: ~0.5 s of waiting per worker on a cold build).
        feed(worker);
        feed(worker);
      });
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
    markPhase('parse.pool-end');
  }
  return { lines, workers: workerCount };
}

/** A file's size for planning; 0 when it cannot be read (the worker reports it unreadable). */
function sizeOf(path: string): number {
  try {
    return statSync(path, { throwIfNoEntry: false })?.size ?? 0;
  } catch {
    return 0;
  }
}

/**
 * The batches of a pooled parse, as job indices in the order they go out. A language with
 * only a few files goes first, in one batch, so one worker alone loads its grammar and
 * builds its query. The rest keep their order, in batches of up to BATCH files or
 * BATCH_BYTES, so a large file goes out alone and the workers end close together (on
 * playwright they ended 150-200 ms apart with batches of 16 files); the last TAIL_BYTES in
 * batches of up to TAIL_BATCH files or TAIL_BATCH_BYTES. Measured and not kept:
 * largest files first, 4-7% slower on playwright; a worker then parses its largest files
 * while V8 still runs the parser's baseline-compiled code.
 */
export function planBatches(jobs: readonly ParseJob[], sizes: readonly number[]): number[][] {
  return [...batchesOf(jobs, (i) => sizes[i]!)];
}

/**
 * {@link planBatches} one batch at a time, reading each file's size only when its batch is
 * made (the tail's sizes first): the first batches go out without waiting for a stat of every
 * file (~20-70 ms for 2,331 files), which runs on this thread while the workers parse.
 */
export function* batchesOf(jobs: readonly ParseJob[], sizeAt: (index: number) => number): Generator<number[]> {
  const perLanguage = new Map<LanguageId, number[]>();
  jobs.forEach((job, i) => {
    let list = perLanguage.get(job.lang);
    if (!list) perLanguage.set(job.lang, (list = []));
    list.push(i);
  });
  const rest: number[] = [];
  const few: number[][] = [];
  for (const [, list] of [...perLanguage].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (list.length <= BATCH) few.push(list);
    else rest.push(...list);
  }
  rest.sort((a, b) => a - b);
  // The files of the last TAIL_BYTES go out in small batches: each worker holds two batches
  // at a time, so at the end one worker could still have up to 2 x 64 KB (~60 ms) ahead of it
  // while the other has nothing left.
  let tailFrom = rest.length;
  let tailBytes = 0;
  while (tailFrom > 0 && tailBytes + sizeAt(rest[tailFrom - 1]!) <= TAIL_BYTES) {
    tailFrom--;
    tailBytes += sizeAt(rest[tailFrom]!);
  }
  yield* few;
  let batch: number[] = [];
  let bytes = 0;
  for (const [k, i] of rest.entries()) {
    batch.push(i);
    bytes += sizeAt(i);
    const tail = k >= tailFrom;
    if (batch.length === (tail ? TAIL_BATCH : BATCH) || bytes >= (tail ? TAIL_BATCH_BYTES : BATCH_BYTES) || k === tailFrom - 1) {
      yield batch;
      batch = [];
      bytes = 0;
    }
  }
  if (batch.length > 0) yield batch;
}
