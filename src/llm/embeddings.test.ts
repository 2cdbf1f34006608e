import { describe, expect, it } from 'vitest';
import { FAKE_KEYS, fakeVector } from '../../test/fake-llm/index.js';
import { useFakeEmbeddings } from '../../test/helpers/fake-embeddings.js';
import { AssistError } from '../errors.js';
import { embeddingModelFor } from './embeddings.js';

// The embeddings client (createEmbedder, through the helper) via the real SDKs (openai,
// @google/genai, ollama) against test/fake-llm.
const fake = useFakeEmbeddings(64);
const texts = (n: number): string[] => Array.from({ length: n }, (_, i) => `function handler${i}(request) { return parseBody${i % 7}(request); }`);

describe('createEmbedder', () => {
  it.each([
    ['openai/text-embedding-3-small', 'openai', 2048],
    ['google/gemini-embedding-001', 'google', 100],
    ['ollama/nomic-embed-text', 'ollama', 64],
  ] as const)('%s: batched to the API maximum, vectors in order', async (model, provider, max) => {
    const embedder = fake.embedder({ model });
    const n = provider === 'openai' ? 5 : max + 3;
    const input = texts(n);
    const result = await embedder.embed(input);
    expect(result.vectors).toHaveLength(n);
    const requests = fake.server.embeddingRequests;
    expect(requests.map((r) => r.embedInputs!.length)).toEqual(provider === 'openai' ? [5] : [max, 3]);
    expect(requests.every((r) => r.provider === provider && r.outcome === 'completed')).toBe(true);
    // The fake's vector of the same text, decoded from the wire (base64 floats for openai).
    const expected = fakeVector(input[4]!, 64);
    for (let i = 0; i < 64; i++) expect(result.vectors[4]![i]).toBeCloseTo(expected[i]!, 5);
    expect(result.tokens).toBeGreaterThan(0);
  });

  it('sends the key of the provider and never puts it in an error', async () => {
    fake.server.apiKeys.openai = 'sk-other';
    const embedder = fake.embedder({ model: 'openai/text-embedding-3-small' });
    const error = await embedder.embed(['a b c']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AssistError);
    expect((error as AssistError).code).toBe('llm.key-rejected');
    expect(JSON.stringify({ m: (error as Error).message, d: (error as AssistError).data })).not.toContain(FAKE_KEYS.openai);
    expect(fake.server.embeddingRequests[0]!.apiKey).toBe(FAKE_KEYS.openai);
  });

  it.each(['openai/text-embedding-3-small', 'google/gemini-embedding-001', 'ollama/nomic-embed-text'])('%s: a 429 is retried after its retry-after', async (model) => {
    fake.server.enqueueEmbedding({ kind: 'error', error: 'rate_limit', retryAfter: 0.01 });
    const embedder = fake.embedder({ model });
    const result = await embedder.embed(['one', 'two']);
    expect(result.vectors).toHaveLength(2);
    expect(fake.server.embeddingRequests.map((r) => r.outcome)).toEqual(['error-reply', 'completed']);
  });

  it('a service that keeps failing ends in one AssistError (exit 4) after the retries', async () => {
    fake.server.embeddingFailure = { kind: 'error', error: 'server' };
    const embedder = fake.embedder({ model: 'ollama/nomic-embed-text', maxAttempts: 3 });
    const error = await embedder.embed(['x']).catch((e: unknown) => e);
    expect((error as AssistError).exitCode).toBe(4);
    expect(fake.server.embeddingRequests).toHaveLength(3);
  });
});

describe('embeddingModelFor', () => {
  it('takes the configured model, else the default of the chat model provider', () => {
    expect(embeddingModelFor('google/text-embedding-004', 'openai/gpt-4.1')).toBe('google/text-embedding-004');
    expect(embeddingModelFor(undefined, 'openai/gpt-4.1')).toBe('openai/text-embedding-3-small');
    expect(embeddingModelFor(undefined, 'google/gemini-2.5-pro')).toBe('google/gemini-embedding-001');
    expect(embeddingModelFor(undefined, 'ollama/qwen2.5-coder')).toBe('ollama/nomic-embed-text');
  });

  it('anthropic has no embeddings API: the error says what to set', () => {
    expect(() => embeddingModelFor(undefined, 'anthropic/claude-sonnet-4-5')).toThrow(/set context\.embedding_model/);
  });
});
