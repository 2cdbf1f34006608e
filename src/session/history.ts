import type { ReplayedEvent } from '../git/index.js';

/** One request and its reply, as the model will see them again. */
export interface Exchange {
  /** Correlation id of the request ('summary' for a compressed history). */
  request: string;
  user: string;
  assistant: string;
}

/**
 * Rebuilds the conversation from a session's event chain: every message with its reply, in order,
 * leaving out exchanges whose edits were undone (undo rolls the conversation back with the code).
 */
export function rebuildHistory(events: readonly ReplayedEvent[]): Exchange[] {
  const undone = new Set<string>();
  for (const event of events) if (event.type === 'edit' && event.reverted) undone.add(event.request);
  const messages = new Map<string, string>();
  const exchanges: Exchange[] = [];
  for (const event of events) {
    if (event.type === 'message') messages.set(event.request, event.text);
    else if (event.type === 'reply') {
      const user = messages.get(event.request);
      if (user === undefined || undone.has(event.request)) continue;
      exchanges.push({ request: event.request, user, assistant: event.text });
    }
  }
  return exchanges;
}
