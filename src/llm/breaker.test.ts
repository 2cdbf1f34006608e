import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './breaker.js';

function breaker(threshold = 3, cooldownMs = 1_000) {
  const clock = { t: 0 };
  return { b: new CircuitBreaker({ threshold, cooldownMs }, () => clock.t), clock };
}

describe('CircuitBreaker', () => {
  it('stays closed below the threshold, and a success resets the count', () => {
    const { b } = breaker();
    b.recordFailure();
    b.recordFailure();
    expect(b.state).toBe('closed');
    b.recordSuccess();
    b.recordFailure();
    b.recordFailure();
    expect(b.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 2, opens: 0 });
    expect(b.tryAcquire()).toBe(true);
  });

  it('opens after threshold consecutive failures and fails fast during the cool-down', () => {
    const { b, clock } = breaker();
    for (let i = 0; i < 3; i++) b.recordFailure();
    expect(b.snapshot()).toEqual({ state: 'open', consecutiveFailures: 3, opens: 1, retryAt: 1_000 });
    clock.t = 999;
    expect(b.tryAcquire()).toBe(false);
  });

  it('after the cool-down lets exactly one probe through; its success closes it', () => {
    const { b, clock } = breaker();
    for (let i = 0; i < 3; i++) b.recordFailure();
    clock.t = 1_000;
    expect(b.state).toBe('half-open');
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    b.recordSuccess();
    expect(b.snapshot()).toEqual({ state: 'closed', consecutiveFailures: 0, opens: 1, retryAt: undefined });
    expect(b.tryAcquire()).toBe(true);
  });

  it("a failed probe reopens it for another full cool-down", () => {
    const { b, clock } = breaker();
    for (let i = 0; i < 3; i++) b.recordFailure();
    clock.t = 1_500;
    expect(b.tryAcquire()).toBe(true);
    b.recordFailure();
    expect(b.snapshot()).toMatchObject({ state: 'open', opens: 2, retryAt: 2_500 });
    clock.t = 2_499;
    expect(b.tryAcquire()).toBe(false);
    clock.t = 2_500;
    expect(b.tryAcquire()).toBe(true);
  });

  it('a released probe (aborted, or a client error) lets the next request probe', () => {
    const { b, clock } = breaker();
    for (let i = 0; i < 3; i++) b.recordFailure();
    clock.t = 1_000;
    expect(b.tryAcquire()).toBe(true);
    b.release();
    expect(b.state).toBe('half-open');
    expect(b.tryAcquire()).toBe(true);
  });

  it('failures of requests already in flight when it opened do not extend the cool-down', () => {
    const { b, clock } = breaker(2);
    b.recordFailure();
    b.recordFailure();
    clock.t = 400;
    b.recordFailure();
    expect(b.snapshot()).toMatchObject({ state: 'open', opens: 1, retryAt: 1_000 });
  });
});
