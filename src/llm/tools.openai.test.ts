import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reply, startFakeLlm, type FakeLlmServer } from '../../test/fake-llm/index.js';
import { collectReply, createLlmClient } from './client.js';
import type { AttemptRecord, ChatMessage, LlmClientOptions, LlmRequest, StreamEvent, ToolCall, ToolSpec } from './types.js';
import { failure } from '../../test/helpers/assist-failure.js';

// Native tool calling through the real `openai` SDK and the client, against the fake server: chat
// completions (gpt-4.1) and the Responses API (gpt-5, which the registry marks `responsesApi`).
let server: FakeLlmServer;
beforeEach(async () => {
  server = await startFakeLlm();
});
afterEach(async () => {
  await server.close();
});

const FAST = { retry: { baseDelayMs: 1, maxDelayMs: 5 }, timeouts: { firstEventMs: 2_000, idleMs: 2_000 } } satisfies Partial<LlmClientOptions>;

function client(extra: Partial<LlmClientOptions> = {}) {
  const attempts: AttemptRecord[] = [];
  const llm = createLlmClient({ env: server.env(), ...FAST, onAttempt: (r) => attempts.push(r), ...extra });
  return { llm, attempts };
}

const TOOLS: ToolSpec[] = [
  { name: 'read_file', description: 'Read a file of the repository', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } },
  { name: 'search', description: 'Search the repository', parameters: { type: 'object', properties: { pattern: { type: 'string' } }, required: ['pattern'] } },
];
const CALLS = [
  { id: 'call_read', name: 'read_file', arguments: { path: 'src/main.ts' } },
  { id: 'call_search', name: 'search', arguments: { pattern: 'TODO|FIXME' } },
];
const EXPECTED: ToolCall[] = CALLS.map((c) => ({ id: c.id, name: c.name, arguments: JSON.stringify(c.arguments) }));
const USER: ChatMessage = { role: 'user', content: 'Look around.' };

function request(model: string, extra: Partial<LlmRequest> = {}): LlmRequest {
  return { model, system: 'You are terse.', messages: [USER], maxOutputTokens: 512, tools: TOOLS, ...extra };
}

async function events(stream: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const event of stream) out.push(event);
  return out;
}

function doneOf(all: StreamEvent[]): Extract<StreamEvent, { type: 'done' }> {
  const done = all.at(-1);
  if (done?.type !== 'done') throw new Error(`the stream ended with ${done?.type}`);
  return done;
}

/** The history after the model asked for CALLS: its message, then the results. */
function answered(first: Extract<StreamEvent, { type: 'done' }>, text: string): ChatMessage[] {
  return [
    USER,
    { role: 'assistant', content: text, toolCalls: first.toolCalls, ...(first.replay ? { replay: first.replay } : {}) },
    {
      role: 'tool',
      content: '',
      results: [
        { callId: first.toolCalls[0]!.id, name: 'read_file', content: '1\texport {};' },
        { callId: first.toolCalls[1]!.id, name: 'search', content: 'src/a.ts:3:// TODO', isError: false },
      ],
    },
  ];
}

const MODES = [
  { api: 'chat completions', model: 'openai/gpt-4.1', path: '/v1/chat/completions' },
  { api: 'Responses', model: 'openai/gpt-5', path: '/v1/responses' },
] as const;

describe.each(MODES)('openai $api', ({ api, model, path }) => {
  it('runs a two-step tool loop: parallel calls in fragments, results sent back, final text', async () => {
    server.enqueue(reply.text('Let me check.', { toolCalls: CALLS, chunkSize: 3 }), reply.text('All good.'));
    const { llm } = client();
    const step1 = await events(llm.stream(request(model)));
    const first = doneOf(step1);
    expect(step1.filter((e) => e.type === 'text').map((e) => (e.type === 'text' ? e.text : '')).join('')).toBe('Let me check.');
    expect(first.toolCalls).toEqual(EXPECTED);
    expect(first.stopReason).toBe('tool_use');

    const second = doneOf(await events(llm.stream(request(model, { messages: answered(first, 'Let me check.') }))));
    expect(second).toMatchObject({ stopReason: 'end', toolCalls: [] });

    expect(server.requests.map((r) => [r.path, r.outcome])).toEqual([
      [path, 'completed'],
      [path, 'completed'],
    ]);
    const [req1, req2] = server.requests;
    expect(req1!.tools).toEqual(TOOLS);
    expect(req2!.tools).toEqual(TOOLS);
    // Both wires record the same conversation: the calls on the assistant message, one tool message per result.
    expect(req2!.messages.filter((m) => m.role !== 'system')).toEqual([
      { role: 'user', content: 'Look around.' },
      { role: 'assistant', content: 'Let me check.', toolCalls: EXPECTED },
      { role: 'tool', content: '', toolResults: [{ callId: 'call_read', content: '1\texport {};' }] },
      { role: 'tool', content: '', toolResults: [{ callId: 'call_search', content: 'src/a.ts:3:// TODO' }] },
    ]);
  });

  it('passes invalid JSON arguments through untouched, and sends them back as they came', async () => {
    const broken = '{"path": "src/main.ts", "limit": 2O';
    server.enqueue(reply.text('', { toolCalls: [{ id: 'call_bad', name: 'read_file', arguments: broken }], chunkSize: 5 }), reply.text('Sorry.'));
    const { llm } = client();
    const first = doneOf(await events(llm.stream(request(model))));
    expect(first.toolCalls).toEqual([{ id: 'call_bad', name: 'read_file', arguments: broken }]);
    const history: ChatMessage[] = [
      USER,
      { role: 'assistant', content: '', toolCalls: first.toolCalls, ...(first.replay ? { replay: first.replay } : {}) },
      { role: 'tool', content: '', results: [{ callId: 'call_bad', name: 'read_file', content: 'the arguments are not valid JSON', isError: true }] },
    ];
    expect((await collectReply(llm.stream(request(model, { messages: history })))).text).toBe('Sorry.');
    expect(server.requests[1]!.messages.find((m) => m.role === 'assistant')).toEqual({ role: 'assistant', content: '', toolCalls: [{ id: 'call_bad', name: 'read_file', arguments: broken }] });
  });

  it('a result answering no call of the turn before is refused by the server (400), not retried, not taken for missing tool support', async () => {
    server.enqueue(reply.text('never'));
    const { llm } = client();
    const stray: ChatMessage[] = [USER, { role: 'assistant', content: 'Hm.' }, { role: 'tool', content: '', results: [{ callId: 'call_gone', name: 'read_file', content: 'x' }] }];
    const error = await failure(collectReply(llm.stream(request(model, { messages: stray }))));
    expect(error.code).toBe('llm.bad-request');
    expect(error.message).toMatch(api === 'Responses' ? /No tool call found for function call output with call_id call_gone/ : /must be a response to a preceeding message with 'tool_calls'/);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.outcome).toBe('error-reply');
    expect(server.pendingReplies).toBe(1);
  });

  it('a call left without its result is refused by the server', async () => {
    const { llm } = client();
    const missing: ChatMessage[] = [
      USER,
      { role: 'assistant', content: '', toolCalls: EXPECTED },
      { role: 'tool', content: '', results: [{ callId: 'call_read', name: 'read_file', content: 'x' }] },
      { role: 'user', content: 'go on' },
    ];
    const error = await failure(collectReply(llm.stream(request(model, { messages: missing }))));
    expect(error.code).toBe('llm.bad-request');
    expect(error.message).toContain(api === 'Responses' ? 'No tool output found for function call call_search' : 'did not have response messages: call_search');
  });

  it('a server that rejects tools fails with llm.tools-unsupported, and answers the same request without tools', async () => {
    server.rejectTools = true;
    server.enqueue(reply.text('plain text'));
    const { llm, attempts } = client();
    const error = await failure(collectReply(llm.stream(request(model))));
    expect(error.code).toBe('llm.tools-unsupported');
    expect(error.hint).toContain('session.tools');
    expect(attempts).toMatchObject([{ outcome: 'failed', kind: 'tools_unsupported', status: 400 }]);
    expect((await collectReply(llm.stream(request(model, { tools: [] })))).text).toBe('plain text');
    expect(server.requests[1]!.tools).toBeUndefined();
  });

  it('reports the tokens read from the prompt cache', async () => {
    server.enqueue(reply.text('cached', { usage: { input: 1_000, output: 20, cached: 768 } }));
    const { llm } = client();
    const done = doneOf(await events(llm.stream(request(model))));
    expect(done.usage).toEqual({ inputTokens: 1_000, outputTokens: 20, estimated: false, cachedInputTokens: 768 });
  });

  it('retries a 429 with retry-after in the middle of the loop, sending the same request again', async () => {
    server.enqueue(reply.text('', { toolCalls: CALLS }), reply.rateLimited({ retryAfterMs: 40 }), reply.text('Done after the wait.'));
    const { llm, attempts } = client();
    const first = doneOf(await events(llm.stream(request(model))));
    const all = await events(llm.stream(request(model, { messages: answered(first, '') })));
    expect(all.find((e) => e.type === 'retry')).toMatchObject({ attempt: 2, delayMs: 40 });
    expect(doneOf(all)).toMatchObject({ attempts: 2, stopReason: 'end' });
    expect(attempts.map((a) => [a.outcome, a.status])).toEqual([
      ['ok', undefined],
      ['failed', 429],
      ['ok', undefined],
    ]);
    expect(server.requests[2]!.rawBody).toBe(server.requests[1]!.rawBody);
  });

  it('arguments that stream longer than the first-event timeout keep the reply alive', async () => {
    const content = 'x'.repeat(60);
    // About 30 fragments 40 ms apart: the whole reply takes twice the first-event timeout, each gap a tenth of the idle one.
    server.enqueue(reply.text('', { toolCalls: [{ id: 'call_w', name: 'write_file', arguments: { path: 'a.txt', content } }], chunkSize: 3, frameDelayMs: 40 }));
    const { llm } = client({ retry: { maxAttempts: 1 }, timeouts: { firstEventMs: 600, idleMs: 400 } });
    const started = performance.now();
    const done = doneOf(await events(llm.stream(request(model))));
    expect(performance.now() - started).toBeGreaterThan(600);
    expect(JSON.parse(done.toolCalls[0]!.arguments)).toEqual({ path: 'a.txt', content });
  });

  it('a stream cut while the calls stream is retried, and the half-assembled calls are dropped', async () => {
    server.enqueue(reply.text('', { toolCalls: CALLS, chunkSize: 3, cut: { afterFrames: 7 } }), reply.text('', { toolCalls: CALLS, chunkSize: 3 }));
    const { llm, attempts } = client();
    const done = doneOf(await events(llm.stream(request(model))));
    expect(done.toolCalls).toEqual(EXPECTED);
    expect(done.attempts).toBe(2);
    expect(attempts[0]).toMatchObject({ outcome: 'failed', kind: 'stream_cut' });
  });
});

describe('openai chat completions request', () => {
  it('offers tools in the function shape, puts each result right after its assistant message, and sends no tools field without tools', async () => {
    server.enqueue(reply.text('a'), reply.text('b'));
    const { llm } = client();
    const history: ChatMessage[] = [
      USER,
      { role: 'assistant', content: '', toolCalls: EXPECTED },
      {
        role: 'tool',
        content: '',
        results: [
          { callId: 'call_read', name: 'read_file', content: 'r' },
          { callId: 'call_search', name: 'search', content: 's' },
        ],
      },
    ];
    await collectReply(llm.stream(request('openai/gpt-4.1', { messages: history })));
    await collectReply(llm.stream(request('openai/gpt-4.1', { tools: [] })));
    const body = server.requests[0]!.body as { tools: unknown; messages: unknown[]; max_tokens: number };
    expect(body.tools).toEqual(TOOLS.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } })));
    expect(body.messages.slice(2)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: EXPECTED.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })),
      },
      { role: 'tool', tool_call_id: 'call_read', content: 'r' },
      { role: 'tool', tool_call_id: 'call_search', content: 's' },
    ]);
    expect(body.max_tokens).toBe(512);
    expect(Object.keys(server.requests[1]!.body as object)).not.toContain('tools');
  });
});

describe('openai Responses API', () => {
  const model = 'openai/gpt-5';

  it('is used for the models the registry marks, statelessly, with encrypted reasoning asked for', async () => {
    server.enqueue(reply.text('x'), reply.text('y'));
    const { llm } = client();
    expect(llm.modelInfo(model).responsesApi).toBe(true);
    expect(llm.modelInfo('openai/o4-mini-2025-04-16').responsesApi).toBe(true);
    expect(llm.modelInfo('openai/gpt-4.1').responsesApi).toBeUndefined();
    await collectReply(llm.stream(request(model, { temperature: 0 })));
    await collectReply(llm.stream(request('openai/gpt-4.1')));
    expect(server.requests.map((r) => r.path)).toEqual(['/v1/responses', '/v1/chat/completions']);
    const body = server.requests[0]!.body as Record<string, unknown>;
    expect(body).toMatchObject({
      model: 'gpt-5',
      instructions: 'You are terse.',
      input: [{ role: 'user', content: 'Look around.' }],
      stream: true,
      store: false,
      include: ['reasoning.encrypted_content'],
      max_output_tokens: 512,
      tools: TOOLS.map((t) => ({ type: 'function', name: t.name, description: t.description, parameters: t.parameters, strict: false })),
    });
    expect(body).not.toHaveProperty('temperature');
  });

  it('echoes the reasoning items of a reply back in front of its calls, and only to OpenAI', async () => {
    server.enqueue(reply.text('', { toolCalls: CALLS }), reply.text('ok'), reply.text('ok again'));
    const { llm } = client();
    const first = doneOf(await events(llm.stream(request(model))));
    expect(first.replay).toEqual({ provider: 'openai', items: [expect.objectContaining({ type: 'reasoning', encrypted_content: expect.any(String) })] });
    await collectReply(llm.stream(request(model, { messages: answered(first, '') })));
    const input = (server.requests[1]!.body as { input: Array<{ type?: string }> }).input;
    expect(input.map((item) => item.type ?? 'message')).toEqual(['message', 'reasoning', 'function_call', 'function_call', 'function_call_output', 'function_call_output']);
    expect(input[1]).toEqual(first.replay!.items[0]);

    // Items another provider left are not OpenAI's to read (and a store:false server would refuse them).
    const foreign: ChatMessage[] = [USER, { role: 'assistant', content: 'Hi.', replay: { provider: 'anthropic', items: [{ type: 'reasoning', id: 'rs_other', summary: [] }] } }, { role: 'user', content: 'Again.' }];
    expect((await collectReply(llm.stream(request(model, { messages: foreign })))).text).toBe('ok again');
    expect((server.requests[2]!.body as { input: Array<{ type?: string }> }).input.some((item) => item.type === 'reasoning')).toBe(false);
  });

  it('response.failed and a rate-limit error event mid-stream are retried, the partial text discarded', async () => {
    server.enqueue(
      // Frames 0-5 are the preamble (created, in_progress, the reasoning item, the message opening): 3 deltas, then the error.
      reply.text('abcdefghijkl', { chunkSize: 2, streamError: { afterFrames: 9, error: 'server' } }),
      reply.text('abcdefghijkl', { chunkSize: 2, streamError: { afterFrames: 9, error: 'rate_limit' } }),
      reply.text('clean'),
    );
    const { llm, attempts } = client();
    const all = await events(llm.stream(request(model)));
    expect(all.filter((e) => e.type === 'restart')).toHaveLength(2);
    expect(doneOf(all).attempts).toBe(3);
    expect(attempts.slice(0, 2).map((a) => a.kind)).toEqual(['server', 'rate_limit']);
    const replayed = await collectReply(
      (async function* () {
        yield* all;
      })(),
    );
    expect(replayed.text).toBe('clean');
  });

  it('an incomplete response stops as max_tokens', async () => {
    server.enqueue(reply.text('truncated', { finish: 'length', usage: { input: 10, output: 512 } }));
    const { llm } = client();
    const done = doneOf(await events(llm.stream(request(model))));
    expect(done).toMatchObject({ stopReason: 'max_tokens', usage: { inputTokens: 10, outputTokens: 512, estimated: false } });
  });

  it('a stalled stream and a malformed frame fail the attempt as on chat completions', async () => {
    server.enqueue(reply.text('abcdefgh', { chunkSize: 2, stallAfterFrames: 5 }), reply.text('abcdefgh', { garbageAfterFrames: 4 }), reply.text('fine'));
    const { llm, attempts } = client({ timeouts: { firstEventMs: 1_000, idleMs: 150 } });
    expect((await collectReply(llm.stream(request(model)))).text).toBe('fine');
    expect(attempts.map((a) => a.kind)).toEqual(['idle', 'stream_cut', undefined]);
  });
});
