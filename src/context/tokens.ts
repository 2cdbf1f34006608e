import { markPhase } from '../obs/phases.js';
import { loadO200k, type O200kEncoder } from './o200k.js';

let encoder: Promise<O200kEncoder> | undefined;

/**
 * The o200k_base counter of this process, loaded on first use: one read of the table the build
 * writes (~5-8 ms; src/context/o200k.ts), so it runs on the thread that counts. Later calls share it.
 */
export function loadTokenizer(): Promise<O200kEncoder> {
  encoder ??= loadO200k().then((loaded) => {
    markPhase('tokenizer.loaded');
    return loaded;
  });
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

/** A counter that loads the tokenizer on its first count only: a fit whose every unit was counted before never loads it. */
export function lazyTokenCounter(): TokenCounter {
  let resolved: TokenCounter | undefined;
  return async (text, limit) => (resolved ??= await tokenCounter())(text, limit);
}

/**
 * A calibrated estimate for places where no budget is enforced (never use it to fit a
 * budget): about 3.6 characters per token for code.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 3.6);
}
