import { parseRetryAfter, type HeaderSource } from '../backoff.js';
import { connectionDetail, isConnectionError, kindOfStatus, LlmFailure, looksLikeContextError, type FailureKind } from '../failure.js';
import { scrubSecrets } from '../scrub.js';

/** The fields the Anthropic and OpenAI SDKs' `APIError` share (both are Stainless-generated). */
interface StainlessError {
  status?: number | undefined;
  headers?: HeaderSource;
  error?: unknown;
  message: string;
}

function bodyMessage(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return typeof body === 'string' ? body : undefined;
  const record = body as Record<string, unknown>;
  const inner = record['error'];
  if (inner && typeof inner === 'object') {
    const message = (inner as Record<string, unknown>)['message'];
    if (typeof message === 'string') return message;
  }
  return typeof record['message'] === 'string' ? record['message'] : undefined;
}

function bodyType(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const record = body as Record<string, unknown>;
  const inner = record['error'] && typeof record['error'] === 'object' ? (record['error'] as Record<string, unknown>) : record;
  const type = inner['type'] ?? inner['code'];
  return typeof type === 'string' ? type : undefined;
}

/** Error `type`s sent inside a stream (no HTTP status by then). */
const STREAM_TYPES: Record<string, FailureKind> = {
  rate_limit_error: 'rate_limit',
  rate_limit_exceeded: 'rate_limit',
  too_many_requests: 'rate_limit',
  overloaded_error: 'overloaded',
  api_error: 'server',
  server_error: 'server',
  authentication_error: 'auth',
  invalid_api_key: 'auth',
  permission_error: 'auth',
  not_found_error: 'not_found',
  model_not_found: 'not_found',
  context_length_exceeded: 'context',
};

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim().slice(0, 300);

/**
 * Classifies an error thrown by the Anthropic or OpenAI SDK. `names` are the SDK's own
 * class names for aborts and connection failures (checked by name to keep the SDK lazy).
 */
export function classifyStainless(error: unknown, secrets: Iterable<string>): LlmFailure {
  if (error instanceof LlmFailure) return error;
  const name = (error as { constructor?: { name?: string } } | null)?.constructor?.name ?? '';
  const e = error as StainlessError;
  const scrub = (text: string): string => oneLine(scrubSecrets(text, secrets));
  if (name === 'APIUserAbortError') return new LlmFailure('aborted', 'aborted', { cause: error });
  if (name === 'APIConnectionTimeoutError') return new LlmFailure('timeout', 'the SDK timed out', { cause: error });
  if (name === 'APIConnectionError' || (typeof e?.status !== 'number' && isConnectionError(error))) {
    // A connection dropped mid-body surfaces here too; `connectionDetail` names it.
    return new LlmFailure('connection', connectionDetail(error), { cause: error });
  }
  if (error instanceof SyntaxError) return new LlmFailure('stream_cut', 'the stream carried malformed data', { cause: error });
  if (error && typeof error === 'object' && 'error' in error) {
    const message = bodyMessage(e.error) ?? e.message;
    const status = e.status;
    if (typeof status === 'number') {
      const retryAfterMs = parseRetryAfter(e.headers ?? undefined);
      const kind = kindOfStatus(status, message);
      return new LlmFailure(kind, `${status} ${scrub(message)}`, { status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }), cause: error });
    }
    // An error event inside a 200 stream.
    const type = bodyType(e.error) ?? '';
    const kind = STREAM_TYPES[type] ?? (looksLikeContextError(message) ? 'context' : 'server');
    return new LlmFailure(kind, `error in stream: ${scrub(message)}`, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/terminated|socket|ECONNRESET|premature close|aborted/i.test(message)) return new LlmFailure('stream_cut', scrub(message), { cause: error });
  return new LlmFailure('server', scrub(message), { cause: error });
}
