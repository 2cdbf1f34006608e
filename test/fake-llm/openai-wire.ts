import { flattenContent, isRecord } from './estimate.js';
import { numberOrUndefined, stringOrUndefined, type ReplyContext, type WireError, type WireProtocol } from './protocol.js';
import type { ErrorKind } from './types.js';

function openaiError(status: number, message: string, type: string, code: string | null, param: string | null = null): WireError {
  return { status, body: { error: { message, type, param, code } } };
}

function errorFor(kind: ErrorKind, message: string | undefined, model: string | undefined): WireError {
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
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
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
      messages: messages.map((m: unknown) => ({
        role: isRecord(m) ? String(m['role']) : 'unknown',
        content: isRecord(m) ? flattenContent(m['content']) : '',
      })),
      includeUsage: streamOptions['include_usage'] === true,
      maxTokens: numberOrUndefined(body['max_completion_tokens']) ?? numberOrUndefined(body['max_tokens']),
      options: undefined,
    };
  },
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
          message: { role: 'assistant', content: ctx.pieces.join(''), refusal: null, annotations: [] },
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
    const frames = [sse(withUsage(choice({ role: 'assistant', content: '', refusal: null }, null)))];
    for (const piece of ctx.pieces) frames.push(sse(withUsage(choice({ content: piece }, null))));
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
