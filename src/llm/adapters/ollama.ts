import type { Message, Ollama, Tool } from 'ollama';
import { parseRetryAfter } from '../backoff.js';
import { connectionDetail, isConnectionError, kindOfStatus, LlmFailure, looksLikeContextError } from '../failure.js';
import { scrubSecrets } from '../scrub.js';
import type { ChatMessage, ToolSpec } from '../types.js';
import { stopReasonOf, type Adapter, type AdapterEvent, type AttemptInput } from './adapter.js';

export const OLLAMA_DEFAULT_URL = 'http://127.0.0.1:11434';

/**
 * A fetch for the ollama client that (1) carries the attempt's abort signal, since the client
 * passes none of its own for every call, and (2) turns a non-JSON error body into JSON,
 * because the client `console.log`s while reading one, and nothing below the CLI may print.
 */
function fetchFor(signal: AbortSignal, seen: { retryAfterMs?: number | undefined }): typeof fetch {
  return async (input, init) => {
    const signals = [signal, init?.signal].filter((s): s is AbortSignal => s instanceof AbortSignal);
    const response = await fetch(input, { ...init, signal: signals.length === 1 ? signals[0]! : AbortSignal.any(signals) });
    // The client's ResponseError keeps only the status: remember the server's retry-after here.
    if (!response.ok) seen.retryAfterMs = parseRetryAfter(response.headers);
    if (response.ok && response.body && response.headers.get('content-type')?.includes('ndjson')) {
      return new Response(response.body.pipeThrough(checkedLines()), { status: response.status, statusText: response.statusText, headers: response.headers });
    }
    if (response.ok || response.headers.get('content-type')?.includes('application/json')) return response;
    const text = await response.text().catch(() => '');
    return new Response(JSON.stringify({ error: text.trim() || `HTTP ${response.status} ${response.statusText}` }), {
      status: response.status,
      statusText: response.statusText,
      headers: { 'content-type': 'application/json' },
    });
  };
}

/**
 * Passes an NDJSON body through unchanged, but fails it at the first line that is not JSON:
 * the ollama client would skip such a line with a `console.warn`, losing text silently.
 */
function checkedLines(): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  let pending = '';
  const check = (line: string): void => {
    if (line.trim() === '') return;
    JSON.parse(line);
  };
  return new TransformStream({
    transform(chunk, controller) {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      try {
        lines.forEach(check);
      } catch {
        controller.error(new SyntaxError('malformed line in the NDJSON stream'));
        return;
      }
      controller.enqueue(chunk);
    },
    flush(controller) {
      try {
        check(pending + decoder.decode());
      } catch {
        controller.error(new SyntaxError('malformed line at the end of the NDJSON stream'));
      }
    },
  });
}

/** Ollama takes (and sends) arguments as an object; a call whose arguments were not one was already answered with an error result. */
function argumentsOf(args: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(args);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // Not JSON: the history still needs a well-formed call.
  }
  return {};
}

/** The conversation in /api/chat's shape: results are `tool` messages named by tool, in call order (the wire has no call ids). */
export function ollamaMessages(system: string, messages: readonly ChatMessage[]): Message[] {
  const out: Message[] = system === '' ? [] : [{ role: 'system', content: system }];
  for (const message of messages) {
    if (message.role === 'tool') {
      for (const result of message.results) out.push({ role: 'tool', content: result.content, tool_name: result.name });
    } else if (message.role === 'assistant' && (message.toolCalls?.length ?? 0) > 0) {
      out.push({
        role: 'assistant',
        content: message.content,
        tool_calls: (message.toolCalls ?? []).map((call) => ({ function: { name: call.name, arguments: argumentsOf(call.arguments) } })),
      });
    } else {
      out.push({ role: message.role, content: message.content });
    }
  }
  return out;
}

function ollamaTools(tools: readonly ToolSpec[]): Tool[] {
  return tools.map((tool) => ({
    type: 'function',
    function: { name: tool.name, description: tool.description, parameters: tool.parameters as NonNullable<Tool['function']['parameters']> },
  }));
}

/**
 * Ollama's wire carries no call ids: number the calls after those already in the conversation,
 * so an id is unique within the request's history and the same when an attempt is retried.
 */
function firstCallNumber(messages: readonly ChatMessage[]): number {
  let count = 0;
  for (const message of messages) if (message.role === 'assistant') count += message.toolCalls?.length ?? 0;
  return count;
}

/** Ollama's /api/chat through `ollama`, loaded on first use. `num_ctx` is the registry's window. */
export function ollamaAdapter(): Adapter {
  let sdk: { Ollama: typeof Ollama } | undefined;
  return {
    provider: 'ollama',
    defaultBaseUrl: OLLAMA_DEFAULT_URL,
    async *stream(input: AttemptInput): AsyncGenerator<AdapterEvent> {
      sdk ??= await import('ollama');
      const seen: { retryAfterMs?: number | undefined } = {};
      const client = new sdk.Ollama({
        host: input.baseUrl,
        fetch: fetchFor(input.signal, seen),
        ...(input.apiKey ? { headers: { Authorization: `Bearer ${input.apiKey}` } } : {}),
      });
      const started = client.chat({
        model: input.model,
        messages: ollamaMessages(input.system, input.messages),
        ...(input.tools.length === 0 ? {} : { tools: ollamaTools(input.tools) }),
        stream: true,
        options: {
          // Ollama's default window silently truncates long prompts; ask for the registry's.
          num_ctx: input.info.contextWindow,
          num_predict: input.maxOutputTokens,
          ...(input.temperature === undefined ? {} : { temperature: input.temperature }),
        },
      });
      let stream: Awaited<typeof started>;
      try {
        stream = await started;
      } catch (error) {
        const failure = this.classify(error, input.apiKey ? [input.apiKey] : []);
        if (seen.retryAfterMs === undefined || failure.extra.status === undefined) throw failure;
        throw new LlmFailure(failure.kind, failure.detail, { ...failure.extra, retryAfterMs: seen.retryAfterMs });
      }
      let next = firstCallNumber(input.messages);
      try {
        for await (const part of stream) {
          // `message.thinking` (reasoning models) is not part of the reply.
          if (part.message?.content) yield { type: 'text', text: part.message.content };
          // Ollama parses the model's calls itself and sends each one whole.
          for (const call of part.message?.tool_calls ?? []) {
            const args: unknown = call.function.arguments;
            yield {
              type: 'tool_call',
              call: { id: `call_${next++}`, name: call.function.name, arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}) },
            };
          }
          if (part.done) {
            yield { type: 'usage', inputTokens: part.prompt_eval_count, outputTokens: part.eval_count };
            yield { type: 'stop', reason: stopReasonOf(part.done_reason) };
            return;
          }
        }
      } finally {
        stream.abort();
      }
    },
    // "registry.ollama.ai/library/<model>:latest does not support tools"; other 400s naming tool
    // calls (arguments of the wrong type) are malformed requests, not a missing capability.
    rejectsTools: (detail) => /does not support tools/i.test(detail),
    classify(error: unknown, secrets: Iterable<string>): LlmFailure {
      if (error instanceof LlmFailure) return error;
      const message = error instanceof Error ? error.message : String(error);
      const scrub = (text: string): string => scrubSecrets(text, secrets).replace(/\s+/g, ' ').trim().slice(0, 300);
      const status = (error as { status_code?: unknown }).status_code;
      if (typeof status === 'number') {
        return new LlmFailure(kindOfStatus(status, message), `${status} ${scrub(message)}`, { status, cause: error });
      }
      if ((error as { name?: string }).name === 'AbortError') return new LlmFailure('aborted', 'aborted', { cause: error });
      if (/did not receive done/i.test(message)) return new LlmFailure('stream_cut', 'the stream ended before the reply was done', { cause: error });
      if (error instanceof SyntaxError) return new LlmFailure('stream_cut', 'the stream carried malformed data', { cause: error });
      if (isConnectionError(error)) return new LlmFailure('connection', connectionDetail(error), { cause: error });
      // An `{"error": ...}` line inside a 200 stream.
      return new LlmFailure(looksLikeContextError(message) ? 'context' : 'server', `error in stream: ${scrub(message)}`, { cause: error });
    },
  };
}
