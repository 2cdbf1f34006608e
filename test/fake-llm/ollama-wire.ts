import { flattenContent, isRecord } from './estimate.js';
import { numberOrUndefined, stringOrUndefined, type ReplyContext, type WireError, type WireProtocol } from './protocol.js';
import type { ErrorKind } from './types.js';

function errorFor(kind: ErrorKind, message: string | undefined, model: string | undefined): WireError {
  const name = model ?? 'unknown';
  switch (kind) {
    case 'rate_limit':
      return { status: 429, body: { error: message ?? 'too many requests' } };
    case 'server':
      return { status: 500, body: { error: message ?? 'llama runner process has terminated: exit status 2' } };
    case 'overloaded':
      return { status: 503, body: { error: message ?? 'server busy, please try again.  maximum pending requests exceeded' } };
    case 'auth':
      return { status: 401, body: { error: message ?? 'unauthorized' } };
    case 'not_found':
      return { status: 404, body: { error: message ?? `model "${name}" not found, try pulling it first` } };
    case 'context_length':
      return { status: 400, body: { error: message ?? 'the input length exceeds the context length' } };
    case 'bad_request':
      return { status: 400, body: { error: message ?? 'invalid request' } };
  }
}

// Durations are nanoseconds on Ollama's wire.
function finalFields(ctx: ReplyContext): Record<string, unknown> {
  const fields: Record<string, unknown> = { done_reason: ctx.finish, total_duration: 5_000_000, load_duration: 1_000_000 };
  if (ctx.usage) {
    Object.assign(fields, {
      prompt_eval_count: ctx.usage.input,
      prompt_eval_duration: 1_000_000,
      eval_count: ctx.usage.output,
      eval_duration: 2_000_000,
    });
  }
  return fields;
}

const line = (data: unknown): string => `${JSON.stringify(data)}\n`;

/** Ollama /api/chat: one JSON body, or NDJSON lines ending in a `done: true` line. */
export const ollamaWire: WireProtocol = {
  provider: 'ollama',
  parse(body) {
    const messages = Array.isArray(body['messages']) ? body['messages'] : [];
    const options = isRecord(body['options']) ? body['options'] : undefined;
    return {
      model: stringOrUndefined(body['model']),
      // Ollama streams unless told `stream: false`.
      stream: body['stream'] !== false,
      system: undefined,
      messages: messages.map((m: unknown) => ({
        role: isRecord(m) ? String(m['role']) : 'unknown',
        content: isRecord(m) ? flattenContent(m['content']) : '',
      })),
      includeUsage: false,
      maxTokens: numberOrUndefined(options?.['num_predict']),
      options,
    };
  },
  error: errorFor,
  contextError(promptTokens, limit, model) {
    return errorFor('context_length', `request (${promptTokens} tokens) exceeds the available context size (${limit} tokens), try increasing it`, model);
  },
  complete(_reply, ctx) {
    return {
      model: ctx.model,
      created_at: new Date(ctx.created * 1000).toISOString(),
      message: { role: 'assistant', content: ctx.pieces.join('') },
      done: true,
      ...finalFields(ctx),
    };
  },
  streamContentType: 'application/x-ndjson',
  streamFrames(ctx) {
    const at = new Date(ctx.created * 1000).toISOString();
    const frames = ctx.pieces.map((piece) => line({ model: ctx.model, created_at: at, message: { role: 'assistant', content: piece }, done: false }));
    frames.push(line({ model: ctx.model, created_at: at, message: { role: 'assistant', content: '' }, done: true, ...finalFields(ctx) }));
    return frames;
  },
  streamErrorFrame(kind, message, model) {
    return line(errorFor(kind, message, model).body);
  },
  garbageFrame: '{"model":"garbage","message":{"role":\n',
  headers() {
    return {};
  },
};
