import type Anthropic from '@anthropic-ai/sdk';
import type { ChatMessage, ToolSpec } from '../types.js';
import { classifyStainless } from './sdk-errors.js';
import { stopReasonOf, type Adapter, type AdapterEvent, type AttemptInput } from './adapter.js';

type Client = InstanceType<typeof Anthropic>;
type Block = Anthropic.ContentBlockParam;
type Turn = { role: 'user' | 'assistant'; content: Block[] };

/** Anthropic's prompt cache allows at most this many `cache_control` blocks per request. */
export const MAX_CACHE_BREAKPOINTS = 4;
const EPHEMERAL = { type: 'ephemeral' } as const;

/** The model's arguments as the object `tool_use.input` must be; anything else was already answered with an error result. */
function inputOf(args: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(args);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // Not JSON: the tool loop told the model so; the history still needs a well-formed block.
  }
  return {};
}

function blocksOf(message: ChatMessage): Turn {
  switch (message.role) {
    case 'user':
      return { role: 'user', content: message.content === '' ? [] : [{ type: 'text', text: message.content }] };
    case 'assistant': {
      const content: Block[] = message.content === '' ? [] : [{ type: 'text', text: message.content }];
      for (const call of message.toolCalls ?? []) content.push({ type: 'tool_use', id: call.id, name: call.name, input: inputOf(call.arguments) });
      return { role: 'assistant', content };
    }
    case 'tool':
      return {
        role: 'user',
        content: message.results.map((result) => ({
          type: 'tool_result' as const,
          tool_use_id: result.callId,
          content: result.content,
          ...(result.isError ? { is_error: true } : {}),
        })),
      };
  }
}

/**
 * The conversation as Anthropic wants it: roles alternate (tool results and the user text after
 * them share one user message), `tool_result` blocks open their message, and every message is a
 * block array, so a turn renders the same bytes whether or not it is the last one.
 */
export function anthropicMessages(messages: readonly ChatMessage[]): Turn[] {
  const turns: Turn[] = [];
  for (const message of messages) {
    const turn = blocksOf(message);
    // An empty message is rejected by the API and says nothing: leave it out.
    if (turn.content.length === 0) continue;
    const last = turns.at(-1);
    if (last?.role === turn.role) last.content.push(...turn.content);
    else turns.push(turn);
  }
  for (const turn of turns) {
    if (turn.role !== 'user') continue;
    const results = turn.content.filter((b) => b.type === 'tool_result');
    if (results.length > 0) turn.content = [...results, ...turn.content.filter((b) => b.type !== 'tool_result')];
  }
  return turns;
}

function toolsOf(tools: readonly ToolSpec[]): Anthropic.Tool[] {
  return tools.map((tool) => ({ name: tool.name, description: tool.description, input_schema: tool.parameters as Anthropic.Tool.InputSchema }));
}

/**
 * The request's cacheable parts with their breakpoints: the system prompt, the last tool and the
 * last block of the last message (at most three of the four Anthropic allows). System and tools
 * render the same bytes on every step of a turn, so each step reads the prefix the last one wrote.
 */
export function anthropicPrompt(input: Pick<AttemptInput, 'system' | 'messages' | 'tools'>): {
  system: Anthropic.TextBlockParam[] | undefined;
  tools: Anthropic.Tool[] | undefined;
  messages: Turn[];
} {
  const system: Anthropic.TextBlockParam[] | undefined = input.system === '' ? undefined : [{ type: 'text', text: input.system, cache_control: EPHEMERAL }];
  const tools = input.tools.length === 0 ? undefined : toolsOf(input.tools);
  const lastTool = tools?.at(-1);
  if (lastTool) lastTool.cache_control = EPHEMERAL;
  const messages = anthropicMessages(input.messages);
  const lastBlock = messages.at(-1)?.content.at(-1);
  if (lastBlock && (lastBlock.type === 'text' || lastBlock.type === 'tool_result' || lastBlock.type === 'tool_use')) lastBlock.cache_control = EPHEMERAL;
  return { system, tools, messages };
}

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
      const prompt = anthropicPrompt(input);
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
            messages: prompt.messages,
            ...(prompt.system === undefined ? {} : { system: prompt.system }),
            ...(prompt.tools === undefined ? {} : { tools: prompt.tools }),
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
      // tool_use blocks being streamed, by content index: their input arrives as JSON fragments.
      const calls = new Map<number, { id: string; name: string; json: string }>();
      for await (const event of stream) {
        switch (event.type) {
          case 'message_start': {
            const usage = event.message.usage as { input_tokens?: number; cache_read_input_tokens?: number | null; cache_creation_input_tokens?: number | null } | undefined;
            if (usage?.input_tokens !== undefined) {
              const read = usage.cache_read_input_tokens ?? 0;
              const written = usage.cache_creation_input_tokens ?? 0;
              // Anthropic counts cached prompt tokens apart from input_tokens; they are still prompt.
              yield {
                type: 'usage',
                inputTokens: usage.input_tokens + read + written,
                ...(read > 0 ? { cachedInputTokens: read } : {}),
                ...(written > 0 ? { cacheWriteTokens: written } : {}),
              };
            }
            break;
          }
          case 'content_block_start':
            if (event.content_block.type === 'tool_use') calls.set(event.index, { id: event.content_block.id, name: event.content_block.name, json: '' });
            break;
          case 'content_block_delta':
            if (event.delta.type === 'text_delta' && event.delta.text !== '') yield { type: 'text', text: event.delta.text };
            else if (event.delta.type === 'input_json_delta') {
              const call = calls.get(event.index);
              if (call) call.json += event.delta.partial_json;
            }
            break;
          case 'content_block_stop': {
            const call = calls.get(event.index);
            if (call) {
              calls.delete(event.index);
              // A call without arguments streams no fragment at all.
              yield { type: 'tool_call', call: { id: call.id, name: call.name, arguments: call.json || '{}' } };
            }
            break;
          }
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
    // Anthropic always takes tools: a 400 about them is a malformed history (a tool_result without
    // its tool_use...), a bug to report, not a reason to fall back to text mode.
    rejectsTools: () => false,
  };
}
