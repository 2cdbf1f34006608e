import type Anthropic from '@anthropic-ai/sdk';
import { classifyStainless } from './sdk-errors.js';
import { stopReasonOf, type Adapter, type AdapterEvent, type AttemptInput } from './adapter.js';

type Client = InstanceType<typeof Anthropic>;

/** Anthropic messages API through `@anthropic-ai/sdk`, loaded on first use. */
export function anthropicAdapter(): Adapter {
  let cached: { key: string; client: Client } | undefined;

  async function client(input: AttemptInput): Promise<Client> {
    const id = `${input.baseUrl}\0${input.apiKey ?? ''}\0${input.timeoutMs}`;
    if (cached?.key === id) return cached.client;
    const { default: AnthropicSdk } = await import('@anthropic-ai/sdk');
    // Everything explicit, so the SDK consults no environment, profile or config file of its own.
    const created = new AnthropicSdk({ apiKey: input.apiKey ?? null, baseURL: input.baseUrl, maxRetries: 0, timeout: input.timeoutMs, logLevel: 'off' });
    cached = { key: id, client: created };
    return created;
  }

  return {
    provider: 'anthropic',
    defaultBaseUrl: 'https://api.anthropic.com',
    async *stream(input: AttemptInput): AsyncGenerator<AdapterEvent> {
      const sdk = await client(input);
      // The SDK warns about deprecated models with console.warn, synchronously inside create(): catch
      // that line and pass it on as a notice, since nothing below the CLI may print.
      const notices: string[] = [];
      const sink = globalThis.console;
      const warn = sink.warn;
      sink.warn = (...args: unknown[]) => void notices.push(args.map(String).join(' '));
      let pending;
      try {
        pending = sdk.messages.create(
          {
            model: input.model,
            max_tokens: input.maxOutputTokens,
            messages: input.messages.flatMap((m) => (m.role === 'tool' ? [] : [{ role: m.role, content: m.content }])),
            ...(input.system === '' ? {} : { system: input.system }),
            ...(input.temperature === undefined ? {} : { temperature: input.temperature }),
            stream: true,
          },
          { signal: input.signal },
        );
      } finally {
        sink.warn = warn;
      }
      const stream = await pending;
      for (const notice of notices) yield { type: 'notice', message: notice.split('\n')[0] ?? notice };
      let stop: string | null | undefined;
      for await (const event of stream) {
        switch (event.type) {
          case 'message_start': {
            const usage = event.message.usage as { input_tokens?: number; cache_read_input_tokens?: number | null; cache_creation_input_tokens?: number | null } | undefined;
            if (usage?.input_tokens !== undefined) {
              // Cached prompt tokens are billed separately but are still part of the prompt.
              const input = usage.input_tokens + (usage.cache_read_input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0);
              yield { type: 'usage', inputTokens: input };
            }
            break;
          }
          case 'content_block_delta':
            if (event.delta.type === 'text_delta' && event.delta.text !== '') yield { type: 'text', text: event.delta.text };
            break;
          case 'message_delta': {
            stop = event.delta.stop_reason;
            const output = (event.usage as { output_tokens?: number } | undefined)?.output_tokens;
            if (output !== undefined) yield { type: 'usage', outputTokens: output };
            break;
          }
          case 'message_stop':
            yield { type: 'stop', reason: stopReasonOf(stop) };
            return;
          default:
            break;
        }
      }
    },
    classify: classifyStainless,
  };
}
