import { parseRetryAfter } from '../backoff.js';
import type { LlmFailure } from '../failure.js';
import { classifyGoogle } from './google.js';
import { ollamaAdapter } from './ollama.js';
import { classifyStainless } from './sdk-errors.js';

/** One embeddings request: a batch of texts, already within the provider's limits. */
export interface EmbedInput {
  /** The provider's own model name (no `provider/` prefix). */
  model: string;
  texts: readonly string[];
  apiKey: string | undefined;
  baseUrl: string;
  signal: AbortSignal;
  timeoutMs: number;
}

/** What the provider answered: one vector per text, in order, and its token count when it says. */
export interface EmbedOutput {
  vectors: Float32Array[];
  tokens: number | undefined;
}

/** One provider's embeddings endpoint through its SDK (loaded on first use). */
export interface EmbedAdapter {
  /** Texts per request at most (the API refuses larger batches with a 400). */
  readonly maxBatch: number;
  embed(input: EmbedInput): Promise<EmbedOutput>;
  classify(error: unknown, secrets: Iterable<string>): LlmFailure;
}

// OpenAI: at most 2048 inputs per request (and 300,000 tokens summed, 8192 per input).
export const OPENAI_MAX_BATCH = 2048;
// Gemini's batchEmbedContents: "at most 100 requests can be in one batch".
export const GOOGLE_MAX_BATCH = 100;
// Ollama documents no limit; one request is one model pass, so moderate batches keep each call short.
export const OLLAMA_MAX_BATCH = 64;

function checkCount(vectors: readonly unknown[], texts: readonly string[], provider: string): void {
  if (vectors.length !== texts.length) throw new Error(`${provider} returned ${vectors.length} embeddings for ${texts.length} inputs`);
}

/** `openai` `embeddings.create`: the official API or any OpenAI-compatible server. */
export function openaiEmbedAdapter(): EmbedAdapter {
  return {
    maxBatch: OPENAI_MAX_BATCH,
    async embed(input) {
      const { default: OpenAISdk } = await import('openai');
      const sdk = new OpenAISdk({ apiKey: input.apiKey ?? 'none', baseURL: input.baseUrl, maxRetries: 0, timeout: input.timeoutMs, logLevel: 'off', webhookSecret: null });
      // The SDK asks for base64 (and decodes it) unless told otherwise; compatible servers do not all know it.
      const official = /^https:\/\/api\.openai\.com(\/|$)/.test(input.baseUrl);
      const response = await sdk.embeddings.create({ model: input.model, input: [...input.texts], ...(official ? {} : { encoding_format: 'float' as const }) }, { signal: input.signal });
      const data = [...response.data].sort((a, b) => a.index - b.index);
      checkCount(data, input.texts, 'openai');
      return { vectors: data.map((d) => Float32Array.from(d.embedding as ArrayLike<number>)), tokens: response.usage?.prompt_tokens };
    },
    classify: classifyStainless,
  };
}

/** `@google/genai` `models.embedContent` (the Gemini API's batchEmbedContents). */
export function googleEmbedAdapter(): EmbedAdapter {
  return {
    maxBatch: GOOGLE_MAX_BATCH,
    async embed(input) {
      const { GoogleGenAI: Sdk } = await import('@google/genai');
      const sink = globalThis.console;
      const { warn, debug } = sink;
      // The constructor warns about environment variables it was told to ignore (see adapters/google.ts).
      sink.warn = () => undefined;
      sink.debug = () => undefined;
      let sdk: InstanceType<typeof Sdk>;
      try {
        sdk = new Sdk({ vertexai: false, apiKey: input.apiKey ?? '', apiVersion: 'v1beta', httpOptions: { baseUrl: input.baseUrl, apiVersion: 'v1beta', timeout: input.timeoutMs } });
      } finally {
        sink.warn = warn;
        sink.debug = debug;
      }
      const seen: { retryAfterMs?: number | undefined } = {};
      const fetchAndLook: typeof fetch = async (url, init) => {
        const response = await fetch(url, init);
        if (!response.ok) seen.retryAfterMs = parseRetryAfter(response.headers);
        return response;
      };
      try {
        const response = await sdk.models.embedContent({
          model: input.model,
          contents: input.texts.map((text) => ({ role: 'user', parts: [{ text }] })),
          config: { taskType: 'RETRIEVAL_DOCUMENT', abortSignal: input.signal, httpOptions: { fetch: fetchAndLook } },
        });
        const embeddings = response.embeddings ?? [];
        checkCount(embeddings, input.texts, 'google');
        return { vectors: embeddings.map((e) => Float32Array.from(e.values ?? [])), tokens: undefined };
      } catch (error) {
        throw classifyGoogle(error, input.apiKey ? [input.apiKey] : [], seen.retryAfterMs);
      }
    },
    classify: (error, secrets) => classifyGoogle(error, secrets, undefined),
  };
}

/** `ollama` `embed` (`/api/embed`, batched inputs). */
export function ollamaEmbedAdapter(): EmbedAdapter {
  const chat = ollamaAdapter();
  return {
    maxBatch: OLLAMA_MAX_BATCH,
    async embed(input) {
      const { Ollama } = await import('ollama');
      const signal = input.signal;
      const client = new Ollama({
        host: input.baseUrl,
        fetch: (url, init) => fetch(url, { ...init, signal: init?.signal ? AbortSignal.any([signal, init.signal]) : signal }),
        ...(input.apiKey ? { headers: { Authorization: `Bearer ${input.apiKey}` } } : {}),
      });
      const response = await client.embed({ model: input.model, input: [...input.texts] });
      checkCount(response.embeddings, input.texts, 'ollama');
      return { vectors: response.embeddings.map((v) => Float32Array.from(v)), tokens: response.prompt_eval_count };
    },
    classify: (error, secrets) => chat.classify(error, secrets),
  };
}
