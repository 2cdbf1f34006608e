import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_RETRY, parseRetryAfter } from './backoff.js';

describe('backoffDelay', () => {
  const policy = { baseDelayMs: 1_000, maxDelayMs: 20_000 };

  it.each([
    [1, 500, 1_000],
    [2, 1_000, 2_000],
    [3, 2_000, 4_000],
    [5, 8_000, 16_000],
    [6, 10_000, 20_000],
    [30, 10_000, 20_000],
  ])('retry %i waits between %i and %i ms', (retry, low, high) => {
    expect(backoffDelay(retry, policy, () => 0)).toBe(low);
    expect(backoffDelay(retry, policy, () => 1)).toBe(high);
    for (let i = 0; i < 200; i++) {
      const delay = backoffDelay(retry, policy);
      expect(delay).toBeGreaterThanOrEqual(low);
      expect(delay).toBeLessThanOrEqual(high);
    }
  });

  it('jitter spreads the waits of clients that failed together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(3, policy)));
    expect(delays.size).toBeGreaterThan(20);
  });

  it('defaults: 4 attempts, 1 s base, 20 s cap, 60 s longest retry-after', () => {
    expect(DEFAULT_RETRY).toEqual({ maxAttempts: 4, baseDelayMs: 1_000, maxDelayMs: 20_000, maxRetryAfterMs: 60_000 });
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');

  it.each<[Record<string, string>, number | undefined]>([
    [{ 'retry-after': '7' }, 7_000],
    [{ 'retry-after': '0.5' }, 500],
    [{ 'retry-after': '0' }, 0],
    [{ 'retry-after-ms': '250' }, 250],
    [{ 'retry-after-ms': '12.2' }, 13],
    [{ 'retry-after': '7', 'retry-after-ms': '6500' }, 6_500],
    [{ 'Retry-After': '3' }, 3_000],
    [{ 'retry-after': 'Sun, 01 Jun 2025 12:00:30 GMT' }, 30_000],
    [{ 'retry-after': 'Sun, 01 Jun 2025 11:59:00 GMT' }, 0],
    [{ 'retry-after': 'soon' }, undefined],
    [{ 'retry-after': '-3' }, undefined],
    [{ 'retry-after-ms': 'abc', 'retry-after': '2' }, 2_000],
    [{ 'retry-after': '' }, undefined],
    [{}, undefined],
  ])('%j -> %s ms', (headers, expected) => {
    expect(parseRetryAfter(headers, now)).toBe(expected);
  });

  it('reads a fetch Headers object', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after': '2' }), now)).toBe(2_000);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
