import type { Content, FunctionDeclaration, GenerateContentResponse, GoogleGenAI, Part } from '@google/genai';
import { parseRetryAfter } from '../backoff.js';
import { connectionDetail, isConnectionError, kindOfStatus, LlmFailure, looksLikeContextError, type FailureKind } from '../failure.js';
import { scrubSecrets } from '../scrub.js';
import type { ChatMessage, StopReason, ToolCall, ToolSpec } from '../types.js';
import type { Adapter, AdapterEvent, AttemptInput } from './adapter.js';

type Client = InstanceType<typeof GoogleGenAI>;

export const GOOGLE_DEFAULT_URL = 'https://generativelanguage.googleapis.com';

/**
 * Google's documented stand-in signature for function calls the model did not make itself
 * (history from another provider): Gemini 3 answers 400 when a step's first functionCall part
 * comes back without a `thoughtSignature`.
 */
export const FOREIGN_SIGNATURE = 'skip_thought_signature_validator';

/** Ids assist makes up for calls that came without one; never sent back as if the server had issued them. */
const MADE_UP_ID = /^call_\d+$/;

function parseArgs(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Gemini 1.x and 2.x do not require thought signatures; later models refuse calls sent back without one. */
export function needsSignatures(model: string): boolean {
  return !/^(models\/)?gemini-[12][.-]/.test(model);
}

/**
 * assist's messages in Gemini's `contents`: `assistant` is `model`, and the results of one tool
 * message are the function response parts of one user turn, as many as the calls before it.
 * `standIn`: give a turn's first call that has no signature {@link FOREIGN_SIGNATURE}.
 */
export function toContents(messages: readonly ChatMessage[], standIn = true): Content[] {
  const contents: Content[] = [];
  for (const message of messages) {
    if (message.role === 'user') {
      // The API refuses an empty text part.
      if (message.content !== '') contents.push({ role: 'user', parts: [{ text: message.content }] });
    } else if (message.role === 'assistant') {
      const parts: Part[] = message.content === '' ? [] : [{ text: message.content }];
      for (const [index, call] of (message.toolCalls ?? []).entries()) {
        const part: Part = { functionCall: { name: call.name, args: parseArgs(call.arguments), ...(MADE_UP_ID.test(call.id) ? {} : { id: call.id }) } };
        const signature = call.signature ?? (index === 0 && standIn ? FOREIGN_SIGNATURE : undefined);
        if (signature !== undefined) part.thoughtSignature = signature;
        parts.push(part);
      }
      if (parts.length > 0) contents.push({ role: 'model', parts });
    } else if (message.results.length > 0) {
      contents.push({
        role: 'user',
        parts: message.results.map((result) => ({
          functionResponse: {
            name: result.name,
            ...(MADE_UP_ID.test(result.callId) ? {} : { id: result.callId }),
            response: result.isError ? { error: result.content } : { output: result.content },
          },
        })),
      });
    }
  }
  return contents;
}

function declarations(tools: readonly ToolSpec[]): FunctionDeclaration[] {
  return tools.map((tool) => ({ name: tool.name, description: tool.description, parametersJsonSchema: tool.parameters }));
}

function stopReasonOf(finish: string): StopReason {
  if (finish === 'STOP') return 'end';
  if (finish === 'MAX_TOKENS') return 'max_tokens';
  return 'other';
}

/** A protobuf Duration in JSON (`"20s"`, `"0.5s"`, `"47.434392449s"`) in milliseconds. */
function durationMs(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return match ? Math.round(Number(match[1]) * 1000) : undefined;
}

/** The `{error: {code, message, status, details}}` body the SDK puts, as JSON text, into `ApiError.message`. */
interface GoogleErrorBody {
  message?: string;
  status?: string;
  details?: Array<Record<string, unknown>>;
}

function errorBody(text: string): GoogleErrorBody | undefined {
  const start = text.indexOf('{');
  if (start < 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(text.slice(start));
    // A 4xx/5xx body, or a `[{"error":…}]` array some proxies send.
    const record = (Array.isArray(parsed) ? parsed[0] : parsed) as { error?: unknown } | undefined;
    const inner = record?.error;
    if (!inner || typeof inner !== 'object') return undefined;
    // Bodies that were not JSON are wrapped by the SDK as `{error: {message: "<text>"}}`: look inside once more.
    const message = (inner as GoogleErrorBody).message;
    if (typeof message === 'string' && message.trimStart().startsWith('{')) return errorBody(message) ?? (inner as GoogleErrorBody);
    return inner as GoogleErrorBody;
  } catch {
    return undefined;
  }
}

function detailOfType(body: GoogleErrorBody | undefined, type: string): Record<string, unknown> | undefined {
  return body?.details?.find((d) => typeof d['@type'] === 'string' && (d['@type'] as string).endsWith(type));
}

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim().slice(0, 300);

// The API's words for a prompt over the window: "The input token count (N) exceeds the maximum number of tokens allowed (M)."
const GEMINI_CONTEXT_WORDING = /input token count.*exceeds the maximum number of tokens/i;

/** Turns an `ApiError` (an HTTP error, or an error chunk inside a 200 stream) into a failure. */
function apiFailure(status: number, text: string, scrub: (text: string) => string, retryAfterHeaderMs: number | undefined): LlmFailure {
  const body = errorBody(text);
  const message = body?.message ?? text;
  const errorInfo = detailOfType(body, 'google.rpc.ErrorInfo');
  let kind: FailureKind = kindOfStatus(status, message);
  // A key Google does not know is a 400 INVALID_ARGUMENT with reason API_KEY_INVALID, not a 401.
  if (errorInfo?.['reason'] === 'API_KEY_INVALID' || /API key (not valid|not found|expired)/i.test(message)) kind = 'auth';
  else if (kind === 'bad_request' && (GEMINI_CONTEXT_WORDING.test(message) || looksLikeContextError(message))) kind = 'context';
  const retryInfoMs = durationMs(detailOfType(body, 'google.rpc.RetryInfo')?.['retryDelay']);
  const retryAfterMs = retryInfoMs ?? retryAfterHeaderMs;
  const name = body?.status && !message.startsWith(body.status) ? `${body.status}: ` : '';
  // The raw error carries the whole body (Google echoes a rejected key in a DebugInfo detail): only a scrubbed copy goes along.
  return new LlmFailure(kind, `${status} ${scrub(name + message)}`, { status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }), cause: new Error(scrub(text)) });
}

/** Gemini's generateContent through `@google/genai`, loaded on first use. */
export function googleAdapter(): Adapter {
  let cached: { key: string; client: Client } | undefined;
  let callCounter = 0;

  async function client(input: AttemptInput): Promise<Client> {
    const id = `${input.baseUrl}\0${input.apiKey ?? ''}\0${input.timeoutMs}`;
    if (cached?.key === id) return cached.client;
    const { GoogleGenAI: Sdk } = await import('@google/genai');
    // The constructor reads process.env (GOOGLE_API_KEY and friends) and console.warns about it; every
    // value it would read is given explicitly, so its lines say nothing that applies: keep them out.
    const sink = globalThis.console;
    const { warn, debug } = sink;
    sink.warn = () => undefined;
    sink.debug = () => undefined;
    try {
      const created = new Sdk({
        vertexai: false,
        apiKey: input.apiKey ?? '',
        apiVersion: 'v1beta',
        httpOptions: {
          baseUrl: input.baseUrl,
          apiVersion: 'v1beta',
          // Backstop only; assist's own timers fire first.
          timeout: input.timeoutMs,
          // No `retryOptions`: the SDK then makes exactly one request per call (assist owns retries).
        },
      });
      cached = { key: id, client: created };
      return created;
    } finally {
      sink.warn = warn;
      sink.debug = debug;
    }
  }

  return {
    provider: 'google',
    defaultBaseUrl: GOOGLE_DEFAULT_URL,
    async *stream(input: AttemptInput): AsyncGenerator<AdapterEvent> {
      const sdk = await client(input);
      const secrets = input.apiKey ? [input.apiKey] : [];
      // ApiError keeps the body but not the headers: remember a `retry-after` here.
      const seen: { retryAfterMs?: number | undefined } = {};
      const fetchAndLook: typeof fetch = async (url, init) => {
        const response = await fetch(url, init);
        if (!response.ok) seen.retryAfterMs = parseRetryAfter(response.headers);
        return response;
      };
      let stream: AsyncGenerator<GenerateContentResponse>;
      try {
        stream = await sdk.models.generateContentStream({
          model: input.model,
          contents: toContents(input.messages, needsSignatures(input.model)),
          config: {
            ...(input.system === '' ? {} : { systemInstruction: input.system }),
            ...(input.tools.length === 0 ? {} : { tools: [{ functionDeclarations: declarations(input.tools) }] }),
            maxOutputTokens: input.maxOutputTokens,
            ...(input.temperature === undefined ? {} : { temperature: input.temperature }),
            abortSignal: input.signal,
            // The SDK would otherwise call tools itself (AFC) or re-request a broken stream (continuation).
            automaticFunctionCalling: { disable: true },
            automaticContinuation: false,
            httpOptions: { fetch: fetchAndLook },
          },
        });
      } catch (error) {
        throw classifyGoogle(error, secrets, seen.retryAfterMs);
      }
      let finish: string | undefined;
      try {
        for await (const chunk of stream) {
          const candidate = chunk.candidates?.[0];
          for (const part of candidate?.content?.parts ?? []) {
            if (part.functionCall) {
              const call: ToolCall = {
                id: part.functionCall.id || `call_${callCounter++}`,
                name: part.functionCall.name ?? '',
                arguments: JSON.stringify(part.functionCall.args ?? {}),
                ...(part.thoughtSignature ? { signature: part.thoughtSignature } : {}),
              };
              yield { type: 'tool_call', call };
            } else if (typeof part.text === 'string' && part.text !== '' && part.thought !== true) {
              yield { type: 'text', text: part.text };
            }
          }
          const usage = chunk.usageMetadata;
          if (usage) {
            const output = usage.candidatesTokenCount === undefined && usage.thoughtsTokenCount === undefined ? undefined : (usage.candidatesTokenCount ?? 0) + (usage.thoughtsTokenCount ?? 0);
            // Intermediate chunks carry the prompt count only; the last one has the output side too.
            yield { type: 'usage', inputTokens: usage.promptTokenCount, outputTokens: output, cachedInputTokens: usage.cachedContentTokenCount };
          }
          if (candidate?.finishReason) finish = candidate.finishReason;
          const blocked = chunk.promptFeedback?.blockReason;
          if (blocked && !candidate) throw new LlmFailure('bad_request', `Gemini blocked the prompt (${blocked})`);
        }
      } catch (error) {
        // The reply was whole when the break came: keep it.
        if (finish === undefined) throw error;
      }
      // No finishReason: the stream ended early, and the client treats the attempt as broken.
      // The client adds `tool_use` when calls were made (Gemini says STOP then too).
      if (finish !== undefined) yield { type: 'stop', reason: stopReasonOf(finish) };
    },
    classify: (error, secrets) => classifyGoogle(error, secrets, undefined),
  };
}

/** Classifies what `@google/genai` threw; `retryAfterHeaderMs` is the `retry-after` of the HTTP answer, when there was one. */
export function classifyGoogle(error: unknown, secrets: Iterable<string>, retryAfterHeaderMs: number | undefined): LlmFailure {
  if (error instanceof LlmFailure) return error;
  const scrub = (text: string): string => oneLine(scrubSecrets(text, secrets));
  const name = (error as { name?: unknown } | null)?.name;
  const message = error instanceof Error ? error.message : String(error);
  const status = (error as { status?: unknown } | null)?.status;
  if (name === 'ApiError' && typeof status === 'number') return apiFailure(status, message, scrub, retryAfterHeaderMs);
  // assist's own aborts are told apart before classify is called: an abort here is the SDK's own timer.
  if (name === 'AbortError' || name === 'TimeoutError') return new LlmFailure('timeout', 'the SDK timed out', { cause: error });
  if (isConnectionError(error)) return new LlmFailure('connection', connectionDetail(error), { cause: error });
  if (error instanceof SyntaxError || /exception parsing stream chunk|Incomplete JSON segment/i.test(message)) {
    return new LlmFailure('stream_cut', 'the stream carried malformed data', { cause: new Error(scrub(message)) });
  }
  if (/terminated|socket|ECONNRESET|premature close|aborted/i.test(message)) return new LlmFailure('stream_cut', scrub(message), { cause: error });
  return new LlmFailure('server', scrub(message), { cause: new Error(scrub(message)) });
}
