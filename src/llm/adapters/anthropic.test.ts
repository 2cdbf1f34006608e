import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reply, startFakeLlm, type FakeLlmServer, type RecordedRequest } from '../../../test/fake-llm/index.js';
import { collectReply, createLlmClient } from '../client.js';
import type { ChatMessage, LlmRequest, ToolSpec } from '../types.js';
import { failure } from '../../../test/helpers/assist-failure.js';

// The tool loop on Anthropic's wire: the real SDK against the fake server on 127.0.0.1.
let server: FakeLlmServer;
beforeEach(async () => {
  server = await startFakeLlm();
});
afterEach(async () => {
  await server.close();
});

const MODEL = 'anthropic/claude-sonnet-4-5';
const FAST = { retry: { baseDelayMs: 1, maxDelayMs: 5 }, timeouts: { firstEventMs: 2_000, idleMs: 2_000 } };
const TOOLS: ToolSpec[] = [
  {
    name: 'read_file',
    description: 'Read a file of the repository.',
    parameters: { type: 'object', properties: { path: { type: 'string' }, offset: { type: 'integer' } }, required: ['path'] },
  },
  {
    name: 'search',
    description: 'Search the repository with a regular expression.',
    parameters: { type: 'object', properties: { pattern: { type: 'string' }, path: { type: 'string' } }, required: ['pattern'] },
  },
];
const ASK: ChatMessage = { role: 'user', content: 'Where is the retry policy defined?' };

function llm() {
  return createLlmClient({ env: server.env(), ...FAST });
}

function request(messages: ChatMessage[], extra: Partial<LlmRequest> = {}): LlmRequest {
  return { model: MODEL, system: 'You are a careful assistant.', messages, maxOutputTokens: 1024, tools: TOOLS, ...extra };
}

type Body = { system?: unknown; tools?: unknown; messages: Array<{ role: string; content: Array<Record<string, unknown>> }> };
const body = (r: RecordedRequest): Body => r.body as Body;

/** Where the request's cache breakpoints sit, as `system`, `tools.N` or `messages.I.J`. */
function breakpoints(r: RecordedRequest): string[] {
  const b = r.body as { system?: Array<Record<string, unknown>>; tools?: Array<Record<string, unknown>>; messages: Array<{ content: Array<Record<string, unknown>> }> };
  const at: string[] = [];
  b.system?.forEach((block) => block['cache_control'] && at.push('system'));
  b.tools?.forEach((tool, n) => tool['cache_control'] && at.push(`tools.${n}`));
  b.messages.forEach((m, i) => m.content.forEach((block, j) => block['cache_control'] && at.push(`messages.${i}.${j}`)));
  return at;
}

function stripCache(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (key, v: unknown) => (key === 'cache_control' ? undefined : v)));
}

describe('Anthropic tool calling', () => {
  it('runs a two-step loop: parallel calls assembled from fragments, results first in one user message, a cached prefix', async () => {
    server.enqueue(
      reply.text('Let me look.', {
        chunkSize: 4,
        toolCalls: [
          { id: 'toolu_01ReadA', name: 'read_file', arguments: { path: 'src/llm/backoff.ts', offset: 1 } },
          { id: 'toolu_01SearchB', name: 'search', arguments: { pattern: 'maxAttempts', path: 'src' } },
        ],
        usage: { input: 1_500, output: 60, cached: 0 },
      }),
      reply.text('It is DEFAULT_RETRY in src/llm/backoff.ts.', { usage: { input: 1_700, output: 12, cached: 1_400 } }),
    );
    const client = llm();
    const first = await collectReply(client.stream(request([ASK])));
    expect(first.text).toBe('Let me look.');
    expect(first.stopReason).toBe('tool_use');
    expect(first.toolCalls).toEqual([
      { id: 'toolu_01ReadA', name: 'read_file', arguments: '{"path":"src/llm/backoff.ts","offset":1}' },
      { id: 'toolu_01SearchB', name: 'search', arguments: '{"pattern":"maxAttempts","path":"src"}' },
    ]);
    expect(first.usage).toEqual({ inputTokens: 1_500, outputTokens: 60, estimated: false });

    const history: ChatMessage[] = [
      ASK,
      { role: 'assistant', content: first.text, toolCalls: first.toolCalls },
      {
        role: 'tool',
        content: '',
        results: [
          { callId: 'toolu_01ReadA', name: 'read_file', content: '1\texport const DEFAULT_RETRY = {' },
          { callId: 'toolu_01SearchB', name: 'search', content: 'invalid regular expression', isError: true },
        ],
      },
      { role: 'user', content: 'Answer in one line.' },
    ];
    const second = await collectReply(client.stream(request(history)));
    expect(second.text).toBe('It is DEFAULT_RETRY in src/llm/backoff.ts.');
    expect(second.stopReason).toBe('end');
    expect(second.toolCalls).toEqual([]);
    expect(second.usage).toEqual({ inputTokens: 1_700, outputTokens: 12, estimated: false, cachedInputTokens: 1_400 });

    const [one, two] = server.requests;
    expect(two!.outcome).toBe('completed');
    expect(two!.messages).toEqual([
      { role: 'user', content: ASK.content },
      {
        role: 'assistant',
        content: 'Let me look.',
        toolCalls: [
          { id: 'toolu_01ReadA', name: 'read_file', arguments: '{"path":"src/llm/backoff.ts","offset":1}' },
          { id: 'toolu_01SearchB', name: 'search', arguments: '{"pattern":"maxAttempts","path":"src"}' },
        ],
      },
      {
        role: 'user',
        content: 'Answer in one line.',
        toolResults: [
          { callId: 'toolu_01ReadA', content: '1\texport const DEFAULT_RETRY = {' },
          { callId: 'toolu_01SearchB', content: 'invalid regular expression', isError: true },
        ],
      },
    ]);
    // Tool results and the user's words share one user message, the results first and in call order.
    expect(body(two!).messages[2]!.content.map((block) => block['type'])).toEqual(['tool_result', 'tool_result', 'text']);
    expect(body(two!).messages[1]!.content.map((block) => block['type'])).toEqual(['text', 'tool_use', 'tool_use']);
    expect(two!.tools?.map((t) => t.name)).toEqual(['read_file', 'search']);
    expect(two!.tools?.[0]?.parameters).toEqual(TOOLS[0]!.parameters);

    // Breakpoints on the system prompt, the last tool and the last block; never more than four.
    expect(breakpoints(one!)).toEqual(['system', 'tools.1', 'messages.0.0']);
    expect(breakpoints(two!)).toEqual(['system', 'tools.1', 'messages.2.2']);
    for (const r of [one!, two!]) expect(r.cacheBreakpoints).toBe(breakpoints(r).length);
    // The prefix is byte-stable from step to step, so the second request reads what the first wrote.
    expect(JSON.stringify(body(two!).system)).toBe(JSON.stringify(body(one!).system));
    expect(JSON.stringify(body(two!).tools)).toBe(JSON.stringify(body(one!).tools));
    expect(stripCache(body(two!).messages[0])).toEqual(stripCache(body(one!).messages[0]));
  });

  it('keeps the breakpoints at three over a longer loop, and drops the system one when there is no system prompt', async () => {
    server.enqueue(
      reply.text('', { toolCalls: [{ id: 'toolu_a', name: 'read_file', arguments: { path: 'a' } }] }),
      reply.text('', { toolCalls: [{ id: 'toolu_b', name: 'read_file', arguments: { path: 'b' } }] }),
      reply.text('done'),
    );
    const client = llm();
    const history: ChatMessage[] = [ASK];
    for (;;) {
      const done = await collectReply(client.stream(request(history, { system: '' })));
      if (done.toolCalls.length === 0) break;
      history.push({ role: 'assistant', content: done.text, toolCalls: done.toolCalls });
      history.push({ role: 'tool', content: '', results: done.toolCalls.map((c) => ({ callId: c.id, name: c.name, content: `contents of ${c.arguments}` })) });
    }
    expect(server.requests.map((r) => r.outcome)).toEqual(['completed', 'completed', 'completed']);
    expect(server.requests.map(breakpoints)).toEqual([
      ['tools.1', 'messages.0.0'],
      ['tools.1', 'messages.2.0'],
      ['tools.1', 'messages.4.0'],
    ]);
    // A reply made only of a call carries no empty text block back.
    expect(body(server.requests[2]!).messages[1]!.content).toEqual([{ type: 'tool_use', id: 'toolu_a', name: 'read_file', input: { path: 'a' } }]);
    expect(body(server.requests[0]!).system).toBeUndefined();
  });

  it('a call without arguments gets "{}", and arguments that are not an object go back as an empty input', async () => {
    server.enqueue(reply.text('', { toolCalls: [{ id: 'toolu_tests', name: 'run_tests', arguments: '' }] }), reply.text('ok'));
    const client = llm();
    const first = await collectReply(client.stream(request([ASK])));
    expect(first.toolCalls).toEqual([{ id: 'toolu_tests', name: 'run_tests', arguments: '{}' }]);
    const history: ChatMessage[] = [
      ASK,
      { role: 'assistant', content: '', toolCalls: [{ id: 'toolu_bad', name: 'read_file', arguments: '{"path": "a.ts"' }] },
      { role: 'tool', content: '', results: [{ callId: 'toolu_bad', name: 'read_file', content: 'arguments are not valid JSON', isError: true }] },
    ];
    expect((await collectReply(client.stream(request(history)))).text).toBe('ok');
    expect(body(server.requests[1]!).messages[1]!.content[0]).toMatchObject({ type: 'tool_use', id: 'toolu_bad', input: {} });
  });

  it('a history whose results do not answer the calls is refused with 400, reported as a bad request, not as missing tool support', async () => {
    const client = llm();
    const history: ChatMessage[] = [
      ASK,
      { role: 'assistant', content: 'Looking.', toolCalls: [{ id: 'toolu_01Lost', name: 'read_file', arguments: '{"path":"a.ts"}' }] },
      { role: 'tool', content: '', results: [{ callId: 'toolu_01Other', name: 'read_file', content: 'x' }] },
    ];
    const error = await failure(collectReply(client.stream(request(history))));
    expect(error.code).toBe('llm.bad-request');
    expect(error.message).toContain('messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_01Lost.');
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.outcome).toBe('error-reply');

    // Results with no calls before them at all.
    const orphan: ChatMessage[] = [ASK, { role: 'assistant', content: 'Hm.' }, { role: 'tool', content: '', results: [{ callId: 'toolu_01Ghost', name: 'search', content: 'x' }] }];
    const second = await failure(collectReply(client.stream(request(orphan))));
    expect(second.code).toBe('llm.bad-request');
    expect(second.message).toContain('messages.2.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_01Ghost.');
  });

  it('an overloaded 529 in the middle of a loop is retried with the same request', async () => {
    server.enqueue(
      reply.text('', { toolCalls: [{ id: 'toolu_1', name: 'search', arguments: { pattern: 'x' } }] }),
      reply.overloaded(),
      reply.text('found it'),
    );
    const client = llm();
    const first = await collectReply(client.stream(request([ASK])));
    const history: ChatMessage[] = [
      ASK,
      { role: 'assistant', content: first.text, toolCalls: first.toolCalls },
      { role: 'tool', content: '', results: [{ callId: 'toolu_1', name: 'search', content: 'src/a.ts:1:x' }] },
    ];
    const second = await collectReply(client.stream(request(history)));
    expect(second).toMatchObject({ text: 'found it', attempts: 2 });
    const [, overloaded, retried] = server.requests;
    expect(overloaded!.outcome).toBe('error-reply');
    expect(retried!.rawBody).toBe(overloaded!.rawBody);
  });

  it('a reply cut while a call is streaming is retried from scratch, the partial call never surfacing', async () => {
    const call = { id: 'toolu_cut', name: 'read_file', arguments: { path: 'a/very/long/path/to/a/file.ts' } };
    // Frames: message_start, block start, ping, "" fragment, then 3-char fragments: cut mid-arguments.
    server.enqueue(reply.text('', { chunkSize: 3, toolCalls: [call], cut: { afterFrames: 7 } }), reply.text('', { chunkSize: 3, toolCalls: [call] }));
    const done = await collectReply(llm().stream(request([ASK])));
    expect(done.attempts).toBe(2);
    expect(done.toolCalls).toEqual([{ id: 'toolu_cut', name: 'read_file', arguments: JSON.stringify(call.arguments) }]);
  });

  it('sends no tools and no tool breakpoint for a text-only request', async () => {
    server.enqueue(reply.text('plain'));
    await collectReply(llm().stream(request([ASK], { tools: [] })));
    expect(server.requests[0]!.tools).toBeUndefined();
    expect(breakpoints(server.requests[0]!)).toEqual(['system', 'messages.0.0']);
  });
});
