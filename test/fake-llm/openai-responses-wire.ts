import { flattenContent, isRecord } from './estimate.js';
import { errorFor, fragments, openaiError, recordedResponsesTools, toolsRejectedError, validateTools, type ToolFields } from './openai-wire.js';
import { numberOrUndefined, stringOrUndefined, type ReplyContext, type WireError, type WireProtocol } from './protocol.js';
import type { RecordedMessage } from './types.js';

/** Tool types the Responses API knows besides `function`; the fake checks only functions. */
const BUILT_IN_TOOLS = new Set(['file_search', 'web_search', 'web_search_preview', 'computer_use_preview', 'mcp', 'code_interpreter', 'image_generation', 'local_shell', 'shell', 'custom', 'apply_patch']);

function responsesToolFields(tool: Record<string, unknown>, at: string): ToolFields {
  if (tool['type'] === 'function') return { fn: tool, at };
  if (typeof tool['type'] === 'string' && BUILT_IN_TOOLS.has(tool['type'])) return undefined;
  return openaiError(400, `Invalid value: '${String(tool['type'])}'. Supported values are: 'function', ${[...BUILT_IN_TOOLS].map((t) => `'${t}'`).join(', ')}.`, 'invalid_request_error', 'invalid_value', `${at}.type`);
}

const invalidInput = (message: string, param: string | null = 'input', code: string | null = null): WireError => openaiError(400, message, 'invalid_request_error', code, param);

/** The Responses checks of `input`: outputs answer earlier calls, calls get outputs, stateless reasoning carries its content. */
function validateInput(body: Record<string, unknown>): WireError | undefined {
  const input = body['input'];
  if (!Array.isArray(input)) return undefined;
  const calls = new Set<string>();
  const answered = new Set<string>();
  for (const [i, item] of input.entries()) {
    if (!isRecord(item)) continue;
    const type = item['type'];
    if (type === 'reasoning' && body['store'] === false && typeof item['encrypted_content'] !== 'string') {
      // Without `store`, a reasoning item is only usable with the encrypted content it came with.
      return openaiError(
        404,
        `Item with id '${String(item['id'])}' not found. Items are not persisted when \`store\` is set to false. Try again with \`store\` set to true, or remove this item from your input.`,
        'invalid_request_error',
        null,
        'input',
      );
    }
    if (type === 'function_call') {
      if (typeof item['call_id'] !== 'string') return invalidInput(`Missing required parameter: 'input[${i}].call_id'.`, `input[${i}].call_id`, 'missing_required_parameter');
      calls.add(item['call_id']);
    } else if (type === 'function_call_output') {
      const id = item['call_id'];
      if (typeof id !== 'string') return invalidInput(`Missing required parameter: 'input[${i}].call_id'.`, `input[${i}].call_id`, 'missing_required_parameter');
      if (!calls.has(id)) return invalidInput(`No tool call found for function call output with call_id ${id}.`);
      answered.add(id);
    }
  }
  for (const id of calls) if (!answered.has(id)) return invalidInput(`No tool output found for function call ${id}.`);
  return undefined;
}

/**
 * Input items as recorded messages, shaped like the chat-completions wire's: a `function_call` joins
 * the assistant message right before it (or opens one), each `function_call_output` is a `tool`
 * message. Reasoning items are not messages (they stay in the raw body).
 */
function recordedInput(input: unknown): RecordedMessage[] {
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  if (!Array.isArray(input)) return [];
  const out: RecordedMessage[] = [];
  for (const item of input) {
    if (!isRecord(item)) continue;
    const type = item['type'];
    if (type === 'reasoning') continue;
    if (type === 'function_call') {
      const call = { id: String(item['call_id'] ?? ''), name: String(item['name'] ?? ''), arguments: String(item['arguments'] ?? '') };
      const last = out.at(-1);
      if (last?.role === 'assistant') (last.toolCalls ??= []).push(call);
      else out.push({ role: 'assistant', content: '', toolCalls: [call] });
    } else if (type === 'function_call_output') {
      out.push({ role: 'tool', content: '', toolResults: [{ callId: String(item['call_id'] ?? ''), content: flattenContent(item['output']) }] });
    } else if (type === 'message' || (type === undefined && typeof item['role'] === 'string')) {
      out.push({ role: String(item['role']), content: flattenContent(item['content']) });
    } else {
      out.push({ role: String(type), content: '' });
    }
  }
  return out;
}

/** Ids of one reply's objects, from the server's per-request id. */
function ids(ctx: ReplyContext): { response: string; reasoning: string; message: string; call: (n: number) => string } {
  const suffix = ctx.id.replace(/^[a-z]+-fake/, '');
  return { response: `resp_fake${suffix}`, reasoning: `rs_fake${suffix}`, message: `msg_fake${suffix}`, call: (n) => `fc_fake${suffix}_${n}` };
}

function responseObject(ctx: ReplyContext, status: string, output: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: ids(ctx).response,
    object: 'response',
    created_at: ctx.created,
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: null,
    model: ctx.model,
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: 'medium', summary: null },
    store: false,
    temperature: 1,
    text: { format: { type: 'text' }, verbosity: 'medium' },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage: null,
    user: null,
    metadata: {},
    ...extra,
  };
}

function usageBody(ctx: ReplyContext): Record<string, unknown> | null {
  if (!ctx.usage) return null;
  return {
    input_tokens: ctx.usage.input,
    input_tokens_details: { cached_tokens: ctx.usage.cached },
    output_tokens: ctx.usage.output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: ctx.usage.input + ctx.usage.output,
  };
}

/** Every output item of the reply as `response.output_item.done` carries it: reasoning, the message, the calls. */
function finalItems(ctx: ReplyContext): Array<Record<string, unknown>> {
  const id = ids(ctx);
  const truncated = ctx.finish === 'length';
  const items: Array<Record<string, unknown>> = [
    { id: id.reasoning, type: 'reasoning', summary: [], encrypted_content: Buffer.from(`fake-reasoning:${id.response}`).toString('base64') },
  ];
  if (ctx.pieces.length > 0 || ctx.toolCalls.length === 0) {
    items.push({
      id: id.message,
      type: 'message',
      status: truncated ? 'incomplete' : 'completed',
      content: [{ type: 'output_text', annotations: [], logprobs: [], text: ctx.pieces.join('') }],
      role: 'assistant',
    });
  }
  for (const [n, call] of ctx.toolCalls.entries()) {
    items.push({ id: id.call(n), type: 'function_call', status: 'completed', arguments: call.arguments, call_id: call.id, name: call.name });
  }
  return items;
}

function finalResponse(ctx: ReplyContext): Record<string, unknown> {
  const output = finalItems(ctx);
  const usage = usageBody(ctx);
  if (ctx.finish === 'length') return responseObject(ctx, 'incomplete', output, { incomplete_details: { reason: 'max_output_tokens' }, usage });
  return responseObject(ctx, 'completed', output, { usage });
}

const sse = (event: Record<string, unknown> & { type: string }): string => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;

/** The Responses API: JSON, or SSE events with `event:` names and a `sequence_number` each. */
export const openaiResponsesWire: WireProtocol = {
  provider: 'openai',
  parse(body) {
    return {
      model: stringOrUndefined(body['model']),
      stream: body['stream'] === true,
      system: stringOrUndefined(body['instructions']),
      messages: recordedInput(body['input']),
      tools: recordedResponsesTools(body['tools']),
      includeUsage: false,
      maxTokens: numberOrUndefined(body['max_output_tokens']),
      options: undefined,
    };
  },
  validate(body) {
    return validateTools(body['tools'], responsesToolFields) ?? validateInput(body);
  },
  toolsRejected: toolsRejectedError,
  error: errorFor,
  contextError(_promptTokens, _limit, model) {
    return errorFor('context_length', 'Your input exceeds the context window of this model. Please adjust your input and try again.', model);
  },
  complete(_reply, ctx) {
    return finalResponse(ctx);
  },
  streamContentType: 'text/event-stream; charset=utf-8',
  streamFrames(ctx) {
    const frames: string[] = [];
    let sequence = 0;
    const push = (type: string, fields: Record<string, unknown>): void => {
      frames.push(sse({ type, sequence_number: sequence++, ...fields }));
    };
    push('response.created', { response: responseObject(ctx, 'in_progress', []) });
    push('response.in_progress', { response: responseObject(ctx, 'in_progress', []) });
    const items = finalItems(ctx);
    for (const [outputIndex, item] of items.entries()) {
      const itemId = item['id'];
      if (item['type'] === 'reasoning') {
        push('response.output_item.added', { output_index: outputIndex, item: { id: itemId, type: 'reasoning', summary: [] } });
      } else if (item['type'] === 'message') {
        const text = ctx.pieces.join('');
        const part = (value: string): Record<string, unknown> => ({ type: 'output_text', annotations: [], logprobs: [], text: value });
        push('response.output_item.added', { output_index: outputIndex, item: { id: itemId, type: 'message', status: 'in_progress', content: [], role: 'assistant' } });
        push('response.content_part.added', { item_id: itemId, output_index: outputIndex, content_index: 0, part: part('') });
        for (const piece of ctx.pieces) push('response.output_text.delta', { item_id: itemId, output_index: outputIndex, content_index: 0, delta: piece, logprobs: [] });
        push('response.output_text.done', { item_id: itemId, output_index: outputIndex, content_index: 0, text, logprobs: [] });
        push('response.content_part.done', { item_id: itemId, output_index: outputIndex, content_index: 0, part: part(text) });
      } else {
        const args = String(item['arguments']);
        push('response.output_item.added', { output_index: outputIndex, item: { ...item, status: 'in_progress', arguments: '' } });
        for (const piece of fragments(args, ctx.chunkSize)) push('response.function_call_arguments.delta', { item_id: itemId, output_index: outputIndex, delta: piece });
        push('response.function_call_arguments.done', { item_id: itemId, output_index: outputIndex, name: item['name'], arguments: args });
      }
      push('response.output_item.done', { output_index: outputIndex, item });
    }
    const response = finalResponse(ctx);
    push(ctx.finish === 'length' ? 'response.incomplete' : 'response.completed', { response });
    return frames;
  },
  streamErrorFrame(kind, message, model, sequence = 0) {
    if (kind === 'server' || kind === 'overloaded') {
      const { body } = errorFor(kind, message, model);
      const error = (body as { error: { message: string } }).error;
      return sse({
        type: 'response.failed',
        sequence_number: sequence,
        response: { id: 'resp_fake_failed', object: 'response', status: 'failed', model: model ?? 'fake-model', output: [], usage: null, error: { code: 'server_error', message: error.message } },
      });
    }
    // What the service sends when a stream hits its rate limit (the SDK's types describe a flat shape; the wire nests it).
    const nested =
      kind === 'rate_limit'
        ? { type: 'too_many_requests', code: 'too_many_requests', message: message ?? 'Too Many Requests', param: null }
        : (errorFor(kind, message, model).body as { error: Record<string, unknown> }).error;
    return sse({ type: 'error', sequence_number: sequence, error: nested });
  },
  garbageFrame: 'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":\n\n',
  headers(requestId) {
    return { 'x-request-id': requestId, 'openai-processing-ms': '1', 'openai-version': '2020-10-01' };
  },
};
