import { flattenContent, isRecord } from './estimate.js';
import { numberOrUndefined, stringOrUndefined, type ReplyContext, type WireError, type WireProtocol } from './protocol.js';
import type { ErrorKind } from './types.js';

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

const event = (name: string, data: unknown): string => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

function stopReason(ctx: ReplyContext): string {
  return ctx.finish === 'length' ? 'max_tokens' : 'end_turn';
}

/** Anthropic messages: JSON, or named SSE events from message_start to message_stop. */
export const anthropicWire: WireProtocol = {
  provider: 'anthropic',
  parse(body) {
    const messages = Array.isArray(body['messages']) ? body['messages'] : [];
    return {
      model: stringOrUndefined(body['model']),
      stream: body['stream'] === true,
      system: flattenSystem(body['system']),
      messages: messages.map((m: unknown) => ({
        role: isRecord(m) ? String(m['role']) : 'unknown',
        content: isRecord(m) ? flattenContent(m['content']) : '',
      })),
      includeUsage: false,
      maxTokens: numberOrUndefined(body['max_tokens']),
      options: undefined,
    };
  },
  error: errorFor,
  contextError(promptTokens, limit, model) {
    return errorFor('context_length', `prompt is too long: ${promptTokens} tokens > ${limit} maximum`, model);
  },
  complete(_reply, ctx) {
    const body: Record<string, unknown> = {
      id: ctx.id,
      type: 'message',
      role: 'assistant',
      model: ctx.model,
      content: [{ type: 'text', text: ctx.pieces.join('') }],
      stop_reason: stopReason(ctx),
      stop_sequence: null,
    };
    if (ctx.usage) body['usage'] = { input_tokens: ctx.usage.input, output_tokens: ctx.usage.output, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
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
    if (ctx.usage) message['usage'] = { input_tokens: ctx.usage.input, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    const frames = [
      event('message_start', { type: 'message_start', message }),
      event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
      event('ping', { type: 'ping' }),
    ];
    for (const piece of ctx.pieces) {
      frames.push(event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } }));
    }
    frames.push(event('content_block_stop', { type: 'content_block_stop', index: 0 }));
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
