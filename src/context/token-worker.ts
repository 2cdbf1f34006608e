import { parentPort } from 'node:worker_threads';

// Counts tokens off the main thread, so that loading the tokenizer (~0.15 s of CPU)
// overlaps with listing files, reading the tags cache and ranking.
const encoder = import('gpt-tokenizer/encoding/o200k_base');

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
