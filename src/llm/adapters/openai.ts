import { randomUUID } from 'node:crypto';
import type OpenAI from 'openai';
import type { ToolCall } from '../types.js';
import { classifyStainless } from './sdk-errors.js';
import { stopReasonOf, type Adapter, type AdapterEvent, type AttemptInput } from './adapter.js';
import { ALIVE, streamResponses } from './openai-responses.js';

type Client = InstanceType<typeof OpenAI>;

export const OPENAI_DEFAULT_URL = 'https://api.openai.com/v1';

/** The chat-completions messages of an attempt: system first, then each `tool` message split into one message per result. */
export function chatMessages(input: Pick<AttemptInput, 'system' | 'messages'>): OpenAI.Chat.ChatCompletionMessageParam[] {
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [];
  if (input.system !== '') messages.push({ role: 'system', content: input.system });
  for (const m of input.messages) {
    if (m.role === 'user') {
      messages.push({ role: 'user', content: m.content });
    } else if (m.role === 'assistant') {
      const calls = m.toolCalls ?? [];
      if (calls.length === 0) {
        messages.push({ role: 'assistant', content: m.content });
        continue;
      }
      messages.push({
        role: 'assistant',
        content: m.content === '' ? null : m.content,
        tool_calls: calls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })),
      });
    } else {
      for (const result of m.results) messages.push({ role: 'tool', tool_call_id: result.callId, content: result.content });
    }
  }
  return messages;
}

export function chatTools(input: Pick<AttemptInput, 'tools'>): OpenAI.Chat.ChatCompletionFunctionTool[] {
  return input.tools.map((tool) => ({ type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.parameters } }));
}

/**
 * OpenAI through `openai`, loaded on first use: chat completions (any server that speaks them),
 * or the Responses API for the models the registry marks `responsesApi`.
 */
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
      if (input.info.responsesApi) {
        yield* streamResponses(sdk, input);
        return;
      }
      const official = /^https:\/\/api\.openai\.com(\/|$)/.test(input.baseUrl);
      const stream = await sdk.chat.completions.create(
        {
          model: input.model,
          messages: chatMessages(input),
          stream: true,
          stream_options: { include_usage: true },
          // A server without tool support may reject the field itself, so a text-only request has none.
          ...(input.tools.length > 0 ? { tools: chatTools(input) } : {}),
          // OpenAI's reasoning models refuse `max_tokens`; many compatible servers only know it.
          ...(official ? { max_completion_tokens: input.maxOutputTokens } : { max_tokens: input.maxOutputTokens }),
          ...(input.temperature === undefined ? {} : { temperature: input.temperature }),
        },
        { signal: input.signal },
      );
      let finish: string | undefined;
      // Tool calls arrive in fragments keyed by `index`: id and name in the first, arguments in pieces.
      const calls = new Map<number, ToolCall>();
      for await (const chunk of stream) {
        const choice = chunk.choices[0];
        const text = choice?.delta?.content;
        if (text) yield { type: 'text', text };
        const fragments = choice?.delta?.tool_calls ?? [];
        // Arguments can stream for minutes (a whole file for write_file) with no text: say the reply is alive.
        if (fragments.length > 0) yield ALIVE;
        for (const [position, fragment] of fragments.entries()) {
          const index = typeof fragment.index === 'number' ? fragment.index : position;
          let call = calls.get(index);
          if (!call) calls.set(index, (call = { id: '', name: '', arguments: '' }));
          // Some compatible servers repeat id and name in every fragment: they replace, never append.
          if (fragment.id) call.id = fragment.id;
          if (fragment.function?.name) call.name = fragment.function.name;
          if (fragment.function?.arguments) call.arguments += fragment.function.arguments;
        }
        if (choice?.finish_reason) finish = choice.finish_reason;
        if (chunk.usage) {
          const cached = chunk.usage.prompt_tokens_details?.cached_tokens;
          yield {
            type: 'usage',
            inputTokens: chunk.usage.prompt_tokens,
            outputTokens: chunk.usage.completion_tokens,
            ...(typeof cached === 'number' && cached > 0 ? { cachedInputTokens: cached } : {}),
          };
        }
      }
      // The SDK ends quietly at `[DONE]` or at a clean close without it; only a finish_reason says the reply is whole.
      if (finish === undefined) return;
      for (const [, call] of [...calls.entries()].sort(([a], [b]) => a - b)) {
        // A server that sends no id still needs one, unique in the conversation, for the results to answer.
        yield { type: 'tool_call', call: { ...call, id: call.id || `call_${randomUUID().slice(0, 8)}` } };
      }
      yield { type: 'stop', reason: stopReasonOf(finish) };
    },
    classify: classifyStainless,
  };
}
