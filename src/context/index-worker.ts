import { parentPort } from 'node:worker_threads';
import { makeEntryJobs, type IndexJob, type IndexReply } from './index-pool.js';

// The index build's second thread (index-pool.ts): makes the entries of the files it is sent,
// as the calling thread makes its own share, and sends them back with its dictionary.
parentPort?.on('message', (jobs: IndexJob[]) => {
  const t0 = performance.now();
  const made = makeEntryJobs(jobs);
  const reply: IndexReply = { terms: made.terms, entries: made.entries, busyMs: performance.now() - t0 };
  const transfer: ArrayBuffer[] = [];
  for (const entry of made.entries) if (entry) transfer.push(entry.chunks.buffer as ArrayBuffer, entry.pairs.buffer as ArrayBuffer, entry.bytes.buffer as ArrayBuffer);
  parentPort!.postMessage(reply, transfer);
});
