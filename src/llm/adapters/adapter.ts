import type { LlmFailure } from '../failure.js';
import type { ChatMessage, ModelInfo, ProviderName, StopReason, ToolCall, ToolSpec } from '../types.js';

/** Everything one attempt needs. `model` is the provider's own name (no `provider/` prefix). */
export interface AttemptInput {
  model: string;
  info: ModelInfo;
  system: string;
  messages: readonly ChatMessage[];
  /** Offered tools; empty: none (send no `tools` field at all). */
  tools: readonly ToolSpec[];
  maxOutputTokens: number;
  temperature: number | undefined;
  apiKey: string | undefined;
  baseUrl: string;
  /** Aborts the attempt: the person, an idle timer or the deadline. */
  signal: AbortSignal;
  /** Backstop for the SDK's own timer; assist's timers normally fire first. */
  timeoutMs: number;
}

/** What an adapter yields; a stream that ends without `stop` was cut. */
export type AdapterEvent =
  | { type: 'text'; text: string }
  | { type: 'usage'; inputTokens?: number | undefined; outputTokens?: number | undefined; cachedInputTokens?: number | undefined; cacheWriteTokens?: number | undefined }
  /** One complete tool call (its argument fragments already assembled), yielded before `stop`. */
  | { type: 'tool_call'; call: ToolCall }
  /** Provider items to echo back with this reply in later requests (see ChatMessage `replay`). */
  | { type: 'replay'; items: readonly unknown[] }
  | { type: 'stop'; reason: StopReason }
  /** Something the SDK would have printed itself (a model deprecation): passed on, never printed here. */
  | { type: 'notice'; message: string };

/** One provider's wire, through its SDK. SDKs load on the first `stream` call. */
export interface Adapter {
  readonly provider: ProviderName;
  /** Where requests go when nothing is configured. */
  readonly defaultBaseUrl: string;
  stream(input: AttemptInput): AsyncIterable<AdapterEvent>;
  /** Turns whatever the SDK threw into a failure; `secrets` are scrubbed from its text. */
  classify(error: unknown, secrets: Iterable<string>): LlmFailure;
  /**
   * Whether a 400 (its scrubbed detail) says the server or model cannot do tool calling, rather
   * than that the request's tool history is malformed. Absent: any 400 naming tools counts.
   */
  rejectsTools?(detail: string): boolean;
}

export function stopReasonOf(raw: string | null | undefined): StopReason {
  if (raw === 'end_turn' || raw === 'stop' || raw === 'stop_sequence') return 'end';
  if (raw === 'max_tokens' || raw === 'length') return 'max_tokens';
  if (raw === 'tool_use' || raw === 'tool_calls' || raw === 'function_call') return 'tool_use';
  return 'other';
}
