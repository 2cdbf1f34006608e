import type { Ollama } from 'ollama';
import { parseRetryAfter } from '../backoff.js';
import { connectionDetail, isConnectionError, kindOfStatus, LlmFailure, looksLikeContextError } from '../failure.js';
import { scrubSecrets } from '../scrub.js';
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
      const messages = [...(input.system === '' ? [] : [{ role: 'system', content: input.system }]), ...input.messages.flatMap((m) => (m.role === 'tool' ? [] : [{ role: m.role, content: m.content }]))];
      const started = client.chat({
        model: input.model,
        messages,
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
      try {
        for await (const part of stream) {
          if (part.message?.content) yield { type: 'text', text: part.message.content };
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
