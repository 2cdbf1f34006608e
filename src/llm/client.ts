import type { Config } from '../config/types.js';
import { AssistError } from '../errors.js';
import type { Adapter, AdapterEvent, AttemptInput } from './adapters/adapter.js';
import { anthropicAdapter } from './adapters/anthropic.js';
import { googleAdapter } from './adapters/google.js';
import { ollamaAdapter, OLLAMA_DEFAULT_URL } from './adapters/ollama.js';
import { openaiAdapter } from './adapters/openai.js';
import { backoffDelay, DEFAULT_RETRY } from './backoff.js';
import { CircuitBreaker, DEFAULT_BREAKER, type BreakerSnapshot } from './breaker.js';
import { estimatePromptTokens, estimateTextTokens } from './estimate.js';
import { formatSeconds, LlmFailure, toAssistError, type Target } from './failure.js';
import { KeySource } from './keys.js';
import { PROVIDER_NAMES } from './model-name.js';
import { lookupModel } from './registry.js';
import type { AttemptRecord, LlmClientOptions, LlmRequest, ModelInfo, Provider, ProviderName, StopReason, StreamEvent, ToolCall, Usage } from './types.js';

export const DEFAULT_TOTAL_MS = 600_000;
export const DEFAULT_FIRST_EVENT_MS = 180_000;
export const DEFAULT_IDLE_MS = 60_000;

/**
 * 400s about how calls and results pair up in the history (OpenAI's `tool_call_id` checks, the
 * Responses `call_id` ones, Anthropic's `tool_result` order, Gemini's turn order) name tools too,
 * but say the request is wrong, not that the server lacks tools.
 */
const PAIRING_ERROR = /tool_call_id|tool_use_id|call_id|tool_result|tool messages|role 'tool'|no tool (call|output) found|function (call output|response)|immediately after|precee?ding/i;

/** A {@link Provider} with the registry and breaker state attached. */
export interface LlmClient extends Provider {
  /** Registry entry (with config overrides) of a `provider/model` name. */
  modelInfo(model: string): ModelInfo;
  /** Circuit breaker state per provider, for metrics and `doctor`. */
  breakers(): Record<ProviderName, BreakerSnapshot>;
  /**
   * Starts loading the SDK of the model's provider in the background, so its import overlaps with
   * the work done before the first request (repo map, git). Never throws.
   */
  warm(model: string): void;
}

/** Raised inside the client when one model's attempts are over. */
class ChainError extends Error {
  constructor(
    readonly failure: LlmFailure,
    readonly target: Target,
    readonly attempts: number,
  ) {
    super(failure.detail);
  }
}

export const ENV_BASE_URL: Record<ProviderName, string> = { anthropic: 'ANTHROPIC_BASE_URL', openai: 'OPENAI_BASE_URL', google: 'GOOGLE_GEMINI_BASE_URL', ollama: 'OLLAMA_HOST' };

export function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '::1' || host === '[::1]' || host.startsWith('127.');
  } catch {
    return false;
  }
}

function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Builds the client from the loaded config (`config.llm`, `config.models`, `config.fallback`). */
export function createLlmClientFromConfig(
  config: Pick<Config, 'llm' | 'models' | 'fallback'>,
  env: Readonly<Record<string, string | undefined>>,
  extra: Omit<LlmClientOptions, 'env' | 'llm' | 'models' | 'fallback'> = {},
): LlmClient {
  return createLlmClient({ ...extra, env, llm: config.llm, models: config.models, fallback: config.fallback });
}

/**
 * The model client: picks the adapter from the `provider/model` name, owns retries with
 * backoff, timeouts, the per-provider circuit breakers and the fallback chain.
 */
export function createLlmClient(options: LlmClientOptions): LlmClient {
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const breakerPolicy = { ...DEFAULT_BREAKER, ...options.breaker };
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const env = options.env;
  const adapters = new Map<ProviderName, Adapter>();
  const breakerMap = new Map<ProviderName, CircuitBreaker>();
  const keyMap = new Map<ProviderName, KeySource>();

  const configOf = (provider: ProviderName): NonNullable<NonNullable<LlmClientOptions['llm']>[string]> => options.llm?.[provider] ?? {};

  function adapterOf(provider: ProviderName): Adapter {
    let adapter = adapters.get(provider);
    if (!adapter) {
      adapter =
        provider === 'anthropic'
          ? anthropicAdapter()
          : provider === 'openai'
            ? openaiAdapter({ organization: env['OPENAI_ORG_ID'], project: env['OPENAI_PROJECT_ID'] })
            : provider === 'google'
              ? googleAdapter()
              : ollamaAdapter();
      adapters.set(provider, adapter);
    }
    return adapter;
  }

  function breakerOf(provider: ProviderName): CircuitBreaker {
    let breaker = breakerMap.get(provider);
    if (!breaker) breakerMap.set(provider, (breaker = new CircuitBreaker(breakerPolicy, now)));
    return breaker;
  }

  function baseUrlOf(provider: ProviderName): string {
    const configured = configOf(provider).base_url ?? env[ENV_BASE_URL[provider]];
    const url = configured?.trim() || (provider === 'ollama' ? OLLAMA_DEFAULT_URL : adapterOf(provider).defaultBaseUrl);
    // OLLAMA_HOST is often `host:port`; the ollama client adds the scheme, messages need it too.
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`;
  }

  function keysOf(provider: ProviderName): KeySource {
    let keys = keyMap.get(provider);
    if (!keys) {
      const config = configOf(provider);
      const baseUrl = baseUrlOf(provider);
      keys = new KeySource({
        provider,
        env,
        apiKeyEnv: config.api_key_env,
        apiKeyCmd: config.api_key_cmd,
        // A local OpenAI-compatible server (llama.cpp, vLLM, LM Studio) usually wants no key.
        optionalFallback: provider === 'openai' && !config.api_key_env && isLoopback(baseUrl) ? 'none' : undefined,
        cwd: options.cwd,
      });
      keyMap.set(provider, keys);
    }
    return keys;
  }

  function report(record: AttemptRecord): void {
    try {
      options.onAttempt?.(record);
    } catch {
      // An observer's bug must not fail a model call.
    }
  }

  /** One attempt with its timers; yields adapter events, throws LlmFailure. */
  async function* runAttempt(
    adapter: Adapter,
    input: Omit<AttemptInput, 'signal'>,
    limits: { remainingMs: number; totalMs: number; firstEventMs: number; idleMs: number },
    userSignal: AbortSignal | undefined,
    secrets: Iterable<string>,
  ): AsyncGenerator<AdapterEvent> {
    const controller = new AbortController();
    let reason: 'user' | 'total' | 'first' | 'idle' | undefined;
    const abortWith = (why: NonNullable<typeof reason>): void => {
      if (controller.signal.aborted) return;
      reason = why;
      controller.abort();
    };
    const onUser = (): void => abortWith('user');
    if (userSignal?.aborted) abortWith('user');
    else userSignal?.addEventListener('abort', onUser, { once: true });
    const totalTimer = setTimeout(() => abortWith('total'), limits.remainingMs);
    let idleTimer = setTimeout(() => abortWith('first'), limits.firstEventMs);
    const aborted = new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
    aborted.catch(() => undefined);

    let sawEvent = false;
    let sawStop = false;
    let finished = false;
    const failureFor = (error: unknown): LlmFailure => {
      if (controller.signal.aborted) {
        switch (reason) {
          case 'total':
            return new LlmFailure('timeout', `no complete reply within ${formatSeconds(limits.totalMs)}`);
          case 'first':
            return new LlmFailure('idle', `no response within ${formatSeconds(limits.firstEventMs)}`);
          case 'idle':
            return new LlmFailure('idle', `the reply stalled (nothing for ${formatSeconds(limits.idleMs)})`);
          default:
            return new LlmFailure('aborted', 'aborted');
        }
      }
      const failure = adapter.classify(error, secrets);
      if (failure.kind === 'connection' && sawEvent) return new LlmFailure('stream_cut', `the connection dropped mid-reply (${failure.detail})`, { cause: error });
      return failure;
    };

    const iterator = adapter.stream({ ...input, signal: controller.signal })[Symbol.asyncIterator]();
    try {
      for (;;) {
        let result: IteratorResult<AdapterEvent>;
        try {
          result = await Promise.race([iterator.next(), aborted]);
        } catch (error) {
          throw failureFor(error);
        }
        if (result.done) break;
        sawEvent = true;
        clearTimeout(idleTimer);
        if (result.value.type === 'stop') sawStop = true;
        yield result.value;
        idleTimer = setTimeout(() => abortWith('idle'), limits.idleMs);
      }
      // Some SDKs end a stream quietly when its signal fires.
      if (controller.signal.aborted) throw failureFor(undefined);
      if (!sawStop) throw new LlmFailure('stream_cut', sawEvent ? 'the stream ended before the reply was complete' : 'the server closed the stream without a reply');
      finished = true;
    } finally {
      clearTimeout(totalTimer);
      clearTimeout(idleTimer);
      userSignal?.removeEventListener('abort', onUser);
      if (!finished) {
        // Free the socket; the SDK's pending read settles once the signal fires.
        controller.abort();
        void iterator.return?.(undefined)?.catch(() => undefined);
      }
    }
  }

  /** All attempts of one model; yields stream events, throws ChainError when it is done trying. */
  async function* runModel(info: ModelInfo, request: LlmRequest, signal: AbortSignal | undefined, shown: { dirty: boolean }): AsyncGenerator<StreamEvent> {
    const provider = info.provider;
    const adapter = adapterOf(provider);
    const breaker = breakerOf(provider);
    const keys = keysOf(provider);
    const baseUrl = baseUrlOf(provider);
    const target: Target = { name: info.id, provider, baseUrl, keySource: keys.description, keyIsCommand: keys.isCommand };
    const timeoutS = configOf(provider).timeout_s;
    const totalMs = timeoutS !== undefined && timeoutS > 0 ? timeoutS * 1000 : (options.timeouts?.totalMs ?? DEFAULT_TOTAL_MS);
    const firstEventMs = options.timeouts?.firstEventMs ?? DEFAULT_FIRST_EVENT_MS;
    const idleMs = options.timeouts?.idleMs ?? DEFAULT_IDLE_MS;
    const deadline = now() + totalMs;
    const maxOutputTokens = Math.max(1, Math.min(request.maxOutputTokens, info.maxOutput));
    let attempt = 0;
    let keyReread = false;
    const fail = (failure: LlmFailure): ChainError => new ChainError(failure, target, attempt);

    for (;;) {
      if (signal?.aborted) throw fail(new LlmFailure('aborted', 'aborted'));
      if (!breaker.tryAcquire()) {
        const snap = breaker.snapshot();
        const wait = snap.retryAt === undefined ? '' : `; next try in ${formatSeconds(Math.max(0, snap.retryAt - now()))}`;
        throw fail(new LlmFailure('circuit_open', `${provider} is failing (circuit breaker open after ${snap.consecutiveFailures} consecutive failures${wait})`));
      }
      attempt++;
      let apiKey: string | undefined;
      try {
        apiKey = await keys.get();
      } catch (error) {
        breaker.release();
        throw fail(error instanceof LlmFailure ? error : new LlmFailure('key_cmd', String(error)));
      }
      const remainingMs = deadline - now();
      if (remainingMs <= 0) {
        breaker.release();
        throw fail(new LlmFailure('timeout', `no complete reply within ${formatSeconds(totalMs)}`));
      }
      const started = now();
      let text = '';
      let inputTokens: number | undefined;
      let outputTokens: number | undefined;
      let cachedInputTokens: number | undefined;
      let cacheWriteTokens: number | undefined;
      const toolCalls: ToolCall[] = [];
      let replay: readonly unknown[] | undefined;
      let stopReason: StopReason = 'other';
      let failure: LlmFailure | undefined;
      let succeeded = false;
      try {
        const events = runAttempt(
          adapter,
          {
            model: info.model,
            info,
            system: request.system,
            messages: request.messages,
            tools: request.tools ?? [],
            maxOutputTokens,
            temperature: request.temperature,
            apiKey,
            baseUrl,
            timeoutMs: remainingMs + 1_000,
          },
          { remainingMs, totalMs, firstEventMs, idleMs },
          signal,
          keys.secrets,
        );
        for await (const event of events) {
          if (event.type === 'text') {
            text += event.text;
            shown.dirty = true;
            yield { type: 'text', text: event.text };
          } else if (event.type === 'usage') {
            inputTokens = event.inputTokens ?? inputTokens;
            outputTokens = event.outputTokens ?? outputTokens;
            cachedInputTokens = event.cachedInputTokens ?? cachedInputTokens;
            cacheWriteTokens = event.cacheWriteTokens ?? cacheWriteTokens;
          } else if (event.type === 'tool_call') {
            toolCalls.push(event.call);
            shown.dirty = true;
          } else if (event.type === 'replay') {
            replay = event.items;
          } else if (event.type === 'notice') {
            yield { type: 'notice', model: info.id, message: event.message };
          } else {
            stopReason = event.reason;
          }
        }
        breaker.recordSuccess();
        succeeded = true;
        report({ model: info.id, provider, attempt, outcome: 'ok', durationMs: now() - started });
        const usage: Usage = {
          inputTokens: inputTokens ?? estimatePromptTokens(request.system, request.messages, request.tools),
          outputTokens: outputTokens ?? estimateTextTokens(text + toolCalls.map((c) => c.name + c.arguments).join('')),
          estimated: inputTokens === undefined || outputTokens === undefined,
          ...(cachedInputTokens === undefined ? {} : { cachedInputTokens }),
          ...(cacheWriteTokens === undefined ? {} : { cacheWriteTokens }),
        };
        yield {
          type: 'done',
          model: info.id,
          usage,
          stopReason: toolCalls.length > 0 && stopReason !== 'max_tokens' ? 'tool_use' : stopReason,
          attempts: attempt,
          toolCalls,
          ...(replay === undefined ? {} : { replay: { provider, items: replay } }),
        };
        return;
      } catch (error) {
        failure = error instanceof LlmFailure ? error : adapter.classify(error, keys.secrets);
        // A server that cannot do tool calling says so with a 400 naming tools (OpenAI-compatible
        // servers, Ollama models without tool support): the session falls back to text mode.
        const rejectsTools = adapter.rejectsTools ?? ((detail: string) => /\btools?\b|tool[ _-]?(call|choice|use)|function[ _-]?call/i.test(detail) && !PAIRING_ERROR.test(detail));
        if (failure.kind === 'bad_request' && (request.tools?.length ?? 0) > 0 && rejectsTools(failure.detail)) {
          failure = new LlmFailure('tools_unsupported', failure.detail, failure.extra);
        }
      } finally {
        // The consumer stopped reading mid-reply: the attempt says nothing about the server.
        if (!succeeded && failure === undefined) breaker.release();
      }

      if (failure.unhealthy) breaker.recordFailure();
      else if (failure.extra.status !== undefined) breaker.recordSuccess(); // it answered: it is up
      else breaker.release();
      report({
        model: info.id,
        provider,
        attempt,
        outcome: failure.kind === 'aborted' ? 'aborted' : 'failed',
        kind: failure.kind,
        ...(failure.extra.status === undefined ? {} : { status: failure.extra.status }),
        durationMs: now() - started,
      });
      if (failure.kind === 'aborted') throw fail(failure);

      let delay: number;
      if (failure.kind === 'auth' && keys.isCommand && !keyReread) {
        // The key may have rotated: run api_key_cmd again and retry once, outside the attempt budget.
        keyReread = true;
        keys.invalidate();
        delay = 0;
        attempt--;
      } else {
        if (!failure.retryable || attempt >= retry.maxAttempts || breaker.state !== 'closed') throw fail(failure);
        const asked = failure.extra.retryAfterMs;
        if (asked !== undefined && asked > retry.maxRetryAfterMs) {
          throw fail(
            new LlmFailure('retry_after_too_long', `${provider} asks to wait ${formatSeconds(asked)} before retrying, longer than the ${formatSeconds(retry.maxRetryAfterMs)} assist waits`, {
              ...(failure.extra.status === undefined ? {} : { status: failure.extra.status }),
              retryAfterMs: asked,
            }),
          );
        }
        delay = asked ?? backoffDelay(attempt, retry, random);
        if (now() + delay >= deadline) throw fail(failure);
      }
      if (shown.dirty) {
        shown.dirty = false;
        yield { type: 'restart', model: info.id, reason: failure.detail };
      }
      if (delay > 0) {
        yield { type: 'retry', model: info.id, attempt: attempt + 1, delayMs: delay, reason: failure.detail };
        if (!(await abortableSleep(delay, signal))) throw fail(new LlmFailure('aborted', 'aborted'));
      }
    }
  }

  async function* stream(request: LlmRequest, signal?: AbortSignal): AsyncGenerator<StreamEvent> {
    const chain = [...new Set([request.model, ...(options.fallback ?? [])])];
    const infos = chain.map((model) => lookupModel(model, options.models));
    const shown = { dirty: false };
    const failures: ChainError[] = [];
    for (const [index, info] of infos.entries()) {
      if (index > 0) {
        const previous = failures.at(-1)!;
        if (shown.dirty) {
          shown.dirty = false;
          yield { type: 'restart', model: previous.target.name, reason: previous.failure.detail };
        }
        yield { type: 'fallback', from: previous.target.name, to: info.id, reason: previous.failure.detail };
      }
      try {
        yield* runModel(info, request, signal, shown);
        return;
      } catch (error) {
        if (!(error instanceof ChainError)) throw error;
        const { failure } = error;
        // The requested model's own misconfiguration is reported, not papered over by a fallback.
        if (failure.kind === 'aborted' || (index === 0 && !failure.fallbackEligible)) throw toAssistError(failure, error.target, error.attempts);
        failures.push(error);
      }
    }
    const [first, ...rest] = failures;
    if (!first) throw new AssistError('llm.no-model', 'no model to ask', { exitCode: 4 });
    const main = toAssistError(first.failure, first.target, first.attempts);
    if (rest.length === 0) throw main;
    const tail = rest.map((f) => `${f.target.name}: ${f.failure.detail}`).join('; ');
    throw new AssistError(main.code, `${main.message}; fallback failed too (${tail})`, {
      exitCode: main.exitCode,
      ...(main.hint === undefined ? {} : { hint: main.hint }),
      data: { ...main.data, fallbacks: rest.map((f) => ({ model: f.target.name, kind: f.failure.kind, attempts: f.attempts })) },
    });
  }

  return {
    stream,
    modelInfo: (model) => lookupModel(model, options.models),
    breakers: () => Object.fromEntries(PROVIDER_NAMES.map((p) => [p, breakerOf(p).snapshot()])) as Record<ProviderName, BreakerSnapshot>,
    warm(model: string): void {
      const provider = model.split('/')[0];
      const load =
        provider === 'anthropic'
          ? import('@anthropic-ai/sdk')
          : provider === 'openai'
            ? import('openai')
            : provider === 'google'
              ? import('@google/genai')
              : provider === 'ollama'
                ? import('ollama')
                : null;
      // Every SDK requests through Node's fetch, whose implementation (undici, ~20-40 ms of this
      // thread) loads on the first call: load it now, between the SDK's import and the first request,
      // while this thread mostly waits on git and the repo map's files.
      load?.then(() => setImmediate(loadFetch)).catch(() => undefined);
    },
  };
}

/** Loads Node's fetch implementation: `Response` comes from the same lazily loaded module as `fetch`. */
function loadFetch(): void {
  try {
    void new Response('');
  } catch {
    // a runtime without it: the SDK reports that on its request
  }
}

/** A finished reply, with `restart` applied: only the text of the attempt that completed. */
export interface Reply {
  text: string;
  model: string;
  usage: Usage;
  stopReason: StopReason;
  attempts: number;
  toolCalls: readonly ToolCall[];
}

/** Drains a stream into a {@link Reply}; `onText` sees deltas, `onRestart` says to forget them. */
export async function collectReply(
  events: AsyncIterable<StreamEvent>,
  hooks: { onText?: (text: string) => void; onRestart?: () => void } = {},
): Promise<Reply> {
  let text = '';
  for await (const event of events) {
    if (event.type === 'text') {
      text += event.text;
      hooks.onText?.(event.text);
    } else if (event.type === 'restart') {
      text = '';
      hooks.onRestart?.();
    } else if (event.type === 'done') {
      return { text, model: event.model, usage: event.usage, stopReason: event.stopReason, attempts: event.attempts, toolCalls: event.toolCalls };
    }
  }
  throw new AssistError('llm.stream-broken', 'the model stream ended without a complete reply', { exitCode: 4 });
}
