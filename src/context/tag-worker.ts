import { parentPort, workerData } from 'node:worker_threads';
import { TagExtractor, toFileTags, type ExtractLimits } from './extractor.js';
import type { ParseBatch, ParseBatchResult } from './parse-pool.js';

// Entry point of a parse worker: extracts tags for batches of files the pool sends.
const extractor = new TagExtractor();
const limits = workerData as ExtractLimits;

parentPort?.on('message', (batch: ParseBatch) => {
  void (async () => {
    const results = [];
    for (const job of batch.jobs) results.push(toFileTags(await extractor.extractFile(job.lang, job.absPath, limits)));
    const reply: ParseBatchResult = { id: batch.id, results };
    parentPort?.postMessage(reply);
  })();
});
