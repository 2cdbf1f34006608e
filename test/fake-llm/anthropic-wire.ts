import { flattenContent, isRecord } from './estimate.js';
import { numberOrUndefined, stringOrUndefined, type ReplyContext, type WireError, type WireProtocol } from './protocol.js';
import type { ErrorKind, RecordedMessage } from './types.js';

const STATUS: Record<ErrorKind, [number, string]> = {
  rate_limit: [429, 'rate_limit_error'],
  server: [500, 'api_error'],
  overloaded: [529, 'overloaded_error'],
  auth: [401, 'authentication_error'],
  not_found: [404, 'not_found_error'],
  bad_request: [400, 'invalid_request_error'],
  context_length: [400, 'invalid_request_error'],
};

function defaultMessage(kind: ErrorKind, model: string | undefined): string {
  switch (kind) {
    case 'rate_limit':
      return 'This request would exceed the rate limit for your organization of 50 requests per minute. Please try again later.';
    case 'server':
      return 'Internal server error';
    case 'overloaded':
      return 'Overloaded';
    case 'auth':
      return 'invalid x-api-key';
    case 'not_found':
      return `model: ${model ?? 'unknown'}`;
    case 'context_length':
      return 'prompt is too long';
    case 'bad_request':
      return 'Invalid request.';
  }
}

function errorBody(kind: ErrorKind, message: string | undefined, model: string | undefined): { type: 'error'; error: { type: string; message: string } } {
  return { type: 'error', error: { type: STATUS[kind][1], message: message ?? defaultMessage(kind, model) } };
}

function errorFor(kind: ErrorKind, message: string | undefined, model: string | undefined): WireError {
  return { status: STATUS[kind][0], body: errorBody(kind, message, model) };
}

function flattenSystem(system: unknown): string | undefined {
  if (system === undefined || system === null) return undefined;
  return flattenContent(system);
}

function blocksOf(content: unknown): unknown[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return Array.isArray(content) ? content : [];
}

/** One message as recorded: its text, and its tool_use / tool_result blocks apart. */
function recordMessage(m: unknown): RecordedMessage {
  if (!isRecord(m)) return { role: 'unknown', content: '' };
  const blocks = blocksOf(m['content']);
  const text = blocks.filter((b) => !isRecord(b) || (b['type'] !== 'tool_use' && b['type'] !== 'tool_result'));
  const message: RecordedMessage = { role: String(m['role']), content: typeof m['content'] === 'string' ? m['content'] : flattenContent(text) };
  const calls = blocks.filter((b): b is Record<string, unknown> => isRecord(b) && b['type'] === 'tool_use');
  if (calls.length > 0) message.toolCalls = calls.map((b) => ({ id: String(b['id']), name: String(b['name']), arguments: JSON.stringify(b['input'] ?? {}) }));
  const results = blocks.filter((b): b is Record<string, unknown> => isRecord(b) && b['type'] === 'tool_result');
  if (results.length > 0) {
    message.toolResults = results.map((b) => ({
      callId: String(b['tool_use_id']),
      content: flattenContent(b['content'] ?? ''),
      ...(b['is_error'] === true ? { isError: true } : {}),
    }));
  }
  return message;
}

/** Every block that may carry `cache_control`: system blocks, tools, message blocks and what tool results nest. */
function cacheableBlocks(body: Record<string, unknown>): unknown[] {
  const out: unknown[] = [];
  if (Array.isArray(body['system'])) out.push(...body['system']);
  if (Array.isArray(body['tools'])) out.push(...body['tools']);
  for (const m of Array.isArray(body['messages']) ? body['messages'] : []) {
    if (!isRecord(m)) continue;
    for (const block of blocksOf(m['content'])) {
      out.push(block);
      if (isRecord(block) && block['type'] === 'tool_result' && Array.isArray(block['content'])) out.push(...block['content']);
    }
  }
  return out;
}

function countBreakpoints(body: Record<string, unknown>): number {
  return cacheableBlocks(body).filter((b) => isRecord(b) && b['cache_control'] !== undefined && b['cache_control'] !== null).length;
}

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;
const invalid = (message: string): WireError => errorFor('bad_request', message, undefined);

function validateTools(tools: unknown): WireError | undefined {
  if (tools === undefined) return undefined;
  if (!Array.isArray(tools)) return invalid('tools: Input should be a valid list');
  for (const [n, tool] of tools.entries()) {
    if (!isRecord(tool)) return invalid(`tools.${n}: Input should be a valid dictionary`);
    // Client tools carry no `type` (or `custom`); the API names them so in its messages.
    if (typeof tool['name'] !== 'string') return invalid(`tools.${n}.custom.name: Field required`);
    if (!TOOL_NAME.test(tool['name'])) return invalid(`tools.${n}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`);
    const schema = tool['input_schema'];
    if (schema === undefined) return invalid(`tools.${n}.custom.input_schema: Field required`);
    if (!isRecord(schema)) return invalid(`tools.${n}.custom.input_schema: Input should be a valid dictionary`);
    if (schema['type'] === undefined) return invalid(`tools.${n}.custom.input_schema.type: Field required`);
    if (schema['type'] !== 'object') return invalid(`tools.${n}.custom.input_schema.type: Input should be 'object'`);
  }
  return undefined;
}

/**
 * The pairing rules of the messages API: the user message right after an assistant message with
 * `tool_use` blocks must open with a `tool_result` for each of them (a result after a text block
 * does not count, as the real service checks), and every `tool_result` must answer a `tool_use`
 * of the assistant message right before it.
 */
function validateToolPairs(messages: unknown[]): WireError | undefined {
  for (const [i, m] of messages.entries()) {
    if (!isRecord(m)) continue;
    const blocks = blocksOf(m['content']);
    if (m['role'] === 'assistant') {
      for (const [j, block] of blocks.entries()) {
        if (isRecord(block) && block['type'] === 'tool_use' && !isRecord(block['input'])) return invalid(`messages.${i}.content.${j}.tool_use.input: Input should be a valid dictionary`);
      }
      const ids = blocks.filter((b): b is Record<string, unknown> => isRecord(b) && b['type'] === 'tool_use').map((b) => String(b['id']));
      if (ids.length === 0) continue;
      const next = messages[i + 1];
      const leading: string[] = [];
      if (isRecord(next) && next['role'] === 'user') {
        for (const block of blocksOf(next['content'])) {
          if (!isRecord(block) || block['type'] !== 'tool_result') break;
          leading.push(String(block['tool_use_id']));
        }
      }
      const missing = ids.filter((id) => !leading.includes(id));
      if (missing.length > 0) {
        return invalid(
          `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
        );
      }
    } else {
      const previous = messages[i - 1];
      const answerable = new Set(
        isRecord(previous) && previous['role'] === 'assistant'
          ? blocksOf(previous['content'])
              .filter((b): b is Record<string, unknown> => isRecord(b) && b['type'] === 'tool_use')
              .map((b) => String(b['id']))
          : [],
      );
      for (const [j, block] of blocks.entries()) {
        if (!isRecord(block) || block['type'] !== 'tool_result') continue;
        const id = String(block['tool_use_id']);
        if (!answerable.has(id)) {
          return invalid(
            `messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
          );
        }
      }
    }
  }
  return undefined;
}

const event = (name: string, data: unknown): string => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

function stopReason(ctx: ReplyContext): string {
  return ctx.finish === 'length' ? 'max_tokens' : ctx.finish === 'tool_calls' ? 'tool_use' : 'end_turn';
}

/** Anthropic reports cached prompt tokens apart: `input_tokens` is only the uncached rest. */
function usageOf(usage: NonNullable<ReplyContext['usage']>, output: number): Record<string, number> {
  const cached = Math.min(usage.cached, usage.input);
  return { input_tokens: usage.input - cached, output_tokens: output, cache_creation_input_tokens: 0, cache_read_input_tokens: cached };
}

function toolUseBlock(call: ReplyContext['toolCalls'][number], input: unknown): Record<string, unknown> {
  return { type: 'tool_use', id: call.id, name: call.name, input, caller: { type: 'direct' } };
}

/** What `input` would hold: the arguments as an object (a scripted non-object is sent as is, to see the client cope). */
function parsedInput(args: string): unknown {
  try {
    return JSON.parse(args);
  } catch {
    return args;
  }
}

function fragments(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** Anthropic messages: JSON, or named SSE events from message_start to message_stop. */
export const anthropicWire: WireProtocol = {
  provider: 'anthropic',
  parse(body) {
    const messages = Array.isArray(body['messages']) ? body['messages'] : [];
    const tools = Array.isArray(body['tools']) ? body['tools'] : undefined;
    return {
      model: stringOrUndefined(body['model']),
      stream: body['stream'] === true,
      system: flattenSystem(body['system']),
      messages: messages.map(recordMessage),
      tools: tools?.map((t: unknown) => ({
        name: isRecord(t) ? String(t['name']) : '',
        description: isRecord(t) ? stringOrUndefined(t['description']) : undefined,
        parameters: isRecord(t) ? t['input_schema'] : undefined,
      })),
      cacheBreakpoints: countBreakpoints(body),
      includeUsage: false,
      maxTokens: numberOrUndefined(body['max_tokens']),
      options: undefined,
    };
  },
  validate(body) {
    const found = countBreakpoints(body);
    if (found > 4) return invalid(`A maximum of 4 blocks with cache_control may be provided. Found ${found}.`);
    return validateTools(body['tools']) ?? validateToolPairs(Array.isArray(body['messages']) ? body['messages'] : []);
  },
  error: errorFor,
  contextError(promptTokens, limit, model) {
    return errorFor('context_length', `prompt is too long: ${promptTokens} tokens > ${limit} maximum`, model);
  },
  complete(_reply, ctx) {
    const text = ctx.pieces.join('');
    // A reply that only calls tools has no text block at all.
    const content: unknown[] = text === '' && ctx.toolCalls.length > 0 ? [] : [{ type: 'text', text }];
    for (const call of ctx.toolCalls) content.push(toolUseBlock(call, parsedInput(call.arguments)));
    const body: Record<string, unknown> = {
      id: ctx.id,
      type: 'message',
      role: 'assistant',
      model: ctx.model,
      content,
      stop_reason: stopReason(ctx),
      stop_sequence: null,
    };
    if (ctx.usage) body['usage'] = usageOf(ctx.usage, ctx.usage.output);
    return body;
  },
  streamContentType: 'text/event-stream; charset=utf-8',
  streamFrames(ctx) {
    const message: Record<string, unknown> = {
      id: ctx.id,
      type: 'message',
      role: 'assistant',
      model: ctx.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
    };
    // The real service reports input tokens up front and the output count at the end.
    if (ctx.usage) message['usage'] = usageOf(ctx.usage, 1);
    const frames = [event('message_start', { type: 'message_start', message })];
    let index = 0;
    const ping = (): void => {
      if (index === 0) frames.push(event('ping', { type: 'ping' }));
    };
    if (ctx.pieces.length > 0 || ctx.toolCalls.length === 0) {
      frames.push(event('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }));
      ping();
      for (const piece of ctx.pieces) {
        frames.push(event('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } }));
      }
      frames.push(event('content_block_stop', { type: 'content_block_stop', index }));
      index++;
    }
    // tool_use blocks start with an empty input, then stream it as JSON fragments (the first one empty).
    for (const call of ctx.toolCalls) {
      frames.push(event('content_block_start', { type: 'content_block_start', index, content_block: toolUseBlock(call, {}) }));
      ping();
      for (const partial of ['', ...fragments(call.arguments, ctx.chunkSize)]) {
        frames.push(event('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: partial } }));
      }
      frames.push(event('content_block_stop', { type: 'content_block_stop', index }));
      index++;
    }
    const delta: Record<string, unknown> = { type: 'message_delta', delta: { stop_reason: stopReason(ctx), stop_sequence: null } };
    if (ctx.usage) delta['usage'] = { output_tokens: ctx.usage.output };
    frames.push(event('message_delta', delta));
    frames.push(event('message_stop', { type: 'message_stop' }));
    return frames;
  },
  streamErrorFrame(kind, message, model) {
    return event('error', errorBody(kind, message, model));
  },
  garbageFrame: 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":\n\n',
  headers(requestId) {
    return { 'request-id': requestId, 'anthropic-organization-id': 'org-fake' };
  },
};
