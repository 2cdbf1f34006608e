import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_KEYS, reply, startFakeLlm, type FakeLlmServer, type Provider as WireProvider } from '../../test/fake-llm/index.js';
import { collectReply, createLlmClient } from './client.js';
import { estimatePromptTokens, estimateTextTokens } from './estimate.js';
import type { AttemptRecord, LlmClientOptions, LlmRequest, StreamEvent } from './types.js';
import { failure } from '../../test/helpers/assist-failure.js';

// Integration tests: the real SDKs against the fake server of test/fake-llm on 127.0.0.1.
let server: FakeLlmServer;
beforeEach(async () => {
  server = await startFakeLlm();
});
afterEach(async () => {
  await server.close();
});

const MODELS: Record<WireProvider, string> = {
  anthropic: 'anthropic/claude-sonnet-4-5',
  openai: 'openai/gpt-4.1',
  google: 'google/gemini-2.5-flash',
  ollama: 'ollama/qwen2.5-coder',
};

const FAST = { retry: { baseDelayMs: 1, maxDelayMs: 5 }, timeouts: { firstEventMs: 2_000, idleMs: 2_000 } } satisfies Partial<LlmClientOptions>;

function client(extra: Partial<LlmClientOptions> = {}) {
  const attempts: AttemptRecord[] = [];
  const llm = createLlmClient({ env: server.env(), ...FAST, onAttempt: (r) => attempts.push(r), ...extra });
  return { llm, attempts };
}

function request(model: string, extra: Partial<LlmRequest> = {}): LlmRequest {
  return { model, system: 'You are terse.', messages: [{ role: 'user', content: 'Say hello.' }], maxOutputTokens: 512, ...extra };
}

async function events(stream: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const event of stream) out.push(event);
  return out;
}

const PROVIDERS = ['anthropic', 'openai', 'ollama'] as const;

describe.each(PROVIDERS)('%s through its real SDK', (provider) => {
  const model = MODELS[provider];

  it('streams text in several deltas and reports the server usage', async () => {
    server.enqueue(reply.text('Hello there, how are you today?', { chunkSize: 5, usage: { input: 123, output: 45 } }));
    const { llm } = client();
    const all = await events(llm.stream(request(model)));
    const texts = all.filter((e) => e.type === 'text');
    expect(texts.length).toBeGreaterThan(3);
    expect(texts.map((e) => (e.type === 'text' ? e.text : '')).join('')).toBe('Hello there, how are you today?');
    expect(all.at(-1)).toEqual({ type: 'done', model, usage: { inputTokens: 123, outputTokens: 45, estimated: false }, stopReason: 'end', attempts: 1, toolCalls: [] });
    const [seen] = server.requests;
    expect(seen!.system ?? seen!.messages[0]?.content).toContain('You are terse.');
    expect(seen!.messages.at(-1)).toEqual({ role: 'user', content: 'Say hello.' });
    expect(seen!.stream).toBe(true);
    expect(seen!.maxTokens).toBe(512);
    if (provider === 'openai') expect(seen!.includeUsage).toBe(true);
  });

  it('estimates usage when the server reports none, and says so', async () => {
    const text = 'x'.repeat(370);
    server.enqueue(reply.text(text, { usage: 'none' }));
    const { llm } = client();
    const done = await collectReply(llm.stream(request(model)));
    expect(done.text).toBe(text);
    const req = request(model);
    expect(done.usage).toEqual({ inputTokens: estimatePromptTokens(req.system, req.messages), outputTokens: 100, estimated: true });
    expect(estimateTextTokens(text)).toBe(100);
  });

  it('waits out a 429 as retry-after-ms says, then succeeds', async () => {
    server.enqueue(reply.rateLimited({ retryAfterMs: 60 }), reply.text('second time'));
    const { llm, attempts } = client();
    const started = performance.now();
    const all = await events(llm.stream(request(model)));
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    expect(server.requests.map((r) => r.outcome)).toEqual(['error-reply', 'completed']);
    expect(attempts.map((a) => [a.outcome, a.status])).toEqual([
      ['failed', 429],
      ['ok', undefined],
    ]);
    expect(all.find((e) => e.type === 'retry')).toMatchObject({ attempt: 2, delayMs: 60 });
    expect(all.at(-1)).toMatchObject({ type: 'done', attempts: 2 });
  });

  it('retries a stream cut mid-reply from the start and tells the consumer to discard the partial text', async () => {
    const text = 'The quick brown fox jumps over the lazy dog. '.repeat(4);
    server.enqueue(reply.text(text, { chunkSize: 8, cut: { afterFrames: 6 } }), reply.text(text, { chunkSize: 8 }));
    const { llm } = client();
    const all = await events(llm.stream(request(model)));
    const restartAt = all.findIndex((e) => e.type === 'restart');
    expect(restartAt).toBeGreaterThan(0);
    expect(all.slice(0, restartAt).some((e) => e.type === 'text')).toBe(true);
    const naive = all.map((e) => (e.type === 'text' ? e.text : '')).join('');
    expect(naive.length).toBeGreaterThan(text.length);
    const shown: string[] = [];
    const done = await collectReply(
      (async function* () {
        yield* all;
      })(),
      { onText: (t) => shown.push(t), onRestart: () => (shown.length = 0) },
    );
    expect(done.text).toBe(text);
    expect(shown.join('')).toBe(text);
    expect(server.requests.map((r) => r.outcome)).toEqual(['cut', 'completed']);
  });

  it('a stream that ends cleanly without its terminator is not taken as a complete reply', async () => {
    server.enqueue(reply.text('partial partial partial', { chunkSize: 4, cut: { afterFrames: 3, mode: 'end' } }));
    const { llm } = client({ retry: { maxAttempts: 1 } });
    const error = await failure(collectReply(llm.stream(request(model))));
    expect(error.code).toBe('llm.stream-broken');
    expect(error.exitCode).toBe(4);
  });

  it('times out a hung request with a clear message', async () => {
    server.enqueue(reply.hang(), reply.hang());
    const { llm } = client({ retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 }, timeouts: { firstEventMs: 150, idleMs: 150 } });
    const started = performance.now();
    const error = await failure(collectReply(llm.stream(request(model))));
    // A hang has no end of its own: a bound well above the two 150 ms waits tells them apart, on a busy machine too.
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(error.code).toBe('llm.timeout');
    expect(error.message).toBe(`${model} timed out: no response within 0.2 s after 2 attempts`);
    expect(await Promise.all(server.requests.map((r) => r.settled))).toEqual(['client-closed', 'client-closed']);
  });

  it('times out a stream that stalls mid-reply (idle timeout)', async () => {
    server.enqueue(reply.text('abcdefghijklmnop', { chunkSize: 2, stallAfterFrames: 4 }));
    const { llm } = client({ retry: { maxAttempts: 1 }, timeouts: { firstEventMs: 1_000, idleMs: 150 } });
    const error = await failure(collectReply(llm.stream(request(model))));
    expect(error.code).toBe('llm.timeout');
    expect(error.message).toContain('stalled');
  });

  it('stops promptly when the signal aborts mid-stream, and the server sees the client leave', async () => {
    server.enqueue(reply.text('slow '.repeat(50), { chunkSize: 5, frameDelayMs: 100 }));
    const { llm, attempts } = client();
    const controller = new AbortController();
    const stream = llm.stream(request(model), controller.signal);
    let abortedAt = 0;
    const error = await failure(
      (async () => {
        for await (const event of stream) {
          if (event.type === 'text' && abortedAt === 0) {
            abortedAt = performance.now();
            controller.abort();
          }
        }
      })(),
    );
    expect(performance.now() - abortedAt).toBeLessThan(500);
    expect(error.code).toBe('llm.aborted');
    expect(error.exitCode).toBe(130);
    expect(await server.requests[0]!.settled).toBe('client-closed');
    expect(attempts.map((a) => a.outcome)).toEqual(['aborted']);
    expect(server.requests).toHaveLength(1);
  });

  it('an error event inside the stream is retried, the partial text discarded', async () => {
    server.enqueue(reply.text('abcdefghijklmnopqrstuvwxyz', { chunkSize: 3, streamError: { afterFrames: 4, error: 'overloaded' } }), reply.text('fine now'));
    const { llm } = client();
    const all = await events(llm.stream(request(model)));
    expect(all.map((e) => e.type)).toContain('restart');
    const done = await collectReply(
      (async function* () {
        yield* all;
      })(),
    );
    expect(done).toMatchObject({ text: 'fine now', attempts: 2 });
  });

  it('a malformed frame is a broken stream: retried, never returned', async () => {
    server.enqueue(reply.text('abcdefghijkl', { chunkSize: 3, garbageAfterFrames: 2 }), reply.text('clean'));
    const { llm, attempts } = client();
    const done = await collectReply(llm.stream(request(model)));
    expect(done.text).toBe('clean');
    expect(attempts[0]).toMatchObject({ outcome: 'failed', kind: 'stream_cut' });
  });

  it('timeout_s bounds the whole reply', async () => {
    // The whole reply would take 10 s (200 frames 50 ms apart): ending well before that is the bound at work.
    server.enqueue(reply.text('slow '.repeat(200), { chunkSize: 5, frameDelayMs: 50 }));
    const { llm } = client({ llm: { [provider]: { timeout_s: 0.3 } } });
    const started = performance.now();
    const error = await failure(collectReply(llm.stream(request(model))));
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(error.code).toBe('llm.timeout');
    expect(error.message).toBe(`${model} timed out: no complete reply within 0.3 s`);
  });

  it('an abort during the wait before a retry ends at once', async () => {
    server.enqueue(reply.serverError());
    const { llm } = client({ retry: { baseDelayMs: 10_000, maxDelayMs: 10_000 } });
    const controller = new AbortController();
    const started = performance.now();
    const error = await failure(
      (async () => {
        for await (const event of llm.stream(request(model), controller.signal)) if (event.type === 'retry') controller.abort();
      })(),
    );
    // Half the 10 s wait: an abort that waited it out fails this, a busy machine does not.
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(error.code).toBe('llm.aborted');
    expect(server.requests).toHaveLength(1);
  });

  it('names an unknown model (404)', async () => {
    server.models = ['something-else'];
    const { llm } = client();
    const error = await failure(collectReply(llm.stream(request(model))));
    expect(error.code).toBe('llm.model-not-found');
    expect(error.message).toContain(model);
    expect(server.requests).toHaveLength(1);
  });

  it('reports the context window exceeded in the provider wording, without retrying', async () => {
    server.contextWindow = 5;
    server.ollamaOverflow = 'error';
    const { llm } = client({ models: { [model]: { context_window: 4 } } });
    const error = await failure(collectReply(llm.stream(request(model, { messages: [{ role: 'user', content: 'word '.repeat(100) }] }))));
    expect(error.code).toBe('llm.context-exceeded');
    expect(error.message).toMatch(/context|too long/i);
    expect(server.requests).toHaveLength(1);
  });

  it('says a server it cannot reach is unreachable, naming the URL without credentials', async () => {
    const port = server.port;
    const env = { ...server.env() };
    await server.close();
    const url = `http://127.0.0.1:${port}`;
    env.ANTHROPIC_BASE_URL = url;
    env.OPENAI_BASE_URL = `${url}/v1`;
    env.OLLAMA_HOST = url;
    const llm = createLlmClient({ env, ...FAST, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
    const error = await failure(collectReply(llm.stream(request(model))));
    expect(error.code).toBe('llm.unreachable');
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(error.message).toContain('connection refused');
    expect(error.message).toContain('after 2 attempts');
  });

  it('a base URL carrying credentials fails clearly without showing them', async () => {
    const env = { ...server.env(), ANTHROPIC_BASE_URL: 'http://user:secretpw@127.0.0.1:9', OPENAI_BASE_URL: 'http://user:secretpw@127.0.0.1:9/v1', OLLAMA_HOST: 'http://user:secretpw@127.0.0.1:9' };
    const llm = createLlmClient({ env, ...FAST, retry: { maxAttempts: 1 } });
    const error = await failure(collectReply(llm.stream(request(model))));
    expect(error.code).toBe('llm.unreachable');
    expect(error.message).toContain('credentials in the URL are not supported');
    expect(JSON.stringify({ m: error.message, h: error.hint, d: error.data })).not.toContain('secretpw');
  });
});

describe('keys', () => {
  it.each(['anthropic', 'openai'] as const)('%s: no key is a clear error naming the variable, and nothing is sent', async (provider) => {
    const env: Record<string, string> = { ...server.env() };
    delete env[provider === 'anthropic' ? 'ANTHROPIC_API_KEY' : 'OPENAI_API_KEY'];
    // A loopback OpenAI-compatible server needs no key (tested below); api.openai.com does.
    if (provider === 'openai') env.OPENAI_BASE_URL = 'https://api.openai.com/v1';
    const llm = createLlmClient({ env, ...FAST });
    const error = await failure(collectReply(llm.stream(request(MODELS[provider]))));
    expect(error.code).toBe('llm.no-key');
    const name = provider === 'anthropic' ? 'ANTHROPIC_API_KEY' : 'OPENAI_API_KEY';
    expect(error.message).toBe(`no API key for ${provider}: set ${name} or choose another model with --model`);
    expect(server.requests).toHaveLength(0);
  });

  it('a local OpenAI-compatible server works without a key', async () => {
    const env: Record<string, string> = { ...server.env() };
    delete env.OPENAI_API_KEY;
    server.enqueue(reply.text('local'));
    const llm = createLlmClient({ env, ...FAST });
    expect((await collectReply(llm.stream(request(MODELS.openai)))).text).toBe('local');
    expect(server.requests[0]!.apiKey).toBe('none');
  });

  it.each(['anthropic', 'openai'] as const)('%s: a rejected key is reported once, with no key in the message', async (provider) => {
    server.apiKeys = { [provider]: 'the-right-key' };
    const { llm, attempts } = client();
    const error = await failure(collectReply(llm.stream(request(MODELS[provider]))));
    expect(error.code).toBe('llm.key-rejected');
    expect(error.message).toContain('401');
    const everything = JSON.stringify({ message: error.message, hint: error.hint, data: error.data, cause: String(error.cause) });
    expect(everything).not.toContain(FAKE_KEYS[provider]);
    expect(everything).not.toContain(FAKE_KEYS[provider].slice(0, 10));
    expect(attempts).toHaveLength(1);
  });

  it.each(['anthropic', 'openai'] as const)('%s: a 401 runs api_key_cmd again and retries once with the new key', async (provider) => {
    const dir = mkdtempSync(join(tmpdir(), 'assist-keycmd-'));
    try {
      const counter = join(dir, 'runs');
      writeFileSync(counter, '0');
      const script = join(dir, 'key.sh');
      writeFileSync(script, `#!/bin/sh\nn=$(cat "${counter}")\necho $((n+1)) > "${counter}"\nif [ "$n" = 0 ]; then echo old-key-123; else echo "  new-key-456  "; fi\n`);
      chmodSync(script, 0o755);
      server.apiKeys = { [provider]: 'new-key-456' };
      server.enqueue(reply.text('rotated'));
      const { llm } = client({ llm: { [provider]: { api_key_cmd: script } } });
      const done = await collectReply(llm.stream(request(MODELS[provider])));
      expect(done.text).toBe('rotated');
      expect(server.requests.map((r) => r.apiKey)).toEqual(['old-key-123', 'new-key-456']);
      expect(readFileSync(counter, 'utf8').trim()).toBe('2');
      // The key is cached: the next request does not run the command again.
      server.enqueue(reply.text('again'));
      await collectReply(llm.stream(request(MODELS[provider])));
      expect(readFileSync(counter, 'utf8').trim()).toBe('2');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Ollama', () => {
  it('gets num_ctx from the registry, and from a config override', async () => {
    server.enqueue(reply.text('a'), reply.text('b'));
    const { llm } = client();
    await collectReply(llm.stream(request('ollama/qwen2.5-coder:7b')));
    const override = client({ models: { 'ollama/qwen2.5-coder': { context_window: 12_288 } } }).llm;
    await collectReply(override.stream(request('ollama/qwen2.5-coder')));
    expect(server.requests.map((r) => r.options?.['num_ctx'])).toEqual([32_768, 12_288]);
    expect(server.requests.map((r) => r.options?.['num_predict'])).toEqual([512, 512]);
    expect(server.requests.every((r) => !r.truncated)).toBe(true);
  });
});

describe('circuit breaker and fallback', () => {
  it('repeated 5xx open the breaker and the fallback model answers; the next request skips the open provider', async () => {
    server.enqueueFor({ provider: 'anthropic' }, reply.serverError(), reply.serverError(), reply.serverError());
    server.enqueueFor({ provider: 'openai' }, reply.text('from the fallback'), reply.text('fallback again'));
    const { llm, attempts } = client({ fallback: ['openai/gpt-4.1'], breaker: { threshold: 3, cooldownMs: 60_000 }, retry: { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 2 } });
    const all = await events(llm.stream(request(MODELS.anthropic)));
    expect(all.filter((e) => e.type === 'retry')).toHaveLength(2);
    expect(all.find((e) => e.type === 'fallback')).toMatchObject({ from: MODELS.anthropic, to: 'openai/gpt-4.1' });
    expect(all.at(-1)).toMatchObject({ type: 'done', model: 'openai/gpt-4.1' });
    expect(llm.breakers().anthropic).toMatchObject({ state: 'open', consecutiveFailures: 3, opens: 1 });
    expect(llm.breakers().openai.state).toBe('closed');

    const second = await collectReply(llm.stream(request(MODELS.anthropic)));
    expect(second).toMatchObject({ text: 'fallback again', model: 'openai/gpt-4.1' });
    expect(server.requests.map((r) => r.provider)).toEqual(['anthropic', 'anthropic', 'anthropic', 'openai', 'openai']);
    expect(attempts.filter((a) => a.provider === 'anthropic')).toHaveLength(3);
  });

  it('a consumer that stops reading mid-reply does not leave a half-open breaker stuck', async () => {
    server.enqueue(reply.serverError(), reply.text('probe reply that nobody reads to the end', { chunkSize: 4 }), reply.text('next'));
    const { llm } = client({ breaker: { threshold: 1, cooldownMs: 0 }, retry: { maxAttempts: 1 } });
    await failure(collectReply(llm.stream(request(MODELS.openai))));
    expect(llm.breakers().openai.state).toBe('half-open');
    for await (const event of llm.stream(request(MODELS.openai))) if (event.type === 'text') break;
    expect((await collectReply(llm.stream(request(MODELS.openai)))).text).toBe('next');
    expect(llm.breakers().openai.state).toBe('closed');
  });

  it('tries fallbacks in order and reports every failure when all fail', async () => {
    server.enqueueFor({ provider: 'anthropic' }, reply.overloaded(), reply.overloaded());
    server.enqueueFor({ provider: 'openai' }, reply.serverError(), reply.serverError());
    server.enqueueFor({ provider: 'ollama' }, reply.text('local answer'));
    const { llm } = client({ fallback: ['openai/gpt-4.1', 'ollama/qwen2.5-coder'], retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
    const all = await events(llm.stream(request(MODELS.anthropic)));
    expect(all.filter((e) => e.type === 'fallback').map((e) => (e.type === 'fallback' ? e.to : ''))).toEqual(['openai/gpt-4.1', 'ollama/qwen2.5-coder']);
    expect(server.requests.map((r) => r.provider)).toEqual(['anthropic', 'anthropic', 'openai', 'openai', 'ollama']);
    expect(all.at(-1)).toMatchObject({ type: 'done', model: 'ollama/qwen2.5-coder' });

    server.reset();
    server.enqueueFor({ provider: 'anthropic' }, reply.serverError());
    server.enqueueFor({ provider: 'openai' }, reply.serverError());
    server.enqueueFor({ provider: 'ollama' }, reply.serverError());
    const strict = client({ fallback: ['openai/gpt-4.1', 'ollama/qwen2.5-coder'], retry: { maxAttempts: 1 } }).llm;
    const error = await failure(collectReply(strict.stream(request(MODELS.anthropic))));
    expect(error.code).toBe('llm.server-error');
    expect(error.exitCode).toBe(4);
    expect(error.message).toMatch(/^anthropic failed for anthropic\/claude-sonnet-4-5: 500 .*; fallback failed too \(openai\/gpt-4\.1: 500 .*; ollama\/qwen2\.5-coder: 500 .*\)$/);
    expect(error.message).not.toContain('\n');
  });

  it('a partial reply from a failing model is discarded before the fallback answers', async () => {
    server.enqueueFor({ provider: 'anthropic' }, reply.text('half of a repl', { chunkSize: 3, cut: { afterFrames: 6 } }));
    server.enqueueFor({ provider: 'ollama' }, reply.text('whole reply'));
    const { llm } = client({ fallback: ['ollama/qwen2.5-coder'], retry: { maxAttempts: 1 } });
    const all = await events(llm.stream(request(MODELS.anthropic)));
    expect(all.map((e) => e.type)).toContain('restart');
    expect(all.findIndex((e) => e.type === 'restart')).toBeLessThan(all.findIndex((e) => e.type === 'fallback'));
    const done = await collectReply(
      (async function* () {
        yield* all;
      })(),
    );
    expect(done.text).toBe('whole reply');
  });

  it('does not fall back from a configuration error of the requested model', async () => {
    server.enqueue(reply.text('never'));
    const env: Record<string, string> = { ...server.env() };
    delete env.ANTHROPIC_API_KEY;
    const llm = createLlmClient({ env, ...FAST, fallback: ['ollama/qwen2.5-coder'] });
    const error = await failure(collectReply(llm.stream(request(MODELS.anthropic))));
    expect(error.code).toBe('llm.no-key');
    expect(server.requests).toHaveLength(0);
  });

  it('a retry-after longer than the cap fails over at once instead of waiting', async () => {
    server.enqueueFor({ provider: 'openai' }, reply.rateLimited({ retryAfter: 120 }));
    server.enqueueFor({ provider: 'anthropic' }, reply.text('covered'));
    const { llm } = client({ fallback: [MODELS.anthropic], retry: { maxRetryAfterMs: 10_000 } });
    const started = performance.now();
    const all = await events(llm.stream(request(MODELS.openai)));
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(all.find((e) => e.type === 'fallback')).toMatchObject({ reason: 'openai asks to wait 120 s before retrying, longer than the 10 s assist waits' });
    expect(all.at(-1)).toMatchObject({ type: 'done', model: MODELS.anthropic });
  });
});
