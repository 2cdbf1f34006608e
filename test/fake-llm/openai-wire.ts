import { flattenContent, isRecord } from './estimate.js';
import { numberOrUndefined, stringOrUndefined, type ReplyContext, type WireError, type WireProtocol } from './protocol.js';
import type { ErrorKind, RecordedMessage, RecordedTool } from './types.js';

export function openaiError(status: number, message: string, type: string, code: string | null, param: string | null = null): WireError {
  return { status, body: { error: { message, type, param, code } } };
}

const invalid = (message: string, param: string | null, code: string | null = null): WireError => openaiError(400, message, 'invalid_request_error', code, param);

/** How OpenAI names a JSON value's type in its 400s. */
function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a decimal';
  if (typeof value === 'boolean') return 'a boolean';
  return 'a string';
}

/**
 * OpenAI's checks of one function tool, with its error texts. `at` is where the function's fields
 * sit (`tools[0].function` in chat completions, `tools[0]` in Responses).
 */
export function validateFunction(fn: Record<string, unknown>, at: string): WireError | undefined {
  const name = fn['name'];
  if (name === undefined) return invalid(`Missing required parameter: '${at}.name'.`, `${at}.name`, 'missing_required_parameter');
  if (typeof name !== 'string') return invalid(`Invalid type for '${at}.name': expected a string, but got ${typeName(name)} instead.`, `${at}.name`, 'invalid_type');
  if (name.length > 64) {
    return invalid(
      `Invalid '${at}.name': string too long. Expected a string with maximum length 64, but got a string with length ${name.length} instead.`,
      `${at}.name`,
      'string_above_max_length',
    );
  }
  if (!/^[a-zA-Z0-9_-]+$/.test(name)) {
    return invalid(`Invalid '${at}.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`, `${at}.name`, 'invalid_value');
  }
  const description = fn['description'];
  if (description !== undefined && description !== null && typeof description !== 'string') {
    return invalid(`Invalid type for '${at}.description': expected a string, but got ${typeName(description)} instead.`, `${at}.description`, 'invalid_type');
  }
  const parameters = fn['parameters'];
  if (parameters === undefined || parameters === null) return undefined;
  if (!isRecord(parameters)) {
    return invalid(`Invalid type for '${at}.parameters': expected an object, but got ${typeName(parameters)} instead.`, `${at}.parameters`, 'invalid_type');
  }
  if (parameters['type'] !== 'object') {
    const got = typeof parameters['type'] === 'string' ? parameters['type'] : 'None';
    return invalid(
      `Invalid schema for function '${name}': schema must be a JSON Schema of 'type: "object"', got 'type: "${got}"'.`,
      `${at}.parameters`,
      'invalid_function_parameters',
    );
  }
  return undefined;
}

/** Where a tool's function fields are, the tool's own error, or undefined for a kind of tool that has no function to check. */
export type ToolFields = WireError | { fn: Record<string, unknown>; at: string } | undefined;

/** The `tools` array checks both OpenAI APIs share; `fieldsOf` says where a tool's function fields are. */
export function validateTools(tools: unknown, fieldsOf: (tool: Record<string, unknown>, at: string) => ToolFields): WireError | undefined {
  if (tools === undefined || tools === null) return undefined;
  if (!Array.isArray(tools)) return invalid(`Invalid type for 'tools': expected an array of objects, but got ${typeName(tools)} instead.`, 'tools', 'invalid_type');
  for (const [i, tool] of tools.entries()) {
    const at = `tools[${i}]`;
    if (!isRecord(tool)) return invalid(`Invalid type for '${at}': expected an object, but got ${typeName(tool)} instead.`, at, 'invalid_type');
    if (tool['type'] === undefined) return invalid(`Missing required parameter: '${at}.type'.`, `${at}.type`, 'missing_required_parameter');
    const where = fieldsOf(tool, at);
    if (where === undefined) continue;
    if ('status' in where) return where;
    const error = validateFunction(where.fn, where.at);
    if (error) return error;
  }
  return undefined;
}

/** A server (or model) without tool calling: vLLM started without a tool parser answers so. */
export function toolsRejectedError(): WireError {
  return openaiError(400, '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set', 'BadRequestError', null);
}

function chatToolFields(tool: Record<string, unknown>, at: string): ToolFields {
  if (tool['type'] === 'custom') return undefined;
  if (tool['type'] !== 'function') {
    return invalid(`Invalid value: '${String(tool['type'])}'. Supported values are: 'function' and 'custom'.`, `${at}.type`, 'invalid_value');
  }
  const fn = tool['function'];
  if (fn === undefined) return invalid(`Missing required parameter: '${at}.function'.`, `${at}.function`, 'missing_required_parameter');
  if (!isRecord(fn)) return invalid(`Invalid type for '${at}.function': expected an object, but got ${typeName(fn)} instead.`, `${at}.function`, 'invalid_type');
  return { fn, at: `${at}.function` };
}

/** OpenAI's checks of how `tool` messages answer the assistant's `tool_calls`, with its error texts. */
function validateChatMessages(messages: unknown[]): WireError | undefined {
  let open: { index: number; ids: string[]; answered: Set<string> } | undefined;
  const unanswered = (): WireError | undefined => {
    if (!open) return undefined;
    const missing = open.ids.filter((id) => !open!.answered.has(id));
    if (missing.length === 0) return undefined;
    return invalid(
      `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${missing.join(', ')}`,
      `messages.[${open.index}].role`,
    );
  };
  for (const [i, message] of messages.entries()) {
    if (!isRecord(message)) continue;
    if (message['role'] === 'tool') {
      const id = message['tool_call_id'];
      if (typeof id !== 'string') return invalid("Missing parameter 'tool_call_id': messages with role 'tool' must have a 'tool_call_id'.", `messages.[${i}].tool_call_id`);
      if (!open) return invalid("Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.", `messages.[${i}].role`);
      if (!open.ids.includes(id)) return invalid(`Invalid parameter: 'tool_call_id' of '${id}' not found in 'tool_calls' of previous message.`, `messages.[${i}].tool_call_id`);
      open.answered.add(id);
      continue;
    }
    const error = unanswered();
    if (error) return error;
    open = undefined;
    const calls = message['role'] === 'assistant' && Array.isArray(message['tool_calls']) ? message['tool_calls'] : [];
    if (calls.length > 0) {
      const ids = calls.map((call: unknown) => (isRecord(call) ? String(call['id']) : ''));
      open = { index: i, ids, answered: new Set() };
    }
  }
  return unanswered();
}

function recordedTools(tools: unknown, fieldsOf: (tool: Record<string, unknown>) => Record<string, unknown>): RecordedTool[] | undefined {
  if (!Array.isArray(tools)) return undefined;
  return tools.map((tool: unknown) => {
    const fn = isRecord(tool) ? fieldsOf(tool) : {};
    return { name: String(fn['name'] ?? ''), description: stringOrUndefined(fn['description']), parameters: fn['parameters'] };
  });
}

export function recordedResponsesTools(tools: unknown): RecordedTool[] | undefined {
  return recordedTools(tools, (tool) => tool);
}

function chatMessage(m: unknown): RecordedMessage {
  if (!isRecord(m)) return { role: 'unknown', content: '' };
  const role = String(m['role']);
  if (role === 'tool') return { role, content: '', toolResults: [{ callId: String(m['tool_call_id'] ?? ''), content: flattenContent(m['content']) }] };
  const recorded: RecordedMessage = { role, content: flattenContent(m['content']) };
  if (Array.isArray(m['tool_calls']) && m['tool_calls'].length > 0) {
    recorded.toolCalls = m['tool_calls'].map((call: unknown) => {
      const fn = isRecord(call) && isRecord(call['function']) ? call['function'] : {};
      return { id: isRecord(call) ? String(call['id'] ?? '') : '', name: String(fn['name'] ?? ''), arguments: typeof fn['arguments'] === 'string' ? fn['arguments'] : JSON.stringify(fn['arguments'] ?? '') };
    });
  }
  return recorded;
}

/** Splits text into pieces of `size` characters (code points, as the content pieces are). */
export function fragments(text: string, size: number): string[] {
  const out: string[] = [];
  // Without surrogates a code point is one UTF-16 unit: plain slices. An array of every character
  // (Array.from) of a 100 MB reply costs seconds and gigabytes.
  if (!/[\uD800-\uDFFF]/.test(text)) {
    for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
    return out;
  }
  let start = 0;
  let count = 0;
  for (let i = 0; i < text.length; ) {
    // A pair is one code point; a lone surrogate is one too, as Array.from counts it.
    i += text.codePointAt(i)! > 0xffff ? 2 : 1;
    if (++count === size) {
      out.push(text.slice(start, i));
      start = i;
      count = 0;
    }
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

export function errorFor(kind: ErrorKind, message: string | undefined, model: string | undefined): WireError {
  const name = model ?? 'unknown';
  switch (kind) {
    case 'rate_limit':
      return openaiError(
        429,
        message ?? `Rate limit reached for ${name} in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.`,
        'requests',
        'rate_limit_exceeded',
      );
    case 'server':
      return openaiError(500, message ?? 'The server had an error while processing your request. Sorry about that!', 'server_error', null);
    case 'overloaded':
      return openaiError(503, message ?? 'The engine is currently overloaded, please try again later.', 'server_error', null);
    case 'auth':
      return openaiError(
        401,
        message ?? 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
        'invalid_request_error',
        'invalid_api_key',
      );
    case 'not_found':
      return openaiError(404, message ?? `The model \`${name}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found');
    case 'context_length':
      return openaiError(400, message ?? 'Your messages exceed the context length.', 'invalid_request_error', 'context_length_exceeded', 'messages');
    case 'bad_request':
      return openaiError(400, message ?? 'Invalid request.', 'invalid_request_error', null);
  }
}

function usageBody(ctx: ReplyContext): Record<string, unknown> | undefined {
  if (!ctx.usage) return undefined;
  return {
    prompt_tokens: ctx.usage.input,
    completion_tokens: ctx.usage.output,
    total_tokens: ctx.usage.input + ctx.usage.output,
    prompt_tokens_details: { cached_tokens: ctx.usage.cached, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

const sse = (data: unknown): string => `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

/** OpenAI chat completions: JSON, or SSE `data:` chunks ending in `data: [DONE]`. */
export const openaiWire: WireProtocol = {
  provider: 'openai',
  parse(body) {
    const messages = Array.isArray(body['messages']) ? body['messages'] : [];
    const streamOptions = isRecord(body['stream_options']) ? body['stream_options'] : {};
    return {
      model: stringOrUndefined(body['model']),
      stream: body['stream'] === true,
      system: undefined,
      messages: messages.map(chatMessage),
      tools: recordedTools(body['tools'], (tool) => (isRecord(tool['function']) ? tool['function'] : {})),
      includeUsage: streamOptions['include_usage'] === true,
      maxTokens: numberOrUndefined(body['max_completion_tokens']) ?? numberOrUndefined(body['max_tokens']),
      options: undefined,
    };
  },
  validate(body) {
    return validateTools(body['tools'], chatToolFields) ?? (Array.isArray(body['messages']) ? validateChatMessages(body['messages']) : undefined);
  },
  toolsRejected: toolsRejectedError,
  error: errorFor,
  contextError(promptTokens, limit, model) {
    return errorFor(
      'context_length',
      `This model's maximum context length is ${limit} tokens. However, your messages resulted in ${promptTokens} tokens. Please reduce the length of the messages.`,
      model,
    );
  },
  complete(_reply, ctx) {
    const body: Record<string, unknown> = {
      id: ctx.id,
      object: 'chat.completion',
      created: ctx.created,
      model: ctx.model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: ctx.toolCalls.length > 0 && ctx.pieces.length === 0 ? null : ctx.pieces.join(''),
            refusal: null,
            annotations: [],
            ...(ctx.toolCalls.length > 0
              ? { tool_calls: ctx.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })) }
              : {}),
          },
          logprobs: null,
          finish_reason: ctx.finish,
        },
      ],
      service_tier: 'default',
      system_fingerprint: 'fp_fake',
    };
    const usage = usageBody(ctx);
    if (usage) body['usage'] = usage;
    return body;
  },
  streamContentType: 'text/event-stream; charset=utf-8',
  streamFrames(ctx) {
    const base = { id: ctx.id, object: 'chat.completion.chunk', created: ctx.created, model: ctx.model, service_tier: 'default', system_fingerprint: 'fp_fake' };
    // With include_usage, every chunk carries `usage: null` until the final usage chunk.
    const withUsage = (chunk: Record<string, unknown>): Record<string, unknown> => (ctx.includeUsage ? { ...chunk, usage: null } : chunk);
    const choice = (delta: Record<string, unknown>, finish: string | null): Record<string, unknown> => ({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });
    const frames = [sse(withUsage(choice({ role: 'assistant', content: ctx.toolCalls.length > 0 && ctx.pieces.length === 0 ? null : '', refusal: null }, null)))];
    for (const piece of ctx.pieces) frames.push(sse(withUsage(choice({ content: piece }, null))));
    // Each call opens with its id, type and name and empty arguments; the arguments follow in fragments.
    for (const [index, call] of ctx.toolCalls.entries()) {
      frames.push(sse(withUsage(choice({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }, null))));
      for (const piece of fragments(call.arguments, ctx.chunkSize)) frames.push(sse(withUsage(choice({ tool_calls: [{ index, function: { arguments: piece } }] }, null))));
    }
    frames.push(sse(withUsage(choice({}, ctx.finish))));
    const usage = usageBody(ctx);
    if (ctx.includeUsage && usage) frames.push(sse({ ...base, choices: [], usage }));
    frames.push(sse('[DONE]'));
    return frames;
  },
  streamErrorFrame(kind, message, model) {
    const { body } = errorFor(kind, message, model);
    return sse(body);
  },
  garbageFrame: 'data: {"id":"chatcmpl-garbage","choices":[{"delta":\n\n',
  headers(requestId) {
    return { 'x-request-id': requestId, 'openai-processing-ms': '1', 'openai-version': '2020-10-01' };
  },
};
