import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_KEYS, reply, startFakeLlm, type FakeLlmServer } from './index.js';

// The OpenAI wires' tool calling, seen through the real `openai` SDK: what the fake streams must
// satisfy the SDK's own accumulators (ChatCompletionStream, ResponseStream), and what it rejects
// must come back as the SDK's BadRequestError carrying OpenAI's body.

let server: FakeLlmServer;
let sdk: OpenAI;
beforeEach(async () => {
  server = await startFakeLlm();
  sdk = new OpenAI({ baseURL: server.urls.openai, apiKey: FAKE_KEYS.openai, maxRetries: 0, logLevel: 'off' });
});
afterEach(async () => {
  await server.close();
});

const READ_FILE = { name: 'read_file', description: 'Read a file', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } };
const SEARCH = { name: 'search', description: 'Search', parameters: { type: 'object', properties: { pattern: { type: 'string' } } } };
const CALLS = [
  { id: 'call_a', name: 'read_file', arguments: { path: 'src/main.ts' } },
  { id: 'call_b', name: 'search', arguments: { pattern: 'TODO|FIXME' } },
];
const chatTools = [READ_FILE, SEARCH].map((fn) => ({ type: 'function' as const, function: fn }));
const responsesTools = [READ_FILE, SEARCH].map((fn) => ({ type: 'function' as const, strict: false, ...fn }));

/** The body of the 400 (or other status) the SDK threw. */
async function rejection(call: Promise<unknown>): Promise<{ status: number | undefined; error: unknown }> {
  try {
    await call;
  } catch (error) {
    expect(error).toBeInstanceOf(OpenAI.APIError);
    const e = error as InstanceType<typeof OpenAI.APIError>;
    return { status: e.status, error: e.error };
  }
  throw new Error('expected the request to be rejected');
}

describe('chat completions', () => {
  it('streams parallel tool calls the way OpenAI does, and the SDK assembles them', async () => {
    server.enqueue(reply.text('', { toolCalls: CALLS, chunkSize: 4, usage: { input: 200, output: 30, cached: 128 } }));
    const stream = await sdk.chat.completions.create({
      model: 'gpt-4.1',
      messages: [{ role: 'user', content: 'look around' }],
      tools: chatTools,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    // The first fragment of each call carries index, id, type, name and empty arguments; the rest only arguments.
    const firsts = deltas.filter((d) => d.id !== undefined);
    expect(firsts).toEqual([
      { index: 0, id: 'call_a', type: 'function', function: { name: 'read_file', arguments: '' } },
      { index: 1, id: 'call_b', type: 'function', function: { name: 'search', arguments: '' } },
    ]);
    const rest = deltas.filter((d) => d.id === undefined);
    expect(rest.every((d) => d.function?.name === undefined && Array.from(d.function?.arguments ?? '').length <= 4)).toBe(true);
    expect(rest.filter((d) => d.index === 0).map((d) => d.function?.arguments).join('')).toBe(JSON.stringify(CALLS[0]!.arguments));
    expect(rest.filter((d) => d.index === 1).map((d) => d.function?.arguments).join('')).toBe(JSON.stringify(CALLS[1]!.arguments));
    expect(chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean)).toEqual(['tool_calls']);
    expect(chunks.at(-1)?.usage).toMatchObject({ prompt_tokens: 200, completion_tokens: 30, prompt_tokens_details: { cached_tokens: 128 } });
  });

  it("satisfies the SDK's ChatCompletionStream accumulator, text before the calls", async () => {
    server.enqueue(reply.text('Let me look.', { toolCalls: CALLS, chunkSize: 3 }));
    const stream = sdk.chat.completions.stream({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'x' }], tools: chatTools });
    const done = await stream.finalChatCompletion();
    const message = done.choices[0]!.message;
    expect(message.content).toBe('Let me look.');
    expect(message.tool_calls?.map((c) => (c.type === 'function' ? [c.id, c.function.name, c.function.arguments] : []))).toEqual(
      CALLS.map((c) => [c.id, c.name, JSON.stringify(c.arguments)]),
    );
    expect(done.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('answers a non-streamed request with message.tool_calls and null content', async () => {
    server.enqueue(reply.text('', { toolCalls: [{ id: 'call_x', name: 'read_file', arguments: '{"path": broken' }] }));
    const completion = await sdk.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'x' }], tools: chatTools });
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls).toEqual([{ id: 'call_x', type: 'function', function: { name: 'read_file', arguments: '{"path": broken' } }]);
  });

  it('records tools, the calls an assistant message carried and the tool results', async () => {
    server.enqueue(reply.text('done'));
    await sdk.chat.completions.create({
      model: 'gpt-4.1',
      tools: chatTools,
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'look' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'read_file', arguments: '{"path":"a"}' } }] },
        { role: 'tool', tool_call_id: 'call_a', content: '1\thello' },
      ],
    });
    const seen = server.requests[0]!;
    expect(seen.tools).toEqual([READ_FILE, SEARCH]);
    expect(seen.messages).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'look' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'call_a', name: 'read_file', arguments: '{"path":"a"}' }] },
      { role: 'tool', content: '', toolResults: [{ callId: 'call_a', content: '1\thello' }] },
    ]);
    expect(seen.outcome ?? (await seen.settled)).toBe('completed');
  });

  const call = (id: string) => ({ id, type: 'function' as const, function: { name: 'read_file', arguments: '{}' } });
  const REJECTED: Array<{ name: string; body: Record<string, unknown>; error: Record<string, unknown> }> = [
    {
      name: 'a tool message with no assistant tool_calls before it',
      body: { messages: [{ role: 'user', content: 'x' }, { role: 'tool', tool_call_id: 'call_a', content: 'r' }] },
      error: { message: "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.", param: 'messages.[1].role', code: null },
    },
    {
      name: 'a call left unanswered',
      body: {
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: null, tool_calls: [call('call_a'), call('call_b')] },
          { role: 'tool', tool_call_id: 'call_a', content: 'r' },
          { role: 'user', content: 'and?' },
        ],
      },
      error: {
        message: "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: call_b",
        param: 'messages.[1].role',
        code: null,
      },
    },
    {
      name: 'a tool_call_id that answers no call',
      body: { messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: null, tool_calls: [call('call_a')] }, { role: 'tool', tool_call_id: 'call_zzz', content: 'r' }] },
      error: { message: "Invalid parameter: 'tool_call_id' of 'call_zzz' not found in 'tool_calls' of previous message.", param: 'messages.[2].tool_call_id' },
    },
    {
      name: 'a tool result separated from its call by a user message',
      body: {
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: null, tool_calls: [call('call_a')] },
          { role: 'user', content: 'wait' },
          { role: 'tool', tool_call_id: 'call_a', content: 'r' },
        ],
      },
      error: { message: expect.stringContaining('The following tool_call_ids did not have response messages: call_a'), param: 'messages.[1].role' },
    },
    {
      name: 'a tool without a type',
      body: { tools: [{ function: READ_FILE }] },
      error: { message: "Missing required parameter: 'tools[0].type'.", param: 'tools[0].type', code: 'missing_required_parameter' },
    },
    {
      name: 'a tool without function',
      body: { tools: [{ type: 'function', name: 'read_file' }] },
      error: { message: "Missing required parameter: 'tools[0].function'.", param: 'tools[0].function', code: 'missing_required_parameter' },
    },
    {
      name: 'a function without a name',
      body: { tools: [chatTools[0], { type: 'function', function: { description: 'x', parameters: { type: 'object' } } }] },
      error: { message: "Missing required parameter: 'tools[1].function.name'.", param: 'tools[1].function.name', code: 'missing_required_parameter' },
    },
    {
      name: 'a name with a dot',
      body: { tools: [{ type: 'function', function: { ...READ_FILE, name: 'fs.read' } }] },
      error: {
        message: "Invalid 'tools[0].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
        param: 'tools[0].function.name',
        code: 'invalid_value',
      },
    },
    {
      name: 'a name longer than 64',
      body: { tools: [{ type: 'function', function: { ...READ_FILE, name: 'x'.repeat(65) } }] },
      error: { message: expect.stringContaining('string too long. Expected a string with maximum length 64, but got a string with length 65'), code: 'string_above_max_length' },
    },
    {
      name: 'parameters that are not an object schema',
      body: { tools: [{ type: 'function', function: { ...READ_FILE, parameters: { type: 'string' } } }] },
      error: {
        message: `Invalid schema for function 'read_file': schema must be a JSON Schema of 'type: "object"', got 'type: "string"'.`,
        param: 'tools[0].function.parameters',
        code: 'invalid_function_parameters',
      },
    },
  ];

  it.each(REJECTED)('rejects $name with its 400', async ({ body, error }) => {
    const base = { model: 'gpt-4.1', messages: [{ role: 'user', content: 'x' }] };
    const result = await rejection(sdk.chat.completions.create({ ...base, ...body } as never));
    expect(result.status).toBe(400);
    expect(result.error).toMatchObject({ type: 'invalid_request_error', ...error });
    expect(server.requests[0]!.outcome).toBe('error-reply');
    expect(server.pendingReplies).toBe(0);
  });

  it('accepts a complete exchange: every call answered, in any order', async () => {
    server.enqueue(reply.text('ok'));
    await sdk.chat.completions.create({
      model: 'gpt-4.1',
      tools: chatTools,
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', content: 'Reading.', tool_calls: [call('call_a'), call('call_b')] },
        { role: 'tool', tool_call_id: 'call_b', content: 'b' },
        { role: 'tool', tool_call_id: 'call_a', content: 'a' },
        { role: 'user', content: 'thanks' },
      ],
    });
    expect(server.requests[0]!.outcome).toBe('completed');
  });

  it('rejectTools answers a request offering tools as a server without tool support does, and lets others through', async () => {
    server.rejectTools = ['small-model'];
    server.enqueue(reply.text('plain'));
    const rejected = await rejection(sdk.chat.completions.create({ model: 'small-model', messages: [{ role: 'user', content: 'x' }], tools: chatTools }));
    expect(rejected.status).toBe(400);
    expect(rejected.error).toMatchObject({ message: expect.stringMatching(/tool choice/) });
    const plain = await sdk.chat.completions.create({ model: 'small-model', messages: [{ role: 'user', content: 'x' }] });
    expect(plain.choices[0]!.message.content).toBe('plain');
  });
});

describe('Responses API', () => {
  const input = [{ role: 'user' as const, content: 'look around' }];

  it('streams the real event sequence, numbered, with calls in argument fragments', async () => {
    server.enqueue(reply.text('Looking.', { toolCalls: CALLS, chunkSize: 5, usage: { input: 300, output: 40, cached: 256 } }));
    const stream = await sdk.responses.create({ model: 'gpt-5', input, tools: responsesTools, stream: true, store: false, include: ['reasoning.encrypted_content'] });
    const events = [];
    for await (const event of stream) events.push(event);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const types = events.map((e) => e.type).filter((t, i, all) => t !== all[i - 1]);
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const argDeltas = events.flatMap((e) => (e.type === 'response.function_call_arguments.delta' ? [e] : []));
    expect(argDeltas.every((e) => Array.from(e.delta).length <= 5)).toBe(true);
    expect(argDeltas.filter((e) => e.output_index === 2).map((e) => e.delta).join('')).toBe(JSON.stringify(CALLS[0]!.arguments));
    const done = events.flatMap((e) => (e.type === 'response.output_item.done' ? [e.item] : []));
    expect(done[0]).toMatchObject({ type: 'reasoning', encrypted_content: expect.any(String) });
    expect(done.slice(2)).toEqual(
      CALLS.map((c) => expect.objectContaining({ type: 'function_call', status: 'completed', call_id: c.id, name: c.name, arguments: JSON.stringify(c.arguments) })),
    );
    const completed = events.at(-1);
    expect(completed?.type === 'response.completed' && completed.response.usage).toMatchObject({
      input_tokens: 300,
      output_tokens: 40,
      input_tokens_details: { cached_tokens: 256 },
    });
  });

  it("satisfies the SDK's ResponseStream accumulator", async () => {
    server.enqueue(reply.text('Here you are.', { toolCalls: CALLS, chunkSize: 2 }));
    const final = await sdk.responses.stream({ model: 'gpt-5', input, tools: responsesTools }).finalResponse();
    expect(final.output_text).toBe('Here you are.');
    expect(final.output.filter((i) => i.type === 'function_call').map((i) => (i.type === 'function_call' ? [i.call_id, i.arguments] : []))).toEqual(
      CALLS.map((c) => [c.id, JSON.stringify(c.arguments)]),
    );
  });

  it('answers a non-streamed request with the response object, and a length stop as incomplete', async () => {
    server.enqueue(reply.text('whole', { usage: { input: 9, output: 2 } }), reply.text('cut', { finish: 'length' }));
    const whole = await sdk.responses.create({ model: 'gpt-5', input });
    expect(whole).toMatchObject({ object: 'response', status: 'completed', output_text: 'whole', usage: { input_tokens: 9, output_tokens: 2 } });
    const cut = await sdk.responses.create({ model: 'gpt-5', input });
    expect(cut).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
  });

  it('records instructions, tools, calls (joined to the assistant message) and outputs like the chat wire', async () => {
    server.enqueue(reply.text('ok'));
    await sdk.responses.create({
      model: 'gpt-5',
      instructions: 'be brief',
      tools: responsesTools,
      store: false,
      input: [
        { role: 'user', content: 'look' },
        { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'opaque' },
        { role: 'assistant', content: 'Reading.' },
        { type: 'function_call', call_id: 'call_a', name: 'read_file', arguments: '{"path":"a"}' },
        { type: 'function_call', call_id: 'call_b', name: 'search', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_a', output: 'A' },
        { type: 'function_call_output', call_id: 'call_b', output: 'B' },
      ],
    });
    const seen = server.requests[0]!;
    expect(seen.path).toBe('/v1/responses');
    expect(seen.system).toBe('be brief');
    expect(seen.tools).toEqual([READ_FILE, SEARCH]);
    expect(seen.messages).toEqual([
      { role: 'user', content: 'look' },
      {
        role: 'assistant',
        content: 'Reading.',
        toolCalls: [
          { id: 'call_a', name: 'read_file', arguments: '{"path":"a"}' },
          { id: 'call_b', name: 'search', arguments: '{}' },
        ],
      },
      { role: 'tool', content: '', toolResults: [{ callId: 'call_a', content: 'A' }] },
      { role: 'tool', content: '', toolResults: [{ callId: 'call_b', content: 'B' }] },
    ]);
  });

  const fc = (id: string) => ({ type: 'function_call', call_id: id, name: 'read_file', arguments: '{}' });
  const REJECTED: Array<{ name: string; body: Record<string, unknown>; status?: number; error: Record<string, unknown> }> = [
    {
      name: 'an output for a call that is not in the input',
      body: { input: [{ role: 'user', content: 'x' }, fc('call_a'), { type: 'function_call_output', call_id: 'call_q', output: 'r' }] },
      error: { message: 'No tool call found for function call output with call_id call_q.', param: 'input' },
    },
    {
      name: 'an output before its call',
      body: { input: [{ role: 'user', content: 'x' }, { type: 'function_call_output', call_id: 'call_a', output: 'r' }, fc('call_a')] },
      error: { message: 'No tool call found for function call output with call_id call_a.' },
    },
    {
      name: 'a call without an output',
      body: { input: [{ role: 'user', content: 'x' }, fc('call_a'), fc('call_b'), { type: 'function_call_output', call_id: 'call_a', output: 'r' }] },
      error: { message: 'No tool output found for function call call_b.' },
    },
    {
      name: 'a chat-completions-shaped tool',
      body: { tools: chatTools },
      error: { message: "Missing required parameter: 'tools[0].name'.", param: 'tools[0].name', code: 'missing_required_parameter' },
    },
    {
      name: 'a bad tool name',
      body: { tools: [{ ...responsesTools[0], name: 'read file' }] },
      error: { message: expect.stringContaining("Invalid 'tools[0].name': string does not match pattern"), code: 'invalid_value' },
    },
    {
      name: 'parameters without type object',
      body: { tools: [{ ...responsesTools[0], parameters: { properties: {} } }] },
      error: { message: `Invalid schema for function 'read_file': schema must be a JSON Schema of 'type: "object"', got 'type: "None"'.`, param: 'tools[0].parameters' },
    },
    {
      name: 'a reasoning item without its encrypted content when nothing is stored',
      body: { store: false, input: [{ role: 'user', content: 'x' }, { type: 'reasoning', id: 'rs_9', summary: [] }, { role: 'assistant', content: 'y' }] },
      status: 404,
      error: { message: expect.stringContaining("Item with id 'rs_9' not found. Items are not persisted when `store` is set to false.") },
    },
  ];

  it.each(REJECTED)('rejects $name', async ({ body, status, error }) => {
    const result = await rejection(sdk.responses.create({ model: 'gpt-5', input, ...body } as never));
    expect(result.status).toBe(status ?? 400);
    expect(result.error).toMatchObject({ type: 'invalid_request_error', ...error });
  });

  it('a stream error arrives as the SDK sees it: response.failed as an event, a rate limit as a thrown error', async () => {
    server.enqueue(reply.text('abcdefghij', { chunkSize: 2, streamError: { afterFrames: 5, error: 'server' } }));
    const events = [];
    for await (const event of await sdk.responses.create({ model: 'gpt-5', input, stream: true })) events.push(event);
    const failed = events.at(-1);
    expect(failed).toMatchObject({ type: 'response.failed', sequence_number: 5, response: { status: 'failed', error: { code: 'server_error' } } });

    server.enqueue(reply.text('abcdefghij', { chunkSize: 2, streamError: { afterFrames: 4, error: 'rate_limit' } }));
    const thrown = await rejection(
      (async () => {
        for await (const event of await sdk.responses.create({ model: 'gpt-5', input, stream: true })) void event;
      })(),
    );
    expect(thrown).toEqual({ status: undefined, error: { type: 'too_many_requests', code: 'too_many_requests', message: 'Too Many Requests', param: null } });
  });

  it('faults work on this wire too: a cut, and a malformed frame', async () => {
    server.enqueue(reply.text('abcdefghij', { chunkSize: 2, cut: { afterFrames: 6 } }), reply.text('abcdefghij', { garbageAfterFrames: 3 }));
    const read = async (): Promise<string[]> => {
      const types: string[] = [];
      for await (const event of await sdk.responses.create({ model: 'gpt-5', input, stream: true })) types.push(event.type);
      return types;
    };
    await expect(read()).rejects.toThrow();
    expect(await server.requests[0]!.settled).toBe('cut');
    await expect(read()).rejects.toThrow(SyntaxError);
  });

  it('rejectTools turns away a Responses request offering tools', async () => {
    server.rejectTools = true;
    const rejected = await rejection(sdk.responses.create({ model: 'gpt-5', input, tools: responsesTools }));
    expect(rejected.status).toBe(400);
  });
});
