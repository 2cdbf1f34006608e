import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeVector } from './embeddings-wire.js';
import { startFakeLlm, type FakeLlmServer } from './index.js';

// The embeddings endpoints on the wire (plain fetch): the checks the real services make.
let server: FakeLlmServer;
beforeEach(async () => {
  server = await startFakeLlm();
});
afterEach(async () => {
  await server.close();
});

async function post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const error = (r: { body: Record<string, unknown> }): string => {
  const e = r.body['error'];
  return typeof e === 'string' ? e : String((e as { message: string }).message);
};

describe('fake embeddings: OpenAI /v1/embeddings', () => {
  it('answers float or base64 vectors, in order, with usage', async () => {
    const ok = await post('/v1/embeddings', { model: 'text-embedding-3-small', input: ['alpha beta', 'gamma'] });
    expect(ok.status).toBe(200);
    const data = ok.body['data'] as Array<{ index: number; embedding: number[] }>;
    expect(data.map((d) => d.index)).toEqual([0, 1]);
    expect(data[0]!.embedding).toHaveLength(1536);
    expect(data[0]!.embedding).toEqual(fakeVector('alpha beta', 1536));
    expect(ok.body['usage']).toEqual({ prompt_tokens: 5, total_tokens: 5 });
    const b64 = await post('/v1/embeddings', { model: 'text-embedding-3-small', input: 'alpha beta', encoding_format: 'base64', dimensions: 8 });
    const bytes = Buffer.from((b64.body['data'] as Array<{ embedding: string }>)[0]!.embedding, 'base64');
    expect(Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4))).toEqual(fakeVector('alpha beta', 8).map((x) => Math.fround(x)));
  });

  it.each([
    [{ input: ['a'] }, 'you must provide a model parameter'],
    [{ model: 'text-embedding-3-small' }, "Missing required parameter: 'input'."],
    [{ model: 'text-embedding-3-small', input: [''] }, "'$.input' is invalid"],
    [{ model: 'text-embedding-3-small', input: [1, 2] }, "'$.input' is invalid"],
    [{ model: 'text-embedding-3-small', input: Array.from({ length: 2049 }, () => 'x') }, 'at most 2048 inputs'],
    [{ model: 'text-embedding-3-small', input: ['x'.repeat(1_200_004)] }, 'max 300000 tokens per request'],
    [{ model: 'text-embedding-3-small', input: 'x', encoding_format: 'int8' }, "Supported values are: 'float' and 'base64'"],
  ])('refuses %j with a 400', async (body, message) => {
    const r = await post('/v1/embeddings', body);
    expect(r.status).toBe(400);
    expect(error(r)).toContain(message);
    expect((r.body['error'] as { type: string }).type).toBe('invalid_request_error');
  });
});

describe('fake embeddings: Gemini', () => {
  const request = (text: string, model = 'models/gemini-embedding-001') => ({ model, content: { role: 'user', parts: [{ text }] } });

  it('batchEmbedContents and embedContent answer values', async () => {
    const batch = await post('/v1beta/models/gemini-embedding-001:batchEmbedContents', { requests: [request('a b'), { ...request('c d'), outputDimensionality: 16 }] });
    expect(batch.status).toBe(200);
    const embeddings = batch.body['embeddings'] as Array<{ values: number[] }>;
    expect(embeddings).toHaveLength(2);
    expect(embeddings[1]!.values).toEqual(fakeVector('c d', 16));
    const one = await post('/v1beta/models/gemini-embedding-001:embedContent', { content: { parts: [{ text: 'a b' }] } });
    expect((one.body['embedding'] as { values: number[] }).values).toHaveLength(3072);
  });

  it.each([
    [{ requests: [] }, 'requests must not be empty'],
    [{ requests: Array.from({ length: 101 }, () => request('x')) }, 'at most 100 requests can be in one batch'],
    [{ requests: [request('x', 'models/other')] }, 'Model name must match'],
    [{ requests: [{ model: 'models/gemini-embedding-001', content: { parts: [] } }] }, 'contents.parts must not be empty'],
  ])('refuses %j with INVALID_ARGUMENT', async (body, message) => {
    const r = await post('/v1beta/models/gemini-embedding-001:batchEmbedContents', body);
    expect(r.status).toBe(400);
    expect(error(r)).toContain(message);
    expect((r.body['error'] as { status: string }).status).toBe('INVALID_ARGUMENT');
  });
});

describe('fake embeddings: Ollama /api/embed', () => {
  it('answers embeddings for a string or a list; refuses a missing model or a wrong input type', async () => {
    const ok = await post('/api/embed', { model: 'nomic-embed-text', input: ['a b', 'c'] });
    expect(ok.status).toBe(200);
    expect((ok.body['embeddings'] as number[][]).map((v) => v.length)).toEqual([768, 768]);
    expect(ok.body['prompt_eval_count']).toBe(2);
    expect(await post('/api/embed', { input: 'x' })).toEqual({ status: 400, body: { error: 'model is required' } });
    expect((await post('/api/embed', { model: 'nomic-embed-text', input: [1] })).status).toBe(400);
  });
});

describe('fake embeddings: scripting and the request log', () => {
  it('serves queued failures first (429 with retry-after), then a standing failure, and logs the inputs', async () => {
    server.enqueueEmbedding({ kind: 'error', error: 'rate_limit', retryAfter: 2 });
    const limited = await fetch(`${server.url}/v1/embeddings`, { method: 'POST', body: JSON.stringify({ model: 'm', input: ['q'] }) });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect((await post('/v1/embeddings', { model: 'm', input: ['q'] })).status).toBe(200);
    server.embeddingFailure = { kind: 'error', error: 'server' };
    expect((await post('/api/embed', { model: 'm', input: ['r'] })).status).toBe(500);
    expect(server.embeddingRequests.map((r) => [r.provider, r.embedInputs, r.outcome])).toEqual([
      ['openai', ['q'], 'error-reply'],
      ['openai', ['q'], 'completed'],
      ['ollama', ['r'], 'error-reply'],
    ]);
  });
});
