import { flattenContent, isRecord } from './estimate.js';
import { numberOrUndefined, stringOrUndefined, type ReplyContext, type WireError, type WireProtocol } from './protocol.js';
import type { ErrorKind, RecordedMessage } from './types.js';

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
  // Ollama says `stop` after tool calls too: its reply carries no reason of its own for them.
  const fields: Record<string, unknown> = { done_reason: ctx.finish === 'length' ? 'length' : 'stop', total_duration: 5_000_000, load_duration: 1_000_000 };
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

function recordMessage(m: unknown): RecordedMessage {
  if (!isRecord(m)) return { role: 'unknown', content: '' };
  const message: RecordedMessage = { role: String(m['role']), content: flattenContent(m['content']) };
  const calls = Array.isArray(m['tool_calls']) ? m['tool_calls'] : [];
  if (calls.length > 0) {
    message.toolCalls = calls.map((call: unknown) => {
      const fn = isRecord(call) && isRecord(call['function']) ? call['function'] : {};
      const args = fn['arguments'];
      // The wire carries no call ids: record one only if a client sends it anyway.
      return { id: isRecord(call) ? String(call['id'] ?? '') : '', name: String(fn['name'] ?? ''), arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}) };
    });
  }
  // A result names its tool, not a call: that name stands in for the call id.
  if (message.role === 'tool') message.toolResults = [{ callId: String(m['tool_call_id'] ?? m['tool_name'] ?? ''), content: message.content }];
  return message;
}

/**
 * What Ollama rejects before loading the model: arguments sent as a JSON string (its Go decoder
 * wants an object), and, as the fake's own rule for tests, a `tool` message with no assistant
 * `tool_calls` before it (Ollama itself would pass that to the model's template).
 */
function validateMessages(messages: unknown[]): WireError | undefined {
  let calls = false;
  for (const [i, m] of messages.entries()) {
    if (!isRecord(m)) continue;
    for (const call of Array.isArray(m['tool_calls']) ? m['tool_calls'] : []) {
      if (isRecord(call) && isRecord(call['function']) && typeof call['function']['arguments'] === 'string') {
        return {
          status: 400,
          body: { error: 'json: cannot unmarshal string into Go struct field ToolCallFunction.messages.tool_calls.function.arguments of type api.ToolCallFunctionArguments' },
        };
      }
    }
    if (m['role'] === 'tool') {
      if (!calls) return { status: 400, body: { error: `invalid message at index ${i}: a "tool" message must follow an assistant message with tool_calls` } };
    } else {
      calls = m['role'] === 'assistant' && Array.isArray(m['tool_calls']) && m['tool_calls'].length > 0;
    }
  }
  return undefined;
}

/** `qwen2.5-coder` → `registry.ollama.ai/library/qwen2.5-coder:latest`, as Ollama names a model in errors. */
function fullName(model: string | undefined): string {
  const name = model ?? 'unknown';
  const tagged = /:[^/]*$/.test(name) ? name : `${name}:latest`;
  return tagged.includes('/') ? `registry.ollama.ai/${tagged}` : `registry.ollama.ai/library/${tagged}`;
}

/** Arguments as Ollama sends them: an object (a scripted non-JSON string goes as is, to see the client cope). */
function wireArguments(args: string): unknown {
  try {
    return JSON.parse(args);
  } catch {
    return args;
  }
}

function toolCallsOf(ctx: ReplyContext): unknown[] {
  return ctx.toolCalls.map((call) => ({ function: { name: call.name, arguments: wireArguments(call.arguments) } }));
}

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
      messages: messages.map(recordMessage),
      tools: Array.isArray(body['tools'])
        ? body['tools'].map((t: unknown) => {
            const fn = isRecord(t) && isRecord(t['function']) ? t['function'] : {};
            return { name: String(fn['name'] ?? ''), description: stringOrUndefined(fn['description']), parameters: fn['parameters'] };
          })
        : undefined,
      includeUsage: false,
      maxTokens: numberOrUndefined(options?.['num_predict']),
      options,
    };
  },
  validate(body) {
    return validateMessages(Array.isArray(body['messages']) ? body['messages'] : []);
  },
  toolsRejected(model) {
    return { status: 400, body: { error: `${fullName(model)} does not support tools` } };
  },
  error: errorFor,
  contextError(promptTokens, limit, model) {
    return errorFor('context_length', `request (${promptTokens} tokens) exceeds the available context size (${limit} tokens), try increasing it`, model);
  },
  complete(_reply, ctx) {
    return {
      model: ctx.model,
      created_at: new Date(ctx.created * 1000).toISOString(),
      message: { role: 'assistant', content: ctx.pieces.join(''), ...(ctx.toolCalls.length > 0 ? { tool_calls: toolCallsOf(ctx) } : {}) },
      done: true,
      ...finalFields(ctx),
    };
  },
  streamContentType: 'application/x-ndjson',
  streamFrames(ctx) {
    const at = new Date(ctx.created * 1000).toISOString();
    const frames = ctx.pieces.map((piece) => line({ model: ctx.model, created_at: at, message: { role: 'assistant', content: piece }, done: false }));
    // Ollama parses the model's calls itself and streams them whole, in one chunk before the done line.
    if (ctx.toolCalls.length > 0) frames.push(line({ model: ctx.model, created_at: at, message: { role: 'assistant', content: '', tool_calls: toolCallsOf(ctx) }, done: false }));
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
