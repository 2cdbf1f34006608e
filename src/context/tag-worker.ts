import { parentPort, workerData } from 'node:worker_threads';
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
    const lines = [];
    for (const job of batch.jobs) lines.push(encodeTags(toFileTags(await extractor.extractFile(job.lang, job.absPath, limits, true))));
    const reply: ParseBatchResult = { id: batch.id, lines };
    parentPort?.postMessage(reply);
  }
  draining = false;
}

parentPort?.on('message', (batch: ParseBatch) => {
  queue.push(batch);
  if (!draining) void drain();
});
