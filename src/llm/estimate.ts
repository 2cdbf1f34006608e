import type { ChatMessage, ToolSpec } from './types.js';

/**
 * Characters per token for the usage estimate. Measured against o200k_base (gpt-tokenizer)
 * on this repository: TypeScript 3.73, English docs 3.7–4.2. 3.7 errs on the high side of
 * the count for prose, which is the safe side for budgets and costs.
 */
export const CHARS_PER_TOKEN = 3.7;
/** Role and framing tokens each message costs on every provider's wire. */
const MESSAGE_OVERHEAD = 4;

export function estimateTextTokens(text: string): number {
  return text.length === 0 ? 0 : Math.ceil(text.length / CHARS_PER_TOKEN);
}

/** Estimated input tokens of a request (system prompt, tool definitions and every message). */
export function estimatePromptTokens(system: string, messages: readonly ChatMessage[], tools: readonly ToolSpec[] = []): number {
  let total = system === '' ? 0 : estimateTextTokens(system) + MESSAGE_OVERHEAD;
  for (const tool of tools) total += estimateTextTokens(tool.name + tool.description + JSON.stringify(tool.parameters)) + MESSAGE_OVERHEAD;
  for (const message of messages) {
    total += estimateTextTokens(message.content) + MESSAGE_OVERHEAD;
    if (message.role === 'assistant') for (const call of message.toolCalls ?? []) total += estimateTextTokens(call.name + call.arguments) + MESSAGE_OVERHEAD;
    if (message.role === 'tool') for (const result of message.results) total += estimateTextTokens(result.content) + MESSAGE_OVERHEAD;
  }
  return total;
}
