import { describe, expect, it } from 'vitest';
import { classifyStainless } from './adapters/sdk-errors.js';
import { kindOfStatus, LlmFailure, toAssistError, type Target } from './failure.js';

const target: Target = { name: 'openai/gpt-4.1', provider: 'openai', baseUrl: 'https://api.openai.com/v1', keySource: 'OPENAI_API_KEY', keyIsCommand: false };

describe('failure kinds', () => {
  it.each([
    [400, 'Invalid request.', 'bad_request'],
    [400, "This model's maximum context length is 128000 tokens", 'context'],
    [400, 'prompt is too long: 208310 tokens > 200000 maximum', 'context'],
    [401, 'invalid x-api-key', 'auth'],
    [403, 'forbidden', 'auth'],
    [404, 'model not found', 'not_found'],
    [408, 'timeout', 'server'],
    [409, 'conflict', 'server'],
    [413, 'too large', 'context'],
    [429, 'slow down', 'rate_limit'],
    [500, 'oops', 'server'],
    [502, 'bad gateway', 'server'],
    [503, 'busy', 'overloaded'],
    [529, 'Overloaded', 'overloaded'],
  ])('%i %s -> %s', (status, message, kind) => {
    expect(kindOfStatus(status, message)).toBe(kind);
  });

  it('retries 408/409/429/5xx/529 and connection errors, never 400/401/403/404', () => {
    for (const status of [408, 409, 429, 500, 503, 529]) expect(new LlmFailure(kindOfStatus(status, ''), '').retryable, String(status)).toBe(true);
    for (const status of [400, 401, 403, 404]) expect(new LlmFailure(kindOfStatus(status, ''), '').retryable, String(status)).toBe(false);
    expect(new LlmFailure('connection', '').retryable).toBe(true);
    expect(new LlmFailure('stream_cut', '').retryable).toBe(true);
  });

  it('scrubs keys from SDK error texts', () => {
    class APIError extends Error {
      status = 401;
      headers = new Headers();
      error = { error: { message: 'Incorrect API key provided: sk-live-123456789. Also key my-secret-key-value' } };
    }
    const failure = classifyStainless(new APIError('401 ...'), ['my-secret-key-value']);
    expect(failure.kind).toBe('auth');
    expect(failure.detail).not.toContain('sk-live');
    expect(failure.detail).not.toContain('my-secret-key-value');
  });

  it('reads retry-after from an SDK error', () => {
    class APIError extends Error {
      status = 429;
      headers = new Headers({ 'retry-after': '3' });
      error = { error: { message: 'rate limited' } };
    }
    expect(classifyStainless(new APIError('429'), []).extra.retryAfterMs).toBe(3_000);
  });

  it('maps error events inside a stream by their type', () => {
    class APIError extends Error {
      status = undefined;
      error = { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } };
    }
    expect(classifyStainless(new APIError('x'), []).kind).toBe('overloaded');
  });
});

describe('final messages', () => {
  it.each<[LlmFailure, string, string]>([
    [new LlmFailure('auth', '401 bad key', { status: 401 }), 'llm.key-rejected', 'openai rejected the API key (401) for openai/gpt-4.1'],
    [new LlmFailure('not_found', '404 The model does not exist', { status: 404 }), 'llm.model-not-found', 'openai does not know the model openai/gpt-4.1: 404 The model does not exist'],
    [new LlmFailure('connection', 'connection refused'), 'llm.unreachable', 'cannot reach openai at https://api.openai.com/v1 (connection refused) after 3 attempts'],
    [new LlmFailure('timeout', 'no complete reply within 600 s'), 'llm.timeout', 'openai/gpt-4.1 timed out: no complete reply within 600 s after 3 attempts'],
  ])('%s', (failure, code, message) => {
    const error = toAssistError(failure, target, 3);
    expect(error.code).toBe(code);
    expect(error.exitCode).toBe(4);
    expect(error.message).toBe(message);
  });

  it('an abort exits 130, not 4', () => {
    expect(toAssistError(new LlmFailure('aborted', 'aborted'), target, 1).exitCode).toBe(130);
  });
});
