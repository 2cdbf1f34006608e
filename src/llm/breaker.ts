import type { BreakerPolicy } from './types.js';

export const DEFAULT_BREAKER: BreakerPolicy = { threshold: 5, cooldownMs: 30_000 };

export type BreakerState = 'closed' | 'open' | 'half-open';

/** A breaker's state for metrics and `doctor`. Times are epoch ms. */
export interface BreakerSnapshot {
  state: BreakerState;
  consecutiveFailures: number;
  /** How many times it has opened since the process started. */
  opens: number;
  /** When an open breaker lets the next probe through. */
  retryAt: number | undefined;
}

/**
 * Per-provider circuit breaker. Closed: requests pass, failures are counted; `threshold`
 * consecutive failures open it. Open: requests fail fast until `cooldownMs` has passed;
 * then it is half-open and exactly one probe passes. The probe's success closes it, its
 * failure opens it for another cool-down. Outcomes that say nothing about the server's
 * health (an abort, a 400) are `release`d: they neither count nor reset.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | undefined;
  private probing = false;
  private opened = 0;

  constructor(
    private readonly policy: BreakerPolicy,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): BreakerState {
    if (this.openedAt === undefined) return 'closed';
    return this.now() - this.openedAt >= this.policy.cooldownMs ? 'half-open' : 'open';
  }

  /** Whether a request may go now; in half-open, true once (the probe) until its outcome is recorded. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.probing) return false;
    this.probing = true;
    return true;
  }

  recordSuccess(): void {
    this.failures = 0;
    this.openedAt = undefined;
    this.probing = false;
  }

  recordFailure(): void {
    this.failures++;
    const wasProbe = this.probing;
    this.probing = false;
    if (wasProbe || (this.openedAt === undefined && this.failures >= this.policy.threshold)) {
      this.openedAt = this.now();
      this.opened++;
    }
  }

  /** Ends an acquired request whose outcome is neutral (aborted, or a client error). */
  release(): void {
    this.probing = false;
  }

  snapshot(): BreakerSnapshot {
    return {
      state: this.state,
      consecutiveFailures: this.failures,
      opens: this.opened,
      retryAt: this.openedAt === undefined ? undefined : this.openedAt + this.policy.cooldownMs,
    };
  }
}
