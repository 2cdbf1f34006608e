import { createRequire } from 'node:module';
import type * as V8 from 'node:v8';
import type * as WorkerThreads from 'node:worker_threads';
import type * as Zlib from 'node:zlib';

/*
 * Node's modules that `assist map` and `assist search` load with their code but need only now and
 * then (~1 ms each to load at start): loaded where first used. A warm map or search makes no
 * worker, no temp file, no vector checksum and sets no V8 flag.
 */
const requireNode = createRequire(import.meta.url);

/** `node:worker_threads`, loaded on first call. */
export function workerThreads(): typeof WorkerThreads {
  return requireNode('node:worker_threads') as typeof WorkerThreads;
}

/** `node:v8` (with two internal modules of its own, ~1-3 ms at start), loaded on first call. */
export function v8(): typeof V8 {
  return requireNode('node:v8') as typeof V8;
}

/** `node:zlib`, loaded on first call. */
export function zlib(): typeof Zlib {
  return requireNode('node:zlib') as typeof Zlib;
}
