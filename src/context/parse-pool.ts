import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { TagExtractor, toFileTags, type ExtractLimits } from './extractor.js';
import type { LanguageId } from './languages.js';
import type { FileTags } from './types.js';

/** One file to parse. */
export interface ParseJob {
  lang: LanguageId;
  absPath: string;
}

/** @internal message to a worker */
export interface ParseBatch {
  id: number;
  jobs: ParseJob[];
}

/** @internal message from a worker */
export interface ParseBatchResult {
  id: number;
  results: FileTags[];
}

export interface ParseOptions {
  limits: ExtractLimits;
  /** Upper bound of worker threads; defaults to the number of cores. 0 parses on this thread. */
  maxWorkers?: number;
  /** The compiled worker script; defaults to `tag-worker.js` beside this module. */
  workerUrl?: URL;
  /** Called after each finished batch with the number of files done. */
  onProgress?: (done: number, total: number) => void;
}

export interface ParseOutcome {
  results: FileTags[];
  /** Worker threads used (0: parsed on the calling thread). */
  workers: number;
}

const BATCH = 16;
// Below this many files a worker's start (a thread plus the wasm runtime) costs more than it saves.
const MIN_FILES_FOR_WORKERS = 24;

const defaultWorkerUrl = new URL('./tag-worker.js', import.meta.url);

let localExtractor: TagExtractor | undefined;

/**
 * Parses files into tags, in a pool of min(cores, batches) worker threads when there are
 * enough files and the compiled worker exists (it does not when running from .ts sources),
 * else on this thread. Results are in job order.
 */
export async function parseFiles(jobs: ParseJob[], options: ParseOptions): Promise<ParseOutcome> {
  const workerUrl = options.workerUrl ?? defaultWorkerUrl;
  const batches = Math.ceil(jobs.length / BATCH);
  const cap = options.maxWorkers ?? availableParallelism();
  const workerCount = Math.min(cap, batches);
  if (jobs.length < MIN_FILES_FOR_WORKERS || workerCount < 1 || !existsSync(fileURLToPath(workerUrl))) {
    localExtractor ??= new TagExtractor({ baseline: true });
    const results: FileTags[] = [];
    for (const job of jobs) {
      results.push(toFileTags(await localExtractor.extractFile(job.lang, job.absPath, options.limits)));
      if (results.length % BATCH === 0) options.onProgress?.(results.length, jobs.length);
    }
    options.onProgress?.(jobs.length, jobs.length);
    return { results, workers: 0 };
  }

  // Batches go out grouped by language, the most common first: a worker loads a grammar and
  // builds its query (~120 ms each for the TypeScript family) only for the languages it is
  // handed, so the rare ones are loaded by one worker instead of by every worker. Results stay in job order.
  const perLanguage = new Map<LanguageId, number>();
  for (const job of jobs) perLanguage.set(job.lang, (perLanguage.get(job.lang) ?? 0) + 1);
  const order = jobs.map((_, i) => i);
  order.sort((a, b) => {
    const la = jobs[a]!.lang;
    const lb = jobs[b]!.lang;
    if (la === lb) return a - b;
    return perLanguage.get(lb)! - perLanguage.get(la)! || (la < lb ? -1 : 1);
  });
  const results = new Array<FileTags>(jobs.length);
  let next = 0;
  let done = 0;
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const feed = (worker: Worker): void => {
        if (next >= jobs.length) return;
        const id = next;
        next = Math.min(next + BATCH, jobs.length);
        const batch: ParseBatch = { id, jobs: order.slice(id, next).map((i) => jobs[i]!) };
        worker.postMessage(batch);
      };
      for (let i = 0; i < workerCount; i++) {
        const worker = new Worker(workerUrl, { workerData: options.limits });
        workers.push(worker);
        worker.on('message', (reply: ParseBatchResult) => {
          reply.results.forEach((tags, i) => (results[order[reply.id + i]!] = tags));
          done += reply.results.length;
          options.onProgress?.(done, jobs.length);
          if (done === jobs.length) resolve();
          else feed(worker);
        });
        worker.on('error', reject);
        worker.on('exit', (code) => {
          if (done < jobs.length) reject(new Error(`tags worker exited with code ${code}`));
        });
        // Two batches in flight: the next one is queued in the worker while the main thread
        // takes the last results in (measured: ~0.5 s of waiting per worker on a cold build).
        feed(worker);
        feed(worker);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return { results, workers: workerCount };
}
