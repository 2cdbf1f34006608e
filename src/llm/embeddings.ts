import { AssistError, ExitCode } from '../errors.js';
import { googleEmbedAdapter, ollamaEmbedAdapter, openaiEmbedAdapter, type EmbedAdapter } from './adapters/embed.js';
import { OLLAMA_DEFAULT_URL } from './adapters/ollama.js';
import { OPENAI_DEFAULT_URL } from './adapters/openai.js';
import { GOOGLE_DEFAULT_URL } from './adapters/google.js';
import { backoffDelay, DEFAULT_RETRY } from './backoff.js';
import { CircuitBreaker, DEFAULT_BREAKER } from './breaker.js';
import { ENV_BASE_URL, isLoopback } from './client.js';
import { estimateTextTokens } from './estimate.js';
import { formatSeconds, LlmFailure, toAssistError, type Target } from './failure.js';
import { KeySource } from './keys.js';
import { parseModelName } from './model-name.js';
import type { ProviderConfig } from '../config/types.js';
import type { BreakerPolicy, ProviderName, RetryPolicy } from './types.js';

/** The embeddings model a provider stands for when `context.embedding_model` is not set. */
export const DEFAULT_EMBEDDING_MODELS: Partial<Record<ProviderName, string>> = {
  openai: 'openai/text-embedding-3-small',
  google: 'google/gemini-embedding-001',
  ollama: 'ollama/nomic-embed-text',
};

/**
 * `context.embedding_model`, or the default of the chat model's provider. Anthropic has no
 * embeddings API: that is an error telling the person what to set.
 */
export function embeddingModelFor(configured: string | undefined, chatModel: string | undefined): string {
  if (configured !== undefined && configured.trim() !== '') {
    parseModelName(configured.trim());
    return configured.trim();
  }
  const provider = chatModel === undefined ? undefined : parseModelName(chatModel).provider;
  const model = provider === undefined ? undefined : DEFAULT_EMBEDDING_MODELS[provider];
  if (model === undefined) {
    const why = provider === 'anthropic' ? 'anthropic has no embeddings API' : 'no model is configured';
    throw new AssistError('config.embedding-model', `context.embeddings is on but ${why}: set context.embedding_model (e.g. openai/text-embedding-3-small)`, { exitCode: ExitCode.usage });
  }
  return model;
}

/** Options of {@link createEmbedder}. */
export interface EmbedderOptions {
  /** `provider/model`. */
  model: string;
  env: Readonly<Record<string, string | undefined>>;
  /** `config.llm`: base_url, api_key_env, api_key_cmd, timeout_s of the provider. */
  llm?: Readonly<Record<string, ProviderConfig | undefined>>;
  cwd?: string;
  retry?: Partial<RetryPolicy>;
  breaker?: Partial<BreakerPolicy>;
  /** Per request; default 60 s. */
  timeoutMs?: number;
  /** Injectable for tests. */
  random?: () => number;
  /** Tests: a stand-in for a provider's SDK call. */
  adapter?: EmbedAdapter;
}

/** What {@link Embedder.embed} returns. */
export interface EmbedResult {
  /** One per text, in order. */
  vectors: Float32Array[];
  /** Tokens by the servers' counts where they gave them, else estimated. */
  tokens: number;
  requests: number;
}

/** An embeddings client for one model: batched, retried with backoff, behind a circuit breaker. */
export interface Embedder {
  /** `provider/model`. */
  readonly model: string;
  /** Throws AssistError (exit 4, `llm.*` codes) when the provider keeps failing. */
  embed(texts: readonly string[], signal?: AbortSignal): Promise<EmbedResult>;
}

// A single text past this many characters is cut: every service caps one input (OpenAI 8192 tokens).
export const MAX_EMBED_CHARS = 16_000;

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The embeddings client of DESIGN §6 "Search": texts go in batches of the provider's maximum,
 * each batch retried like a completion (429 with its retry-after, 5xx, dropped connections,
 * equal-jitter backoff) behind the provider's breaker; keys come from the same places as the
 * chat client's and are scrubbed from every message.
 */
export function createEmbedder(options: EmbedderOptions): Embedder {
  const { provider, model } = parseModelName(options.model);
  if (provider === 'anthropic') throw new AssistError('config.embedding-model', 'anthropic has no embeddings API: set context.embedding_model (e.g. openai/text-embedding-3-small)', { exitCode: ExitCode.usage });
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const breaker = new CircuitBreaker({ ...DEFAULT_BREAKER, ...options.breaker });
  const random = options.random ?? Math.random;
  const config = options.llm?.[provider] ?? {};
  const defaults: Record<string, string> = { openai: OPENAI_DEFAULT_URL, google: GOOGLE_DEFAULT_URL, ollama: OLLAMA_DEFAULT_URL };
  const raw = config.base_url ?? options.env[ENV_BASE_URL[provider]];
  const url = raw?.trim() || defaults[provider]!;
  const baseUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`;
  const keys = new KeySource({
    provider,
    env: options.env,
    apiKeyEnv: config.api_key_env,
    apiKeyCmd: config.api_key_cmd,
    optionalFallback: provider === 'openai' && !config.api_key_env && isLoopback(baseUrl) ? 'none' : undefined,
    cwd: options.cwd,
  });
  const adapter = options.adapter ?? (provider === 'openai' ? openaiEmbedAdapter() : provider === 'google' ? googleEmbedAdapter() : ollamaEmbedAdapter());
  const timeoutMs = config.timeout_s !== undefined && config.timeout_s > 0 ? config.timeout_s * 1000 : (options.timeoutMs ?? 60_000);
  const target: Target = { name: options.model, provider, baseUrl, keySource: keys.description, keyIsCommand: keys.isCommand };

  async function batch(texts: readonly string[], signal: AbortSignal | undefined): Promise<{ vectors: Float32Array[]; tokens: number }> {
    let attempt = 0;
    let keyReread = false;
    for (;;) {
      if (signal?.aborted) throw toAssistError(new LlmFailure('aborted', 'aborted'), target, attempt);
      if (!breaker.tryAcquire()) throw toAssistError(new LlmFailure('circuit_open', `${provider} embeddings are failing (circuit breaker open)`), target, attempt);
      attempt++;
      let failure: LlmFailure;
      try {
        const apiKey = await keys.get();
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), timeoutMs);
        const onAbort = (): void => controller.abort();
        signal?.addEventListener('abort', onAbort, { once: true });
        try {
          const out = await adapter.embed({ model, texts, apiKey, baseUrl, signal: controller.signal, timeoutMs: timeoutMs + 1_000 });
          breaker.recordSuccess();
          return { vectors: out.vectors, tokens: out.tokens ?? texts.reduce((n, t) => n + estimateTextTokens(t), 0) };
        } finally {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        }
      } catch (error) {
        failure = error instanceof LlmFailure ? error : adapter.classify(error, keys.secrets);
        if (signal?.aborted) failure = new LlmFailure('aborted', 'aborted');
      }
      if (failure.unhealthy) breaker.recordFailure();
      else if (failure.extra.status !== undefined) breaker.recordSuccess();
      else breaker.release();
      if (failure.kind === 'auth' && keys.isCommand && !keyReread) {
        keyReread = true;
        keys.invalidate();
        attempt--;
        continue;
      }
      if (!failure.retryable || attempt >= retry.maxAttempts || breaker.state !== 'closed') throw toAssistError(failure, target, attempt);
      const asked = failure.extra.retryAfterMs;
      if (asked !== undefined && asked > retry.maxRetryAfterMs) {
        throw toAssistError(new LlmFailure('retry_after_too_long', `${provider} asks to wait ${formatSeconds(asked)} before retrying`, { retryAfterMs: asked }), target, attempt);
      }
      await sleep(asked ?? backoffDelay(attempt, retry, random), signal);
    }
  }

  return {
    model: options.model,
    async embed(texts, signal) {
      const vectors: Float32Array[] = [];
      let tokens = 0;
      let requests = 0;
      const cut = texts.map((t) => (t.length > MAX_EMBED_CHARS ? t.slice(0, MAX_EMBED_CHARS) : t === '' ? ' ' : t));
      for (let i = 0; i < cut.length; i += adapter.maxBatch) {
        const out = await batch(cut.slice(i, i + adapter.maxBatch), signal);
        requests++;
        vectors.push(...out.vectors);
        tokens += out.tokens;
      }
      return { vectors, tokens, requests };
    },
  };
}
