import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { addPhase } from '../obs/phases.js';
import { EntryMaker, type PackedEntry } from './search-pack.js';
import { decodeTags, type CachedTags } from './tags-line.js';
import type { CachedDef } from './types.js';
import { workerThreads } from '../util/lazy-builtins.js';

/**
 * One file whose index entry is to be made: where it is and its cached definitions, or their
 * tags cache entry as stored (one string: cheaper to send to the worker than the objects, and
 * decoded there rather than on this thread).
 */
export interface IndexJob {
  absPath: string;
  defs?: readonly CachedDef[];
  tags?: string;
  /** The calling thread's decoded tags of the file: read there, never sent to the worker. */
  cached?: CachedTags;
}

/** An entry as a thread sends it: its chunks and (id, count) pairs, and its stored form for the pack. */
export interface WireEntry {
  chunks: Uint32Array;
  pairs: Uint32Array;
  bytes: Uint8Array;
}

/** The index worker's answer: per job its entry (null: the file could not be read), the dictionary its ids refer to. */
export interface IndexReply {
  terms: string[];
  entries: (WireEntry | null)[];
  busyMs: number;
}

/** A made entry and its stored form (encoded by the thread that made it). */
export interface MadeEntry {
  entry: PackedEntry;
  bytes: Uint8Array;
}

/** Makes the entries of `jobs` on this thread (the worker's body, and this thread's share). */
export function makeEntryJobs(jobs: readonly IndexJob[], maker = new EntryMaker()): { terms: string[]; entries: (WireEntry | null)[] } {
  const entries = jobs.map((job): WireEntry | null => {
    let source: string;
    try {
      source = readFileSync(job.absPath, 'utf8');
    } catch {
      return null;
    }
    const entry = maker.make(source, job.cached?.defs() ?? job.defs ?? (job.tags === undefined ? undefined : decodeTags(job.tags)?.defs()) ?? []);
    return { chunks: entry.chunks, pairs: entry.pairs, bytes: maker.encode(entry) };
  });
  return { terms: maker.ids.terms, entries };
}

const defaultWorkerUrl = new URL('./index-worker.js', import.meta.url);

/** Below this many files to index, a second thread's start (~30-50 ms) costs more than it saves. */
export const MIN_FILES_FOR_INDEX_WORKER = 200;

/** The worker's share of the files' bytes: it starts later than this thread, which also merges after. */
const WORKER_SHARE = 0.5;

/**
 * Starts the index build's second thread, before the files' tags are read so its start overlaps
 * that read; undefined when it would not pay: few files, a thread budget under 2 (the hooks'
 * background refresh asks for 1), or no whole core to spare: fewer than 3 cores, or the last
 * minute's load average at or above the cores less one. A build alone already keeps about one
 * and a half cores busy (V8's collector and compiler threads beside this one: CPU 1.6-1.7 s in
 * 1.1 s of wall on vitest), and a second thread costs 20-40% more CPU (it compiles the code and
 * splits the words it meets on its own): on 2 cores it was as often slower as faster.
 * `ASSIST_INDEX_WORKER=1` starts it on 2 cores or more whatever the load, `=0` never (to compare
 * both ways on one machine). Undefined too when the compiled worker is missing (.ts sources).
 * `load` and `cores` stand for the machine's (tests).
 */
export function startIndexWorker(files: number, options: { maxWorkers?: number; workerUrl?: URL; load?: number; cores?: number; env?: NodeJS.ProcessEnv } = {}): Worker | undefined {
  const url = options.workerUrl ?? defaultWorkerUrl;
  const cores = options.cores ?? availableParallelism();
  const forced = (options.env ?? process.env)['ASSIST_INDEX_WORKER'];
  if (forced === '0' || files < MIN_FILES_FOR_INDEX_WORKER || (options.maxWorkers ?? cores) < 2 || cores < 2) return undefined;
  if (forced !== '1' && (cores < 3 || (options.load ?? loadavg()[0]!) >= cores - 1)) return undefined;
  try {
    if (!existsSync(fileURLToPath(url))) return undefined;
    const worker = new (workerThreads().Worker)(url);
    // An error before the jobs are sent is seen by `makeEntries` (it then makes them here).
    worker.on('error', () => undefined);
    return worker;
  } catch {
    return undefined;
  }
}

/**
 * The entries of `jobs`, in job order (undefined: the file could not be read): the worker, when
 * there is one, takes the last files (about half of the bytes) while this thread makes the
 * first ones; a worker that fails leaves its files to this thread. Ends the worker.
 */
export async function makeEntries(jobs: readonly IndexJob[], bytes: readonly number[], worker: Worker | undefined): Promise<{ made: (MadeEntry | undefined)[]; byWorker: number }> {
  const out = new Array<MadeEntry | undefined>(jobs.length);
  const maker = new EntryMaker();
  const here = (from: number, to: number): void => {
    const made = makeEntryJobs(jobs.slice(from, to), maker);
    made.entries.forEach((e, k) => (out[from + k] = e ? { entry: { terms: made.terms, chunks: e.chunks, pairs: e.pairs }, bytes: e.bytes } : undefined));
  };
  if (!worker) {
    here(0, jobs.length);
    return { made: out, byWorker: 0 };
  }
  let total = 0;
  for (const b of bytes) total += b;
  let split = jobs.length;
  for (let mine = 0; split > 0 && mine + bytes[split - 1]! <= total * WORKER_SHARE; ) mine += bytes[--split]!;
  const reply = new Promise<IndexReply | undefined>((resolve) => {
    worker.once('message', resolve);
    worker.once('error', () => resolve(undefined));
    worker.once('exit', () => resolve(undefined));
  });
  try {
    worker.postMessage(jobs.slice(split).map((job): IndexJob => (job.tags !== undefined ? { absPath: job.absPath, tags: job.tags } : { absPath: job.absPath, defs: job.defs ?? job.cached?.defs() ?? [] })));
  } catch {
    void worker.terminate();
    here(0, jobs.length);
    return { made: out, byWorker: 0 };
  }
  const t0 = performance.now();
  let theirs: IndexReply | undefined;
  try {
    here(0, split);
    const t1 = performance.now();
    theirs = await reply;
    addPhase('search.update.entries', t1 - t0);
    addPhase('search.update.wait', performance.now() - t1);
    if (theirs) addPhase('search.update.worker', theirs.busyMs);
  } finally {
    // Also when this thread's share threw: a live worker would keep the process from exiting.
    void worker.terminate();
  }
  if (!theirs || theirs.entries.length !== jobs.length - split) {
    here(split, jobs.length);
    return { made: out, byWorker: 0 };
  }
  theirs.entries.forEach((e, k) => (out[split + k] = e ? { entry: { terms: theirs.terms, chunks: e.chunks, pairs: e.pairs }, bytes: e.bytes } : undefined));
  return { made: out, byWorker: jobs.length - split };
}
