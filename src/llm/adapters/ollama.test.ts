import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reply, startFakeLlm, type FakeLlmServer, type RecordedRequest } from '../../../test/fake-llm/index.js';
import { collectReply, createLlmClient } from '../client.js';
import type { ChatMessage, LlmRequest, ToolSpec } from '../types.js';
import { failure } from '../../../test/helpers/assist-failure.js';

// The tool loop on Ollama's /api/chat: the real `ollama` client against the fake server on 127.0.0.1.
let server: FakeLlmServer;
beforeEach(async () => {
  server = await startFakeLlm();
});
afterEach(async () => {
  await server.close();
});

const MODEL = 'ollama/qwen2.5-coder';
const FAST = { retry: { baseDelayMs: 1, maxDelayMs: 5 }, timeouts: { firstEventMs: 2_000, idleMs: 2_000 } };
const TOOLS: ToolSpec[] = [
  {
    name: 'read_file',
    description: 'Read a file of the repository.',
    parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
  },
  {
    name: 'list_files',
    description: 'List files.',
    parameters: { type: 'object', properties: { pattern: { type: 'string' } } },
  },
];
const ASK: ChatMessage = { role: 'user', content: 'What does the README say?' };

function llm() {
  return createLlmClient({ env: server.env(), ...FAST });
}

function request(messages: ChatMessage[], extra: Partial<LlmRequest> = {}): LlmRequest {
  return { model: MODEL, system: 'You are terse.', messages, maxOutputTokens: 256, tools: TOOLS, ...extra };
}

type WireMessage = { role: string; content: string; tool_calls?: Array<{ function: { name: string; arguments: unknown } }>; tool_name?: string };
const wire = (r: RecordedRequest): { messages: WireMessage[]; tools?: unknown } => r.body as { messages: WireMessage[]; tools?: unknown };

describe('Ollama tool calling', () => {
  it('runs a two-step loop: whole calls get ids, results go back as tool messages named by tool, arguments as objects', async () => {
    server.enqueue(
      reply.text('Checking.', {
        toolCalls: [
          { name: 'list_files', arguments: { pattern: '*.md' } },
          { name: 'read_file', arguments: { path: 'README.md' } },
        ],
        usage: { input: 300, output: 20 },
      }),
      reply.text('It says hello.', { usage: { input: 420, output: 6 } }),
    );
    const client = llm();
    const first = await collectReply(client.stream(request([ASK])));
    expect(first.text).toBe('Checking.');
    expect(first.stopReason).toBe('tool_use');
    expect(first.toolCalls).toEqual([
      { id: 'call_0', name: 'list_files', arguments: '{"pattern":"*.md"}' },
      { id: 'call_1', name: 'read_file', arguments: '{"path":"README.md"}' },
    ]);
    expect(first.usage).toEqual({ inputTokens: 300, outputTokens: 20, estimated: false });

    const history: ChatMessage[] = [
      ASK,
      { role: 'assistant', content: first.text, toolCalls: first.toolCalls },
      {
        role: 'tool',
        content: '',
        results: [
          { callId: 'call_0', name: 'list_files', content: 'README.md' },
          { callId: 'call_1', name: 'read_file', content: '1\thello' },
        ],
      },
    ];
    const second = await collectReply(client.stream(request(history)));
    expect(second).toMatchObject({ text: 'It says hello.', stopReason: 'end', toolCalls: [] });

    const [one, two] = server.requests;
    expect(one!.tools?.map((t) => t.name)).toEqual(['read_file', 'list_files']);
    expect(wire(one!).tools).toEqual(TOOLS.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } })));
    expect(two!.outcome).toBe('completed');
    expect(wire(two!).messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: ASK.content },
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [{ function: { name: 'list_files', arguments: { pattern: '*.md' } } }, { function: { name: 'read_file', arguments: { path: 'README.md' } } }],
      },
      { role: 'tool', content: 'README.md', tool_name: 'list_files' },
      { role: 'tool', content: '1\thello', tool_name: 'read_file' },
    ]);
    expect(two!.messages[2]!.toolCalls?.map((c) => c.arguments)).toEqual(['{"pattern":"*.md"}', '{"path":"README.md"}']);
  });

  it('numbers the calls of a later step after the earlier ones, the same on a retry', async () => {
    const calls = [{ name: 'read_file', arguments: { path: 'b.md' } }];
    server.enqueue(reply.serverError(), reply.text('', { toolCalls: calls }));
    const history: ChatMessage[] = [
      ASK,
      { role: 'assistant', content: '', toolCalls: [{ id: 'call_0', name: 'read_file', arguments: '{"path":"a.md"}' }] },
      { role: 'tool', content: '', results: [{ callId: 'call_0', name: 'read_file', content: 'see b.md' }] },
    ];
    const done = await collectReply(llm().stream(request(history)));
    expect(done.attempts).toBe(2);
    expect(done.toolCalls).toEqual([{ id: 'call_1', name: 'read_file', arguments: '{"path":"b.md"}' }]);
  });

  it('a call whose arguments are not an object goes back as {}, which Ollama accepts', async () => {
    server.enqueue(reply.text('ok'));
    const history: ChatMessage[] = [
      ASK,
      { role: 'assistant', content: '', toolCalls: [{ id: 'call_0', name: 'read_file', arguments: 'path=a.md' }] },
      { role: 'tool', content: '', results: [{ callId: 'call_0', name: 'read_file', content: 'arguments are not valid JSON', isError: true }] },
    ];
    expect((await collectReply(llm().stream(request(history)))).text).toBe('ok');
    expect(wire(server.requests[0]!).messages[2]!.tool_calls).toEqual([{ function: { name: 'read_file', arguments: {} } }]);
  });

  it('a model without tool support is reported as llm.tools-unsupported, once, without retries', async () => {
    server.rejectTools = ['qwen2.5-coder'];
    const error = await failure(collectReply(llm().stream(request([ASK]))));
    expect(error.code).toBe('llm.tools-unsupported');
    expect(error.message).toContain('registry.ollama.ai/library/qwen2.5-coder:latest does not support tools');
    expect(server.requests).toHaveLength(1);
    // The same model still answers without tools.
    server.enqueue(reply.text('text mode'));
    expect((await collectReply(llm().stream(request([ASK], { tools: [] })))).text).toBe('text mode');
  });

  it('a malformed tool history is a bad request, not a missing capability', async () => {
    const history: ChatMessage[] = [ASK, { role: 'assistant', content: 'Sure.' }, { role: 'tool', content: '', results: [{ callId: 'call_9', name: 'read_file', content: 'x' }] }];
    const error = await failure(collectReply(llm().stream(request(history))));
    expect(error.code).toBe('llm.bad-request');
    expect(error.message).toContain('a "tool" message must follow an assistant message with tool_calls');
  });

  it('a busy server in the middle of a loop is retried', async () => {
    server.enqueue(reply.overloaded(), reply.text('', { toolCalls: [{ name: 'list_files', arguments: {} }] }));
    const done = await collectReply(llm().stream(request([ASK])));
    expect(done).toMatchObject({ attempts: 2, toolCalls: [{ id: 'call_0', name: 'list_files', arguments: '{}' }] });
    expect(server.requests.map((r) => r.outcome)).toEqual(['error-reply', 'completed']);
  });
});
