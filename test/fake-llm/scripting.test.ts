import Anthropic from '@anthropic-ai/sdk';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callAnthropic, callOllama, callOpenai, describeError, settle } from './sdk-calls.js';
import { FAKE_KEYS, formatEditBlocks, reply, startFakeLlm, type FakeLlmServer } from './index.js';

let server: FakeLlmServer;
beforeEach(async () => {
  server = await startFakeLlm();
});
afterEach(async () => {
  await server.close();
});

describe('the reply queue', () => {
  it('serves filtered entries only to matching requests, the rest in order', async () => {
    server.enqueueFor({ provider: 'ollama' }, reply.text('for ollama'));
    server.enqueue(reply.text('first'), reply.text('second'));
    expect((await callOpenai(server, { stream: true, maxRetries: 0 })).text).toBe('first');
    expect((await callOllama(server, { stream: true })).text).toBe('for ollama');
    expect(server.pendingReplies).toBe(1);
    expect((await callAnthropic(server, { stream: false, maxRetries: 0 })).text).toBe('second');
    expect(server.pendingReplies).toBe(0);
  });

  it('filters by model', async () => {
    server.enqueueFor({ model: 'strong' }, reply.text('strong answer'));
    server.enqueueFor({ model: 'weak' }, reply.text('weak answer'));
    expect((await callOpenai(server, { stream: true, maxRetries: 0, model: 'weak' })).text).toBe('weak answer');
    expect((await callOpenai(server, { stream: true, maxRetries: 0, model: 'strong' })).text).toBe('strong answer');
  });

  it('computes a reply from the request', async () => {
    server.enqueue((request) => reply.text(`you said: ${request.messages.at(-1)?.content ?? ''}`));
    expect((await callAnthropic(server, { stream: true, maxRetries: 0, prompt: 'ping' })).text).toBe('you said: ping');
  });

  it('serves defaultReply for every unqueued request when set', async () => {
    server.defaultReply = reply.text('always this');
    expect((await callOllama(server, { stream: false })).text).toBe('always this');
    expect((await callOllama(server, { stream: true })).text).toBe('always this');
    expect(server.requests.map((r) => r.outcome)).toEqual(['completed', 'completed']);
  });

  it('reset() forgets requests and queued replies', async () => {
    server.enqueue(reply.text('a'), reply.text('b'));
    await callOpenai(server, { stream: false, maxRetries: 0 });
    server.reset();
    expect(server.requests).toEqual([]);
    expect(server.pendingReplies).toBe(0);
  });

  it('waitForRequests resolves when the requests arrive', async () => {
    const waiting = server.waitForRequests(2);
    server.enqueue(reply.text('1'), reply.text('2'));
    await callOpenai(server, { stream: true, maxRetries: 0 });
    await callOpenai(server, { stream: true, maxRetries: 0 });
    expect((await waiting).map((r) => r.index)).toEqual([0, 1]);
  });

  it('supports await using', async () => {
    let port: number;
    {
      await using fake = await startFakeLlm();
      port = fake.port;
      fake.enqueue(reply.text('scoped'));
      expect((await callOpenai(fake, { stream: true, maxRetries: 0 })).text).toBe('scoped');
    }
    await expect(fetch(`http://127.0.0.1:${port}/api/version`)).rejects.toThrow('fetch failed');
  });
});

describe('reply builders', () => {
  it('renders SEARCH/REPLACE edits in the format of DESIGN.md', () => {
    const text = formatEditBlocks([
      { path: 'src/a.ts', search: 'const a = 1;', replace: 'const a = 2;\n' },
      { path: 'NEW.md', search: '', replace: '# New' },
    ]);
    expect(text).toBe(
      'src/a.ts\n```ts\n<<<<<<< SEARCH\nconst a = 1;\n=======\nconst a = 2;\n>>>>>>> REPLACE\n```\n' +
        '\nNEW.md\n```markdown\n<<<<<<< SEARCH\n=======\n# New\n>>>>>>> REPLACE\n```\n',
    );
  });

  it('an edits reply arrives intact through a stream', async () => {
    const edit = reply.edits([{ path: 'lib/x.py', search: 'x = 1\n', replace: 'x = 2\n' }], { before: 'Changing x.', chunkSize: 3 });
    server.enqueue(edit);
    const result = await callOllama(server, { stream: true });
    expect(result.text).toBe(edit.text);
    expect(result.text).toContain('lib/x.py\n```python\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n```');
  });
});

describe('keys, models and listings', () => {
  it('env() points every SDK at the server with fake keys', () => {
    expect(server.env()).toEqual({
      OPENAI_BASE_URL: `http://127.0.0.1:${server.port}/v1`,
      OPENAI_API_KEY: FAKE_KEYS.openai,
      ANTHROPIC_BASE_URL: `http://127.0.0.1:${server.port}`,
      ANTHROPIC_API_KEY: FAKE_KEYS.anthropic,
      GEMINI_API_KEY: FAKE_KEYS.google,
      GOOGLE_GEMINI_BASE_URL: `http://127.0.0.1:${server.port}`,
      OLLAMA_HOST: `http://127.0.0.1:${server.port}`,
    });
  });

  it('rejects a wrong key with 401 when apiKeys is set', async () => {
    server.apiKeys = { openai: 'sk-the-right-one', anthropic: FAKE_KEYS.anthropic };
    server.enqueue(reply.text('ok'));
    const outcome = await settle(callOpenai(server, { stream: true, maxRetries: 0 }));
    expect(outcome.ok || describeError(outcome.error)).toMatchObject({ name: 'AuthenticationError', status: 401 });
    expect(server.requests[0]!.outcome).toBe('auth-rejected');
    expect((await callAnthropic(server, { stream: true, maxRetries: 0 })).text).toBe('ok');
  });

  it('404s an unknown model in each service’s shape when models is set', async () => {
    server.models = ['known'];
    const results = await Promise.all([
      settle(callOpenai(server, { stream: true, maxRetries: 0, model: 'nope' })),
      settle(callAnthropic(server, { stream: true, maxRetries: 0, model: 'nope' })),
      settle(callOllama(server, { stream: true, model: 'nope' })),
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : describeError(r.error)))).toMatchObject([
      { name: 'NotFoundError', status: 404 },
      { name: 'NotFoundError', status: 404 },
      { name: 'ResponseError', status: 404, message: 'model "nope" not found, try pulling it first' },
    ]);
  });

  it('lists models through each SDK', async () => {
    server.models = ['m-a', 'm-b'];
    server.contextWindow = { 'm-b': 65_536 };
    const openai = new OpenAI({ baseURL: server.urls.openai, apiKey: FAKE_KEYS.openai, maxRetries: 0 });
    const anthropic = new Anthropic({ baseURL: server.urls.anthropic, apiKey: FAKE_KEYS.anthropic, maxRetries: 0 });
    const ollama = new Ollama({ host: server.urls.ollama });
    expect((await openai.models.list()).data.map((m) => m.id)).toEqual(['m-a', 'm-b']);
    expect((await anthropic.models.list()).data.map((m) => m.id)).toEqual(['m-a', 'm-b']);
    expect((await ollama.list()).models.map((m) => m.name)).toEqual(['m-a', 'm-b']);
    const shown = await ollama.show({ model: 'm-b' });
    // Typed as a Map by the client; on the wire (and at run time) it is a plain object.
    expect((shown.model_info as unknown as Record<string, unknown>)['llama.context_length']).toBe(65_536);
    const counted = await anthropic.messages.countTokens({ model: 'm-a', messages: [{ role: 'user', content: 'x'.repeat(40) }] });
    expect(counted.input_tokens).toBe(10);
  });
});

describe('the context window', () => {
  const long = 'y'.repeat(400); // 100 estimated tokens

  it('applies per model, with * as the fallback', async () => {
    server.contextWindow = { big: 1000, '*': 50 };
    server.defaultReply = reply.text('fits');
    expect((await callOpenai(server, { stream: true, maxRetries: 0, model: 'big', prompt: long })).text).toBe('fits');
    const outcome = await settle(callOpenai(server, { stream: true, maxRetries: 0, model: 'small', prompt: long }));
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    const error = outcome.error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(error.code).toBe('context_length_exceeded');
    expect(error.message).toContain("maximum context length is 50 tokens. However, your messages resulted in 100 tokens");
    expect(server.requests[1]!.outcome).toBe('context-rejected');
  });

  it('a rejected request does not take a scripted reply', async () => {
    server.contextWindow = 50;
    server.enqueue(reply.text('kept'));
    const outcome = await settle(callAnthropic(server, { stream: true, maxRetries: 0, prompt: long }));
    expect(outcome.ok || describeError(outcome.error).message).toContain('prompt is too long: 100 tokens > 50 maximum');
    expect(server.pendingReplies).toBe(1);
  });

  it('Ollama truncates silently past the window, reports the truncated count, and records it', async () => {
    server.contextWindow = 60;
    server.defaultReply = reply.text('answer from a truncated prompt');
    const result = await callOllama(server, { stream: true, prompt: long });
    expect(result.inputTokens).toBe(60);
    expect(server.requests[0]!.truncated).toBe(true);
  });

  it('Ollama: num_ctx sets the window', async () => {
    server.contextWindow = 60;
    server.defaultReply = reply.text('ok');
    await callOllama(server, { stream: false, prompt: long, numCtx: 4096 });
    expect(server.requests[0]!.truncated).toBe(false);
    await callOllama(server, { stream: false, prompt: long, numCtx: 20 });
    expect(server.requests[1]!).toMatchObject({ truncated: true, promptTokens: 20 });
  });

  it("Ollama: ollamaOverflow = 'error' rejects instead", async () => {
    server.ollamaOverflow = 'error';
    server.defaultReply = reply.text('never');
    const outcome = await settle(callOllama(server, { stream: true, prompt: long, numCtx: 20 }));
    expect(outcome.ok || describeError(outcome.error)).toMatchObject({
      name: 'ResponseError',
      status: 400,
      message: 'request (100 tokens) exceeds the available context size (20 tokens), try increasing it',
    });
  });
});
