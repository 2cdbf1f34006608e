import type { RecordedMessage, RecordedTool } from './types.js';

/**
 * The fake's one token rule, used for the context window and default usage:
 * ceil(total characters of every message's text, plus the system prompt, / 4).
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export function estimatePrompt(messages: readonly RecordedMessage[], system: string | undefined, tools: readonly RecordedTool[] = []): number {
  let chars = system?.length ?? 0;
  for (const message of messages) {
    chars += message.content.length;
    for (const call of message.toolCalls ?? []) chars += call.name.length + call.arguments.length;
    for (const result of message.toolResults ?? []) chars += result.content.length;
  }
  for (const tool of tools) chars += tool.name.length + (tool.description?.length ?? 0) + JSON.stringify(tool.parameters ?? {}).length;
  return Math.ceil(chars / 4);
}

/** Flattens a message content (string, or an array of text/other parts) to text. */
export function flattenContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) => {
        if (isRecord(part) && typeof part['text'] === 'string') return part['text'];
        if (isRecord(part) && typeof part['content'] !== 'undefined') return flattenContent(part['content']);
        return JSON.stringify(part);
      })
      .join('');
  }
  if (content === null || content === undefined) return '';
  return JSON.stringify(content);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
