import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { FAKE_KEYS, type FakeLlmServer } from './server.js';
import type { Provider } from './types.js';

/** How a test calls a model through a real SDK. */
export interface CallOptions {
  stream: boolean;
  /** undefined: the SDK's default retries. Ollama's client never retries. */
  maxRetries?: number;
  /** SDK `timeout` (OpenAI, Anthropic) or a fetch deadline (Ollama), ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
  model?: string;
  prompt?: string;
  system?: string;
  /** Ollama `options.num_ctx`. */
  numCtx?: number;
  /** Ollama top-level `truncate`. */
  truncate?: boolean;
}

/** What a call produced, normalised across SDKs. */
export interface CallResult {
  text: string;
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  finish: string | undefined;
  model: string | undefined;
  /** Number of stream events / chunks the SDK yielded (0 when not streaming). */
  events: number;
}

const DEFAULT_MODEL: Record<Provider, string> = { openai: 'gpt-4.1', anthropic: 'claude-sonnet-5-5', google: 'gemini-2.5-flash', ollama: 'qwen2.5-coder' };

export async function callOpenai(server: FakeLlmServer, options: CallOptions): Promise<CallResult> {
  const client = new OpenAI({
    baseURL: server.urls.openai,
    apiKey: FAKE_KEYS.openai,
    logLevel: 'off',
    ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
    ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
  });
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [];
  if (options.system) messages.push({ role: 'system', content: options.system });
  messages.push({ role: 'user', content: options.prompt ?? 'hello' });
  const model = options.model ?? DEFAULT_MODEL.openai;
  const requestOptions = options.signal ? { signal: options.signal } : {};
  if (!options.stream) {
    const completion = await client.chat.completions.create({ model, messages }, requestOptions);
    const choice = completion.choices[0];
    return {
      text: choice?.message.content ?? '',
      inputTokens: completion.usage?.prompt_tokens,
      outputTokens: completion.usage?.completion_tokens,
      finish: choice?.finish_reason,
      model: completion.model,
      events: 0,
    };
  }
  const stream = await client.chat.completions.create(
    { model, messages, stream: true, stream_options: { include_usage: true } },
    requestOptions,
  );
  const result: CallResult = { text: '', inputTokens: undefined, outputTokens: undefined, finish: undefined, model: undefined, events: 0 };
  for await (const chunk of stream) {
    result.events++;
    result.model = chunk.model;
    const choice = chunk.choices[0];
    if (choice?.delta.content) result.text += choice.delta.content;
    if (choice?.finish_reason) result.finish = choice.finish_reason;
    if (chunk.usage) {
      result.inputTokens = chunk.usage.prompt_tokens;
      result.outputTokens = chunk.usage.completion_tokens;
    }
  }
  return result;
}

export async function callAnthropic(server: FakeLlmServer, options: CallOptions): Promise<CallResult> {
  const client = new Anthropic({
    baseURL: server.urls.anthropic,
    apiKey: FAKE_KEYS.anthropic,
    logLevel: 'off',
    ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
    ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
  });
  const params = {
    model: options.model ?? DEFAULT_MODEL.anthropic,
    max_tokens: 1024,
    messages: [{ role: 'user' as const, content: options.prompt ?? 'hello' }],
    ...(options.system ? { system: options.system } : {}),
  };
  const requestOptions = options.signal ? { signal: options.signal } : {};
  if (!options.stream) {
    const message = await client.messages.create(params, requestOptions);
    return {
      text: message.content.map((block) => (block.type === 'text' ? block.text : '')).join(''),
      inputTokens: message.usage?.input_tokens,
      outputTokens: message.usage?.output_tokens,
      finish: message.stop_reason ?? undefined,
      model: message.model,
      events: 0,
    };
  }
  const stream = await client.messages.create({ ...params, stream: true }, requestOptions);
  const result: CallResult = { text: '', inputTokens: undefined, outputTokens: undefined, finish: undefined, model: undefined, events: 0 };
  for await (const event of stream) {
    result.events++;
    if (event.type === 'message_start') {
      result.model = event.message.model;
      result.inputTokens = event.message.usage?.input_tokens;
    } else if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
      result.text += event.delta.text;
    } else if (event.type === 'message_delta') {
      result.finish = event.delta.stop_reason ?? undefined;
      result.outputTokens = event.usage?.output_tokens;
    }
  }
  return result;
}

export async function callOllama(server: FakeLlmServer, options: CallOptions): Promise<CallResult> {
  // Node 20: a signal from AbortSignal.timeout() combined through AbortSignal.any() is held
  // weakly and can be collected before it fires (seen here: a hung request never timed out).
  // A plain timer on a controller we hold stays alive.
  const deadline = new AbortController();
  const timer =
    options.timeoutMs !== undefined
      ? setTimeout(() => deadline.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), options.timeoutMs)
      : undefined;
  try {
    return await ollamaChat(server, options, deadline.signal);
  } finally {
    clearTimeout(timer);
  }
}

async function ollamaChat(server: FakeLlmServer, options: CallOptions, deadline: AbortSignal): Promise<CallResult> {
  const own = options.signal ? [deadline, options.signal] : [deadline];
  // The ollama client has no timeout option and passes no signal for non-streamed calls:
  // a deadline has to come through its `fetch` option.
  const client = new Ollama({
    host: server.urls.ollama,
    fetch: (input: string | URL | Request, init?: RequestInit) =>
      fetch(input, { ...init, signal: AbortSignal.any(init?.signal ? [init.signal, ...own] : own) }),
  });
  const messages = [
    ...(options.system ? [{ role: 'system', content: options.system }] : []),
    { role: 'user', content: options.prompt ?? 'hello' },
  ];
  const model = options.model ?? DEFAULT_MODEL.ollama;
  const extra = {
    ...(options.numCtx !== undefined ? { options: { num_ctx: options.numCtx } } : {}),
    ...(options.truncate !== undefined ? { truncate: options.truncate } : {}),
  };
  if (!options.stream) {
    const response = await client.chat({ model, messages, stream: false, ...extra });
    return {
      text: response.message.content,
      inputTokens: response.prompt_eval_count,
      outputTokens: response.eval_count,
      finish: response.done_reason,
      model: response.model,
      events: 0,
    };
  }
  const stream = await client.chat({ model, messages, stream: true, ...extra });
  const result: CallResult = { text: '', inputTokens: undefined, outputTokens: undefined, finish: undefined, model: undefined, events: 0 };
  for await (const part of stream) {
    result.events++;
    result.model = part.model;
    result.text += part.message.content;
    if (part.done) {
      result.inputTokens = part.prompt_eval_count;
      result.outputTokens = part.eval_count;
      result.finish = part.done_reason;
    }
  }
  return result;
}

export async function callGoogle(server: FakeLlmServer, options: CallOptions): Promise<CallResult> {
  // `maxRetries` maps onto the SDK's retryOptions (attempts include the first); none: the SDK's default, no retries.
  const client = new GoogleGenAI({
    vertexai: false,
    apiKey: FAKE_KEYS.google,
    httpOptions: {
      baseUrl: server.urls.google,
      ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
      ...(options.maxRetries !== undefined ? { retryOptions: { attempts: options.maxRetries + 1, initialDelay: 0.01, maxDelay: 0.02 } } : {}),
    },
  });
  const params = {
    model: options.model ?? DEFAULT_MODEL.google,
    contents: [{ role: 'user', parts: [{ text: options.prompt ?? 'hello' }] }],
    config: { ...(options.system ? { systemInstruction: options.system } : {}), ...(options.signal ? { abortSignal: options.signal } : {}) },
  };
  if (!options.stream) {
    const response = await client.models.generateContent(params);
    const candidate = response.candidates?.[0];
    return {
      text: response.text ?? '',
      inputTokens: response.usageMetadata?.promptTokenCount,
      outputTokens: response.usageMetadata?.candidatesTokenCount,
      finish: candidate?.finishReason,
      model: response.modelVersion,
      events: 0,
    };
  }
  const result: CallResult = { text: '', inputTokens: undefined, outputTokens: undefined, finish: undefined, model: undefined, events: 0 };
  for await (const chunk of await client.models.generateContentStream(params)) {
    result.events++;
    result.model = chunk.modelVersion;
    result.text += chunk.text ?? '';
    const candidate = chunk.candidates?.[0];
    if (candidate?.finishReason) result.finish = candidate.finishReason;
    if (chunk.usageMetadata) {
      result.inputTokens = chunk.usageMetadata.promptTokenCount;
      result.outputTokens = chunk.usageMetadata.candidatesTokenCount ?? result.outputTokens;
    }
  }
  return result;
}

export const CALLS: Record<Provider, (server: FakeLlmServer, options: CallOptions) => Promise<CallResult>> = {
  openai: callOpenai,
  anthropic: callAnthropic,
  google: callGoogle,
  ollama: callOllama,
};

/** An error as the table reports it: `constructor.name` and the status the SDK exposes. */
export function describeError(error: unknown): { name: string; status: number | undefined; message: string } {
  if (!(error instanceof Error)) return { name: typeof error, status: undefined, message: String(error) };
  const fields = error as Error & { status?: unknown; status_code?: unknown };
  const status = typeof fields.status === 'number' ? fields.status : typeof fields.status_code === 'number' ? fields.status_code : undefined;
  return { name: error.constructor.name, status, message: error.message };
}

/** Runs a call and returns its result or the error it threw. */
export async function settle(call: Promise<CallResult>): Promise<{ ok: true; result: CallResult } | { ok: false; error: unknown }> {
  try {
    return { ok: true, result: await call };
  } catch (error) {
    return { ok: false, error };
  }
}
