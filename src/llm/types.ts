import type { ProviderConfig } from '../config/types.js';

/** The providers assist speaks to; any OpenAI-compatible server goes through `openai` with a base URL. */
export type ProviderName = 'anthropic' | 'openai' | 'google' | 'ollama';

/**
 * A tool the model may call: its name, what it does, and a JSON Schema (an `object` schema) of its
 * arguments. Names match `^[a-zA-Z0-9_-]{1,64}$`, which every provider accepts.
 */
export interface ToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/**
 * One tool call the model made. `arguments` is the JSON text exactly as the model sent it (it may
 * be invalid: the tool loop answers that with an error result, never a crash). `id` is the
 * provider's call id, or one the adapter made up where the wire has none (Ollama, Gemini).
 */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
  /** Opaque per-call data the provider wants echoed back (Gemini's `thoughtSignature`). */
  signature?: string;
}

/** The answer to one {@link ToolCall}: text, flagged when the call failed or was refused. */
export interface ToolResult {
  callId: string;
  name: string;
  content: string;
  isError?: boolean;
}

/**
 * One turn of the conversation. The system prompt travels separately. `tool` carries the results
 * of every call of the assistant message right before it, in the order of the calls; each adapter
 * renders it in its API's shape (OpenAI `tool` messages, Anthropic `tool_result` blocks first in a
 * user message, Responses `function_call_output` items, Gemini `functionResponse` parts, Ollama
 * `tool` messages). `content` is '' for a `tool` message.
 */
export type ChatMessage =
  | { role: 'user'; content: string }
  | {
      role: 'assistant';
      content: string;
      toolCalls?: readonly ToolCall[];
      /** Provider-specific items to send back verbatim with this message when the same provider is asked again (Responses reasoning items). */
      replay?: { provider: ProviderName; items: readonly unknown[] };
    }
  | { role: 'tool'; content: ''; results: readonly ToolResult[] };

/** A model request. `model` is `provider/model` (`anthropic/claude-sonnet-4-5`). */
export interface LlmRequest {
  model: string;
  system: string;
  messages: readonly ChatMessage[];
  /** Clamped to the registry's output limit for the model. */
  maxOutputTokens: number;
  temperature?: number;
  /** Tools offered to the model (native tool calling); absent or empty: a text-only request. */
  tools?: readonly ToolSpec[];
}

/** Token counts of the attempt that answered. `estimated` when the server reported none (or only one side). */
export interface Usage {
  /** All prompt tokens, cached ones included. */
  inputTokens: number;
  outputTokens: number;
  estimated: boolean;
  /** The part of `inputTokens` read from the provider's prompt cache, where the provider reports it. */
  cachedInputTokens?: number;
  /** The part of `inputTokens` written to the prompt cache (Anthropic bills it apart). */
  cacheWriteTokens?: number;
}

/** Why the model stopped: it finished, it hit the output limit, or something else the provider named. */
export type StopReason = 'end' | 'max_tokens' | 'tool_use' | 'other';

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
  | {
      type: 'done';
      model: string;
      usage: Usage;
      stopReason: StopReason;
      attempts: number;
      /** The tool calls of the reply that completed, in order (empty when it made none). */
      toolCalls: readonly ToolCall[];
      /** What to put in the assistant message's `replay` when this reply goes back into history. */
      replay?: { provider: ProviderName; items: readonly unknown[] };
    }
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
  /** Dollars per million cached input tokens (read from the prompt cache); undefined: the input price. */
  cachedInputPrice?: number | undefined;
  /** OpenAI: the model is asked through the Responses API rather than chat completions. */
  responsesApi?: boolean;
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
