import { parseModelName } from './model-name.js';
import type { LlmClientOptions, ModelInfo, ProviderName } from './types.js';

interface Entry {
  window: number;
  output: number;
  /** Dollars per million tokens; undefined when unknown. Local Ollama models cost 0. */
  input: number | undefined;
  outputPrice: number | undefined;
  /** OpenAI: asked through the Responses API (reasoning models that keep their reasoning across tool calls there). */
  responsesApi?: boolean;
  /** Dollars per million input tokens read from the provider's cache, where the vendor lists it. */
  cached?: number;
}

const e = (
  window: number,
  output: number,
  input: number | undefined,
  outputPrice: number | undefined,
  flags: { responsesApi?: boolean } | number = {},
): Entry => {
  const extra = typeof flags === 'number' ? { cached: flags } : flags;
  return { window, output, input, outputPrice, ...extra };
};

/** Flag of OpenAI models asked through the Responses API. */
const RESPONSES = { responsesApi: true } as const;

// Sources and dates are in docs/providers.md. Ollama windows are what assist asks Ollama to
// allocate (num_ctx), capped at 32k by default: a 128k KV cache needs more memory than most
// machines running Ollama have; raise it with models."ollama/<model>".context_window.
const TABLE: Record<ProviderName, Record<string, Entry>> = {
  anthropic: {
    'claude-fable-5-1': e(1_000_000, 128_000, 10, 50),
    'claude-opus-5-5': e(1_000_000, 128_000, 4, 20),
    'claude-opus-5': e(1_000_000, 128_000, 5, 25),
    'claude-sonnet-5-5': e(1_000_000, 128_000, 2, 10),
    'claude-sonnet-5': e(1_000_000, 128_000, 2, 10),
    'claude-sonnet-4-5': e(200_000, 64_000, 3, 15),
    'claude-sonnet-4': e(200_000, 64_000, 3, 15),
    'claude-sonnet-4-0': e(200_000, 64_000, 3, 15),
    'claude-3-7-sonnet': e(200_000, 64_000, 3, 15),
    'claude-3-5-sonnet': e(200_000, 8_192, 3, 15),
    'claude-opus-4-1': e(200_000, 32_000, 15, 75),
    'claude-opus-4': e(200_000, 32_000, 15, 75),
    'claude-opus-4-0': e(200_000, 32_000, 15, 75),
    'claude-haiku-4-5': e(200_000, 64_000, 1, 5),
    'claude-3-5-haiku': e(200_000, 8_192, 0.8, 4),
    'claude-3-haiku': e(200_000, 4_096, 0.25, 1.25),
  },
  openai: {
    'gpt-5.4': e(1_050_000, 128_000, 2.5, 15, RESPONSES),
    'gpt-5.2': e(400_000, 128_000, 1.75, 14, RESPONSES),
    'gpt-5.1': e(400_000, 128_000, 1.25, 10, RESPONSES),
    'gpt-5': e(400_000, 128_000, 1.25, 10, RESPONSES),
    'gpt-5-mini': e(400_000, 128_000, 0.25, 2, RESPONSES),
    'gpt-5-nano': e(400_000, 128_000, 0.05, 0.4, RESPONSES),
    'gpt-4.1': e(1_047_576, 32_768, 2, 8),
    'gpt-4.1-mini': e(1_047_576, 32_768, 0.4, 1.6),
    'gpt-4.1-nano': e(1_047_576, 32_768, 0.1, 0.4),
    'gpt-4o': e(128_000, 16_384, 2.5, 10),
    'gpt-4o-mini': e(128_000, 16_384, 0.15, 0.6),
    o3: e(200_000, 100_000, 2, 8, RESPONSES),
    'o3-mini': e(200_000, 100_000, 1.1, 4.4),
    'o4-mini': e(200_000, 100_000, 1.1, 4.4, RESPONSES),
  },
  // Prices of the <=200k-token prompt tier (Pro models charge more above it).
  google: {
    'gemini-3.1-pro-preview': e(1_048_576, 65_536, 2, 12, 0.2),
    'gemini-3-pro-preview': e(1_048_576, 65_536, 2, 12, 0.2),
    'gemini-3-flash-preview': e(1_048_576, 65_536, 0.5, 3, 0.05),
    'gemini-2.5-pro': e(1_048_576, 65_536, 1.25, 10, 0.125),
    'gemini-2.5-flash': e(1_048_576, 65_536, 0.3, 2.5, 0.03),
    'gemini-2.5-flash-lite': e(1_048_576, 65_536, 0.1, 0.4, 0.01),
  },
  ollama: {
    'qwen2.5-coder': e(32_768, 8_192, 0, 0),
    'qwen3-coder': e(32_768, 8_192, 0, 0),
    qwen3: e(32_768, 8_192, 0, 0),
    'llama3.1': e(32_768, 8_192, 0, 0),
    'llama3.2': e(32_768, 8_192, 0, 0),
    'llama3.3': e(32_768, 8_192, 0, 0),
    'deepseek-coder-v2': e(32_768, 8_192, 0, 0),
    'deepseek-r1': e(32_768, 8_192, 0, 0),
    codellama: e(16_384, 4_096, 0, 0),
    mistral: e(32_768, 8_192, 0, 0),
    devstral: e(32_768, 8_192, 0, 0),
    gemma3: e(32_768, 8_192, 0, 0),
  },
};

/** What an unknown model gets: small enough to be safe for any current model. */
export const UNKNOWN_MODEL_DEFAULTS = { contextWindow: 8_192, maxOutput: 4_096 } as const;

/** Registry names a provider's own spelling maps to: dated snapshots, `-latest`, Ollama tags. */
function canonical(provider: ProviderName, model: string): string {
  if (provider === 'anthropic') return model.replace(/-(\d{8}|latest)$/, '');
  if (provider === 'openai') return model.replace(/-\d{4}-\d{2}-\d{2}$/, '').replace(/-latest$/, '');
  // `models/gemini-2.5-flash`, `gemini-2.5-flash-preview-09-2025`, `gemini-2.0-flash-001`, `-latest`
  if (provider === 'google') return model.replace(/^models\//, '').replace(/-latest$/, '').replace(/-\d{3}$/, '').replace(/-preview-\d{2}-\d{2,4}$/, '');
  // `qwen2.5-coder:7b-instruct-q4_K_M`, `library/llama3.1`, `registry.ollama.ai/library/llama3.1:8b`
  const base = model.split(':')[0] ?? model;
  return base.split('/').pop() ?? base;
}

/** Every model the built-in registry knows, as `provider/model`. */
export function knownModels(): string[] {
  return (Object.keys(TABLE) as ProviderName[]).flatMap((provider) => Object.keys(TABLE[provider]).map((model) => `${provider}/${model}`));
}

/** Looks a `provider/model` name up, applying `config.models` overrides (by the exact name, then the canonical one). */
export function lookupModel(name: string, overrides: LlmClientOptions['models'] = {}): ModelInfo {
  const { provider, model } = parseModelName(name);
  const base = canonical(provider, model);
  const entry = TABLE[provider][model] ?? TABLE[provider][base];
  const override = overrides[name] ?? overrides[`${provider}/${base}`] ?? {};
  const known = entry !== undefined;
  const contextWindow = override.context_window ?? entry?.window ?? UNKNOWN_MODEL_DEFAULTS.contextWindow;
  return {
    id: name,
    provider,
    model,
    contextWindow,
    maxOutput: Math.min(override.max_output ?? entry?.output ?? UNKNOWN_MODEL_DEFAULTS.maxOutput, contextWindow),
    inputPrice: override.input_price ?? entry?.input ?? (provider === 'ollama' ? 0 : undefined),
    outputPrice: override.output_price ?? entry?.outputPrice ?? (provider === 'ollama' ? 0 : undefined),
    ...(entry?.responsesApi ? { responsesApi: true } : {}),
    ...(cachedPrice(provider, base, override.input_price ?? entry?.input, entry?.cached)),
    known,
    note:
      known || override.context_window !== undefined
        ? undefined
        : `${name} is not in assist's model registry: assuming a ${contextWindow}-token window and ${UNKNOWN_MODEL_DEFAULTS.maxOutput}-token output, price unknown; set models."${name}".context_window (and max_output, input_price, output_price) in config`,
  };
}

/**
 * The price of prompt tokens read from the provider's cache: the table's own figure where it has
 * one, else the provider's published share of the input price (docs/providers.md, "Prompt
 * caching"): Anthropic 10%; OpenAI 10% for the gpt-5 family, 25% for gpt-4.1 and the o-series,
 * 50% for gpt-4o. Unknown: none (cached tokens are then priced as input).
 */
function cachedPrice(provider: ProviderName, model: string, input: number | undefined, listed: number | undefined): { cachedInputPrice?: number } {
  if (listed !== undefined) return { cachedInputPrice: listed };
  if (input === undefined) return {};
  let share: number | undefined;
  if (provider === 'anthropic') share = 0.1;
  else if (provider === 'openai') share = /^gpt-5/.test(model) ? 0.1 : /^(gpt-4\.1|o\d)/.test(model) ? 0.25 : /^gpt-4o/.test(model) ? 0.5 : undefined;
  return share === undefined ? {} : { cachedInputPrice: Math.round(input * share * 10_000) / 10_000 };
}

/**
 * Dollars for a usage at the model's prices: prompt tokens read from the cache at the cached price
 * where the registry has one; undefined when a price is unknown.
 */
export function costOf(usage: { inputTokens: number; outputTokens: number; cachedInputTokens?: number }, info: Pick<ModelInfo, 'inputPrice' | 'outputPrice' | 'cachedInputPrice'>): number | undefined {
  if (info.inputPrice === undefined || info.outputPrice === undefined) return undefined;
  const cached = Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens);
  const cachedPrice = info.cachedInputPrice ?? info.inputPrice;
  return ((usage.inputTokens - cached) * info.inputPrice + cached * cachedPrice + usage.outputTokens * info.outputPrice) / 1_000_000;
}
