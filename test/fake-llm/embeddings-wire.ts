import { isRecord } from './estimate.js';
import type { WireError } from './protocol.js';
import type { Provider } from './types.js';

/**
 * The embeddings endpoints of the fake server: what each service checks before embedding (with
 * its own error texts), and deterministic vectors that are not semantic: a hashed bag of the
 * text's identifier-split words, normalised, so texts sharing words are close and equal texts
 * are equal.
 */

/** OpenAI: inputs per request; tokens summed over one request. */
export const OPENAI_EMBED_MAX_INPUTS = 2048;
export const OPENAI_EMBED_MAX_TOKENS = 300_000;
/** Gemini's batchEmbedContents. */
export const GOOGLE_EMBED_MAX_REQUESTS = 100;

/** The dimension a model's vectors have on the real services (unknown models: 384). */
export function embeddingDimension(model: string): number {
  if (/text-embedding-3-large|gemini-embedding/.test(model)) return 3072;
  if (/text-embedding-3-small|ada-002/.test(model)) return 1536;
  if (/nomic-embed-text|text-embedding-004/.test(model)) return 768;
  return 384;
}

function words(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 1);
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

// Words in most texts (English glue, keywords of the common languages): left out, as their weight
// would swamp the rest of a hashed bag.
const STOP = new Set(
  'the and for with from that this are was were when then than into not but all any can has have its use used will would should there their what which while about after before between each more most other over such only also been being does did how why who out off per via '
    .concat('const let var function return export import default class new null undefined true false type interface extends implements async await public private protected static void string number boolean def self none elif pass fn pub mut impl struct enum func package')
    .split(/\s+/),
);

/**
 * The fake's vector of a text: a hashed bag of its identifier-split words (sign from the hash),
 * each word's count taken as 1 + ln(count), common words left out, unit length. Texts sharing
 * rarer words are close; nothing is semantic.
 */
export function fakeVector(text: string, dim: number): number[] {
  const v = new Array<number>(dim).fill(0);
  const counts = new Map<string, number>();
  for (const w of words(text)) if (w.length > 2 && !STOP.has(w)) counts.set(w, (counts.get(w) ?? 0) + 1);
  for (const [w, n] of counts) {
    const h = fnv1a(w);
    v[h % dim]! += (h & 0x80000000 ? -1 : 1) * (1 + Math.log(n));
  }
  let norm = 0;
  for (const x of v) norm += x * x;
  if (norm === 0) {
    v[0] = 1;
    return v;
  }
  const s = 1 / Math.sqrt(norm);
  return v.map((x) => Math.round(x * s * 1e6) / 1e6);
}

const estimate = (text: string): number => Math.ceil(text.length / 4);

/** What one embeddings request asks for, once it passed the service's checks. */
export interface EmbedRequest {
  provider: Provider;
  model: string;
  inputs: string[];
  /** OpenAI `dimensions`, Gemini `outputDimensionality`, Ollama `dimensions`. */
  dimensions: number | undefined;
  /** OpenAI `encoding_format`. */
  encoding: 'float' | 'base64';
  /** Gemini: `embedContent` (one) or `batchEmbedContents`. */
  single: boolean;
}

const openaiInvalid = (message: string, param: string | null = null): WireError => ({ status: 400, body: { error: { message, type: 'invalid_request_error', param, code: null } } });

/** OpenAI `POST /v1/embeddings`: the checks of the real API. */
export function parseOpenaiEmbed(body: unknown): EmbedRequest | WireError {
  if (!isRecord(body)) return openaiInvalid('We could not parse the JSON body of your request.');
  const model = body['model'];
  if (typeof model !== 'string' || model === '') return openaiInvalid('you must provide a model parameter', 'model');
  const input = body['input'];
  if (input === undefined) return openaiInvalid("Missing required parameter: 'input'.", 'input');
  const list = typeof input === 'string' ? [input] : Array.isArray(input) ? input : undefined;
  if (!list || list.length === 0 || list.some((x) => typeof x !== 'string' || x === '')) return openaiInvalid("'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", 'input');
  if (list.length > OPENAI_EMBED_MAX_INPUTS) return openaiInvalid(`'$.input' is invalid: an array of at most ${OPENAI_EMBED_MAX_INPUTS} inputs is allowed, got ${list.length}.`, 'input');
  const inputs = list as string[];
  const tokens = inputs.reduce((n, t) => n + estimate(t), 0);
  if (tokens > OPENAI_EMBED_MAX_TOKENS) return openaiInvalid(`Requested ${tokens} tokens, max ${OPENAI_EMBED_MAX_TOKENS} tokens per request`, 'input');
  const format = body['encoding_format'] ?? 'float';
  if (format !== 'float' && format !== 'base64') return openaiInvalid(`Invalid value: '${String(format)}'. Supported values are: 'float' and 'base64'.`, 'encoding_format');
  const dims = body['dimensions'];
  if (dims !== undefined && (typeof dims !== 'number' || !Number.isInteger(dims) || dims < 1)) return openaiInvalid("Invalid 'dimensions': integer below minimum value.", 'dimensions');
  return { provider: 'openai', model, inputs, dimensions: dims as number | undefined, encoding: format, single: false };
}

/** The OpenAI answer: base64 is the little-endian float32 bytes, as the SDK decodes them. */
export function openaiEmbedBody(request: EmbedRequest, vectors: number[][]): unknown {
  const tokens = request.inputs.reduce((n, t) => n + estimate(t), 0);
  return {
    object: 'list',
    data: vectors.map((v, index) => ({ object: 'embedding', index, embedding: request.encoding === 'base64' ? Buffer.from(Float32Array.from(v).buffer).toString('base64') : v })),
    model: request.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

const googleInvalid = (message: string): WireError => ({ status: 400, body: { error: { code: 400, message, status: 'INVALID_ARGUMENT' } } });

function googleText(content: unknown, at: string): string | WireError {
  if (!isRecord(content)) return googleInvalid(`* ${at}.content: contents is not specified`);
  const parts = content['parts'];
  if (!Array.isArray(parts) || parts.length === 0) return googleInvalid(`* ${at}.content.parts: contents.parts must not be empty.`);
  let text = '';
  for (const part of parts) {
    if (!isRecord(part) || typeof part['text'] !== 'string') return googleInvalid(`* ${at}.content.parts: only text parts are supported.`);
    text += part['text'];
  }
  return text;
}

/** Gemini `models/{model}:embedContent` and `:batchEmbedContents`, as `@google/genai` sends them. */
export function parseGoogleEmbed(body: unknown, model: string, method: 'embedContent' | 'batchEmbedContents'): EmbedRequest | WireError {
  if (!isRecord(body)) return googleInvalid('Invalid JSON payload received.');
  if (method === 'embedContent') {
    const text = googleText(body['content'], 'EmbedContentRequest');
    if (typeof text !== 'string') return text;
    const dims = body['outputDimensionality'];
    return { provider: 'google', model, inputs: [text], dimensions: typeof dims === 'number' ? dims : undefined, encoding: 'float', single: true };
  }
  const requests = body['requests'];
  if (!Array.isArray(requests) || requests.length === 0) return googleInvalid('* BatchEmbedContentsRequest.requests: requests must not be empty');
  if (requests.length > GOOGLE_EMBED_MAX_REQUESTS) return googleInvalid(`* BatchEmbedContentsRequest.requests: at most ${GOOGLE_EMBED_MAX_REQUESTS} requests can be in one batch`);
  const inputs: string[] = [];
  let dimensions: number | undefined;
  for (const [i, request] of requests.entries()) {
    if (!isRecord(request)) return googleInvalid(`* BatchEmbedContentsRequest.requests[${i}]: invalid request`);
    if (request['model'] !== `models/${model}`) {
      return googleInvalid(`* BatchEmbedContentsRequest.requests[${i}].model: Model name must match the one in the URL (models/${model}), got ${String(request['model'])}.`);
    }
    const text = googleText(request['content'], `BatchEmbedContentsRequest.requests[${i}]`);
    if (typeof text !== 'string') return text;
    inputs.push(text);
    if (typeof request['outputDimensionality'] === 'number') dimensions = request['outputDimensionality'];
  }
  return { provider: 'google', model, inputs, dimensions, encoding: 'float', single: false };
}

export function googleEmbedBody(request: EmbedRequest, vectors: number[][]): unknown {
  return request.single ? { embedding: { values: vectors[0] } } : { embeddings: vectors.map((values) => ({ values })) };
}

/** Ollama `POST /api/embed`. */
export function parseOllamaEmbed(body: unknown): EmbedRequest | WireError {
  if (!isRecord(body)) return { status: 400, body: { error: 'invalid character in request body' } };
  const model = body['model'];
  if (typeof model !== 'string' || model === '') return { status: 400, body: { error: 'model is required' } };
  const input = body['input'];
  const list = typeof input === 'string' ? [input] : Array.isArray(input) ? input : input === undefined ? [] : undefined;
  if (!list || list.some((x) => typeof x !== 'string')) return { status: 400, body: { error: 'invalid input type' } };
  const dims = body['dimensions'];
  return { provider: 'ollama', model, inputs: list as string[], dimensions: typeof dims === 'number' ? dims : undefined, encoding: 'float', single: false };
}

export function ollamaEmbedBody(request: EmbedRequest, vectors: number[][]): unknown {
  return { model: request.model, embeddings: vectors, total_duration: 1_000_000, load_duration: 100_000, prompt_eval_count: request.inputs.reduce((n, t) => n + estimate(t), 0) };
}

export function isWireError(value: EmbedRequest | WireError): value is WireError {
  return 'status' in value;
}
