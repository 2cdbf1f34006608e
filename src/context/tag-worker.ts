import { parentPort, workerData } from 'node:worker_threads';
import { phasesEnabled } from '../obs/phases.js';
import { TagExtractor, toFileTags, type ExtractLimits } from './extractor.js';
import type { ParseBatch, ParseBatchResult } from './parse-pool.js';
import { encodeTags } from './tags-line.js';

// Entry point of a parse worker: extracts tags for batches of files the pool sends, one batch
// after the other (the pool keeps the next one queued here so the worker never waits for it).
const extractor = new TagExtractor();
const limits = workerData as ExtractLimits;
const queue: ParseBatch[] = [];
let draining = false;

async function drain(): Promise<void> {
  draining = true;
  for (let batch = queue.shift(); batch; batch = queue.shift()) {
    const started = phasesEnabled ? performance.now() : 0;
    const lines = [];
    for (const job of batch.jobs) lines.push(encodeTags(toFileTags(await extractor.extractFile(job.lang, job.absPath, limits, true))));
    const reply: ParseBatchResult = { id: batch.id, lines };
    // For ASSIST_PHASES: how long this batch kept the worker busy (the first one includes
    // loading web-tree-sitter and the grammar).
    if (phasesEnabled) reply.busyMs = performance.now() - started;
    parentPort?.postMessage(reply);
  }
  draining = false;
}

parentPort?.on('message', (batch: ParseBatch) => {
  queue.push(batch);
  if (!draining) void drain();
});
