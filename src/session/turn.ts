import { join, relative } from 'node:path';
import { AssistError } from '../errors.js';
import { timePhase } from '../obs/phases.js';
import type { Approvals } from './approval.js';
import { addFiles, mentionedFiles } from './chat-files.js';
import { commitStep } from './commit-step.js';
import type { SessionCore } from './core.js';
import { trackedFiles, turnGitOf } from './turn-git.js';
import { elideResult, type PromptBuilder } from './prompt-builder.js';
import { requestReply } from './reply.js';
import { newRequestId, usageRecord } from './request.js';
import type { SessionTools } from './session-tools.js';
import { testLoop, testsFor } from './test-loop.js';
import { applyReplyText } from './text-edits.js';
import type { LoopHost } from './tool-loop.js';
import type { McpCallInfo } from '../tools/types.js';
import type { TurnResult } from './types.js';

/**
 * One turn of the conversation (DESIGN §4): the person's message, the model's reply (a tool loop,
 * or text mode's SEARCH/REPLACE blocks), reflections for the edits that failed, and the test loop.
 * What it needs of the session comes in as its parts; it never sees `Session`.
 */
export class TurnLoop {
  constructor(
    private readonly core: SessionCore,
    private readonly prompt: PromptBuilder,
    private readonly approvals: Approvals,
    private readonly tools: SessionTools,
  ) {}

  /**
   * Sends `message`, streams the reply, applies its edits (after approval), commits them, and
   * sends failed blocks back up to `session.max_reflections` times.
   */
  async ask(message: string, signal?: AbortSignal): Promise<TurnResult> {
    // What would refuse a write refuses before the paid request, on every turn of a chat too.
    const info = this.core.info;
    if (!this.core.options.dryRun && info) await timePhase('turn.preflight', () => this.core.store.preflight({ session: info }));
    this.core.currentAsk = message;
    const result = this.newResult();
    try {
      return await this.askTurn(message, result, signal);
    } finally {
      turnGitOf(this.core).invalidate();
    }
  }

  private async askTurn(message: string, result: TurnResult, signal: AbortSignal | undefined): Promise<TurnResult> {
    const turnStarted = performance.now();
    this.core.modelMs = 0;
    this.core.log?.info('turn.start', { chars: message.length, files: this.core.files.length, tools: this.usesTools() });
    const { promptHooks, fireHooks } = await import('./agent-hooks.js');
    // session_start (first turn) and user_prompt hooks: a block stops the turn before any request; their stdout goes with the message.
    const sent = await promptHooks(this.core, message, signal);
    if (this.usesTools()) {
      try {
        await this.toolTurn(sent, result, signal);
      } catch (error) {
        // A server without tool calling says so on the first request: text mode from then on, said once.
        if (!(error instanceof AssistError) || error.code !== 'llm.tools-unsupported' || this.core.config.session.tools !== 'auto' || result.steps > 1) throw error;
        this.core.textOnly = true;
        this.core.ui.status?.(`${this.core.model} does not accept tools: using text mode for this session (edits as SEARCH/REPLACE blocks; files the reply names can be added)`);
        this.core.log?.warn('session.tools-fallback', { model: this.core.model });
        Object.assign(result, this.newResult());
        await this.textTurn(sent, result, signal);
      }
    } else {
      await this.textTurn(sent, result, signal);
    }
    // A stop hook that exits 2 sends its reason back and the turn goes on (up to session.max_reflections times).
    for (let again = 0; !result.stepLimit && !result.costLimit && !signal?.aborted; again++) {
      const stop = await fireHooks(this.core, { event: 'stop', reply: result.reply, stop_hook_active: again > 0, ...(result.requests[0] ? { request: result.requests[0] } : {}) }, signal);
      if (stop.blocked === null) break;
      if (again >= this.core.config.session.maxReflections) {
        this.core.ui.status?.(`a stop hook still objects after ${again} more round${again === 1 ? '' : 's'}; ending the turn: ${stop.blocked.split('\n')[0] ?? ''}`);
        break;
      }
      this.core.ui.status?.(`a stop hook sent the model back to work: ${stop.blocked.split('\n')[0] ?? ''}`);
      const prompt = `A stop hook did not let this turn end yet:\n${stop.blocked}`;
      if (this.usesTools()) await this.toolTurn(prompt, result, signal);
      else await this.textTurn(prompt, result, signal);
    }
    if (this.core.planMode && !result.stepLimit && !result.costLimit) await this.recordPlan(result);
    if (result.commits.length > 0 && !result.costLimit && (this.core.options.autoTest || this.core.config.test.auto)) {
      // The tests are commands: what they write is not in a listing made before them.
      turnGitOf(this.core).snapshot.touchWorkTree();
      result.tests = await testLoop(this.core, result, signal, (feedback) => this.oneRequest(feedback, message, result, signal));
    }
    result.session = this.core.info?.id ?? null;
    result.branch = this.core.info?.branch ?? null;
    if (result.commits.length > 0) await this.kickRefresher();
    const overhead = Math.max(0, performance.now() - turnStarted - this.core.modelMs) / 1000;
    this.core.options.metrics?.turnOverhead.observe(overhead);
    this.core.log?.info('turn.end', { commits: result.commits.length, failed: result.failed, refused: result.refused.length, steps: result.steps, tool_calls: result.toolCalls.length, overhead_s: Math.round(overhead * 1000) / 1000 });
    return result;
  }

  /** A plan-mode turn's final reply is its plan: an event in the chain, and in the result. */
  private async recordPlan(result: TurnResult): Promise<void> {
    const { planFiles } = await import('./plan-mode.js');
    const text = result.reply.trim();
    const plan = { text, files: planFiles(text, await trackedFiles(this.core)) };
    result.plan = plan;
    const request = result.requests[0] ?? newRequestId();
    this.core.ui.event?.({ type: 'plan', request, ...plan });
    if (this.core.options.dryRun) return;
    const session = await this.core.ensureRecording();
    await this.core.store.appendEvent(session.id, { type: 'plan', request, text, files: plan.files });
  }

  /** Whether this turn offers tools: `session.tools = "auto"` until a server rejected them. */
  usesTools(): boolean {
    return this.core.config.session.tools === 'auto' && !this.core.textOnly;
  }

  private newResult(): TurnResult {
    return {
      session: this.core.info?.id ?? null,
      branch: this.core.info?.branch ?? null,
      reply: '',
      model: this.core.model,
      steps: 0,
      toolCalls: [],
      commits: [],
      files: [],
      usage: { input_tokens: 0, output_tokens: 0, estimated: false, cost_usd: 0 },
      failed: 0,
      refused: [],
      noChange: true,
      proposed: [],
      requests: [],
    };
  }

  /** Text mode: one request, its SEARCH/REPLACE blocks, and reflections for the blocks that failed. */
  private async textTurn(message: string, result: TurnResult, signal: AbortSignal | undefined): Promise<void> {
    let prompt = message;
    const maxReflections = this.core.config.session.maxReflections;
    let unresolved = 0;
    let unresolvedBlocks: TurnResult['failedBlocks'] = [];
    let askedToAdd = false;
    for (let round = 0; ; round++) {
      const step = await this.oneRequest(prompt, message, result, signal);
      // A plan is one request; a turn over its cost limit stops here.
      if (this.core.planMode || result.costLimit) break;
      // A reflection that proposes nothing leaves the earlier failures standing.
      if (round === 0 || step.proposedEdits) [unresolved, unresolvedBlocks] = [step.failedCount, step.failedBlocks ?? []];
      if (!step.proposedEdits && !askedToAdd && round < maxReflections) {
        // Files the reply names but the chat lacks: added (asked in chat, up to max_auto_add with --yes), then asked again once.
        askedToAdd = true;
        const added = await this.offerMentionedFiles(result.reply);
        if (added.length > 0) {
          prompt = `I added ${added.length === 1 ? 'this file' : 'these files'} to the chat: ${added.join(', ')}. Their contents are above. Go ahead with my request.`;
          continue;
        }
      }
      if (step.retryWith === null || round >= maxReflections) {
        result.failed = unresolved;
        if (unresolved > 0) result.failedBlocks = unresolvedBlocks;
        break;
      }
      this.core.ui.status?.(`${step.failedCount} edit block${step.failedCount === 1 ? '' : 's'} failed to apply: asking the model to fix ${step.failedCount === 1 ? 'it' : 'them'} (${round + 1}/${maxReflections})`);
      prompt = step.retryWith;
    }
  }

  /**
   * Text mode, as Aider does it: tracked files a reply names that are not in the chat are offered
   * (chat asks; `run`/`pr` with `--yes` add up to `session.max_auto_add`). Returns those added.
   */
  private async offerMentionedFiles(reply: string): Promise<string[]> {
    const tracked = await trackedFiles(this.core);
    const mentioned = mentionedFiles(reply, tracked).filter((f) => !this.core.chatFiles.has(f));
    if (mentioned.length === 0) return [];
    let chosen: string[] = [];
    if (this.core.options.interactive && this.core.ui.confirmAddFiles) chosen = await this.core.ui.confirmAddFiles(mentioned);
    else if (this.core.options.yes) chosen = mentioned.slice(0, this.core.config.session.maxAutoAdd);
    const added: string[] = [];
    for (const file of chosen) {
      try {
        added.push(...(await addFiles(this.core, [relative(this.core.options.cwd, join(this.core.root, file)) || file])));
      } catch (error) {
        this.core.ui.status?.(`not added: ${(error as Error).message}`);
      }
    }
    if (added.length > 0) this.core.ui.status?.(`added to the chat: ${added.join(', ')}`);
    return added;
  }

  /** A turn as a tool loop (DESIGN §4 "Tools"). */
  private async toolTurn(message: string, result: TurnResult, signal: AbortSignal | undefined): Promise<void> {
    const { runToolLoop } = await import('./tool-loop.js');
    const maxReflections = this.core.config.session.maxReflections;
    let prompt = message;
    let unresolved = 0;
    let unresolvedBlocks: TurnResult['failedBlocks'] = [];
    for (let round = 0; ; round++) {
      const turnRequest = newRequestId();
      const end = await runToolLoop(this.loopHost(signal), prompt, turnRequest, result, signal);
      const steps = end.steps.length > 0 ? { steps: end.steps } : {};
      this.core.history.push({ request: turnRequest, user: prompt, assistant: end.stepLimit ? STEP_LIMIT_NOTE : end.costLimit ? COST_LIMIT_NOTE : end.final, ...steps, ...(round > 0 ? { person: false as const } : {}) });
      if (end.stepLimit) {
        result.stepLimit = true;
        this.core.ui.status?.(`stopped: the model made ${this.core.maxSteps} requests in this turn (session.max_steps); what was approved is kept`);
        return;
      }
      if (end.costLimit) {
        result.costLimit = true;
        return;
      }
      // Blocks written as text that failed get the same reflections as in text mode.
      const edits = end.textEdits;
      if (round === 0 || edits?.proposedEdits) [unresolved, unresolvedBlocks] = [edits?.failedCount ?? 0, edits?.failedBlocks ?? []];
      if (!edits || edits.retryWith === null || round >= maxReflections) {
        result.failed = unresolved;
        if (unresolved > 0) result.failedBlocks = unresolvedBlocks;
        return;
      }
      this.core.ui.status?.(`${edits.failedCount} edit block${edits.failedCount === 1 ? '' : 's'} failed to apply: asking the model to fix ${edits.failedCount === 1 ? 'it' : 'them'} (${round + 1}/${maxReflections})`);
      prompt = edits.retryWith;
    }
  }

  private loopHost(signal?: AbortSignal): LoopHost {
    const core = this.core;
    return {
      ui: core.ui,
      maxSteps: core.maxSteps,
      dryRun: core.options.dryRun ?? false,
      prepare: async (message, request) => {
        const info = core.modelInfo(core.model);
        const { toolSpecs } = await import('../tools/index.js');
        const specs = toolSpecs(await this.tools.list(signal));
        const { system, messages, context } = await this.prompt.buildPrompt(message, info, request, 'tools', specs);
        return { system, messages, tools: specs, context };
      },
      fit: async (system, messages, tools) => {
        const info = core.modelInfo(core.model);
        const limit = Math.floor(info.contextWindow * core.config.context.compressionThreshold);
        let fitted = messages;
        let size = await this.prompt.messagesSize(system, fitted, tools, limit);
        if (size > limit) {
          // Within a turn, the results of its older steps go first; the newest step's stay whole.
          let lastTool = -1;
          fitted.forEach((m, i) => {
            if (m.role === 'tool') lastTool = i;
          });
          fitted = fitted.map((m, i) => (m.role === 'tool' && i < lastTool ? { ...m, results: m.results.map(elideResult) } : m));
          size = await this.prompt.messagesSize(system, fitted, tools, limit);
          core.log?.info('context.tool-results-dropped', { window: info.contextWindow, tokens: size });
        }
        return { messages: fitted, maxOutputTokens: Math.max(256, Math.min(info.maxOutput, info.contextWindow - size - 64)) };
      },
      stream: (system, messages, tools, maxOutputTokens, request, signal) => requestReply(this.core, system, messages, tools, maxOutputTokens, request, signal),
      record: async (events) => {
        if (core.options.dryRun || events.length === 0) return;
        const session = await core.ensureRecording();
        await core.store.appendEvents(session.id, events);
      },
      addUsage: (result, usage, model, request) => core.addUsage(result, usage, model, request),
      overBudget: (result) => core.overBudget(result),
      tools: () => this.tools.cached,
      reloadTools: async (before) => {
        if (!this.tools.hasMcp) return null;
        // Within a turn the list only grows (tools `mcp_tools` loaded, at its end): a withdrawn
        // server's tools stay declared and answer that they are unavailable, so the request
        // prefix and the model's earlier calls stay valid. The next turn drops them.
        const next = await this.tools.list();
        const known = new Set(before.map((t) => t.spec.name));
        const added = next.filter((t) => !known.has(t.spec.name));
        if (added.length === 0) return null;
        const tools = [...before, ...added];
        const { toolSpecs } = await import('../tools/index.js');
        return { tools, specs: toolSpecs(tools) };
      },
      toolContext: async (request, pending, signal) => {
        const paths = core.store.repo.paths;
        return {
          root: core.root,
          gitDir: paths.gitDir,
          commonDir: paths.commonDir,
          env: core.options.env,
          config: core.config,
          addedByName: core.chatFiles,
          readFiles: core.readFiles,
          pending,
          audit: core.audit(),
          knownNotIgnored: turnGitOf(core).knownNotIgnored,
          // Agent hooks are the person's commands, run around tools and turns: they may create files
          // the listing does not hold, so with any configured the search walks the work tree.
          ...(hasAgentHooks(core) ? {} : { noUntrackedFiles: () => turnGitOf(core).snapshot.noUntrackedNow() }),
          requestId: request,
          ...(signal ? { signal } : {}),
          yes: core.options.yes === true || core.options.mode === 'pr',
          interactive: core.options.interactive === true,
          ...(core.ui.confirmCommand ? { confirmCommand: (command: string, warning: string | null) => core.ui.confirmCommand!(command, warning) } : {}),
          ...(core.options.interactive && core.ui.approveToolCall ? { approveMcpCall: (info: McpCallInfo) => this.approvals.approveMcpCall(info) } : {}),
          testCommand: async (scope) => {
            const chosen = await testsFor(core, { ...(scope?.all ? { all: true } : {}), ...(scope?.path ? { files: [scope.path] } : {}) });
            return chosen?.cmd ?? null;
          },
          repoMap: async ({ query, files, tokens }) => {
            const { buildRepoMap } = await import('../context/index.js');
            const map = await buildRepoMap({
              cwd: core.root,
              tokens: tokens ?? core.config.context.mapTokens,
              focusFiles: files ?? [],
              query: query ?? '',
              maxFileBytes: core.config.context.maxFileBytes,
              env: core.options.env,
              listed: turnGitOf(core).sourceListing(),
            });
            return map.text;
          },
        };
      },
      toolHook: async (event, call, request, outcome) => {
        const { fireHooks } = await import('./agent-hooks.js');
        return fireHooks(core, { event, tool: call.name, arguments: toolArguments(call.arguments), ...(outcome ? { result: outcome.text, ok: outcome.ok } : {}), request }, signal);
      },
      execute: async (call, tools, ctx) => {
        const { executeToolCall } = await import('../tools/index.js');
        // Anything but the read-only built-in tools may create files (a command, an MCP tool).
        if (!READ_ONLY_TOOLS.has(call.name)) turnGitOf(core).snapshot.touchWorkTree();
        return executeToolCall(call, tools, ctx);
      },
      // Plan mode offers no edit tool; should a change reach here anyway, it is declined, never written.
      commitStep: async (changes, meta, result) =>
        core.planMode ? new Map(changes.map((c) => [c.path, 'plan mode: nothing is changed until /go'])) : commitStep(this.core, this.approvals, changes, meta, result),
      applyTextEdits: async (reply, request, turnMessage, result) =>
        core.planMode
          ? { retryWith: null, failedCount: 0, proposedEdits: false }
          : applyReplyText(this.core, this.approvals, reply.text, { request, prompt: turnMessage, originalMessage: core.currentAsk ?? turnMessage, usage: reply.usage, model: reply.model }, result),
    };
  }

  /**
   * assist's own commits run no hooks (session branches skip them), so when the hooks are installed
   * the background refresher is started the same way a hook would: detached, off this turn's path.
   */
  private async kickRefresher(): Promise<void> {
    const paths = this.core.store.repo.paths;
    const { existsSync } = await import('node:fs');
    if (!existsSync(join(paths.sharedAssistDir, 'hook.sh'))) return;
    try {
      const { kickRefresher } = await import('../hooks/index.js');
      await kickRefresher(paths, 'post-commit', { env: this.core.options.env });
    } catch (error) {
      this.core.log?.warn('hooks.kick-failed', { error: (error as Error).message });
    }
  }

  private async oneRequest(
    prompt: string,
    originalMessage: string,
    result: TurnResult,
    signal: AbortSignal | undefined,
  ): Promise<{ retryWith: string | null; failedCount: number; proposedEdits: boolean; failedBlocks?: TurnResult['failedBlocks'] }> {
    const request = newRequestId();
    result.requests.push(request);
    result.steps++;
    const info = this.core.modelInfo(this.core.model);
    const { system, messages, maxOutputTokens, context } = await this.prompt.buildPrompt(prompt, info, request, 'text');
    const reply = await requestReply(this.core, system, messages, [], maxOutputTokens, request, signal);
    const { text, usage, model } = reply;
    result.reply = text;
    result.model = model;
    this.core.addUsage(result, usage, model, request);
    // Over the cost limit, and in plan mode, the reply's blocks are not applied.
    const applies = !this.core.overBudget(result) && !this.core.planMode;
    if (!applies && !this.core.planMode) result.costLimit = true;

    // Recording the exchange overlaps with parsing and checking its edits; both finish before any write.
    let recorded: Promise<unknown> = Promise.resolve();
    if (!this.core.options.dryRun) {
      const session = await this.core.ensureRecording();
      recorded = this.core.store.appendEvents(session.id, [
        { type: 'message', request, text: prompt, context },
        { type: 'reply', request, text, model, usage: usageRecord(usage) },
      ]);
      recorded.catch(() => undefined); // awaited below; this only keeps an early rejection from being unhandled
    }
    this.core.history.push({ request, user: prompt, assistant: text, ...(prompt === originalMessage ? {} : { person: false as const }) });
    try {
      if (!applies) return { retryWith: null, failedCount: 0, proposedEdits: false };
      return await applyReplyText(this.core, this.approvals, text, { request, prompt, originalMessage, usage, model }, result);
    } finally {
      await recorded;
    }
  }

}

/** A call's arguments as the hook reads them: the object, or the text when the model sent no valid JSON. */
function toolArguments(text: string): Record<string, unknown> | string {
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : text;
  } catch {
    return text;
  }
}

/** The built-in tools that write nothing: after any other call the turn's listing may miss new files. */
const READ_ONLY_TOOLS: ReadonlySet<string> = new Set(['read_file', 'list_files', 'search', 'repo_map', 'semantic_search']);

function hasAgentHooks(core: SessionCore): boolean {
  return Object.values(core.config.agentHooks).some((list) => (list?.length ?? 0) > 0);
}

/** What a turn cut at the step limit leaves in the conversation in place of a final answer. */
const STEP_LIMIT_NOTE = '[This turn was stopped at the step limit before a final answer.]';
/** What a turn stopped at the cost limit leaves in the conversation in place of a final answer. */
const COST_LIMIT_NOTE = '[This turn was stopped at its cost limit (--max-cost) before a final answer.]';
