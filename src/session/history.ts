import type { ReplayedEvent } from '../git/index.js';
import type { ChatMessage, ProviderName, ToolCall, ToolResult } from '../llm/types.js';

/** One model step of a tool loop: the reply's text and calls, and the results sent back. */
export interface ToolStep {
  /** Correlation id of the step's model request. */
  request: string;
  text: string;
  calls: ToolCall[];
  results: ToolResult[];
  replay?: { provider: ProviderName; items: readonly unknown[] };
}

/** One request and its reply, as the model will see them again. */
export interface Exchange {
  /** Correlation id of the request ('summary' for a compressed history). */
  request: string;
  user: string;
  /** The final reply (of a tool loop: the step that made no call). */
  assistant: string;
  /** The tool steps before the final reply, oldest first. */
  steps?: ToolStep[];
  /**
   * False when assist wrote `user` (a reflection, a note of what was applied, command output the
   * person showed): compression summarises it. Absent: the person's own words, kept verbatim.
   */
  person?: false;
  /** A compressed history (`request` 'summary'): the person's messages it keeps word for word, oldest first. */
  said?: string[];
  /** A compressed history: the summary of the replies and tool results. */
  summary?: string;
}

/** Said in place of a final reply whose turn was cut short: by an undo of one of its steps, or by the step limit. */
export const UNDONE_STEPS_NOTE = '[The person undid the changes from this point of the turn on; the files are as they were before them.]';

/** The messages an exchange becomes on the wire. */
export function exchangeMessages(exchange: Exchange): ChatMessage[] {
  const messages: ChatMessage[] = [{ role: 'user', content: exchange.user }];
  for (const step of exchange.steps ?? []) {
    messages.push({ role: 'assistant', content: step.text, toolCalls: step.calls, ...(step.replay ? { replay: step.replay } : {}) });
    messages.push({ role: 'tool', content: '', results: step.results });
  }
  messages.push({ role: 'assistant', content: exchange.assistant });
  return messages;
}

/**
 * Rebuilds the conversation from a session's event chain: every message with its reply (and, for a
 * tool loop, its steps and their results), in order. An exchange whose edits were undone leaves the
 * conversation; a tool loop whose step was undone keeps the steps before it (undo rolls the
 * conversation back with the code).
 */
export function rebuildHistory(events: readonly ReplayedEvent[]): Exchange[] {
  const undone = new Set<string>();
  for (const event of events) if (event.type === 'edit' && event.reverted) undone.add(event.request);
  const exchanges: Exchange[] = [];
  const byTurn = new Map<string, { exchange: Exchange; cut: boolean; final: boolean }>();
  const steps = new Map<string, ToolStep>();
  for (const event of events) {
    if (event.type === 'message') {
      const entry = { exchange: { request: event.request, user: event.text, assistant: '', steps: [] as ToolStep[] }, cut: false, final: false };
      byTurn.set(event.request, entry);
    } else if (event.type === 'reply') {
      const turnId = event.turn ?? event.request;
      const entry = byTurn.get(turnId);
      if (!entry) continue;
      // Text mode: the reply answers its own request; an undone edit takes the whole exchange away.
      if (event.turn === undefined) {
        if (undone.has(event.request)) {
          byTurn.delete(turnId);
          continue;
        }
        entry.exchange.assistant = event.text;
        entry.final = true;
        exchanges.push(entry.exchange);
        continue;
      }
      if (entry.cut) continue;
      if (undone.has(event.request)) {
        entry.cut = true;
        continue;
      }
      if (event.toolCalls && event.toolCalls.length > 0) {
        const step: ToolStep = {
          request: event.request,
          text: event.text,
          calls: event.toolCalls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments, ...(c.signature ? { signature: c.signature } : {}) })),
          results: [],
          ...(event.replay ? { replay: { provider: event.replay.provider as ProviderName, items: event.replay.items } } : {}),
        };
        steps.set(event.request, step);
        entry.exchange.steps!.push(step);
      } else {
        entry.exchange.assistant = event.text;
        entry.final = true;
      }
    } else if (event.type === 'tool') {
      const step = steps.get(event.request);
      if (!step) continue;
      step.results.push({ callId: event.call, name: event.name, content: event.result, ...(event.ok ? {} : { isError: true }) });
    }
  }
  // Tool-loop turns join in the order of their messages; text-mode ones were pushed as their replies came.
  const ordered: Exchange[] = [];
  const seen = new Set(exchanges);
  for (const event of events) {
    if (event.type !== 'message') continue;
    const entry = byTurn.get(event.request);
    if (!entry) continue;
    if (seen.has(entry.exchange)) {
      ordered.push(entry.exchange);
      continue;
    }
    const ex = entry.exchange;
    if ((ex.steps?.length ?? 0) === 0 && !entry.final) continue; // a turn whose first step was undone, or that never got a reply
    // Every call of a kept step must have its result, or the providers reject the history.
    ex.steps = (ex.steps ?? []).filter((s) => s.calls.every((c) => s.results.some((r) => r.callId === c.id)));
    if (entry.cut || !entry.final) ex.assistant = ex.assistant || UNDONE_STEPS_NOTE;
    if (entry.cut) ex.assistant = UNDONE_STEPS_NOTE;
    if (ex.steps.length === 0) delete ex.steps;
    if (ex.steps === undefined && entry.cut) continue;
    ordered.push(ex);
  }
  return ordered;
}

/** Files the model read with `read_file` in the session (write_file may replace only those). */
export function filesReadInEvents(events: readonly ReplayedEvent[]): Set<string> {
  const read = new Set<string>();
  for (const event of events) {
    if (event.type !== 'tool' || event.name !== 'read_file' || !event.ok) continue;
    try {
      const args = JSON.parse(event.arguments) as { path?: unknown };
      if (typeof args.path === 'string') read.add(args.path.replace(/^\.\//, ''));
    } catch {
      // a call with bad arguments read nothing
    }
  }
  return read;
}
