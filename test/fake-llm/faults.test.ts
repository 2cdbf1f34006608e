import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callAnthropic, callOllama, callOpenai, describeError, settle } from './sdk-calls.js';
import { FAKE_KEYS, reply, startFakeLlm, type FakeLlmServer } from './index.js';

let server: FakeLlmServer;
beforeEach(async () => {
  server = await startFakeLlm();
});
afterEach(async () => {
  await server.close();
});

describe('retries the SDKs make on their own', () => {
  it.each(['openai', 'anthropic'] as const)('%s retries a 429 with retry-after-ms, then succeeds; the server sees the retry count', async (provider) => {
    server.enqueue(reply.rateLimited({ retryAfterMs: 10 }), reply.text('second time lucky'));
    const call = provider === 'openai' ? callOpenai : callAnthropic;
    const result = await call(server, { stream: true });
    expect(result.text).toBe('second time lucky');
    expect(server.requests.map((r) => r.outcome)).toEqual(['error-reply', 'completed']);
    expect(server.requests.map((r) => r.headers['x-stainless-retry-count'])).toEqual(['0', '1']);
    expect(server.requests[0]!.headers['retry-after-ms']).toBeUndefined();
  });

  it('sends retry-after and retry-after-ms as scripted', async () => {
    server.enqueue(reply.rateLimited({ retryAfter: 7, retryAfterMs: 7000 }));
    const outcome = await settle(callOpenai(server, { stream: false, maxRetries: 0 }));
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    const error = outcome.error as InstanceType<typeof OpenAI.RateLimitError>;
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error.headers.get('retry-after')).toBe('7');
    expect(error.headers.get('retry-after-ms')).toBe('7000');
    expect(error.code).toBe('rate_limit_exceeded');
  });
});

describe('requests that never answer', () => {
  it('a hung request ends when the client aborts, and the server records that', async () => {
    server.enqueue(reply.hang());
    const controller = new AbortController();
    const call = settle(callOpenai(server, { stream: true, maxRetries: 0, signal: controller.signal }));
    const [request] = await server.waitForRequests(1);
    controller.abort();
    const outcome = await call;
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(describeError(outcome.error).name).toBe('APIUserAbortError');
    expect(await request!.settled).toBe('client-closed');
  });

  it('close() ends hung and stalled requests and resolves', async () => {
    // Arrival order between the two clients is not fixed: route each reply by provider.
    server.enqueueFor({ provider: 'anthropic' }, reply.hang());
    server.enqueueFor({ provider: 'ollama' }, reply.text('abcdefgh', { chunkSize: 1, stallAfterFrames: 4 }));
    const hung = settle(callAnthropic(server, { stream: true, maxRetries: 0 }));
    const stalled = settle(callOllama(server, { stream: true }));
    const requests = await server.waitForRequests(2);
    await server.close();
    expect(await Promise.all(requests.map((r) => r.settled))).toEqual(['server-closed', 'server-closed']);
    const [a, b] = await Promise.all([hung, stalled]);
    expect(a.ok || describeError(a.error).name).toBe('APIConnectionError');
    expect(b.ok || describeError(b.error).name).toBe('TypeError');
  });

  it('an SDK timeout covers a hung non-streamed request too', async () => {
    server.enqueue(reply.hang());
    const outcome = await settle(callAnthropic(server, { stream: false, maxRetries: 0, timeoutMs: 200 }));
    expect(outcome.ok || describeError(outcome.error).name).toBe('APIConnectionTimeoutError');
  });
});

describe('streams', () => {
  it.each(['openai', 'anthropic'] as const)(
    "%s: the SDK timeout stops at the headers, so a stalled stream runs until the caller's own abort",
    async (provider) => {
      server.enqueue(reply.text('abcdefgh', { chunkSize: 2, stallAfterFrames: 4 }));
      const controller = new AbortController();
      void server.waitForRequests(1).then(() => setTimeout(() => controller.abort(), 400));
      const started = performance.now();
      const call = provider === 'openai' ? callOpenai : callAnthropic;
      const result = await call(server, { stream: true, maxRetries: 0, timeoutMs: 100, signal: controller.signal });
      // No error at all: both SDKs end the iteration quietly when the caller aborts.
      expect(performance.now() - started).toBeGreaterThanOrEqual(390);
      expect(controller.signal.aborted).toBe(true);
      expect(result.text).toBe(provider === 'openai' ? 'abcdef' : 'ab');
    },
  );

  it('a slow stream spaces its frames by frameDelayMs', async () => {
    // OpenAI frames here: role, 4 content pieces, finish, usage, [DONE] = 8 frames, 7 gaps.
    server.enqueue(reply.text('abcdefgh', { chunkSize: 2, frameDelayMs: 30 }));
    const started = performance.now();
    const result = await callOpenai(server, { stream: true, maxRetries: 0 });
    expect(result.text).toBe('abcdefgh');
    expect(performance.now() - started).toBeGreaterThanOrEqual(7 * 30 - 5);
  });

  it('a cut after N bytes delivers a broken chunked body', async () => {
    server.enqueue(reply.text('x'.repeat(200), { cut: { afterBytes: 300 } }));
    const outcome = await settle(callOpenai(server, { stream: true, maxRetries: 0 }));
    expect(outcome.ok || describeError(outcome.error)).toMatchObject({ name: 'TypeError', message: 'terminated' });
    expect(await server.requests[0]!.settled).toBe('cut');
  });

  it('a non-streamed body cut short is a connection error', async () => {
    server.enqueue(reply.text('hello there', { cut: { afterBytes: 20 } }));
    const outcome = await settle(callOpenai(server, { stream: false, maxRetries: 0 }));
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(describeError(outcome.error).name).toBe('TypeError');
  });

  it('a non-streamed garbage body is a JSON error', async () => {
    server.enqueue(reply.text('hello', { garbageAfterFrames: 0 }));
    const outcome = await settle(callOllama(server, { stream: false }));
    expect(outcome.ok || describeError(outcome.error).name).toBe('SyntaxError');
  });

  it("Anthropic's MessageStream helper assembles the final message", async () => {
    server.enqueue(reply.text('streamed through the helper', { chunkSize: 5, usage: { input: 11, output: 7 } }));
    const client = new Anthropic({ baseURL: server.urls.anthropic, apiKey: FAKE_KEYS.anthropic, maxRetries: 0 });
    const message = await client.messages
      .stream({ model: 'claude-sonnet-5-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] })
      .finalMessage();
    expect(message.content).toMatchObject([{ type: 'text', text: 'streamed through the helper' }]);
    expect(message.usage).toMatchObject({ input_tokens: 11, output_tokens: 7 });
    expect(message.stop_reason).toBe('end_turn');
  });

  it("Anthropic's mid-stream overloaded error carries its type", async () => {
    server.enqueue(reply.text('partial answer', { chunkSize: 3, streamError: { afterFrames: 5, error: 'overloaded' } }));
    const client = new Anthropic({ baseURL: server.urls.anthropic, apiKey: FAKE_KEYS.anthropic, maxRetries: 0 });
    const stream = client.messages.stream({ model: 'claude-sonnet-5-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
    const error = await stream.finalMessage().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as InstanceType<typeof Anthropic.APIError>).type).toBe('overloaded_error');
  });
});
