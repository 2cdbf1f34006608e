import { randomBytes } from 'node:crypto';
import type { Usage } from '../llm/types.js';

/** A request's correlation id: carried in logs, the event chain and the commit trailer. */
export function newRequestId(): string {
  return `req_${randomBytes(6).toString('hex')}`;
}

/** Adds one reply's tokens and cost to a running total; the cost becomes unknown once one part's is. */
export function accumulateUsage(total: { input_tokens: number; output_tokens: number; estimated: boolean; cost_usd: number | null; cached_input_tokens?: number }, usage: Usage, cost: number | undefined): void {
  total.input_tokens += usage.inputTokens;
  total.output_tokens += usage.outputTokens;
  if (usage.cachedInputTokens !== undefined) total.cached_input_tokens = (total.cached_input_tokens ?? 0) + usage.cachedInputTokens;
  total.estimated ||= usage.estimated;
  total.cost_usd = total.cost_usd === null || cost === undefined ? null : total.cost_usd + cost;
}

/** Usage as the event chain and notes record it. */
export function usageRecord(usage: Usage): { input_tokens: number; output_tokens: number; estimated?: true; cached_input_tokens?: number } {
  return {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    ...(usage.estimated ? { estimated: true as const } : {}),
    ...(usage.cachedInputTokens ? { cached_input_tokens: usage.cachedInputTokens } : {}),
  };
}
