import type OpenAI from 'openai';
import { classifyStainless } from './sdk-errors.js';
import { stopReasonOf, type Adapter, type AdapterEvent, type AttemptInput } from './adapter.js';

type Client = InstanceType<typeof OpenAI>;

export const OPENAI_DEFAULT_URL = 'https://api.openai.com/v1';

/** OpenAI chat completions (and any server that speaks them) through `openai`, loaded on first use. */
export function openaiAdapter(extra: { organization?: string | undefined; project?: string | undefined } = {}): Adapter {
  let cached: { key: string; client: Client } | undefined;

  async function client(input: AttemptInput): Promise<Client> {
    const id = `${input.baseUrl}\0${input.apiKey ?? ''}\0${input.timeoutMs}`;
    if (cached?.key === id) return cached.client;
    const { default: OpenAISdk } = await import('openai');
    const created = new OpenAISdk({
      apiKey: input.apiKey ?? 'none',
      baseURL: input.baseUrl,
      organization: extra.organization ?? null,
      project: extra.project ?? null,
      webhookSecret: null,
      maxRetries: 0,
      timeout: input.timeoutMs,
      logLevel: 'off',
    });
    cached = { key: id, client: created };
    return created;
  }

  return {
    provider: 'openai',
    defaultBaseUrl: OPENAI_DEFAULT_URL,
    async *stream(input: AttemptInput): AsyncGenerator<AdapterEvent> {
      const sdk = await client(input);
      const official = /^https:\/\/api\.openai\.com(\/|$)/.test(input.baseUrl);
      const messages: { role: 'system' | 'user' | 'assistant'; content: string }[] = [];
      if (input.system !== '') messages.push({ role: 'system', content: input.system });
      for (const m of input.messages) if (m.role !== 'tool') messages.push({ role: m.role, content: m.content });
      const stream = await sdk.chat.completions.create(
        {
          model: input.model,
          messages,
          stream: true,
          stream_options: { include_usage: true },
          // OpenAI's reasoning models refuse `max_tokens`; many compatible servers only know it.
          ...(official ? { max_completion_tokens: input.maxOutputTokens } : { max_tokens: input.maxOutputTokens }),
          ...(input.temperature === undefined ? {} : { temperature: input.temperature }),
        },
        { signal: input.signal },
      );
      let finish: string | undefined;
      for await (const chunk of stream) {
        const choice = chunk.choices[0];
        const text = choice?.delta?.content;
        if (text) yield { type: 'text', text };
        if (choice?.finish_reason) finish = choice.finish_reason;
        if (chunk.usage) yield { type: 'usage', inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens };
      }
      // The SDK ends quietly at `[DONE]` or at a clean close without it; only a finish_reason says the reply is whole.
      if (finish !== undefined) yield { type: 'stop', reason: stopReasonOf(finish) };
    },
    classify: classifyStainless,
  };
}
