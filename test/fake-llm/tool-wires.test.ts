import Anthropic from '@anthropic-ai/sdk';
import { Ollama } from 'ollama';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_KEYS, reply, startFakeLlm, type FakeLlmServer } from './index.js';

// Tool calling on the Anthropic and Ollama wires, checked with the real SDKs' own parsers.
let server: FakeLlmServer;
beforeEach(async () => {
  server = await startFakeLlm();
});
afterEach(async () => {
  await server.close();
});

const anthropic = (): Anthropic => new Anthropic({ baseURL: server.url, apiKey: FAKE_KEYS.anthropic, maxRetries: 0, logLevel: 'off' });
const ollama = (): Ollama => new Ollama({ host: server.url });

const READ: Anthropic.Tool = { name: 'read_file', description: 'Read a file.', input_schema: { type: 'object', properties: { path: { type: 'string' } } } };
const CALLS = [
  { id: 'toolu_01A', name: 'read_file', arguments: { path: 'src/index.ts' } },
  { id: 'toolu_01B', name: 'read_file', arguments: { path: 'src/very/long/path/to/another/file.ts' } },
];
const USE = (id: string): Anthropic.ToolUseBlockParam => ({ type: 'tool_use', id, name: 'read_file', input: { path: 'a.ts' } });
const RESULT = (id: string): Anthropic.ToolResultBlockParam => ({ type: 'tool_result', tool_use_id: id, content: 'x' });

async function rejection(promise: Promise<unknown>): Promise<{ status: number; error: unknown }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { status?: number; status_code?: number; error?: unknown };
    return { status: e.status ?? e.status_code ?? 0, error: e.error };
  }
  throw new Error('expected a rejection');
}

describe('Anthropic wire: tools', () => {
  it('streams tool_use blocks whose fragments the SDK assembles into the input', async () => {
    server.enqueue(reply.text('Reading both.', { chunkSize: 5, toolCalls: CALLS, usage: { input: 900, output: 40, cached: 700 } }));
    const stream = anthropic().messages.stream({ model: 'claude-sonnet-5-5', max_tokens: 100, tools: [READ], messages: [{ role: 'user', content: 'read' }] });
    const deltas: string[] = [];
    stream.on('inputJson', (partial) => deltas.push(partial));
    const message = await stream.finalMessage();
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toEqual([
      { type: 'text', text: 'Reading both.' },
      { type: 'tool_use', id: 'toolu_01A', name: 'read_file', input: CALLS[0]!.arguments, caller: { type: 'direct' } },
      { type: 'tool_use', id: 'toolu_01B', name: 'read_file', input: CALLS[1]!.arguments, caller: { type: 'direct' } },
    ]);
    // The arguments arrived in chunkSize pieces (after the empty first fragment of each block).
    expect(deltas.filter((d) => d !== '').every((d) => d.length <= 5)).toBe(true);
    expect(deltas.join('')).toBe(CALLS.map((c) => JSON.stringify(c.arguments)).join(''));
    expect(message.usage).toMatchObject({ input_tokens: 200, cache_read_input_tokens: 700, output_tokens: 40 });
  });

  it('answers a non-stream request with content blocks, a call-only reply with no text block', async () => {
    server.enqueue(reply.text('', { toolCalls: [CALLS[0]!], usage: { input: 50, output: 9, cached: 20 } }));
    const message = await anthropic().messages.create({ model: 'claude-sonnet-5-5', max_tokens: 100, tools: [READ], messages: [{ role: 'user', content: 'read' }] });
    expect(message.content).toEqual([{ type: 'tool_use', id: 'toolu_01A', name: 'read_file', input: CALLS[0]!.arguments, caller: { type: 'direct' } }]);
    expect(message.stop_reason).toBe('tool_use');
    expect(message.usage).toMatchObject({ input_tokens: 30, cache_read_input_tokens: 20 });
  });

  it('records tools, calls, results and breakpoints from a request', async () => {
    server.enqueue(reply.text('ok'));
    await anthropic().messages.create({
      model: 'claude-sonnet-5-5',
      max_tokens: 100,
      system: [{ type: 'text', text: 'sys', cache_control: { type: 'ephemeral' } }],
      tools: [{ ...READ, cache_control: { type: 'ephemeral' } }],
      messages: [
        { role: 'user', content: 'read' },
        { role: 'assistant', content: [{ type: 'text', text: 'ok' }, USE('toolu_1')] },
        { role: 'user', content: [{ ...RESULT('toolu_1'), is_error: true, cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'go on' }] },
      ],
    });
    const [seen] = server.requests;
    expect(seen!.system).toBe('sys');
    expect(seen!.tools).toEqual([{ name: 'read_file', description: 'Read a file.', parameters: READ.input_schema }]);
    expect(seen!.cacheBreakpoints).toBe(3);
    expect(seen!.messages).toEqual([
      { role: 'user', content: 'read' },
      { role: 'assistant', content: 'ok', toolCalls: [{ id: 'toolu_1', name: 'read_file', arguments: '{"path":"a.ts"}' }] },
      { role: 'user', content: 'go on', toolResults: [{ callId: 'toolu_1', content: 'x', isError: true }] },
    ]);
  });

  const INVALID: Array<[string, Partial<Anthropic.MessageCreateParamsNonStreaming>, string]> = [
    [
      'a result after a text block',
      { messages: [{ role: 'user', content: 'go' }, { role: 'assistant', content: [USE('toolu_9')] }, { role: 'user', content: [{ type: 'text', text: 'here' }, RESULT('toolu_9')] }] },
      'messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_9. Each `tool_use` block must have a corresponding `tool_result` block in the next message.',
    ],
    [
      'a call left unanswered',
      { messages: [{ role: 'user', content: 'go' }, { role: 'assistant', content: [USE('toolu_1'), USE('toolu_2')] }, { role: 'user', content: [RESULT('toolu_2')] }] },
      'messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1. Each `tool_use` block must have a corresponding `tool_result` block in the next message.',
    ],
    [
      'a result for no call',
      { messages: [{ role: 'user', content: 'go' }, { role: 'assistant', content: [USE('toolu_1')] }, { role: 'user', content: [RESULT('toolu_1'), RESULT('toolu_x')] }] },
      'messages.2.content.1: unexpected `tool_use_id` found in `tool_result` blocks: toolu_x. Each `tool_result` block must have a corresponding `tool_use` block in the previous message.',
    ],
    [
      'five breakpoints',
      {
        system: [{ type: 'text', text: 'a', cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'b', cache_control: { type: 'ephemeral' } }],
        tools: [{ ...READ, cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: [{ type: 'text', text: 'c', cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'd', cache_control: { type: 'ephemeral' } }] }],
      },
      'A maximum of 4 blocks with cache_control may be provided. Found 5.',
    ],
    ['a tool name with a dot', { tools: [{ ...READ, name: 'fs.read' }] }, "tools.0.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'"],
    ['a schema without type', { tools: [READ, { name: 'x', input_schema: { properties: {} } as unknown as Anthropic.Tool.InputSchema }] }, 'tools.1.custom.input_schema.type: Field required'],
    ['a schema that is not an object', { tools: [{ name: 'x', input_schema: { type: 'array' } as unknown as Anthropic.Tool.InputSchema }] }, "tools.0.custom.input_schema.type: Input should be 'object'"],
  ];

  it.each(INVALID)('refuses %s with the real 400', async (_name, params, message) => {
    server.enqueue(reply.text('never'));
    const refused = await rejection(anthropic().messages.create({ model: 'claude-sonnet-5-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], ...params }));
    expect(refused).toEqual({ status: 400, error: { type: 'error', error: { type: 'invalid_request_error', message } } });
    expect(server.pendingReplies).toBe(1);
  });
});

describe('Ollama wire: tools', () => {
  const TOOL = { type: 'function', function: { name: 'read_file', description: 'Read a file.', parameters: { type: 'object', properties: { path: { type: 'string' } } } } };

  it('streams the calls whole in one chunk before the done line', async () => {
    server.enqueue(reply.text('Let me see.', { chunkSize: 4, toolCalls: CALLS }));
    const parts = [];
    for await (const part of await ollama().chat({ model: 'qwen2.5-coder', stream: true, tools: [TOOL], messages: [{ role: 'user', content: 'read' }] })) parts.push(part);
    const withCalls = parts.filter((p) => (p.message.tool_calls?.length ?? 0) > 0);
    expect(withCalls).toHaveLength(1);
    expect(withCalls[0]!.message.tool_calls).toEqual(CALLS.map((c) => ({ function: { name: c.name, arguments: c.arguments } })));
    expect(parts.indexOf(withCalls[0]!)).toBe(parts.length - 2);
    expect(parts.at(-1)).toMatchObject({ done: true, done_reason: 'stop' });
    expect(parts.map((p) => p.message.content).join('')).toBe('Let me see.');
  });

  it('answers a non-stream request with the calls in the message', async () => {
    server.enqueue(reply.text('', { toolCalls: [CALLS[0]!] }));
    const response = await ollama().chat({ model: 'qwen2.5-coder', stream: false, tools: [TOOL], messages: [{ role: 'user', content: 'read' }] });
    expect(response.message).toEqual({ role: 'assistant', content: '', tool_calls: [{ function: { name: 'read_file', arguments: { path: 'src/index.ts' } } }] });
  });

  it('records tools, calls and results', async () => {
    server.enqueue(reply.text('ok'));
    await ollama().chat({
      model: 'qwen2.5-coder',
      stream: false,
      tools: [TOOL],
      messages: [
        { role: 'user', content: 'read' },
        { role: 'assistant', content: '', tool_calls: [{ function: { name: 'read_file', arguments: { path: 'a.ts' } } }] },
        { role: 'tool', content: 'contents', tool_name: 'read_file' },
      ],
    });
    const [seen] = server.requests;
    expect(seen!.tools).toEqual([{ name: 'read_file', description: 'Read a file.', parameters: TOOL.function.parameters }]);
    expect(seen!.messages[1]!.toolCalls).toEqual([{ id: '', name: 'read_file', arguments: '{"path":"a.ts"}' }]);
    expect(seen!.messages[2]!.toolResults).toEqual([{ callId: 'read_file', content: 'contents' }]);
  });

  it('refuses arguments sent as a JSON string, as its Go decoder does', async () => {
    server.enqueue(reply.text('never'));
    const messages = [
      { role: 'user', content: 'read' },
      { role: 'assistant', content: '', tool_calls: [{ function: { name: 'read_file', arguments: '{"path":"a.ts"}' as unknown as Record<string, unknown> } }] },
      { role: 'tool', content: 'x', tool_name: 'read_file' },
    ];
    const refused = await rejection(ollama().chat({ model: 'qwen2.5-coder', stream: false, messages }));
    expect(refused).toEqual({
      status: 400,
      error: 'json: cannot unmarshal string into Go struct field ToolCallFunction.messages.tool_calls.function.arguments of type api.ToolCallFunctionArguments',
    });
  });

  it('refuses a tool message that follows no calls', async () => {
    server.enqueue(reply.text('never'));
    const refused = await rejection(ollama().chat({ model: 'qwen2.5-coder', stream: false, messages: [{ role: 'user', content: 'x' }, { role: 'tool', content: 'x', tool_name: 'read_file' }] }));
    expect(refused.status).toBe(400);
    expect(refused.error).toContain('index 1');
  });

  it('a model without tool support refuses any request offering tools, naming itself as Ollama does', async () => {
    server.rejectTools = true;
    const refused = await rejection(ollama().chat({ model: 'llama2:7b', stream: true, tools: [TOOL], messages: [{ role: 'user', content: 'x' }] }));
    expect(refused).toEqual({ status: 400, error: 'registry.ollama.ai/library/llama2:7b does not support tools' });
    const other = await rejection(ollama().chat({ model: 'me/custom', stream: false, tools: [TOOL], messages: [{ role: 'user', content: 'x' }] }));
    expect(other.error).toBe('registry.ollama.ai/me/custom:latest does not support tools');
  });
});
