import { isRecord } from './estimate.js';
import { numberOrUndefined, type ErrorExtra, type ReplyContext, type WireError, type WireProtocol } from './protocol.js';
import type { ErrorKind, RecordedMessage, RecordedTool } from './types.js';

// Google's canonical codes by HTTP status (google.rpc.Code), as the `status` field of an error body.
const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  408: 'DEADLINE_EXCEEDED',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const DEFAULT_STATUS: Record<ErrorKind, number> = {
  rate_limit: 429,
  server: 500,
  overloaded: 503,
  // A key the service does not know is a 400 INVALID_ARGUMENT (reason API_KEY_INVALID), not a 401.
  auth: 400,
  not_found: 404,
  bad_request: 400,
  context_length: 400,
};

const type = (name: string): string => `type.googleapis.com/google.rpc.${name}`;

function seconds(value: number): string {
  return `${Number.isInteger(value) ? value : value.toFixed(3)}s`;
}

function defaultMessage(kind: ErrorKind, model: string | undefined, extra: ErrorExtra): string {
  switch (kind) {
    case 'rate_limit':
      return (
        'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.' +
        (extra.retryAfter === undefined ? '' : ` Please retry in ${seconds(extra.retryAfter)}.`)
      );
    case 'server':
      return 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting';
    case 'overloaded':
      return 'The model is overloaded. Please try again later.';
    case 'auth':
      return 'API key not valid. Please pass a valid API key.';
    case 'not_found':
      return `models/${model ?? 'unknown'} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`;
    case 'context_length':
      return 'The input token count exceeds the maximum number of tokens allowed.';
    case 'bad_request':
      return 'Request contains an invalid argument.';
  }
}

function details(kind: ErrorKind, model: string | undefined, extra: ErrorExtra): Array<Record<string, unknown>> {
  if (kind === 'rate_limit') {
    const list: Array<Record<string, unknown>> = [
      {
        '@type': type('QuotaFailure'),
        violations: [
          {
            quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
            quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
            quotaDimensions: { location: 'global', model: model ?? 'unknown' },
            quotaValue: '10',
          },
        ],
      },
      { '@type': type('Help'), links: [{ description: 'Learn more about Gemini API quotas', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }] },
    ];
    if (extra.retryAfter !== undefined) list.push({ '@type': type('RetryInfo'), retryDelay: seconds(extra.retryAfter) });
    return list;
  }
  if (kind === 'auth') {
    const list: Array<Record<string, unknown>> = [
      { '@type': type('ErrorInfo'), reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
      { '@type': type('LocalizedMessage'), locale: 'en-US', message: 'API key not valid. Please pass a valid API key.' },
    ];
    // The real service echoes the rejected key here; a client must scrub it from anything it shows.
    if (extra.apiKey) list.push({ '@type': type('DebugInfo'), detail: `Invalid API key: ${extra.apiKey}` });
    return list;
  }
  return [];
}

function googleError(status: number, message: string, detailList: Array<Record<string, unknown>> = []): WireError {
  const error: Record<string, unknown> = { code: status, message, status: STATUS_NAMES[status] ?? (status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT') };
  if (detailList.length > 0) error['details'] = detailList;
  return { status, body: { error } };
}

function errorFor(kind: ErrorKind, message: string | undefined, model: string | undefined, extra: ErrorExtra = {}): WireError {
  return googleError(extra.status ?? DEFAULT_STATUS[kind], message ?? defaultMessage(kind, model, extra), details(kind, model, extra));
}

const invalid = (message: string): WireError => googleError(400, message);

function partsOf(content: unknown): Record<string, unknown>[] {
  if (!isRecord(content) || !Array.isArray(content['parts'])) return [];
  return content['parts'].filter(isRecord);
}

function textOf(content: unknown): string {
  return partsOf(content)
    .filter((part) => typeof part['text'] === 'string' && part['thought'] !== true)
    .map((part) => part['text'] as string)
    .join('');
}

function recordMessage(content: unknown): RecordedMessage {
  const parts = partsOf(content);
  const message: RecordedMessage = { role: isRecord(content) && typeof content['role'] === 'string' ? content['role'] : 'user', content: textOf(content) };
  const calls = parts.flatMap((part) => (isRecord(part['functionCall']) ? [part['functionCall']] : []));
  const results = parts.flatMap((part) => (isRecord(part['functionResponse']) ? [part['functionResponse']] : []));
  if (calls.length > 0) {
    message.toolCalls = calls.map((call) => ({ id: typeof call['id'] === 'string' ? call['id'] : '', name: String(call['name'] ?? ''), arguments: JSON.stringify(call['args'] ?? {}) }));
  }
  if (results.length > 0) {
    message.toolResults = results.map((result) => {
      const response = isRecord(result['response']) ? result['response'] : {};
      const value = 'error' in response ? response['error'] : 'output' in response ? response['output'] : response;
      return {
        callId: typeof result['id'] === 'string' ? result['id'] : '',
        content: typeof value === 'string' ? value : JSON.stringify(value),
        ...('error' in response ? { isError: true } : {}),
      };
    });
  }
  return message;
}

function declarationsOf(body: Record<string, unknown>): Array<{ tool: number; index: number; declaration: Record<string, unknown> }> {
  const tools = Array.isArray(body['tools']) ? body['tools'] : [];
  return tools.flatMap((tool: unknown, toolIndex: number) => {
    const list = isRecord(tool) && Array.isArray(tool['functionDeclarations']) ? tool['functionDeclarations'] : [];
    return list.filter(isRecord).map((declaration, index) => ({ tool: toolIndex, index, declaration }));
  });
}

const SIGNATURE_PREFIX = 'fake-thought-signature:';
/** Signatures Google accepts for function calls the model did not make (history from another model). */
const FOREIGN_SIGNATURES = new Set(['skip_thought_signature_validator', 'context_engineering_is_the_way_to_go']);

/** The signature the fake hands out with a Gemini 3 reply's first function call (opaque base64, as the real one). */
export function fakeSignature(replyId: string): string {
  return Buffer.from(`${SIGNATURE_PREFIX}${replyId}`).toString('base64');
}

function validSignature(value: string): boolean {
  return FOREIGN_SIGNATURES.has(value) || Buffer.from(value, 'base64').toString('utf8').startsWith(SIGNATURE_PREFIX);
}

/** Gemini 3 models refuse a function call step that comes back without the signature they gave it. */
function needsSignatures(model: string | undefined): boolean {
  return model !== undefined && /^gemini-3/.test(model.replace(/^models\//, ''));
}

const FUNCTION_NAME = /^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$/;

function validateTools(body: Record<string, unknown>): WireError | undefined {
  const seen = new Set<string>();
  for (const { tool, index, declaration } of declarationsOf(body)) {
    const where = `* GenerateContentRequest.tools[${tool}].function_declarations[${index}]`;
    const name = declaration['name'];
    if (typeof name !== 'string' || !FUNCTION_NAME.test(name)) {
      return invalid(
        `${where}.name: Invalid function name. Must start with a letter or an underscore. Must be a-z, A-Z, 0-9, or contain underscores, dots, colons and dashes, with a maximum length of 64.`,
      );
    }
    if (seen.has(name)) return invalid(`Duplicate function declaration found: ${name}`);
    seen.add(name);
    if (declaration['parameters'] !== undefined && declaration['parametersJsonSchema'] !== undefined) {
      return invalid(`${where}: parameters and parameters_json_schema cannot both be set.`);
    }
    const schema = declaration['parametersJsonSchema'] ?? declaration['parameters'];
    if (schema !== undefined) {
      const kind = isRecord(schema) ? schema['type'] : undefined;
      if (typeof kind !== 'string' || kind.toLowerCase() !== 'object') {
        return invalid(`${where}.parameters: the parameters of a function declaration must be an object schema (type: "object").`);
      }
    }
  }
  return undefined;
}

function validateTurns(contents: unknown[], model: string | undefined): WireError | undefined {
  if (contents.length === 0) return invalid('* GenerateContentRequest.contents: contents is not specified');
  const calls = contents.map((content) => partsOf(content).filter((part) => isRecord(part['functionCall'])));
  const responses = contents.map((content) => partsOf(content).filter((part) => isRecord(part['functionResponse'])).length);
  for (const [i, content] of contents.entries()) {
    const role = isRecord(content) ? content['role'] : undefined;
    if (role !== undefined && role !== 'user' && role !== 'model') return invalid('Please use a valid role: user, model.');
    if (partsOf(content).length === 0) return invalid(`* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.`);
    if (calls[i]!.length > 0) {
      const previous = contents[i - 1];
      if (i === 0 || (isRecord(previous) && previous['role'] === 'model')) {
        return invalid('Please ensure that function call turn comes immediately after a user turn or after a function response turn.');
      }
      if (i + 1 < contents.length && responses[i + 1] !== calls[i]!.length) {
        return invalid('Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.');
      }
    }
    if (responses[i]! > 0 && (i === 0 || calls[i - 1]!.length === 0)) {
      return invalid('Please ensure that function response turn comes immediately after a function call turn.');
    }
  }
  for (const part of calls.flat()) {
    if (typeof part['thoughtSignature'] === 'string' && !validSignature(part['thoughtSignature'])) return invalid('Corrupted thought signature.');
  }
  if (needsSignatures(model)) {
    // The current turn starts after the last user message that is not only function responses.
    let start = 0;
    for (const [i, content] of contents.entries()) {
      if (isRecord(content) && content['role'] !== 'model' && responses[i] === 0) start = i + 1;
    }
    for (let i = start; i < contents.length; i++) {
      const first = calls[i]![0];
      if (first && typeof first['thoughtSignature'] !== 'string') {
        const name = String((first['functionCall'] as Record<string, unknown>)['name'] ?? '');
        return invalid(
          `Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call \`default_api:${name}\` , position ${i + 1}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.`,
        );
      }
    }
  }
  return undefined;
}

function finishReason(ctx: ReplyContext): string {
  return ctx.finish === 'length' ? 'MAX_TOKENS' : 'STOP';
}

function usageMetadata(ctx: ReplyContext, final: boolean): Record<string, unknown> | undefined {
  if (!ctx.usage) return undefined;
  const { input, output, cached } = ctx.usage;
  // The service reports the prompt on every chunk and the candidates on the last one.
  const usage: Record<string, unknown> = { promptTokenCount: input, totalTokenCount: final ? input + output : input };
  if (final) usage['candidatesTokenCount'] = output;
  if (cached > 0) usage['cachedContentTokenCount'] = cached;
  usage['promptTokensDetails'] = [{ modality: 'TEXT', tokenCount: input }];
  return usage;
}

function callParts(ctx: ReplyContext): Record<string, unknown>[] {
  return ctx.toolCalls.map((call, n) => {
    let args: unknown;
    try {
      args = JSON.parse(call.arguments);
    } catch {
      args = {};
    }
    // Scripted ids only: the fake's default ids (`call_<request>_<n>`) stand for "none on the wire".
    const functionCall: Record<string, unknown> = { name: call.name, args: isRecord(args) ? args : {} };
    if (!/^call_\d{4}_\d+$/.test(call.id)) functionCall['id'] = call.id;
    const part: Record<string, unknown> = { functionCall };
    if (n === 0 && needsSignatures(ctx.model)) part['thoughtSignature'] = fakeSignature(ctx.id);
    return part;
  });
}

function response(ctx: ReplyContext, parts: Record<string, unknown>[], final: boolean): Record<string, unknown> {
  const candidate: Record<string, unknown> = { content: { parts, role: 'model' }, index: 0 };
  if (final) candidate['finishReason'] = finishReason(ctx);
  const body: Record<string, unknown> = { candidates: [candidate] };
  const usage = usageMetadata(ctx, final);
  if (usage) body['usageMetadata'] = usage;
  body['modelVersion'] = ctx.model;
  body['responseId'] = ctx.id;
  return body;
}

const sse = (data: unknown): string => `data: ${JSON.stringify(data)}\n\n`;

/**
 * The Gemini API (`/v1beta/models/{model}:generateContent`, `:streamGenerateContent?alt=sse`):
 * JSON, or SSE `data:` chunks, each a whole GenerateContentResponse, the last with `finishReason`.
 * Function calls come whole in one chunk. The model and streaming come from the URL, which the
 * server reads; `parse` sees the body only.
 */
export const googleWire: WireProtocol = {
  provider: 'google',
  parse(body) {
    const contents = Array.isArray(body['contents']) ? body['contents'] : [];
    const generation = isRecord(body['generationConfig']) ? body['generationConfig'] : undefined;
    const declarations = declarationsOf(body);
    const tools: RecordedTool[] | undefined =
      body['tools'] === undefined
        ? undefined
        : declarations.map(({ declaration }) => ({
            name: String(declaration['name'] ?? ''),
            description: typeof declaration['description'] === 'string' ? declaration['description'] : undefined,
            parameters: declaration['parametersJsonSchema'] ?? declaration['parameters'],
          }));
    return {
      model: undefined,
      stream: false,
      system: body['systemInstruction'] === undefined ? undefined : textOf(body['systemInstruction']),
      messages: contents.map(recordMessage),
      tools,
      includeUsage: false,
      maxTokens: numberOrUndefined(generation?.['maxOutputTokens']),
      options: generation,
    };
  },
  validate(body, request) {
    const contents = Array.isArray(body['contents']) ? body['contents'] : [];
    return validateTools(body) ?? validateTurns(contents, request?.model);
  },
  toolsRejected(model) {
    return invalid(`Function calling is not enabled for models/${model ?? 'unknown'}`);
  },
  error: errorFor,
  contextError(promptTokens, limit, model) {
    return errorFor('context_length', `The input token count (${promptTokens}) exceeds the maximum number of tokens allowed (${limit}).`, model);
  },
  complete(_reply, ctx) {
    const text = ctx.pieces.join('');
    return response(ctx, [...(text === '' ? [] : [{ text }]), ...callParts(ctx)], true);
  },
  streamContentType: 'text/event-stream',
  streamFrames(ctx) {
    const chunks: Record<string, unknown>[][] = ctx.pieces.map((text) => [{ text }]);
    if (ctx.toolCalls.length > 0) chunks.push(callParts(ctx));
    if (chunks.length === 0) chunks.push([{ text: '' }]);
    return chunks.map((parts, i) => sse(response(ctx, parts, i === chunks.length - 1)));
  },
  streamErrorFrame(kind, message, model) {
    return sse(errorFor(kind, message, model).body);
  },
  garbageFrame: 'data: {"candidates":[{"content":{"parts":[{"text":\n\n',
  headers() {
    return { 'server-timing': 'gfet4t7; dur=1', vary: 'Origin, X-Origin, Referer' };
  },
};
