import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CALLS, describeError, settle } from './sdk-calls.js';
import { FAKE_KEYS, reply, startFakeLlm, type FakeLlmServer, type Provider } from './index.js';

const PROVIDERS: Provider[] = ['openai', 'anthropic', 'google', 'ollama'];
const TEXT = 'Hello from the fake model. Here is some text, long enough for several chunks. ✓ done';

let server: FakeLlmServer;
beforeEach(async () => {
  server = await startFakeLlm();
});
afterEach(async () => {
  await server.close();
});

describe.each(PROVIDERS)('%s through the real SDK', (provider) => {
  const call = CALLS[provider];

  describe.each([true, false])('stream=%s', (stream) => {
    it('round-trips the text and reports usage', async () => {
      server.enqueue(reply.text(TEXT, { chunkSize: 7, usage: { input: 123, output: 45 } }));
      const result = await call(server, { stream, maxRetries: 0, prompt: 'say hello' });
      expect(result.text).toBe(TEXT);
      expect(result.inputTokens).toBe(123);
      expect(result.outputTokens).toBe(45);
      // Gemini's last text chunk carries the finish reason; the others add framing events of their own.
      if (stream) expect(result.events).toBeGreaterThanOrEqual(Math.ceil(Array.from(TEXT).length / 7) + (provider === 'google' ? 0 : 1));
      expect(server.requests).toHaveLength(1);
      const request = server.requests[0]!;
      expect(request.provider).toBe(provider);
      expect(request.stream).toBe(stream);
      expect(request.messages.at(-1)).toEqual({ role: 'user', content: 'say hello' });
      expect(await request.settled).toBe('completed');
    });

    it('estimates usage from the prompt and text when the script gives none', async () => {
      server.enqueue(reply.text('abcdefgh'));
      const result = await call(server, { stream, maxRetries: 0, prompt: 'x'.repeat(40) });
      expect(result.inputTokens).toBe(10);
      expect(result.outputTokens).toBe(2);
    });

    it("omits usage with usage: 'none'", async () => {
      server.enqueue(reply.text(TEXT, { usage: 'none' }));
      const result = await call(server, { stream, maxRetries: 0 });
      expect(result.text).toBe(TEXT);
      expect(result.inputTokens).toBeUndefined();
      expect(result.outputTokens).toBeUndefined();
    });

    it('reports a length stop', async () => {
      server.enqueue(reply.text('cut short', { finish: 'length' }));
      const result = await call(server, { stream, maxRetries: 0 });
      expect(result.finish).toBe(provider === 'anthropic' ? 'max_tokens' : provider === 'google' ? 'MAX_TOKENS' : 'length');
    });
  });

  it('answers an unscripted request with a non-retried 500 naming the request', async () => {
    const outcome = await settle(call(server, { stream: true }));
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    const error = describeError(outcome.error);
    expect(error.status).toBe(500);
    expect(error.message).toContain('fake-llm: no scripted reply');
    // SDK default retries are on here: x-should-retry: false keeps it to one request.
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.outcome).toBe('unscripted');
  });

  it('echoes the model, or reports the scripted one', async () => {
    server.enqueue(reply.text('a'), reply.text('b', { model: 'other-model' }));
    expect((await call(server, { stream: true, maxRetries: 0, model: 'm-1' })).model).toBe('m-1');
    expect((await call(server, { stream: false, maxRetries: 0, model: 'm-1' })).model).toBe('other-model');
  });
});

describe('what the server records', () => {
  it('OpenAI: model, messages, include_usage and the bearer key', async () => {
    server.enqueue(reply.text('ok'));
    await CALLS.openai(server, { stream: true, maxRetries: 0, model: 'gpt-4.1-mini', system: 'be brief', prompt: 'hi' });
    const request = server.requests[0]!;
    expect(request.path).toBe('/v1/chat/completions');
    expect(request.model).toBe('gpt-4.1-mini');
    expect(request.includeUsage).toBe(true);
    expect(request.messages).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'hi' },
    ]);
    expect(request.headers['authorization']).toBe(`Bearer ${FAKE_KEYS.openai}`);
    expect(request.apiKey).toBe(FAKE_KEYS.openai);
  });

  it('Anthropic: system, max_tokens and the key (SDK 1.12 sends it as a bearer token)', async () => {
    server.enqueue(reply.text('ok'));
    await CALLS.anthropic(server, { stream: true, maxRetries: 0, system: 'be brief', prompt: 'hi' });
    const request = server.requests[0]!;
    expect(request.path).toBe('/v1/messages');
    expect(request.system).toBe('be brief');
    expect(request.maxTokens).toBe(1024);
    expect(request.headers['authorization']).toBe(`Bearer ${FAKE_KEYS.anthropic}`);
    expect(request.apiKey).toBe(FAKE_KEYS.anthropic);
    expect(request.headers['anthropic-version']).toBeDefined();
    expect(request.promptTokens).toBe(Math.ceil('be brief'.length / 4 + 'hi'.length / 4));
  });

  it('Gemini: the model from the URL, SSE by query, the key in x-goog-api-key, system instruction', async () => {
    server.enqueue(reply.text('ok'));
    await CALLS.google(server, { stream: true, model: 'gemini-2.5-pro', system: 'be brief', prompt: 'hi' });
    const request = server.requests[0]!;
    expect(request.path).toBe('/v1beta/models/gemini-2.5-pro:streamGenerateContent');
    expect(request.query['alt']).toBe('sse');
    expect(request.model).toBe('gemini-2.5-pro');
    expect(request.stream).toBe(true);
    expect(request.system).toBe('be brief');
    expect(request.messages).toEqual([{ role: 'user', content: 'hi' }]);
    expect(request.headers['x-goog-api-key']).toBe(FAKE_KEYS.google);
    expect(request.apiKey).toBe(FAKE_KEYS.google);
  });

  it('Gemini: model listing and token counting', async () => {
    server.models = ['gemini-2.5-flash'];
    const list = (await (await fetch(`${server.url}/v1beta/models`)).json()) as { models: Array<{ name: string }> };
    expect(list.models.map((m) => m.name)).toEqual(['models/gemini-2.5-flash']);
    expect((await fetch(`${server.url}/v1beta/models/gemini-9`)).status).toBe(404);
    const count = await fetch(`${server.url}/v1beta/models/gemini-2.5-flash:countTokens`, {
      method: 'POST',
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'x'.repeat(40) }] }] }),
    });
    expect(await count.json()).toEqual({ totalTokens: 10 });
  });

  it('Ollama: options.num_ctx', async () => {
    server.enqueue(reply.text('ok'));
    await CALLS.ollama(server, { stream: true, numCtx: 8192, prompt: 'hi' });
    const request = server.requests[0]!;
    expect(request.path).toBe('/api/chat');
    expect(request.options).toEqual({ num_ctx: 8192 });
    expect(request.apiKey).toBeUndefined();
  });
});
