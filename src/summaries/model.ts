import type { ChatMessage, Provider } from '../llm/index.js';

/** A file to summarise with the model. */
export interface ModelJob {
  path: string;
  blob: string;
  content: string;
}

/** What became of one job. */
export type ModelResult =
  | { path: string; blob: string; status: 'ok'; text: string; model: string; tokens: number; estimated: boolean }
  | { path: string; blob: string; status: 'failed'; error: string; tokens: number }
  /** Not sent: it would not fit in what was left of the budget, or the provider kept failing. */
  | { path: string; blob: string; status: 'not-sent'; reason: 'budget' | 'provider-down' };

export interface ModelRunOptions {
  provider: Provider;
  /** `provider/model` */
  model: string;
  /** Input plus output tokens this run may use, by the servers' own counts. */
  budget: number;
  /** Calls in flight at once. */
  concurrency: number;
  /** Output tokens asked for per file. */
  maxOutputTokens: number;
  /** Content sent per file, in characters, at most. */
  maxChars: number;
  /** Called once per file just before it is sent (the audit log). */
  onSend?: (job: ModelJob) => void | Promise<void>;
  signal?: AbortSignal;
}

export const SUMMARY_SYSTEM = [
  'You summarise one file of a software repository for a coding assistant that cannot see the file.',
  'Reply in plain text, at most 6 short lines, no preamble and no code blocks.',
  'Line 1: one sentence saying what the file is for.',
  'Then its main exports or entry points, one per line, each with what it does.',
].join(' ');

// Calibrated estimate of a request (chars / 3.7, see src/llm/estimate.ts) plus this margin: the
// budget is checked before each call, so the estimate must err high.
const ESTIMATE_MARGIN = 1.3;
const CHARS_PER_TOKEN = 3.7;
const FRAMING_TOKENS = 16;
// The provider is down, not the file at fault: stop calling it for this run after this many in a row.
const MAX_CONSECUTIVE_FAILURES = 3;

export function summaryMessages(job: ModelJob, maxChars: number): ChatMessage[] {
  const body = job.content.length > maxChars ? `${job.content.slice(0, maxChars)}\n… (truncated: ${job.content.length - maxChars} more characters)` : job.content;
  return [{ role: 'user', content: `Path: ${job.path}\n\n<file>\n${body}\n</file>` }];
}

/** What one call may cost at most, by the calibrated estimate: the amount reserved before sending. */
export function reservationFor(job: ModelJob, options: Pick<ModelRunOptions, 'maxChars' | 'maxOutputTokens'>): number {
  const chars = SUMMARY_SYSTEM.length + summaryMessages(job, options.maxChars).reduce((n, m) => n + m.content.length, 0);
  return Math.ceil((chars / CHARS_PER_TOKEN) * ESTIMATE_MARGIN) + FRAMING_TOKENS + options.maxOutputTokens;
}

/** A model's reply as a stored summary: fences and blank runs removed, a sane length. */
export function cleanReply(text: string): string {
  return text
    .replace(/^```[^\n]*\n?|\n?```\s*$/g, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
    .slice(0, 2000);
}

/**
 * Summarises files with the model, in order (callers put the most wanted first), `concurrency` at
 * a time. A call starts only when its reservation (estimated prompt + requested output) fits in what
 * is left of the budget; its reserved amount is then replaced by the usage the server reported. A
 * file that does not fit is skipped, and smaller ones after it may still go.
 */
export async function summariseWithModel(jobs: readonly ModelJob[], options: ModelRunOptions): Promise<{ results: ModelResult[]; tokens: number }> {
  const { collectReply } = await import('../llm/index.js');
  const results: ModelResult[] = new Array(jobs.length);
  let remaining = options.budget;
  let used = 0;
  let consecutiveFailures = 0;
  let next = 0;

  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const index = next++;
      const job = jobs[index]!;
      if (consecutiveFailures >= MAX_CONSECUTIVE_FAILURES || options.signal?.aborted) {
        results[index] = { path: job.path, blob: job.blob, status: 'not-sent', reason: 'provider-down' };
        continue;
      }
      const reserved = reservationFor(job, options);
      if (reserved > remaining) {
        results[index] = { path: job.path, blob: job.blob, status: 'not-sent', reason: 'budget' };
        continue;
      }
      remaining -= reserved;
      await options.onSend?.(job);
      try {
        const reply = await collectReply(
          options.provider.stream(
            { model: options.model, system: SUMMARY_SYSTEM, messages: summaryMessages(job, options.maxChars), maxOutputTokens: options.maxOutputTokens, temperature: 0 },
            options.signal,
          ),
        );
        const tokens = reply.usage.inputTokens + reply.usage.outputTokens;
        used += tokens;
        remaining += reserved - tokens;
        const text = cleanReply(reply.text);
        if (text === '') throw new Error('the model replied with an empty summary');
        consecutiveFailures = 0;
        results[index] = { path: job.path, blob: job.blob, status: 'ok', text, model: reply.model, tokens, estimated: reply.usage.estimated };
      } catch (error) {
        // A failed call may still have cost something; without a count, assume the reservation.
        consecutiveFailures++;
        results[index] = { path: job.path, blob: job.blob, status: 'failed', error: error instanceof Error ? error.message.split('\n')[0]! : String(error), tokens: 0 };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, jobs.length)) }, worker));
  return { results, tokens: used };
}
