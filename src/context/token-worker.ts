import { parentPort } from 'node:worker_threads';
import { loadO200k } from './o200k.js';

// Counts tokens off the main thread, so that loading the tokenizer (~0.3 s of CPU)
// overlaps with listing files, reading the tags cache and ranking.
const encoder = loadO200k();

export interface CountRequest {
  id: number;
  text: string;
  limit: number;
}

export interface CountReply {
  id: number;
  /** Exact count, or null when over the limit. */
  count: number | null;
}

parentPort?.on('message', (request: CountRequest) => {
  void encoder.then((enc) => {
    const within = request.text === '' ? 0 : enc.isWithinTokenLimit(request.text, request.limit);
    const reply: CountReply = { id: request.id, count: within === false ? null : within };
    parentPort?.postMessage(reply);
  });
});
