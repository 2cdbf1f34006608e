import type { ChatMessage, ToolSpec } from '../llm/types.js';

/** Characters of text whose exact counts are kept (about a 1M-token window's worth). */
const KEPT_CHARS = 4_000_000;
/** Framing tokens per message in the exact count, as in the estimate. */
const MESSAGE_OVERHEAD = 4;

/**
 * Exact o200k token counts of prompts, remembered per part: the system prompt with the tool
 * definitions, and each message's text. A tool step resends every earlier message byte for byte,
 * so once a turn's prompt is near the window (where the exact count replaces the estimate) a step
 * counts only its own new messages, not the whole prompt again (~170 ms for 290 KB).
 *
 * Each part is counted on its own, as the services tokenize each message on their own: the total
 * does not depend on what was counted before (the same prompt gives the same count whether the
 * parts were remembered or not). Least recently used parts are forgotten past {@link KEPT_CHARS}.
 */
export class PromptCounter {
  private readonly counts = new Map<string, number>();
  private chars = 0;

  /**
   * @param countTokens the exact counter of one text (o200k, loaded on first use by default)
   * @param keptChars how many characters of counted text to remember
   */
  constructor(
    private readonly countTokens: (text: string) => Promise<number> = async (text) => (await import('../context/index.js')).countTokens(text),
    private readonly keptChars = KEPT_CHARS,
  ) {}

  /** The exact tokens of a request: the system prompt and tools, every message, and framing. */
  async exact(system: string, messages: readonly ChatMessage[], tools: readonly ToolSpec[]): Promise<number> {
    let total = await this.count(system + JSON.stringify(tools));
    for (const message of messages) total += await this.count(messageText(message));
    return total + MESSAGE_OVERHEAD * (messages.length + 1);
  }

  private async count(text: string): Promise<number> {
    if (text === '') return 0;
    const known = this.counts.get(text);
    if (known !== undefined) {
      // Most recently used last: the map's order is the eviction order.
      this.counts.delete(text);
      this.counts.set(text, known);
      return known;
    }
    const counted = await this.countTokens(text);
    this.counts.set(text, counted);
    this.chars += text.length;
    for (const [old] of this.counts) {
      if (this.chars <= this.keptChars || old === text) break;
      this.counts.delete(old);
      this.chars -= old.length;
    }
    return counted;
  }
}

/** The text of a message as the exact count sees it. */
export function messageText(message: ChatMessage): string {
  if (message.role === 'tool') return message.results.map((r) => r.content).join('');
  if (message.role === 'assistant') return message.content + (message.toolCalls ?? []).map((c) => c.name + c.arguments).join('');
  return message.content;
}
