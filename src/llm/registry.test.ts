import { describe, expect, it } from 'vitest';
import { AssistError } from '../errors.js';
import { parseModelName } from './model-name.js';
import { costOf, knownModels, lookupModel, UNKNOWN_MODEL_DEFAULTS } from './registry.js';

describe('model registry', () => {
  it.each([
    ['anthropic/claude-sonnet-4-5', 200_000, 64_000, 3, 15],
    ['anthropic/claude-sonnet-4-5-20250929', 200_000, 64_000, 3, 15],
    ['anthropic/claude-opus-4-1', 200_000, 32_000, 15, 75],
    ['anthropic/claude-haiku-4-5', 200_000, 64_000, 1, 5],
    ['anthropic/claude-3-5-haiku-latest', 200_000, 8_192, 0.8, 4],
    ['anthropic/claude-sonnet-5-5', 1_000_000, 128_000, 2, 10],
    ['openai/gpt-4.1', 1_047_576, 32_768, 2, 8],
    ['openai/gpt-4.1-mini', 1_047_576, 32_768, 0.4, 1.6],
    ['openai/gpt-4o-2024-08-06', 128_000, 16_384, 2.5, 10],
    ['openai/gpt-4o-mini', 128_000, 16_384, 0.15, 0.6],
    ['openai/o3', 200_000, 100_000, 2, 8],
    ['openai/o4-mini', 200_000, 100_000, 1.1, 4.4],
    ['openai/gpt-5', 400_000, 128_000, 1.25, 10],
    ['google/gemini-2.5-pro', 1_048_576, 65_536, 1.25, 10],
    ['google/gemini-2.5-flash', 1_048_576, 65_536, 0.3, 2.5],
    ['google/gemini-2.5-flash-preview-09-2025', 1_048_576, 65_536, 0.3, 2.5],
    ['google/gemini-2.5-flash-lite', 1_048_576, 65_536, 0.1, 0.4],
    ['google/gemini-3-pro-preview', 1_048_576, 65_536, 2, 12],
    ['google/gemini-3-flash-preview', 1_048_576, 65_536, 0.5, 3],
    ['ollama/qwen2.5-coder', 32_768, 8_192, 0, 0],
    ['ollama/qwen2.5-coder:14b-instruct-q4_K_M', 32_768, 8_192, 0, 0],
    ['ollama/llama3.1:8b', 32_768, 8_192, 0, 0],
    ['ollama/deepseek-coder-v2', 32_768, 8_192, 0, 0],
    ['ollama/codellama', 16_384, 4_096, 0, 0],
  ])('%s: window %i, output %i, $%s/$%s', (name, window, output, input, outputPrice) => {
    const info = lookupModel(name);
    expect(info).toMatchObject({ id: name, contextWindow: window, maxOutput: output, inputPrice: input, outputPrice, known: true, note: undefined });
  });

  it('Gemini entries carry the cached-input price; others leave it unset', () => {
    expect(lookupModel('google/gemini-2.5-flash').cachedInputPrice).toBe(0.03);
    expect(lookupModel('google/models/gemini-2.5-pro').cachedInputPrice).toBe(0.125);
    expect(lookupModel('google/gemini-3-flash-preview').cachedInputPrice).toBe(0.05);
    expect(lookupModel('google/gemini-9-ultra')).toMatchObject({ known: false, inputPrice: undefined });
    expect(lookupModel('google/gemini-9-ultra').cachedInputPrice).toBeUndefined();
  });

  it('keeps the provider model name as given (tags and dates included)', () => {
    expect(lookupModel('ollama/qwen2.5-coder:7b')).toMatchObject({ provider: 'ollama', model: 'qwen2.5-coder:7b' });
    expect(lookupModel('openai/ft:gpt-4o-mini:acme::abc')).toMatchObject({ provider: 'openai', model: 'ft:gpt-4o-mini:acme::abc' });
  });

  it('unknown models get safe defaults, an unknown price and a note saying how to set them', () => {
    const info = lookupModel('openai/my-local-llama');
    expect(info).toMatchObject({ known: false, contextWindow: UNKNOWN_MODEL_DEFAULTS.contextWindow, maxOutput: UNKNOWN_MODEL_DEFAULTS.maxOutput, inputPrice: undefined, outputPrice: undefined });
    expect(info.note).toContain('models."openai/my-local-llama".context_window');
    expect(lookupModel('ollama/some-new-model')).toMatchObject({ known: false, inputPrice: 0, outputPrice: 0 });
  });

  it('config overrides win, by exact name or by the registry name', () => {
    const overrides = { 'openai/gpt-4.1': { context_window: 100_000, input_price: 1.5 }, 'openai/my-model': { context_window: 64_000, max_output: 8_000 } };
    expect(lookupModel('openai/gpt-4.1', overrides)).toMatchObject({ contextWindow: 100_000, maxOutput: 32_768, inputPrice: 1.5, outputPrice: 8 });
    expect(lookupModel('openai/gpt-4.1-2025-04-14', overrides)).toMatchObject({ contextWindow: 100_000 });
    expect(lookupModel('openai/my-model', overrides)).toMatchObject({ known: false, contextWindow: 64_000, maxOutput: 8_000, note: undefined });
  });

  it('never lets the output limit exceed the window', () => {
    expect(lookupModel('ollama/codellama', { 'ollama/codellama': { context_window: 2_048 } }).maxOutput).toBe(2_048);
  });

  it('every built-in entry is sane', () => {
    for (const name of knownModels()) {
      const info = lookupModel(name);
      expect(info.maxOutput, name).toBeLessThanOrEqual(info.contextWindow);
      expect(info.contextWindow, name).toBeGreaterThanOrEqual(8_192);
      expect(info.inputPrice, name).toBeDefined();
    }
    expect(knownModels().length).toBeGreaterThan(30);
  });

  it('prices usage', () => {
    expect(costOf({ inputTokens: 1_000_000, outputTokens: 100_000 }, lookupModel('anthropic/claude-sonnet-4-5'))).toBeCloseTo(4.5);
    expect(costOf({ inputTokens: 10, outputTokens: 10 }, lookupModel('openai/unknown-thing'))).toBeUndefined();
  });
});

describe('parseModelName', () => {
  it('splits at the first slash', () => {
    expect(parseModelName('ollama/library/qwen2.5-coder:7b')).toEqual({ provider: 'ollama', model: 'library/qwen2.5-coder:7b' });
  });

  it.each([
    ['claude-sonnet-4-5', 'llm.bad-model-name'],
    ['anthropic/', 'llm.bad-model-name'],
    ['/gpt-4.1', 'llm.bad-model-name'],
    ['mistral/large', 'llm.unknown-provider'],
  ])('%s is a usage error (%s)', (name, code) => {
    let caught: unknown;
    try {
      parseModelName(name);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AssistError);
    expect((caught as AssistError).code).toBe(code);
    expect((caught as AssistError).exitCode).toBe(2);
  });
});
