import type { NewEvent, TurnContext } from '../git/index.js';
import type { ChatMessage, ModelInfo, ToolCall, ToolResult, ToolSpec, Usage } from '../llm/types.js';
import { AssistError, ExitCode } from '../errors.js';
import { addPhase, timePhase } from '../obs/phases.js';
import type { Tool, ToolContext, ToolOutcome } from '../tools/index.js';
import type { HookOutcome } from './agent-hooks.js';
import type { ToolStep } from './history.js';
import type { FileChangePreview, SessionUI, ToolCallRecord, TurnResult } from './types.js';

/** One streamed model reply, restarts applied. */
export interface StepReply {
  text: string;
  toolCalls: readonly ToolCall[];
  usage: Usage;
  model: string;
  replay?: { provider: ModelInfo['provider']; items: readonly unknown[] };
}

/** A proposed change of one step, with the call (or command) it came from. */
export interface StepChange extends FileChangePreview {
  /** The call ids that proposed it (several `edit_file` calls on one file fold into one change). */
  calls: string[];
  /** Written to disk already (a command changed it): shown and committed, never asked for. */
  fromCommand: boolean;
}

/** What the session does for the loop: the loop itself knows nothing of git, prompts or approval. */
export interface LoopHost {
  readonly ui: SessionUI;
  readonly maxSteps: number;
  readonly dryRun: boolean;
  /** The turn's byte-stable prefix and the conversation so far, ending with the person's message. */
  prepare(message: string, request: string): Promise<{ system: string; messages: ChatMessage[]; tools: readonly ToolSpec[]; context?: TurnContext }>;
  /** Fits the turn's messages into the window (old tool results go first) and asks for the output budget. */
  fit(system: string, messages: ChatMessage[], tools: readonly ToolSpec[]): Promise<{ messages: ChatMessage[]; maxOutputTokens: number }>;
  stream(system: string, messages: readonly ChatMessage[], tools: readonly ToolSpec[], maxOutputTokens: number, request: string, signal: AbortSignal | undefined): Promise<StepReply>;
  /** Appends events to the session's chain (starting the session if needed); a dry run records nothing. */
  record(events: NewEvent[]): Promise<void>;
  addUsage(result: TurnResult, usage: Usage, model: string, request: string): void;
  /** Whether the turn went over its cost limit (`--max-cost`): then nothing more of the reply is acted on. */
  overBudget?(result: TurnResult): boolean;
  tools(): readonly Tool[];
  /**
   * The tools for the next step when they changed during this one (`mcp_tools` loaded MCP tool
   * definitions), else null: the list grows at its end, so the prefix before it stays the same.
   */
  reloadTools?(current: readonly Tool[]): Promise<{ tools: readonly Tool[]; specs: readonly ToolSpec[] } | null>;
  toolContext(request: string, pending: Map<string, string>, signal: AbortSignal | undefined): Promise<ToolContext>;
  execute(call: ToolCall, tools: readonly Tool[], ctx: ToolContext): Promise<ToolOutcome>;
  /**
   * Shows the step's changes, asks for approval, and commits what was approved as one commit.
   * Returns, per path, `null` when it was applied (or shown, in a dry run) or the reason it was not.
   */
  commitStep(changes: readonly StepChange[], meta: { request: string; turnMessage: string; reply: StepReply }, result: TurnResult): Promise<Map<string, string | null>>;
  /**
   * Agent hooks (DESIGN §6b): `pre_tool` before a call runs (a block turns it into an error result
   * carrying the reason), `post_tool` once its result is known (its stdout is added to the result).
   */
  toolHook?(event: 'pre_tool' | 'post_tool', call: ToolCall, request: string, result?: { text: string; ok: boolean }): Promise<HookOutcome>;
  /** SEARCH/REPLACE blocks in a reply of the loop are applied as well (DESIGN §4); returns the reflection to send when blocks failed. */
  applyTextEdits(reply: StepReply, request: string, turnMessage: string, result: TurnResult): Promise<TextEditOutcome>;
}

/** What the SEARCH/REPLACE blocks of a reply came to. */
export interface TextEditOutcome {
  retryWith: string | null;
  failedCount: number;
  proposedEdits: boolean;
  /** The blocks that failed, named for the person (file and the first line of their SEARCH). */
  failedBlocks?: TurnResult['failedBlocks'];
}

/** How the loop ended. */
export interface LoopEnd {
  steps: ToolStep[];
  final: string;
  /** Stopped at `session.max_steps` with calls still wanted. */
  stepLimit: boolean;
  /** Stopped after a request that put the turn over its cost limit; that reply's calls and blocks were not acted on. */
  costLimit?: boolean;
  /** The blocks of the final reply, when it had any. */
  textEdits?: TextEditOutcome;
}

/**
 * A turn as a tool loop (DESIGN §4 "Tools"): send the request with the tools, run the calls the
 * reply asks for, send the results back, and repeat until a reply makes no call or the step limit
 * is reached. The edits of one step are approved together and become one commit.
 */
export async function runToolLoop(host: LoopHost, message: string, turnRequest: string, result: TurnResult, signal: AbortSignal | undefined): Promise<LoopEnd> {
  const prepared = await timePhase('turn.prompt', () => host.prepare(message, turnRequest));
  const { system, messages: base, context } = prepared;
  let specs = prepared.tools;
  let tools = host.tools();
  const steps: ToolStep[] = [];
  let messageRecorded = false;
  // A dry run writes nothing, so later steps edit the earlier steps' (shown, unwritten) results.
  const dryRunFiles = new Map<string, string>();
  // A step's tool results go into the chain while the next request is built and sent (the model's
  // wait hides the write); that request's reply is not handled, nor anything recorded or committed,
  // before the write is done, and the loop does not end before it either. Started before the
  // request, not after it: its file work up to the ref's fsync is synchronous and short, and the
  // fsync then runs beside the request (with an instant model the write is the longer of the two).
  let chainWrite: Promise<void> | null = null;
  const settleChain = async (): Promise<void> => {
    const pending = chainWrite;
    chainWrite = null;
    // `step.chain-wait`: what the loop waits for the write once the reply is in (0 when the request hid it).
    if (pending) await timePhase('step.chain-wait', () => pending);
  };
  // `step.after-reply`: from a reply's return (after `step.chain-wait`) to the next step's fit:
  // its tools, hooks, events and the chain write's synchronous start. With `step.fit`, `step.model`
  // and `step.chain-wait` it is the whole loop, so no part of a step's cycle goes unphased.
  let replyAt = 0;
  for (let step = 1; step <= host.maxSteps; step++) {
    if (replyAt !== 0) addPhase('step.after-reply', performance.now() - replyAt);
    const request = step === 1 ? turnRequest : `${turnRequest}.${step}`;
    result.requests.push(request);
    const turnMessages: ChatMessage[] = [...base];
    for (const s of steps) {
      turnMessages.push({ role: 'assistant', content: s.text, toolCalls: s.calls, ...(s.replay ? { replay: s.replay } : {}) });
      turnMessages.push({ role: 'tool', content: '', results: s.results });
    }
    let reply: StepReply;
    try {
      const fitted = await timePhase('step.fit', () => host.fit(system, turnMessages, specs));
      reply = await timePhase('step.model', () => host.stream(system, fitted.messages, specs, fitted.maxOutputTokens, request, signal));
    } finally {
      await settleChain();
    }
    replyAt = performance.now();
    result.steps = step;
    result.reply = reply.text;
    result.model = reply.model;
    host.addUsage(result, reply.usage, reply.model, request);
    const usage = { input_tokens: reply.usage.inputTokens, output_tokens: reply.usage.outputTokens, ...(reply.usage.estimated ? { estimated: true } : {}) };
    const events: NewEvent[] = [];
    if (!messageRecorded) events.push({ type: 'message', request: turnRequest, text: message, ...(context ? { context } : {}) });
    messageRecorded = true;
    events.push({
      type: 'reply',
      request,
      turn: turnRequest,
      text: reply.text,
      model: reply.model,
      usage,
      ...(reply.toolCalls.length > 0 ? { toolCalls: reply.toolCalls.map((c) => ({ ...c })) } : {}),
      ...(reply.replay ? { replay: { provider: reply.replay.provider, items: [...reply.replay.items] } } : {}),
    });
    // Over the cost limit: the reply is recorded, and none of its calls or blocks is acted on.
    if (host.overBudget?.(result)) {
      await host.record(events.splice(0));
      return { steps, final: reply.text, stepLimit: false, costLimit: true };
    }
    // Blocks written as text are applied too, whether or not the reply also calls tools.
    const hasBlocks = /^<{5,9} SEARCH/m.test(reply.text);
    // The reply's events go into the chain before anything that commits; otherwise together with
    // the step's tool events (one chain write per step).
    if (hasBlocks || reply.toolCalls.length === 0) await timePhase('step.chain', () => host.record(events.splice(0)));
    const textEdits = hasBlocks ? await timePhase('step.text-edits', () => host.applyTextEdits(reply, request, message, result)) : undefined;

    if (reply.toolCalls.length === 0) return { steps, final: reply.text, stepLimit: false, ...(textEdits ? { textEdits } : {}) };

    const pending = host.dryRun ? dryRunFiles : new Map<string, string>();
    const ctx = await timePhase('step.tool-context', () => host.toolContext(request, pending, signal));
    const outcomes: Array<{ call: ToolCall; outcome: ToolOutcome; ms: number }> = [];
    const hookBlocked = new Set<string>();
    for (const call of reply.toolCalls) {
      if (signal?.aborted) break;
      host.ui.tool?.({ phase: 'start', call: call.id, name: call.name, status: call.name, arguments: call.arguments });
      const started = performance.now();
      const blocked = (await host.toolHook?.('pre_tool', call, request))?.blocked ?? null;
      const outcome: ToolOutcome =
        blocked === null
          ? await timePhase(`tool.${call.name}`, () => host.execute(call, tools, ctx))
          : { kind: 'result', ok: false, text: `Blocked by a pre_tool hook: ${blocked}`, status: `${call.name} blocked by a hook` };
      if (blocked !== null) hookBlocked.add(call.id);
      const ms = Math.round(performance.now() - started);
      outcomes.push({ call, outcome, ms });
      if (outcome.kind === 'result') host.ui.tool?.({ phase: 'end', call: call.id, name: call.name, status: outcome.status, ok: outcome.ok, ms, result: outcome.text });
    }
    if (signal?.aborted) {
      await host.record(events.splice(0));
      throw interruptedError();
    }

    // The step's edits: proposed by edit calls (folded per file) and made by commands.
    const changes = new Map<string, StepChange>();
    for (const { call, outcome } of outcomes) {
      if (outcome.kind === 'edit') {
        const known = changes.get(outcome.path);
        if (known) {
          known.after = outcome.after;
          known.calls.push(call.id);
        } else changes.set(outcome.path, { path: outcome.path, before: outcome.before, after: outcome.after, calls: [call.id], fromCommand: false });
      } else if (outcome.changedFiles && outcome.changedFiles.length > 0) {
        for (const path of outcome.changedFiles) if (!changes.has(path)) changes.set(path, { path, before: null, after: null, calls: [call.id], fromCommand: true });
      }
    }
    if (changes.size > 0) await timePhase('step.chain', () => host.record(events.splice(0)));
    const verdicts = changes.size > 0 ? await timePhase('step.commit', () => host.commitStep([...changes.values()], { request, turnMessage: message, reply }, result)) : new Map<string, string | null>();

    const results: ToolResult[] = [];
    const toolEvents: NewEvent[] = events.splice(0);
    for (const { call, outcome, ms } of outcomes) {
      let text: string;
      let ok: boolean;
      let status: string;
      if (outcome.kind === 'edit') {
        const verdict = verdicts.get(outcome.path);
        status = outcome.status;
        if (verdict === null) {
          ok = true;
          text = host.dryRun ? `not applied (dry run): the person was shown this change:\n${outcome.diff}` : `applied:\n${outcome.diff}`;
        } else {
          ok = false;
          text = `declined: ${verdict ?? 'not applied'}. The file is unchanged.`;
          status = `${outcome.status} (declined)`;
        }
        host.ui.tool?.({ phase: 'end', call: call.id, name: call.name, status, ok, ms, result: text });
      } else {
        ({ text, ok, status } = outcome);
      }
      if (!hookBlocked.has(call.id)) {
        const after = await host.toolHook?.('post_tool', call, request, { text, ok });
        // The call has run: a block cannot undo it, so its reason reaches the model beside the result.
        const added = [after?.context, after?.blocked].filter((t): t is string => !!t).join('\n\n');
        if (added) text = `${text}\n\n[post_tool hook]\n${added}`;
      }
      results.push({ callId: call.id, name: call.name, content: text, ...(ok ? {} : { isError: true }) });
      result.toolCalls.push({ name: call.name, ok, ms } satisfies ToolCallRecord);
      toolEvents.push({ type: 'tool', request, turn: turnRequest, call: call.id, name: call.name, arguments: call.arguments, ok, ms, chars: text.length, result: text, status });
    }
    // Calls not run (an interrupt) still need an answer for the history to stay valid.
    for (const call of reply.toolCalls.slice(outcomes.length)) results.push({ callId: call.id, name: call.name, content: 'not run: the turn was interrupted', isError: true });
    chainWrite = timePhase('step.chain', () => host.record(toolEvents));
    // Awaited at the next request's end (or the loop's); this only keeps a failure from being unhandled meanwhile.
    chainWrite.catch(() => undefined);
    steps.push({ request, text: reply.text, calls: [...reply.toolCalls], results, ...(reply.replay ? { replay: reply.replay } : {}) });
    let reloaded: Awaited<ReturnType<NonNullable<LoopHost['reloadTools']>>> | undefined;
    try {
      reloaded = await host.reloadTools?.(tools);
    } catch (error) {
      await settleChain();
      throw error;
    }
    if (reloaded) ({ tools, specs } = reloaded);
  }
  await settleChain();
  return { steps, final: '', stepLimit: true };
}

function interruptedError(): AssistError {
  return new AssistError('session.interrupted', 'interrupted: the tool calls of this step were stopped and none of its edits were applied', { exitCode: ExitCode.interrupted });
}
