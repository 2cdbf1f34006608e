import type { RetryPolicy } from './types.js';

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 1_000, maxDelayMs: 20_000, maxRetryAfterMs: 60_000 };

/**
 * Wait before retry `retry` (1 for the first retry): "equal jitter", uniformly in [d/2, d]
 * with d = min(maxDelayMs, baseDelayMs * 2^(retry-1)), so clients that failed together do
 * not come back together, and no wait is ever near zero.
 */
export function backoffDelay(retry: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(ceiling / 2 + (r * ceiling) / 2);
}

/** A header lookup over the shapes the SDKs expose (a fetch `Headers`, or a plain record). */
export type HeaderSource = Headers | Readonly<Record<string, string | null | undefined>> | undefined | null;

function header(headers: HeaderSource, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Readonly<Record<string, string | null | undefined>>;
  for (const [key, value] of Object.entries(record)) if (key.toLowerCase() === name && value != null) return value;
  return undefined;
}

/**
 * How long the server asks us to wait, in ms: `retry-after-ms` (OpenAI, Anthropic) first,
 * then `retry-after` as seconds or an HTTP date. undefined when absent or unreadable.
 */
export function parseRetryAfter(headers: HeaderSource, now: number = Date.now()): number | undefined {
  const ms = header(headers, 'retry-after-ms')?.trim();
  if (ms !== undefined && ms !== '') {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return Math.ceil(value);
  }
  const after = header(headers, 'retry-after')?.trim();
  if (after === undefined || after === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(after)) return Math.ceil(Number(after) * 1000);
  // An HTTP date has a weekday and month name; anything else (`-3`) is not one.
  if (!/[a-z]{3}/i.test(after)) return undefined;
  const date = Date.parse(after);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
