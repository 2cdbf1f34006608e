import { MetricsRegistry, type Counter, type Gauge, type Histogram } from './metrics.js';

/** How a logical model request ended (after its retries, before any failover). */
export type LlmOutcome = 'ok' | 'error' | 'aborted' | 'rejected';
/** `assist_llm_breaker_state` values. */
export const BREAKER_STATE = { closed: 0, 'half-open': 1, open: 2 } as const;
export type BreakerState = keyof typeof BREAKER_STATE;

export const TTFT_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60] as const;
export const TURN_OVERHEAD_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
export const COMMAND_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800] as const;

/**
 * The metrics assist exposes. Modules increment them; the CLI writes them to the metrics file at
 * the end of each command (see docs/observability.md for meanings).
 */
export interface AssistMetrics {
  readonly registry: MetricsRegistry;
  llmRequests: Counter<'provider' | 'model' | 'outcome'>;
  llmRetries: Counter<'provider'>;
  llmBreakerState: Gauge<'provider'>;
  llmTokens: Counter<'provider' | 'model' | 'direction'>;
  llmCostUsd: Counter<'provider' | 'model'>;
  edits: Counter<'outcome'>;
  commits: Counter<'kind'>;
  undo: Counter;
  llmTimeToFirstToken: Histogram<'provider' | 'model'>;
  turnOverhead: Histogram;
  commandDuration: Histogram<'command'>;
  /** Sets the breaker gauge from a state name. */
  setBreakerState(provider: string, state: BreakerState): void;
  /** Counts a request's usage: tokens in and out, and its cost when the price is known. */
  recordUsage(provider: string, model: string, usage: { inputTokens: number; outputTokens: number; costUsd?: number | undefined }): void;
}

/** Defines assist's metrics on a registry (a fresh one by default). */
export function createAssistMetrics(registry: MetricsRegistry = new MetricsRegistry()): AssistMetrics {
  // Defined in the order they appear in the file.
  const llmRequests = registry.counter<'provider' | 'model' | 'outcome'>({
    name: 'assist_llm_requests_total',
    help: 'Logical model requests by how they ended (ok, error, aborted, rejected by an open breaker), each counted once however many retries it took.',
    labels: ['provider', 'model', 'outcome'],
  });
  const llmRetries = registry.counter<'provider'>({
    name: 'assist_llm_retries_total',
    help: 'Retried attempts of model requests (429, 5xx, 529, dropped streams, timeouts).',
    labels: ['provider'],
  });
  const llmBreakerState = registry.gauge<'provider'>({
    name: 'assist_llm_breaker_state',
    help: 'Circuit breaker state per provider as last seen by a command: 0 closed, 1 half-open, 2 open.',
    labels: ['provider'],
  });
  const llmTokens = registry.counter<'provider' | 'model' | 'direction'>({
    name: 'assist_llm_tokens_total',
    help: 'Tokens sent to (direction="input") and received from (direction="output") models, as the provider reported or assist estimated.',
    labels: ['provider', 'model', 'direction'],
  });
  const llmCostUsd = registry.counter<'provider' | 'model'>({
    name: 'assist_llm_cost_usd_total',
    help: 'Estimated spend in US dollars from the model registry prices; requests to models without a price add nothing.',
    labels: ['provider', 'model'],
  });
  const edits = registry.counter<'outcome'>({
    name: 'assist_edits_total',
    help: 'Edit blocks by outcome: applied, failed (did not match; sent back to the model), refused (sandbox, approval or protected file).',
    labels: ['outcome'],
  });
  const commits = registry.counter<'kind'>({
    name: 'assist_commits_total',
    help: "Commits assist made: edit (one per applied batch), snapshot (the person's uncommitted work, kept before an edit), finish (session finish).",
    labels: ['kind'],
  });
  const undo = registry.counter({ name: 'assist_undo_total', help: 'Undo operations performed (each may undo several commits).' });
  const llmTimeToFirstToken = registry.histogram<'provider' | 'model'>({
    name: 'assist_llm_time_to_first_token_seconds',
    help: 'Seconds from sending a model request (the attempt that succeeded) to its first streamed token.',
    labels: ['provider', 'model'],
    buckets: TTFT_BUCKETS,
  });
  const turnOverhead = registry.histogram({
    name: 'assist_turn_overhead_seconds',
    help: "Seconds of a turn spent in assist itself: the turn's wall time minus time waiting for the model and for the person.",
    buckets: TURN_OVERHEAD_BUCKETS,
  });
  const commandDuration = registry.histogram<'command'>({
    name: 'assist_command_duration_seconds',
    help: 'Wall time of a CLI command, by command path (chat, run, undo, session finish, ...).',
    labels: ['command'],
    buckets: COMMAND_DURATION_BUCKETS,
  });
  return {
    registry,
    llmRequests,
    llmRetries,
    llmBreakerState,
    llmTokens,
    llmCostUsd,
    edits,
    commits,
    undo,
    llmTimeToFirstToken,
    turnOverhead,
    commandDuration,
    setBreakerState(provider, state) {
      llmBreakerState.set({ provider }, BREAKER_STATE[state]);
    },
    recordUsage(provider, model, usage) {
      if (usage.inputTokens > 0) llmTokens.inc({ provider, model, direction: 'input' }, usage.inputTokens);
      if (usage.outputTokens > 0) llmTokens.inc({ provider, model, direction: 'output' }, usage.outputTokens);
      if (usage.costUsd !== undefined && usage.costUsd > 0) llmCostUsd.inc({ provider, model }, usage.costUsd);
    },
  };
}
