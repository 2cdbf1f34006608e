import { ApiError } from '@google/genai';
import { describe, expect, it } from 'vitest';
import { classifyGoogle, FOREIGN_SIGNATURE, needsSignatures, toContents } from './google.js';

describe('toContents', () => {
  it('maps user, assistant (text, calls, signatures) and tool results to Gemini turns', () => {
    expect(
      toContents([
        { role: 'user', content: 'look at a' },
        {
          role: 'assistant',
          content: 'Reading.',
          toolCalls: [
            { id: 'call_7', name: 'read_file', arguments: '{"path":"a"}', signature: 'c2ln' },
            { id: 'fc-server-id', name: 'search', arguments: '{"pattern":"x"}' },
          ],
        },
        {
          role: 'tool',
          content: '',
          results: [
            { callId: 'call_7', name: 'read_file', content: '1\ta' },
            { callId: 'fc-server-id', name: 'search', content: 'bad regex', isError: true },
          ],
        },
        { role: 'assistant', content: 'Done.' },
      ]),
    ).toEqual([
      { role: 'user', parts: [{ text: 'look at a' }] },
      {
        role: 'model',
        parts: [
          { text: 'Reading.' },
          // Only the server's ids travel; the ones assist made up (`call_<n>`) stay home.
          { functionCall: { name: 'read_file', args: { path: 'a' } }, thoughtSignature: 'c2ln' },
          { functionCall: { name: 'search', args: { pattern: 'x' }, id: 'fc-server-id' } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'read_file', response: { output: '1\ta' } } },
          { functionResponse: { name: 'search', id: 'fc-server-id', response: { error: 'bad regex' } } },
        ],
      },
      { role: 'model', parts: [{ text: 'Done.' }] },
    ]);
  });

  it('gives a call without a signature the stand-in on the first call of a turn only', () => {
    const [, model] = toContents([
      { role: 'user', content: 'go' },
      {
        role: 'assistant',
        content: '',
        toolCalls: [
          { id: 'toolu_1', name: 'a', arguments: '{}' },
          { id: 'toolu_2', name: 'b', arguments: '{}' },
        ],
      },
    ]);
    expect(model!.parts!.map((p) => p.thoughtSignature)).toEqual([FOREIGN_SIGNATURE, undefined]);
  });

  it('the stand-in goes only to models that check signatures (not Gemini 1.x/2.x)', () => {
    expect(['gemini-2.5-flash', 'models/gemini-2.0-flash-001', 'gemini-1.5-pro'].map(needsSignatures)).toEqual([false, false, false]);
    expect(['gemini-3-pro-preview', 'gemini-3.1-pro-preview', 'gemini-4-carbon', 'gemini-flash-latest'].map(needsSignatures)).toEqual([true, true, true, true]);
    const [, model] = toContents([{ role: 'user', content: 'go' }, { role: 'assistant', content: '', toolCalls: [{ id: 'toolu_1', name: 'a', arguments: '{}' }] }], false);
    expect(model!.parts![0]!.thoughtSignature).toBeUndefined();
  });

  it('sends arguments that are not a JSON object as {}, and drops empty turns (the API refuses empty text)', () => {
    expect(
      toContents([
        { role: 'user', content: '' },
        { role: 'assistant', content: '' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'x1', name: 'a', arguments: '{"unterminated', signature: 's' }] },
        { role: 'tool', content: '', results: [] },
      ]),
    ).toEqual([{ role: 'model', parts: [{ functionCall: { name: 'a', args: {}, id: 'x1' }, thoughtSignature: 's' }] }]);
  });
});

function apiError(status: number, body: unknown): ApiError {
  return new ApiError({ status, message: JSON.stringify(body) });
}

describe('classifyGoogle', () => {
  it('reads the wait from RetryInfo, else from the retry-after header', () => {
    const body = {
      error: {
        code: 429,
        message: 'You exceeded your current quota.',
        status: 'RESOURCE_EXHAUSTED',
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '47.434392449s' }],
      },
    };
    const failure = classifyGoogle(apiError(429, body), [], 2_000);
    expect(failure).toMatchObject({ kind: 'rate_limit', detail: '429 RESOURCE_EXHAUSTED: You exceeded your current quota.', extra: { status: 429, retryAfterMs: 47_434 } });
    expect(classifyGoogle(apiError(429, { error: { code: 429, message: 'slow down' } }), [], 2_000).extra.retryAfterMs).toBe(2_000);
    expect(classifyGoogle(apiError(503, { error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } }), [], undefined)).toMatchObject({ kind: 'overloaded', retryable: true });
  });

  it('a 400 API_KEY_INVALID is a rejected key, with the key scrubbed from everything kept', () => {
    const key = 'my-gemini-key-123456';
    const body = {
      error: {
        code: 400,
        message: 'API key not valid. Please pass a valid API key.',
        status: 'INVALID_ARGUMENT',
        details: [
          { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID' },
          { '@type': 'type.googleapis.com/google.rpc.DebugInfo', detail: `Invalid API key: ${key}` },
        ],
      },
    };
    const failure = classifyGoogle(apiError(400, body), [key], undefined);
    expect(failure.kind).toBe('auth');
    expect(failure.detail).not.toContain(key);
    expect(String((failure.extra.cause as Error).message)).toContain('Invalid API key: [redacted]');
  });

  it("tells a prompt over the window from other 400s by Gemini's wording", () => {
    const over = { error: { code: 400, message: 'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).', status: 'INVALID_ARGUMENT' } };
    expect(classifyGoogle(apiError(400, over), [], undefined).kind).toBe('context');
    expect(classifyGoogle(apiError(400, { error: { code: 400, message: 'Request contains an invalid argument.' } }), [], undefined).kind).toBe('bad_request');
  });

  it('an error chunk inside a stream (the SDK prefixes "got status:") keeps its status', () => {
    const error = new ApiError({ status: 500, message: `got status: INTERNAL. ${JSON.stringify({ error: { code: 500, message: 'boom', status: 'INTERNAL' } })}` });
    expect(classifyGoogle(error, [], undefined)).toMatchObject({ kind: 'server', detail: '500 INTERNAL: boom' });
  });

  it('network failures, broken streams and the SDK timer', () => {
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }) });
    expect(classifyGoogle(refused, [], undefined)).toMatchObject({ kind: 'connection', detail: 'connection refused' });
    expect(classifyGoogle(new SyntaxError('Unexpected end of JSON input'), [], undefined).kind).toBe('stream_cut');
    expect(classifyGoogle(new Error('Incomplete JSON segment at the end'), [], undefined).kind).toBe('stream_cut');
    expect(classifyGoogle(new DOMException('This operation was aborted', 'AbortError'), [], undefined).kind).toBe('timeout');
  });
});
