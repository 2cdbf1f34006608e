import { usageError } from '../errors.js';
import type { ProviderName } from './types.js';

export const PROVIDER_NAMES: readonly ProviderName[] = ['anthropic', 'openai', 'google', 'ollama'];

export function isProviderName(value: string): value is ProviderName {
  return (PROVIDER_NAMES as readonly string[]).includes(value);
}

/** Splits `provider/model`. The model part may itself contain `/` and `:` (`ollama/library/qwen2.5-coder:7b`). */
export function parseModelName(name: string): { provider: ProviderName; model: string } {
  const slash = name.indexOf('/');
  const provider = slash > 0 ? name.slice(0, slash) : '';
  const model = slash > 0 ? name.slice(slash + 1).trim() : '';
  if (provider === '' || model === '') {
    throw usageError('llm.bad-model-name', `model "${name}" is not of the form provider/model`, 'e.g. anthropic/claude-sonnet-4-5, openai/gpt-4.1, google/gemini-2.5-pro, ollama/qwen2.5-coder');
  }
  if (!isProviderName(provider)) {
    throw usageError(
      'llm.unknown-provider',
      `unknown provider "${provider}" in model "${name}"`,
      `providers are ${PROVIDER_NAMES.join(', ')}; an OpenAI-compatible server is openai/<model> with OPENAI_BASE_URL or llm.openai.base_url`,
    );
  }
  return { provider, model };
}
