import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { countTokens } from '../context/index.js';
import type { ChatMessage, ToolSpec } from '../llm/types.js';
import { messageText, PromptCounter } from './prompt-size.js';

const code = readFileSync(new URL('./prompt-builder.ts', import.meta.url), 'utf8');
const tools: ToolSpec[] = [
  { name: 'read_file', description: 'Read a file', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } },
  { name: 'search', description: 'Search the repository', parameters: { type: 'object', properties: { pattern: { type: 'string' } }, required: ['pattern'] } },
];
const system = 'You are a coding assistant. Use the tools to find what you need.';

/** The messages of a tool turn after `steps` steps, rebuilt as the loop rebuilds them (new objects each step). */
function turnAfter(steps: number): ChatMessage[] {
  const messages: ChatMessage[] = [
    { role: 'user', content: `Repository map:\n\n${code.slice(0, 6000)}` },
    { role: 'assistant', content: 'Understood.' },
    { role: 'user', content: 'find where fitHistory is called and fix it' },
  ];
  for (let s = 1; s <= steps; s++) {
    const name = s % 2 === 1 ? 'search' : 'read_file';
    const args = s % 2 === 1 ? `{"pattern":"fit${s}"}` : `{"path":"src/f${s}.ts"}`;
    messages.push({ role: 'assistant', content: s === 1 ? '' : `step ${s}`, toolCalls: [{ id: `c${s}`, name, arguments: args }] });
    messages.push({ role: 'tool', content: '', results: [{ callId: `c${s}`, name, content: code.slice(s * 1500, s * 1500 + 4000) }] });
  }
  return messages;
}

/** A real o200k counter that notes what it was asked to count. */
function recordingCounter(): { counted: string[]; count: (text: string) => Promise<number> } {
  const counted: string[] = [];
  return { counted, count: async (text) => (counted.push(text), countTokens(text)) };
}

describe('PromptCounter', () => {
  it('over a scripted multi-step turn, the remembered total equals a fresh full count at every step, and a step counts only its new messages', async () => {
    const seen = recordingCounter();
    const incremental = new PromptCounter(seen.count);
    for (let step = 0; step <= 8; step++) {
      const messages = turnAfter(step);
      seen.counted.length = 0;
      const got = await incremental.exact(system, messages, tools);
      const full = await new PromptCounter().exact(system, turnAfter(step), tools);
      expect(got).toBe(full);
      // Step 0 counts the prefix (system and tools, the context, the message); each later step only its call and result.
      if (step === 0) expect(seen.counted.length).toBe(4);
      else expect(seen.counted).toEqual([messageText(messages.at(-2)!), messageText(messages.at(-1)!)].filter((t) => t !== ''));
    }
  });

  it('counts each part as the services do, within a token per part of counting the whole prompt at once', async () => {
    const messages = turnAfter(6);
    const perPart = await new PromptCounter().exact(system, messages, tools);
    const whole = (await countTokens(system + JSON.stringify(tools) + messages.map(messageText).join(''))) + 4 * (messages.length + 1);
    expect(Math.abs(perPart - whole)).toBeLessThanOrEqual(messages.length + 1);
  });

  it('a window decision does not depend on what was remembered: the same step goes over the same limit', async () => {
    const fresh: number[] = [];
    const kept: number[] = [];
    const counter = new PromptCounter();
    for (let step = 0; step <= 8; step++) {
      kept.push(await counter.exact(system, turnAfter(step), tools));
      fresh.push(await new PromptCounter().exact(system, turnAfter(step), tools));
    }
    const limit = Math.round((fresh[3]! + fresh[4]!) / 2);
    expect(kept.findIndex((n) => n > limit)).toBe(4);
    expect(fresh.findIndex((n) => n > limit)).toBe(4);
  });

  it('forgets the least recently used parts past its size and counts them again when they come back, with the same result', async () => {
    const seen = recordingCounter();
    const counter = new PromptCounter(seen.count, 10_000);
    const first = await counter.exact(system, turnAfter(4), tools);
    seen.counted.length = 0;
    await counter.exact('another system prompt', [{ role: 'user', content: code.slice(0, 12_000) }], []);
    seen.counted.length = 0;
    expect(await counter.exact(system, turnAfter(4), tools)).toBe(first);
    expect(seen.counted.length).toBeGreaterThan(0);
  });
});
