import { AssistError, ExitCode } from '../errors.js';
import type { ChatMessage, ToolSpec } from '../llm/types.js';
import type { SessionCore } from './core.js';
import type { StepReply } from './tool-loop.js';

/** One model request: streams the reply, with the request's log lines and metrics. */
export async function requestReply(
  core: SessionCore,
  system: string,
  messages: readonly ChatMessage[],
  tools: readonly ToolSpec[],
  maxOutputTokens: number,
  request: string,
  signal: AbortSignal | undefined,
): Promise<StepReply & { firstTokenMs: number | null }> {
  const log = core.log?.child({ request });
  log?.info('llm.request.start', { model: core.model, messages: messages.length, tools: tools.length });
  const started = performance.now();
  let reply: StepReply & { firstTokenMs: number | null };
  try {
    reply = await streamReply(core, system, messages, tools, maxOutputTokens, signal);
  } catch (error) {
    const outcome = signal?.aborted ? 'aborted' : 'error';
    core.options.metrics?.llmRequests.inc({ provider: core.model.split('/')[0] ?? '', model: core.model, outcome });
    log?.error('llm.request.end', { model: core.model, outcome, ms: Math.round(performance.now() - started), error: (error as Error).message });
    throw error;
  } finally {
    core.modelMs += performance.now() - started;
  }
  const { usage, model } = reply;
  const provider = model.split('/')[0] ?? '';
  core.options.metrics?.llmRequests.inc({ provider, model, outcome: 'ok' });
  if (reply.firstTokenMs !== null) core.options.metrics?.llmTimeToFirstToken.observe({ provider, model }, reply.firstTokenMs / 1000);
  log?.info('llm.request.end', {
    model,
    outcome: 'ok',
    ms: Math.round(performance.now() - started),
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    cached_input_tokens: usage.cachedInputTokens,
    estimated: usage.estimated,
    tool_calls: reply.toolCalls.length,
  });
  return reply;
}

async function streamReply(
  core: SessionCore,
  system: string,
  messages: readonly ChatMessage[],
  tools: readonly ToolSpec[],
  maxOutputTokens: number,
  signal: AbortSignal | undefined,
): Promise<StepReply & { firstTokenMs: number | null }> {
  let text = '';
  const started = performance.now();
  let firstTokenMs: number | null = null;
  const request = { model: core.model, system, messages, maxOutputTokens, ...(tools.length > 0 ? { tools } : {}) };
  for await (const event of core.provider.stream(request, signal)) {
    switch (event.type) {
      case 'text':
        firstTokenMs ??= performance.now() - started;
        text += event.text;
        core.ui.text?.(event.text);
        break;
      case 'restart':
        text = '';
        core.ui.restart?.({ model: event.model, reason: event.reason });
        break;
      case 'retry':
        core.ui.status?.(`${event.model}: ${event.reason}; retrying in ${Math.round(event.delayMs / 100) / 10} s (attempt ${event.attempt})`);
        break;
      case 'fallback':
        core.ui.status?.(`${event.from} failed (${event.reason}); trying ${event.to}`);
        break;
      case 'notice':
        core.ui.status?.(`${event.model}: ${event.message}`);
        break;
      case 'done':
        core.lastModel = event.model;
        return { text, usage: event.usage, model: event.model, firstTokenMs, toolCalls: event.toolCalls, ...(event.replay ? { replay: event.replay } : {}) };
    }
  }
  if (signal?.aborted) throw interrupted();
  throw new AssistError('llm.incomplete', 'the model stream ended without completing', { exitCode: ExitCode.provider });
}

function interrupted(): AssistError {
  return new AssistError('session.interrupted', 'interrupted: the reply was stopped and nothing from it was applied', { exitCode: ExitCode.interrupted });
}
