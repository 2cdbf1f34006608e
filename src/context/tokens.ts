import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { markPhase } from '../obs/phases.js';
import { loadO200k, type O200kEncoder } from './o200k.js';
import type { CountReply, CountRequest } from './token-worker.js';

let encoder: Promise<O200kEncoder> | undefined;

/**
 * Starts loading the o200k_base tokenizer (gpt-tokenizer's, from the packed ranks: ~0.3 s of CPU
 * on this project's machine, against ~0.5 s from the package's module and ~0.6 s for
 * js-tiktoken's). Call early so the load overlaps with I/O; later calls share it.
 */
export function loadTokenizer(): Promise<O200kEncoder> {
  encoder ??= loadO200k();
  return encoder;
}

/** Exact o200k_base token count. */
export async function countTokens(text: string): Promise<number> {
  if (text === '') return 0;
  return (await loadTokenizer()).countTokens(text);
}

/** Exact count, or `undefined` as soon as the text is over `limit` (cheaper than a full count). */
export type TokenCounter = (text: string, limit: number) => Promise<number | undefined>;

/** A counter on this thread. */
export async function tokenCounter(): Promise<TokenCounter> {
  const enc = await loadTokenizer();
  return async (text, limit) => {
    if (text === '') return 0;
    const within = enc.isWithinTokenLimit(text, limit);
    return within === false ? undefined : within;
  };
}

const tokenWorkerUrl = new URL('./token-worker.js', import.meta.url);

/** A counter whose tokenizer loads in a worker thread, started now; `close()` ends the thread. */
export interface BackgroundCounter {
  count: TokenCounter;
  close(): Promise<void>;
}

/**
 * Starts loading the tokenizer in a worker thread so the load runs in parallel with the
 * caller's work. Falls back to this thread where no compiled worker exists (running from
 * .ts sources) or the worker fails.
 */
export function startTokenCounter(workerUrl: URL = tokenWorkerUrl): BackgroundCounter {
  if (!existsSync(fileURLToPath(workerUrl))) {
    void loadTokenizer().catch(() => undefined);
    return { count: async (text, limit) => (await tokenCounter())(text, limit), close: async () => undefined };
  }
  const worker = new Worker(workerUrl);
  markPhase('tokenizer.worker');
  let next = 0;
  let failed: unknown;
  const waiting = new Map<number, { resolve: (n: number | undefined) => void; reject: (e: unknown) => void }>();
  worker.on('message', (reply: CountReply) => {
    waiting.get(reply.id)?.resolve(reply.count ?? undefined);
    waiting.delete(reply.id);
    if (waiting.size === 0) worker.unref();
  });
  worker.on('error', (error) => {
    failed = error;
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
  });
  // The thread keeps the process alive only while a count is awaited (listeners added above
  // would otherwise hold it): an idle counter never delays the exit, nor does its teardown.
  worker.unref();
  return {
    count: async (text, limit) => {
      if (text === '') return 0;
      if (failed !== undefined) return (await tokenCounter())(text, limit);
      const id = next++;
      return new Promise((resolve, reject) => {
        if (waiting.size === 0) worker.ref();
        waiting.set(id, { resolve, reject });
        const request: CountRequest = { id, text, limit };
        worker.postMessage(request);
      });
    },
    close: async () => {
      await worker.terminate();
    },
  };
}

let shared: BackgroundCounter | undefined;

/**
 * The process's one counter whose tokenizer loads in a worker thread. A turn whose request is new
 * needs exact counts twice: the repo map counts its sections and the hybrid context fits its
 * chunks; each load of the tokenizer costs ~0.3-0.5 s of CPU, so both count with the same tables.
 * Its `close()` does nothing: an idle worker holds nothing open (the process exits as if it were
 * not there), and a later build in the same process (chat's next turn) counts without a new load.
 */
export function sharedTokenCounter(): BackgroundCounter {
  shared ??= startTokenCounter();
  return { count: shared.count, close: async () => undefined };
}

/**
 * A calibrated estimate for places where no budget is enforced (never use it to fit a
 * budget): about 3.6 characters per token for code.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 3.6);
}
