import type { ProviderConfig } from '../config/types.js';

/** The providers assist speaks to; any OpenAI-compatible server goes through `openai` with a base URL. */
export type ProviderName = 'anthropic' | 'openai' | 'ollama';

/** One turn of the conversation. The system prompt travels separately. */
export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

/** A model request. `model` is `provider/model` (`anthropic/claude-sonnet-4-5`). */
export interface LlmRequest {
  model: string;
  system: string;
  messages: readonly ChatMessage[];
  /** Clamped to the registry's output limit for the model. */
  maxOutputTokens: number;
  temperature?: number;
}

/** Token counts of the attempt that answered. `estimated` when the server reported none (or only one side). */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  estimated: boolean;
}

/** Why the model stopped: it finished, it hit the output limit, or something else the provider named. */
export type StopReason = 'end' | 'max_tokens' | 'other';

/**
 * What a stream yields. A reply is complete only when `done` arrives; a stream that
 * throws instead never produced a complete reply, whatever text it yielded.
 *
 * `restart`: the attempt whose text was yielded since the last `restart` (or the start)
 * broke, and a new attempt (a retry, or a fallback model) begins from scratch. The
 * consumer discards the text it received since then; the next `text` events are the
 * new reply from its beginning.
 *
 * `retry`: a wait of `delayMs` before attempt number `attempt` (2 for the first retry) of `model`.
 * `fallback`: `from` failed for good; `to` is asked next. `done.attempts`: attempts the
 * answering model took. `retry` and `fallback` are for status lines; they change nothing.
 */
export type StreamEvent =
  | { type: 'text'; text: string }
  | { type: 'restart'; model: string; reason: string }
  | { type: 'retry'; model: string; attempt: number; delayMs: number; reason: string }
  | { type: 'fallback'; from: string; to: string; reason: string }
  | { type: 'done'; model: string; usage: Usage; stopReason: StopReason; attempts: number }
  /** A provider's word for the person (e.g. the model is deprecated), which its SDK would have printed. */
  | { type: 'notice'; model: string; message: string };

/** The one interface every caller uses. */
export interface Provider {
  stream(request: LlmRequest, signal?: AbortSignal): AsyncIterable<StreamEvent>;
}

/** What the registry knows of a model (after config overrides). Prices are dollars per million tokens. */
export interface ModelInfo {
  /** `provider/model` as asked for. */
  id: string;
  provider: ProviderName;
  /** The name the provider's API takes. */
  model: string;
  contextWindow: number;
  maxOutput: number;
  inputPrice: number | undefined;
  outputPrice: number | undefined;
  /** False when the registry had no entry and safe defaults apply. */
  known: boolean;
  /** Set for unknown models: says defaults apply and how to override them. */
  note: string | undefined;
}

/** Retry policy (milliseconds). */
export interface RetryPolicy {
  /** Attempts per model, the first included. */
  maxAttempts: number;
  /** Backoff before retry n (1-based) is in [d/2, d] with d = min(maxDelayMs, baseDelayMs * 2^(n-1)). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A `retry-after` longer than this fails the attempt chain (and moves on to the fallback) instead of waiting. */
  maxRetryAfterMs: number;
}

/** Timeouts (milliseconds). */
export interface Timeouts {
  /** Whole budget for one model's attempts and waits; default `timeout_s` of the provider, else 600 s. */
  totalMs?: number;
  /** From sending a request to its first stream event; default 180 s (reasoning models and cold Ollama loads are slow to start). */
  firstEventMs?: number;
  /** Between two stream events once the first arrived; default 60 s. */
  idleMs?: number;
}

/** Circuit breaker settings, per provider. */
export interface BreakerPolicy {
  /** Consecutive failed attempts (5xx, overload, connection, timeout, broken stream) that open it. */
  threshold: number;
  /** How long it stays open before one probe request is let through. */
  cooldownMs: number;
}

/** One attempt, reported to `onAttempt` for logs and metrics. Never carries a key. */
export interface AttemptRecord {
  model: string;
  provider: ProviderName;
  attempt: number;
  outcome: 'ok' | 'failed' | 'aborted';
  /** Failure kind (see docs/providers.md) when not ok. */
  kind?: string;
  status?: number;
  durationMs: number;
}

/** Options of {@link createLlmClient}. */
export interface LlmClientOptions {
  /** The environment to read keys and endpoints from (never process.env implicitly). */
  env: Readonly<Record<string, string | undefined>>;
  /** `config.llm`: per-provider base_url, api_key_env, api_key_cmd, timeout_s. */
  llm?: Readonly<Record<string, ProviderConfig | undefined>>;
  /** `config.models`: registry overrides. */
  models?: Readonly<Record<string, { context_window?: number; max_output?: number; input_price?: number; output_price?: number }>>;
  /** `config.fallback`: models tried in order when the requested model's provider fails. */
  fallback?: readonly string[];
  retry?: Partial<RetryPolicy>;
  timeouts?: Timeouts;
  breaker?: Partial<BreakerPolicy>;
  /** Working directory for `api_key_cmd`. */
  cwd?: string;
  /** Injectable for tests. */
  random?: () => number;
  now?: () => number;
  onAttempt?: (record: AttemptRecord) => void;
}
