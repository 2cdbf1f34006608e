import type OpenAI from 'openai';
import type { StopReason, ToolCall } from '../types.js';
import type { AdapterEvent, AttemptInput } from './adapter.js';

type Client = InstanceType<typeof OpenAI>;
type InputItem = OpenAI.Responses.ResponseInputItem;

/**
 * An empty usage event: the stream is making progress though nothing is shown yet (tool-call
 * arguments arrive in fragments, yielded whole at the end). It keeps the client's idle timers
 * from firing and marks the attempt as started, and changes no count.
 */
export const ALIVE: AdapterEvent = { type: 'usage' };

/**
 * An error the Responses stream reported as an event (`response.failed`, or an `error` event the
 * SDK let through). Shaped like the SDK's own in-stream `APIError` (an `error` body and no status),
 * so `classifyStainless` maps its `code` as it does theirs.
 */
class ResponsesStreamError extends Error {
  constructor(readonly error: { code?: string | null; message: string }) {
    super(error.message);
    this.name = 'ResponsesStreamError';
  }
}

/**
 * The Responses `input` of an attempt. An assistant message becomes its replayed reasoning items
 * (when they came from this provider), its text, then one `function_call` item per call; a `tool`
 * message one `function_call_output` per result.
 */
export function responsesInput(input: Pick<AttemptInput, 'messages'>): InputItem[] {
  const items: InputItem[] = [];
  for (const m of input.messages) {
    if (m.role === 'user') {
      items.push({ role: 'user', content: m.content });
    } else if (m.role === 'assistant') {
      // Reasoning items go back in front of the output they led to, as the model produced them.
      if (m.replay?.provider === 'openai') items.push(...(m.replay.items as InputItem[]));
      const calls = m.toolCalls ?? [];
      if (m.content !== '' || calls.length === 0) items.push({ role: 'assistant', content: m.content });
      for (const call of calls) items.push({ type: 'function_call', call_id: call.id, name: call.name, arguments: call.arguments });
    } else {
      for (const result of m.results) items.push({ type: 'function_call_output', call_id: result.callId, output: result.content });
    }
  }
  return items;
}

export function responsesTools(input: Pick<AttemptInput, 'tools'>): OpenAI.Responses.FunctionTool[] {
  // strict: true would force every property into `required` and forbid optional arguments.
  return input.tools.map((tool) => ({ type: 'function', name: tool.name, description: tool.description, parameters: tool.parameters, strict: false }));
}

function usageEvent(usage: OpenAI.Responses.ResponseUsage | null | undefined): AdapterEvent | undefined {
  if (!usage) return undefined;
  const cached = usage.input_tokens_details?.cached_tokens;
  return {
    type: 'usage',
    inputTokens: usage.input_tokens,
    outputTokens: usage.output_tokens,
    ...(typeof cached === 'number' && cached > 0 ? { cachedInputTokens: cached } : {}),
  };
}

/**
 * One attempt through the Responses API. Nothing is stored at OpenAI (`store: false`): the whole
 * conversation goes in `input` every time, and reasoning comes back encrypted so it can be replayed
 * with the tool results (reasoning models lose their train of thought between tool calls without it).
 */
export async function* streamResponses(sdk: Client, input: AttemptInput): AsyncGenerator<AdapterEvent> {
  const stream = await sdk.responses.create(
    {
      model: input.model,
      input: responsesInput(input),
      ...(input.system === '' ? {} : { instructions: input.system }),
      stream: true,
      store: false,
      include: ['reasoning.encrypted_content'],
      max_output_tokens: input.maxOutputTokens,
      ...(input.tools.length > 0 ? { tools: responsesTools(input) } : {}),
      // No temperature: the Responses-first models are reasoning models, which refuse it.
    },
    { signal: input.signal },
  );
  const calls: ToolCall[] = [];
  const reasoning: unknown[] = [];
  let stop: StopReason | undefined;
  let usage: AdapterEvent | undefined;
  for await (const event of stream) {
    switch (event.type) {
      case 'response.output_text.delta':
        if (event.delta) yield { type: 'text', text: event.delta };
        break;
      case 'response.function_call_arguments.delta':
        yield ALIVE;
        break;
      case 'response.output_item.done': {
        const item = event.item;
        if (item.type === 'function_call') calls.push({ id: item.call_id, name: item.name, arguments: item.arguments });
        else if (item.type === 'reasoning') reasoning.push(item);
        break;
      }
      case 'response.completed':
        usage = usageEvent(event.response.usage);
        stop = calls.length > 0 ? 'tool_use' : 'end';
        break;
      case 'response.incomplete':
        usage = usageEvent(event.response.usage);
        stop = event.response.incomplete_details?.reason === 'max_output_tokens' ? 'max_tokens' : 'other';
        break;
      case 'response.failed':
        throw new ResponsesStreamError({ code: event.response.error?.code ?? null, message: event.response.error?.message ?? 'the response failed' });
      case 'error':
        // The SDK throws an `error` event that nests its body; the flat shape its types describe comes through here.
        throw new ResponsesStreamError({ code: event.code, message: event.message });
      default:
        break;
    }
  }
  // A stream that ends without response.completed (or .incomplete) was cut.
  if (stop === undefined) return;
  for (const call of calls) yield { type: 'tool_call', call };
  if (reasoning.length > 0) yield { type: 'replay', items: reasoning };
  if (usage) yield usage;
  yield { type: 'stop', reason: stop };
}
