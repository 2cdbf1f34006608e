import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeSignature } from '../../test/fake-llm/google-wire.js';
import { FAKE_KEYS, reply, startFakeLlm, type FakeLlmServer } from '../../test/fake-llm/index.js';
import { FOREIGN_SIGNATURE } from './adapters/google.js';
import { collectReply, createLlmClient } from './client.js';
import { estimatePromptTokens } from './estimate.js';
import type { AttemptRecord, ChatMessage, LlmClientOptions, LlmRequest, StreamEvent, ToolSpec } from './types.js';
import { failure } from '../../test/helpers/assist-failure.js';

// Gemini through the real @google/genai SDK and assist's client, against test/fake-llm on 127.0.0.1.
let server: FakeLlmServer;
beforeEach(async () => {
  server = await startFakeLlm();
});
afterEach(async () => {
  await server.close();
});

const MODEL = 'google/gemini-2.5-flash';
const FAST = { retry: { baseDelayMs: 1, maxDelayMs: 5 }, timeouts: { firstEventMs: 2_000, idleMs: 2_000 } } satisfies Partial<LlmClientOptions>;

const TOOLS: ToolSpec[] = [
  { name: 'read_file', description: 'Read a file', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } },
  { name: 'search', description: 'Search the repository', parameters: { type: 'object', properties: { pattern: { type: 'string' } }, required: ['pattern'] } },
];

function client(extra: Partial<LlmClientOptions> = {}) {
  const attempts: AttemptRecord[] = [];
  const llm = createLlmClient({ env: server.env(), ...FAST, onAttempt: (r) => attempts.push(r), ...extra });
  return { llm, attempts };
}

function request(extra: Partial<LlmRequest> = {}): LlmRequest {
  return { model: MODEL, system: 'You are terse.', messages: [{ role: 'user', content: 'Say hello.' }], maxOutputTokens: 512, ...extra };
}

async function events(stream: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const event of stream) out.push(event);
  return out;
}

const replay = async function* (all: StreamEvent[]): AsyncGenerator<StreamEvent> {
  yield* all;
};

describe('Gemini replies', () => {
  it('streams text and reports usage, cached prompt tokens included; the request is in Gemini shape', async () => {
    server.enqueue(reply.text('Hello there, how are you today?', { chunkSize: 5, usage: { input: 123, output: 45, cached: 100 } }));
    const { llm } = client();
    const all = await events(llm.stream(request({ temperature: 0.2 })));
    const texts = all.flatMap((e) => (e.type === 'text' ? [e.text] : []));
    expect(texts.length).toBeGreaterThan(3);
    expect(texts.join('')).toBe('Hello there, how are you today?');
    expect(all.at(-1)).toEqual({
      type: 'done',
      model: MODEL,
      usage: { inputTokens: 123, outputTokens: 45, cachedInputTokens: 100, estimated: false },
      stopReason: 'end',
      attempts: 1,
      toolCalls: [],
    });
    const [seen] = server.requests;
    expect(seen).toMatchObject({ provider: 'google', model: 'gemini-2.5-flash', path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent', stream: true, system: 'You are terse.', maxTokens: 512 });
    expect(seen!.query['alt']).toBe('sse');
    expect(seen!.messages).toEqual([{ role: 'user', content: 'Say hello.' }]);
    expect(seen!.options).toMatchObject({ temperature: 0.2, maxOutputTokens: 512 });
    expect(seen!.tools).toBeUndefined();
    expect(seen!.headers['x-goog-api-key']).toBe(FAKE_KEYS.google);
  });

  it('estimates usage when the server reports none, and says so', async () => {
    server.enqueue(reply.text('x'.repeat(370), { usage: 'none' }));
    const done = await collectReply(client().llm.stream(request()));
    const req = request();
    expect(done.usage).toEqual({ inputTokens: estimatePromptTokens(req.system, req.messages), outputTokens: 100, estimated: true });
  });

  it('a MAX_TOKENS finish is a max_tokens stop', async () => {
    server.enqueue(reply.text('cut short', { finish: 'length' }));
    expect((await collectReply(client().llm.stream(request()))).stopReason).toBe('max_tokens');
  });

  it('GOOGLE_API_KEY is used when GEMINI_API_KEY is not set, and GOOGLE_GEMINI_BASE_URL gives the endpoint', async () => {
    const env: Record<string, string> = { ...server.env(), GOOGLE_API_KEY: 'the-google-api-key' };
    delete env.GEMINI_API_KEY;
    server.enqueue(reply.text('hi'));
    await collectReply(createLlmClient({ env, ...FAST }).stream(request()));
    expect(server.requests[0]!.apiKey).toBe('the-google-api-key');
  });

  it('llm.google.base_url beats GOOGLE_GEMINI_BASE_URL', async () => {
    const env = { ...server.env(), GOOGLE_GEMINI_BASE_URL: 'http://127.0.0.1:9' };
    server.enqueue(reply.text('from config'));
    const done = await collectReply(createLlmClient({ env, ...FAST, llm: { google: { base_url: server.url } } }).stream(request()));
    expect(done.text).toBe('from config');
  });
});

describe('Gemini retries (the SDK makes one request per attempt; assist retries)', () => {
  it('waits out a 429 for the RetryInfo delay in the error body, then succeeds', async () => {
    server.enqueue(reply.rateLimited({ retryAfter: 0.08 }), reply.text('second time'));
    const { llm, attempts } = client();
    const started = performance.now();
    const all = await events(llm.stream(request()));
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);
    // The body said so: the fake sends no retry-after header for Gemini.
    expect(all.find((e) => e.type === 'retry')).toMatchObject({ attempt: 2, delayMs: 80 });
    expect(attempts.map((a) => [a.outcome, a.kind, a.status])).toEqual([
      ['failed', 'rate_limit', 429],
      ['ok', undefined, undefined],
    ]);
    expect(server.requests.map((r) => r.outcome)).toEqual(['error-reply', 'completed']);
    expect(all.at(-1)).toMatchObject({ type: 'done', attempts: 2 });
  });

  it('honours a retry-after header too', async () => {
    server.enqueue(reply.rateLimited({ retryAfterMs: 60 }), reply.text('ok'));
    const all = await events(client().llm.stream(request()));
    expect(all.find((e) => e.type === 'retry')).toMatchObject({ delayMs: 60 });
  });

  it('a RetryInfo delay over the cap fails at once, naming the wait', async () => {
    server.enqueue(reply.rateLimited({ retryAfter: 120 }));
    const error = await failure(collectReply(client({ retry: { maxRetryAfterMs: 10_000 } }).llm.stream(request())));
    expect(error.code).toBe('llm.rate-limited');
    expect(error.message).toBe(`${MODEL} is rate limited: google asks to wait 120 s before retrying, longer than the 10 s assist waits`);
    expect(server.requests).toHaveLength(1);
  });

  it('a 500 and a 503 are retried, then the reply comes; each attempt is one request', async () => {
    server.enqueue(reply.serverError(), reply.overloaded(), reply.text('third time'));
    const { llm, attempts } = client();
    const done = await collectReply(llm.stream(request()));
    expect(done).toMatchObject({ text: 'third time', attempts: 3 });
    expect(attempts.map((a) => [a.kind, a.status])).toEqual([
      ['server', 500],
      ['overloaded', 503],
      [undefined, undefined],
    ]);
    expect(server.requests).toHaveLength(3);
  });

  it('a 500 that keeps coming is reported with the service status, after the attempts', async () => {
    server.defaultReply = reply.serverError();
    const error = await failure(collectReply(client({ retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } }).llm.stream(request())));
    expect(error.code).toBe('llm.server-error');
    expect(error.message).toMatch(/^google failed for google\/gemini-2\.5-flash: 500 INTERNAL: An internal error has occurred\..* after 2 attempts$/);
    expect(server.requests).toHaveLength(2);
  });
});

describe('Gemini tool calling', () => {
  it('function calls come back as tool calls; their results go back as function responses the fake checks, then the answer', async () => {
    server.enqueue(
      reply.text('Let me look.', {
        toolCalls: [
          { name: 'read_file', arguments: { path: 'a.txt' } },
          { name: 'search', arguments: { pattern: 'one' } },
        ],
      }),
      reply.text('a.txt says one.'),
    );
    const { llm } = client();
    const first = await collectReply(llm.stream(request({ tools: TOOLS, messages: [{ role: 'user', content: 'What is in a.txt?' }] })));
    expect(first.text).toBe('Let me look.');
    expect(first.stopReason).toBe('tool_use');
    expect(first.toolCalls.map((c) => [c.name, JSON.parse(c.arguments) as unknown])).toEqual([
      ['read_file', { path: 'a.txt' }],
      ['search', { pattern: 'one' }],
    ]);
    const [read, search] = first.toolCalls;
    expect(read!.id).toMatch(/^call_\d+$/);
    expect(search!.id).not.toBe(read!.id);
    expect(read!.signature).toBeUndefined();

    const history: ChatMessage[] = [
      { role: 'user', content: 'What is in a.txt?' },
      { role: 'assistant', content: first.text, toolCalls: first.toolCalls },
      {
        role: 'tool',
        content: '',
        results: [
          { callId: read!.id, name: 'read_file', content: '1\tone' },
          { callId: search!.id, name: 'search', content: 'bad pattern', isError: true },
        ],
      },
    ];
    const second = await collectReply(llm.stream(request({ tools: TOOLS, messages: history })));
    expect(second).toMatchObject({ text: 'a.txt says one.', stopReason: 'end', toolCalls: [] });

    const [, sent] = server.requests;
    expect(sent!.outcome).toBe('completed');
    expect(sent!.tools).toEqual(TOOLS.map((t) => ({ name: t.name, description: t.description, parameters: t.parameters })));
    expect(sent!.messages).toEqual([
      { role: 'user', content: 'What is in a.txt?' },
      {
        role: 'model',
        content: 'Let me look.',
        toolCalls: [
          { id: '', name: 'read_file', arguments: '{"path":"a.txt"}' },
          { id: '', name: 'search', arguments: '{"pattern":"one"}' },
        ],
      },
      {
        role: 'user',
        content: '',
        toolResults: [
          { callId: '', content: '1\tone' },
          { callId: '', content: 'bad pattern', isError: true },
        ],
      },
    ]);
    // Made-up ids never go on the wire; the response names the function.
    const contents = (sent!.body as { contents: Array<{ parts: Array<Record<string, { id?: string; name?: string }>> }> }).contents;
    expect(contents[1]!.parts[1]!['functionCall']!.id).toBeUndefined();
    expect(contents[2]!.parts[0]!['functionResponse']).toEqual({ name: 'read_file', response: { output: '1\tone' } });
    // Gemini 2.5 checks no signatures: none is made up for it.
    expect(Object.keys(contents[1]!.parts[1]!)).toEqual(['functionCall']);
  });

  it('a function response count that does not match the calls is refused by the service (400)', async () => {
    server.enqueue(reply.text('never'));
    const messages: ChatMessage[] = [
      { role: 'user', content: 'Look.' },
      {
        role: 'assistant',
        content: '',
        toolCalls: [
          { id: 'call_1', name: 'read_file', arguments: '{"path":"a"}' },
          { id: 'call_2', name: 'read_file', arguments: '{"path":"b"}' },
        ],
      },
      { role: 'tool', content: '', results: [{ callId: 'call_1', name: 'read_file', content: 'a' }] },
    ];
    const error = await failure(collectReply(client().llm.stream(request({ messages }))));
    expect(error.code).toBe('llm.bad-request');
    expect(error.message).toContain('400 INVALID_ARGUMENT: Please ensure that the number of function response parts is equal to the number of function call parts');
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.outcome).toBe('error-reply');
    expect(server.pendingReplies).toBe(1);
  });

  it('Gemini 3: the thought signature of a call is kept and sent back with it; a call without one gets the documented stand-in', async () => {
    const model = 'google/gemini-3-flash-preview';
    server.enqueue(reply.text('', { toolCalls: [{ name: 'read_file', arguments: { path: 'a.txt' } }] }), reply.text('done'));
    const { llm } = client();
    const first = await collectReply(llm.stream(request({ model, tools: TOOLS })));
    const [call] = first.toolCalls;
    expect(call!.signature).toBe(fakeSignature('gemini-fake000000'));
    const answer = (calls: ChatMessage & { role: 'assistant' }): ChatMessage[] => [
      { role: 'user', content: 'Say hello.' },
      calls,
      { role: 'tool', content: '', results: [{ callId: call!.id, name: 'read_file', content: 'one' }] },
    ];
    await collectReply(llm.stream(request({ model, tools: TOOLS, messages: answer({ role: 'assistant', content: '', toolCalls: first.toolCalls }) })));
    const echoed = (server.requests[1]!.body as { contents: Array<{ parts: Array<{ thoughtSignature?: string }> }> }).contents[1]!.parts[0]!;
    expect(echoed.thoughtSignature).toBe(call!.signature);

    // History from another provider carries no signature: the stand-in keeps Gemini 3 from refusing it.
    server.enqueue(reply.text('fine'));
    const foreign = { ...call!, signature: undefined, id: 'toolu_01' };
    expect((await collectReply(llm.stream(request({ model, tools: TOOLS, messages: answer({ role: 'assistant', content: '', toolCalls: [foreign] }) })))).text).toBe('fine');
    const sent = (server.requests[2]!.body as { contents: Array<{ parts: Array<{ thoughtSignature?: string; functionCall?: { id?: string } }> }> }).contents[1]!.parts[0]!;
    expect(sent.thoughtSignature).toBe(FOREIGN_SIGNATURE);
    expect(sent.functionCall?.id).toBe('toolu_01');
  });

  it('Gemini 3 refuses a call sent back without its signature (the fake enforces it as the service does)', async () => {
    const body = {
      contents: [
        { role: 'user', parts: [{ text: 'go' }] },
        { role: 'model', parts: [{ functionCall: { name: 'read_file', args: {} } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'read_file', response: { output: 'x' } } }] },
      ],
    };
    const response = await fetch(`${server.url}/v1beta/models/gemini-3-pro-preview:generateContent`, { method: 'POST', headers: { 'x-goog-api-key': 'k' }, body: JSON.stringify(body) });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/^Function call is missing a thought_signature .*position 2\./);
  });

  it('a model without function calling: the 400 naming it becomes tools_unsupported', async () => {
    server.rejectTools = true;
    const error = await failure(collectReply(client().llm.stream(request({ tools: TOOLS }))));
    expect(error.code).toBe('llm.tools-unsupported');
    expect(error.message).toContain('Function calling is not enabled for models/gemini-2.5-flash');
  });

  it('an invalid function name is refused before anything is generated', async () => {
    server.enqueue(reply.text('never'));
    const bad = [{ name: '9lives', description: 'x', parameters: { type: 'object', properties: {} } }];
    const error = await failure(collectReply(client().llm.stream(request({ tools: bad }))));
    expect(error.message).toContain('function_declarations[0].name: Invalid function name');
  });
});

describe('Gemini keys', () => {
  it('no key is llm.no-key naming GEMINI_API_KEY, and nothing is sent', async () => {
    const env: Record<string, string> = { ...server.env() };
    delete env.GEMINI_API_KEY;
    const error = await failure(collectReply(createLlmClient({ env, ...FAST }).stream(request())));
    expect(error.code).toBe('llm.no-key');
    expect(error.message).toBe('no API key for google: set GEMINI_API_KEY (or GOOGLE_API_KEY) or choose another model with --model');
    expect(server.requests).toHaveLength(0);
  });

  it('a rejected key (400 API_KEY_INVALID, the key echoed by the service) is key-rejected, and the key is in no message', async () => {
    server.apiKeys = { google: 'the-right-key' };
    const { llm, attempts } = client();
    const error = await failure(collectReply(llm.stream(request())));
    expect(error.code).toBe('llm.key-rejected');
    expect(error.message).toBe(`google rejected the API key (400) for ${MODEL}`);
    expect(error.hint).toBe('check GEMINI_API_KEY');
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ kind: 'auth', status: 400 });
    const everything = JSON.stringify({ message: error.message, hint: error.hint, data: error.data, cause: String(error.cause) });
    expect(everything).not.toContain(FAKE_KEYS.google);
    // What the SDK got: the key, in a DebugInfo detail, as the service sends it.
    const raw = await fetch(`${server.url}/v1beta/models/gemini-2.5-flash:generateContent`, { method: 'POST', headers: { 'x-goog-api-key': FAKE_KEYS.google }, body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }) });
    expect(await raw.text()).toContain(`Invalid API key: ${FAKE_KEYS.google}`);
  });

  it('a key echoed in the error message is scrubbed from the failure detail (shown when a fallback fails too)', async () => {
    server.enqueueFor({ provider: 'ollama' }, reply.serverError());
    server.enqueueFor({ provider: 'google' }, reply.unauthorized({ message: `API key not valid. Key ${FAKE_KEYS.google} was rejected.` }));
    const { llm } = client({ fallback: [MODEL], retry: { maxAttempts: 1 } });
    const error = await failure(collectReply(llm.stream(request({ model: 'ollama/qwen2.5-coder' }))));
    expect(error.message).toContain(`fallback failed too (${MODEL}: 400 INVALID_ARGUMENT: API key not valid. Key [redacted] was rejected.)`);
    expect(`${error.message} ${error.hint ?? ''} ${JSON.stringify(error.data)}`).not.toContain(FAKE_KEYS.google);
  });

  it('a 400 API_KEY_INVALID runs api_key_cmd again and retries once with the new key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'assist-keycmd-'));
    try {
      const counter = join(dir, 'runs');
      writeFileSync(counter, '0');
      const script = join(dir, 'key.sh');
      writeFileSync(script, `#!/bin/sh\nn=$(cat "${counter}")\necho $((n+1)) > "${counter}"\nif [ "$n" = 0 ]; then echo old-key-123; else echo new-key-456; fi\n`);
      chmodSync(script, 0o755);
      server.apiKeys = { google: 'new-key-456' };
      server.enqueue(reply.text('rotated'));
      const done = await collectReply(client({ llm: { google: { api_key_cmd: script } } }).llm.stream(request()));
      expect(done.text).toBe('rotated');
      expect(server.requests.map((r) => r.apiKey)).toEqual(['old-key-123', 'new-key-456']);
      expect(readFileSync(counter, 'utf8').trim()).toBe('2');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Gemini faults', () => {
  it('a stream cut mid-reply is retried from the start, the partial text discarded', async () => {
    const text = 'The quick brown fox jumps over the lazy dog. '.repeat(4);
    server.enqueue(reply.text(text, { chunkSize: 8, cut: { afterFrames: 6 } }), reply.text(text, { chunkSize: 8 }));
    const all = await events(client().llm.stream(request()));
    const restartAt = all.findIndex((e) => e.type === 'restart');
    expect(restartAt).toBeGreaterThan(0);
    expect(all.slice(0, restartAt).some((e) => e.type === 'text')).toBe(true);
    expect((await collectReply(replay(all))).text).toBe(text);
    expect(server.requests.map((r) => r.outcome)).toEqual(['cut', 'completed']);
  });

  it('a stream that ends cleanly before the finish reason is not a complete reply', async () => {
    server.enqueue(reply.text('partial partial partial', { chunkSize: 4, cut: { afterFrames: 3, mode: 'end' } }));
    const error = await failure(collectReply(client({ retry: { maxAttempts: 1 } }).llm.stream(request())));
    expect(error.code).toBe('llm.stream-broken');
  });

  it('an error chunk inside the stream is retried, the partial text discarded', async () => {
    server.enqueue(reply.text('abcdefghijklmnopqrstuvwxyz', { chunkSize: 3, streamError: { afterFrames: 4, error: 'overloaded' } }), reply.text('fine now'));
    const { llm, attempts } = client();
    const all = await events(llm.stream(request()));
    expect(all.map((e) => e.type)).toContain('restart');
    expect(await collectReply(replay(all))).toMatchObject({ text: 'fine now', attempts: 2 });
    expect(attempts[0]).toMatchObject({ kind: 'overloaded', status: 503 });
  });

  it('a malformed chunk is a broken stream: retried, never returned', async () => {
    server.enqueue(reply.text('abcdefghijkl', { chunkSize: 3, garbageAfterFrames: 2 }), reply.text('clean'));
    const { llm, attempts } = client();
    expect((await collectReply(llm.stream(request()))).text).toBe('clean');
    expect(attempts[0]).toMatchObject({ outcome: 'failed', kind: 'stream_cut' });
  });

  it('a hung request and a stalled stream time out', async () => {
    server.enqueue(reply.hang(), reply.text('abcdefghijklmnop', { chunkSize: 2, stallAfterFrames: 4 }));
    const { llm } = client({ retry: { maxAttempts: 1 }, timeouts: { firstEventMs: 150, idleMs: 150 } });
    const hung = await failure(collectReply(llm.stream(request())));
    expect(hung.message).toBe(`${MODEL} timed out: no response within 0.2 s`);
    const stalled = await failure(collectReply(llm.stream(request())));
    expect(stalled.message).toContain('stalled');
    expect(await Promise.all(server.requests.map((r) => r.settled))).toEqual(['client-closed', 'client-closed']);
  });

  it('stops promptly when the signal aborts mid-stream, and the server sees the client leave', async () => {
    server.enqueue(reply.text('slow '.repeat(50), { chunkSize: 5, frameDelayMs: 100 }));
    const { llm, attempts } = client();
    const controller = new AbortController();
    let abortedAt = 0;
    const error = await failure(
      (async () => {
        for await (const event of llm.stream(request(), controller.signal)) {
          if (event.type === 'text' && abortedAt === 0) {
            abortedAt = performance.now();
            controller.abort();
          }
        }
      })(),
    );
    expect(performance.now() - abortedAt).toBeLessThan(500);
    expect(error.code).toBe('llm.aborted');
    expect(await server.requests[0]!.settled).toBe('client-closed');
    expect(attempts.map((a) => a.outcome)).toEqual(['aborted']);
  });

  it('an unknown model is a 404 named as such; a prompt over the window is context-exceeded, in Gemini words', async () => {
    server.models = ['gemini-2.5-pro'];
    const missing = await failure(collectReply(client().llm.stream(request())));
    expect(missing.code).toBe('llm.model-not-found');
    expect(missing.message).toContain('models/gemini-2.5-flash is not found for API version v1beta');
    server.models = undefined;
    server.contextWindow = 5;
    const big = await failure(collectReply(client().llm.stream(request({ messages: [{ role: 'user', content: 'word '.repeat(100) }] }))));
    expect(big.code).toBe('llm.context-exceeded');
    expect(big.message).toMatch(/The input token count \(\d+\) exceeds the maximum number of tokens allowed \(5\)/);
    expect(server.requests).toHaveLength(2);
  });

  it('an unreachable server, and a base URL carrying credentials, fail clearly without showing them', async () => {
    const env = { ...server.env(), GOOGLE_GEMINI_BASE_URL: `http://127.0.0.1:${server.port}` };
    await server.close();
    const error = await failure(collectReply(createLlmClient({ env, ...FAST, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } }).stream(request())));
    expect(error.code).toBe('llm.unreachable');
    expect(error.message).toContain('connection refused');
    expect(error.message).toContain('after 2 attempts');
    const secret = { ...env, GOOGLE_GEMINI_BASE_URL: 'http://user:secretpw@127.0.0.1:9' };
    const credentials = await failure(collectReply(createLlmClient({ env: secret, ...FAST, retry: { maxAttempts: 1 } }).stream(request())));
    expect(credentials.message).toContain('credentials in the URL are not supported');
    expect(JSON.stringify({ m: credentials.message, h: credentials.hint, d: credentials.data })).not.toContain('secretpw');
  });
});
