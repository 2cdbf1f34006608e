import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { AssistError, ExitCode, refusal } from '../errors.js';
import type { Config } from '../config/types.js';
import type { GitStore, SessionInfo, ReplayedEvent, TurnContext } from '../git/index.js';
import type { ChatMessage, ModelInfo, Provider, ToolResult, ToolSpec, Usage } from '../llm/types.js';
import type { ApprovalState, AuditLog } from '../sandbox/index.js';
import { chooseFence, reflectionPrompt, renderChatFiles, systemPrompt, toolSystemPrompt } from './prompts.js';
import { exchangeMessages, filesReadInEvents, rebuildHistory, type Exchange } from './history.js';
import type { LoopHost, StepChange, StepReply, TextEditOutcome } from './tool-loop.js';
import { ChunkCounter, outsideSparseCone, TurnGit } from './turn-git.js';
import type { McpCallInfo, Tool } from '../tools/types.js';
import type { McpManager } from '../tools/index.js';
import { diffOfChanges, draftCommitMessage, type DraftedMessage } from './commit-message.js';
import { execText } from '../util/exec.js';
import { timePhase } from '../obs/phases.js';
import type { FileChangePreview, SessionOptions, SessionUI, TokenReport, TurnResult } from './types.js';

/** A request's correlation id: carried in logs, the event chain and the commit trailer. */
export function newRequestId(): string {
  return `req_${randomBytes(6).toString('hex')}`;
}

interface Totals {
  input_tokens: number;
  output_tokens: number;
  estimated: boolean;
  cost_usd: number | null;
}

/**
 * One conversation with the model about one repository (DESIGN.md §1 `session/`): prompt ->
 * context -> llm -> edits -> approval -> commit. UI-agnostic: everything a person sees goes
 * through `SessionUI`.
 */
export class Session {
  private chatFiles = new Set<string>();
  private history: Exchange[] = [];
  private approval: ApprovalState;
  private info: SessionInfo | null = null;
  private totals: Totals = { input_tokens: 0, output_tokens: 0, estimated: false, cost_usd: 0 };
  private lastPrompt: { system: string; map: string; files: string; history: string } | null = null;
  /** The registry's pricing (src/llm `costOf`), loaded with the session. */
  private costOf: (usage: Usage, info: ModelInfo) => number | undefined = () => undefined;
  /** Set once a server rejected tools (`session.tools = "auto"`): text mode for the rest of the session. */
  private textOnly = false;
  /** Files the model read with `read_file` in this session: `write_file` may replace only those. */
  private readFiles = new Set<string>();
  model: string;

  private constructor(
    private readonly options: SessionOptions,
    readonly root: string,
    private readonly store: GitStore,
    private readonly provider: Provider,
    private readonly modelInfo: (model: string) => ModelInfo,
    private readonly audit: (sessionId: string) => AuditLog,
    approvalState: ApprovalState,
  ) {
    this.approval = approvalState;
    this.model = options.model ?? options.config.model ?? '';
  }

  /** Opens the repository, recovers an interrupted batch, and continues or prepares a session. */
  static async create(options: SessionOptions): Promise<Session> {
    const model = options.model ?? options.config.model;
    if (!model) {
      throw new AssistError('llm.no-model', 'no model configured', {
        hint: 'pass --model provider/model, set ASSIST_MODEL, or run `assist config set model anthropic/claude-sonnet-4-5 --global` (see `assist doctor`)',
      });
    }
    const { openStore, describeRecovery } = await import('../git/index.js');
    const sandbox = await import('../sandbox/index.js');
    const store = await openStore({ cwd: options.cwd, env: options.env, command: options.command ?? 'assist', checkpointsKept: options.config.git.checkpointsKept });
    // What would refuse the first write refuses now, before anything is paid for or written (issue 24
    // items 1, 12, 15). A pending batch is retried below, once what a crash left is dealt with.
    if (!options.dryRun) {
      const noBranch = options.noBranch || !options.config.git.sessionBranch;
      await store.preflight({ noBranch }).catch((error: unknown) => {
        store.close();
        throw error;
      });
    }
    let provider = options.provider;
    let modelInfo = options.modelInfo;
    if (!provider || !modelInfo) {
      const llm = await import('../llm/index.js');
      const client = llm.createLlmClient({
        env: options.env,
        llm: options.config.llm,
        models: options.config.models,
        fallback: options.config.fallback,
        cwd: store.root,
        onAttempt: (attempt) => {
          if (attempt.outcome === 'failed') {
            options.metrics?.llmRetries.inc({ provider: attempt.provider });
            options.logger?.warn('llm.request.retry', { model: attempt.model, attempt: attempt.attempt, kind: attempt.kind, status: attempt.status, ms: Math.round(attempt.durationMs) });
          }
          if (options.metrics) for (const [name, snap] of Object.entries(client.breakers())) options.metrics.setBreakerState(name, snap.state);
        },
      });
      client.warm(model);
      provider ??= client;
      modelInfo ??= (name: string) => llm.lookupModel(name, options.config.models);
    }
    if (!provider || !modelInfo) throw new AssistError('llm.unavailable', 'no model client could be created');
    modelInfo(model); // unknown provider names fail here, before anything is written
    const sharedDir = store.repo.paths.sharedAssistDir;
    const secrets = sandbox.secretsFromEnv(options.env);
    const session = new Session(
      options,
      store.root,
      store,
      provider,
      modelInfo,
      (id) => sandbox.createAuditLog(sharedDir, id, { secrets }),
      sandbox.initialApprovalState(),
    );
    session.costOf = (await import('../llm/index.js')).costOf;
    if (options.prefetch !== undefined && options.resume === undefined) session.prefetch(options.prefetch);
    if (!options.dryRun) {
      const recovered = await store.recover();
      if (recovered && recovered.action !== 'pending') options.ui?.status?.(describeRecovery(recovered));
      await session.retryPending().catch((error: unknown) => {
        store.close();
        throw error;
      });
    }
    session.info = store.currentSession();
    if (options.resume !== undefined) await session.resume(options.resume);
    if (options.files?.length) await session.addFiles(options.files);
    return session;
  }

  get sessionId(): string | null {
    return this.info?.id ?? null;
  }

  get branch(): string | null {
    return this.info?.branch ?? null;
  }

  get files(): string[] {
    return [...this.chatFiles].sort();
  }

  get ui(): SessionUI {
    return this.options.ui ?? {};
  }

  private get config(): Config {
    return this.options.config;
  }

  close(): void {
    this.chunkCounter.close();
    this.mcp?.close();
    this.store.close();
  }

  // ------------------------------------------------------------------ files in the chat

  /** Adds files (relative to cwd) to the chat; they are sent whole with every request. */
  async addFiles(paths: readonly string[]): Promise<string[]> {
    const { resolveInside } = await import('../sandbox/index.js');
    const added: string[] = [];
    for (const path of paths) {
      const rel = this.toRepoPath(path);
      const result = await resolveInside(this.root, rel, {
        mode: 'read',
        readPaths: this.config.sandbox.readPaths,
        addedByName: new Set([rel]),
        env: this.options.env,
      });
      if (!result.ok) throw new AssistError('session.add-denied', `cannot add ${path}: ${result.reason}`, { exitCode: ExitCode.refused });
      if (!result.exists) throw new AssistError('session.add-missing', `cannot add ${path}: no such file`, { hint: 'check the path (relative to the current directory)', exitCode: ExitCode.usage });
      // A file sent whole with every request must fit the budget (DESIGN §5 context.max_file_bytes).
      const size = (await stat(result.abs)).size;
      if (size > this.config.context.maxFileBytes) {
        throw new AssistError('session.add-too-large', `cannot add ${path}: ${size} bytes, over context.max_file_bytes (${this.config.context.maxFileBytes})`, {
          hint: 'the model can read parts of it with read_file; or raise context.max_file_bytes',
          exitCode: ExitCode.refused,
        });
      }
      this.chatFiles.add(result.rel);
      added.push(result.rel);
    }
    return added;
  }

  dropFiles(paths: readonly string[]): string[] {
    const dropped: string[] = [];
    for (const path of paths) {
      const rel = this.toRepoPath(path);
      if (this.chatFiles.delete(rel)) dropped.push(rel);
    }
    if (paths.length === 0) {
      dropped.push(...this.chatFiles);
      this.chatFiles.clear();
    }
    return dropped;
  }

  private toRepoPath(path: string): string {
    const abs = resolve(this.options.cwd, path);
    return relative(this.root, abs).split(sep).join('/');
  }

  /** Forgets the conversation (not the files, not the commits). */
  clearHistory(): void {
    this.history = [];
  }

  // ------------------------------------------------------------------ resume, undo, redo

  private async resume(which: string | true): Promise<void> {
    const id = which === true ? this.store.currentSession()?.id : which;
    if (!id) {
      throw new AssistError('session.nothing-to-resume', 'there is no session to resume here', {
        hint: 'switch to a session branch (`assist session list`), or pass the id: `--resume=ID`',
        exitCode: ExitCode.usage,
      });
    }
    const current = this.store.currentSession();
    let info = current;
    if (!current || current.id !== id) {
      // A session that made no edit has no branch: it goes on from any branch that is not a session branch.
      const named = which === true ? null : await this.store.session(id);
      if (!named?.pendingBranch || (current && !current.noBranch)) throw await this.store.resumeRefusal(id);
      info = named;
    }
    this.info = info;
    const events = await this.store.replay(id);
    this.history = rebuildHistory(events);
    this.readFiles = filesReadInEvents(events);
  }

  /**
   * A batch a commit hook or signing left pending (`--no-branch`) gets a way out: the next `run` or
   * `chat` retries its commit and says so (issue 24 items 6, 7). Still rejected, `run` stops before
   * the request; a chat goes on, and its `/commit` retries, `/undo` drops it. `pr` refuses it.
   */
  private async retryPending(): Promise<void> {
    const pending = this.store.pendingBatch();
    if (!pending) return;
    const mode = this.options.mode ?? 'chat';
    // `pr` works on a branch of its own, off the base: the batch belongs to where the person is.
    if (mode === 'pr') this.store.refuseIfPending();
    const files = pending.files.join(', ');
    try {
      const result = await this.store.commitPending();
      if (result.committedByYou) this.ui.status?.(`the pending batch was committed by you as ${result.commit?.slice(0, 10) ?? ''}: nothing to retry`);
      else if (result.commit) this.ui.status?.(`retried the commit of the pending batch (${files}): committed the pending batch as ${result.commit.slice(0, 10)} ${pending.summary}`);
      else this.ui.status?.(`retried the commit of the pending batch (${files}): its files hold what is committed, nothing left to commit`);
    } catch (error) {
      if (!(error instanceof AssistError)) throw error;
      const rejected = error.code === 'git.hook-rejected' || error.code === 'git.sign-failed';
      // Not rejected again but refused (HEAD moved off its branch, ...): the reason, and that it is pending.
      const why = rejected ? `retried the commit of the pending batch (${files}): ${error.message}` : `the pending batch (${files}) could not be retried: ${error.message}`;
      if (mode !== 'run') {
        this.ui.status?.(`${why}; it is still pending${mode === 'chat' ? ': /commit retries it, /undo drops it' : ''}`);
        return;
      }
      const hint = error.code === 'git.hook-rejected' ? 'fix what it reported (the files are written) and run assist again, or drop the batch with `assist undo`' : error.hint;
      throw refusal('git.batch-pending', `${why}; it is still pending`, hint, error.data);
    }
  }

  /** Undoes the session's last N edits; the exchanges that made them leave the conversation. */
  async undo(count = 1, force = false): Promise<{ undone: number; files: string[] }> {
    if (this.info?.pendingBranch && !this.store.pendingBatch()) throw refusal('git.nothing-to-undo', 'nothing to undo: this session has made no edit yet', undefined);
    const result = await this.store.undo({ count, force });
    this.options.metrics?.undo.inc();
    this.log?.info('git.undo', { commits: result.undone.map((u) => u.commit) });
    await this.reloadHistory();
    return { undone: result.undone.length, files: [...new Set(result.undone.flatMap((u) => u.files))] };
  }

  /**
   * Commits the person's own uncommitted changes to tracked files on the session branch (`/commit`),
   * with `message` or one naming the files; `/undo` gives them back as uncommitted changes.
   */
  async commitOwnChanges(message?: string): Promise<{ commit: string | null; files: string[]; pending?: 'committed' | 'committed-by-you' }> {
    if (this.store.pendingBatch()) {
      // A batch a hook or signing rejected: `/commit` retries its commit (the files as they are now).
      const result = await this.store.commitPending();
      this.log?.info('git.commit', { kind: 'pending', commit: result.commit, byYou: result.committedByYou === true });
      return { commit: result.commit, files: result.files.map((f) => f.path), pending: result.committedByYou ? 'committed-by-you' : 'committed' };
    }
    const session = await this.ensureBranch();
    const result = await this.store.commitUserChanges(session.id, { request: newRequestId(), ...(message === undefined ? {} : { message }) });
    this.log?.info('git.commit', { kind: 'snapshot', commit: result.commit, branch: this.info?.branch ?? null, files: result.files.map((f) => f.path) });
    return { commit: result.commit, files: result.files.map((f) => f.path) };
  }

  async redo(): Promise<{ redone: number }> {
    const result = await this.store.redo();
    await this.reloadHistory();
    return { redone: result.redone };
  }

  private async reloadHistory(): Promise<void> {
    const id = this.info?.id;
    if (!id) return;
    const events: ReplayedEvent[] = await this.store.replay(id);
    this.history = rebuildHistory(events);
  }

  /** The newest edit commit of this session still in place (`/diff`), or null when it has none. */
  async lastEditCommit(): Promise<string | null> {
    if (!this.info || this.info.pendingBranch) return null;
    const edit = await this.store.lastEdit(this.info.id);
    return edit && edit.commit !== edit.parent ? edit.commit : null;
  }

  /** The conversation as it will be sent (tests and `/tokens` read it). */
  get conversation(): readonly Exchange[] {
    return this.history;
  }

  // ------------------------------------------------------------------ a turn

  /**
   * Sends `message`, streams the reply, applies its edits (after approval), commits them, and
   * sends failed blocks back up to `session.max_reflections` times.
   */
  async ask(message: string, signal?: AbortSignal): Promise<TurnResult> {
    // What would refuse a write refuses before the paid request, on every turn of a chat too.
    if (!this.options.dryRun && this.info) await timePhase('turn.preflight', () => this.store.preflight({ session: this.info! }));
    this.currentAsk = message;
    const result = this.newResult();
    this.startChunkCounter();
    try {
      return await this.askTurn(message, result, signal);
    } finally {
      this.turnGit.invalidate();
    }
  }

  private async askTurn(message: string, result: TurnResult, signal: AbortSignal | undefined): Promise<TurnResult> {
    const turnStarted = performance.now();
    this.modelMs = 0;
    this.log?.info('turn.start', { chars: message.length, files: this.files.length, tools: this.usesTools() });
    if (this.usesTools()) {
      try {
        await this.toolTurn(message, result, signal);
      } catch (error) {
        // A server without tool calling says so on the first request: text mode from then on, said once.
        if (!(error instanceof AssistError) || error.code !== 'llm.tools-unsupported' || this.config.session.tools !== 'auto' || result.steps > 1) throw error;
        this.textOnly = true;
        this.ui.status?.(`${this.model} does not accept tools: using text mode for this session (edits as SEARCH/REPLACE blocks; files the reply names can be added)`);
        this.log?.warn('session.tools-fallback', { model: this.model });
        Object.assign(result, this.newResult());
        await this.textTurn(message, result, signal);
      }
    } else {
      await this.textTurn(message, result, signal);
    }
    if (result.commits.length > 0 && (this.options.autoTest || this.config.test.auto)) {
      result.tests = await this.testLoop(message, result, signal);
    }
    result.session = this.info?.id ?? null;
    result.branch = this.info?.branch ?? null;
    if (result.commits.length > 0) await this.kickRefresher();
    const overhead = Math.max(0, performance.now() - turnStarted - this.modelMs) / 1000;
    this.options.metrics?.turnOverhead.observe(overhead);
    this.log?.info('turn.end', { commits: result.commits.length, failed: result.failed, refused: result.refused.length, steps: result.steps, tool_calls: result.toolCalls.length, overhead_s: Math.round(overhead * 1000) / 1000 });
    return result;
  }

  /** The person's message of the turn under way: commit messages are made from it, not from reflections. */
  private currentAsk: string | null = null;

  /** Whether this turn offers tools: `session.tools = "auto"` until a server rejected them. */
  usesTools(): boolean {
    return this.config.session.tools === 'auto' && !this.textOnly;
  }

  private newResult(): TurnResult {
    return {
      session: this.info?.id ?? null,
      branch: this.info?.branch ?? null,
      reply: '',
      model: this.model,
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
    const maxReflections = this.config.session.maxReflections;
    let unresolved = 0;
    let unresolvedBlocks: TurnResult['failedBlocks'] = [];
    let askedToAdd = false;
    for (let round = 0; ; round++) {
      const step = await this.oneRequest(prompt, message, result, signal);
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
      this.ui.status?.(`${step.failedCount} edit block${step.failedCount === 1 ? '' : 's'} failed to apply: asking the model to fix ${step.failedCount === 1 ? 'it' : 'them'} (${round + 1}/${maxReflections})`);
      prompt = step.retryWith;
    }
  }

  /**
   * Text mode, as Aider does it: tracked files a reply names that are not in the chat are offered
   * (chat asks; `run`/`pr` with `--yes` add up to `session.max_auto_add`). Returns those added.
   */
  private async offerMentionedFiles(reply: string): Promise<string[]> {
    const tracked = await this.trackedFiles();
    const mentioned = mentionedFiles(reply, tracked).filter((f) => !this.chatFiles.has(f));
    if (mentioned.length === 0) return [];
    let chosen: string[] = [];
    if (this.options.interactive && this.ui.confirmAddFiles) chosen = await this.ui.confirmAddFiles(mentioned);
    else if (this.options.yes) chosen = mentioned.slice(0, this.config.session.maxAutoAdd);
    const added: string[] = [];
    for (const file of chosen) {
      try {
        added.push(...(await this.addFiles([relative(this.options.cwd, join(this.root, file)) || file])));
      } catch (error) {
        this.ui.status?.(`not added: ${(error as Error).message}`);
      }
    }
    if (added.length > 0) this.ui.status?.(`added to the chat: ${added.join(', ')}`);
    return added;
  }

  /** A turn as a tool loop (DESIGN §4 "Tools"). */
  private async toolTurn(message: string, result: TurnResult, signal: AbortSignal | undefined): Promise<void> {
    const { runToolLoop } = await import('./tool-loop.js');
    const maxReflections = this.config.session.maxReflections;
    let prompt = message;
    let unresolved = 0;
    let unresolvedBlocks: TurnResult['failedBlocks'] = [];
    for (let round = 0; ; round++) {
      const turnRequest = newRequestId();
      const end = await runToolLoop(this.loopHost(signal), prompt, turnRequest, result, signal);
      const steps = end.steps.length > 0 ? { steps: end.steps } : {};
      this.history.push({ request: turnRequest, user: prompt, assistant: end.stepLimit ? STEP_LIMIT_NOTE : end.final, ...steps });
      if (end.stepLimit) {
        result.stepLimit = true;
        this.ui.status?.(`stopped: the model made ${this.maxSteps} requests in this turn (session.max_steps); what was approved is kept`);
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
      this.ui.status?.(`${edits.failedCount} edit block${edits.failedCount === 1 ? '' : 's'} failed to apply: asking the model to fix ${edits.failedCount === 1 ? 'it' : 'them'} (${round + 1}/${maxReflections})`);
      prompt = edits.retryWith;
    }
  }

  private toolsCache: { key: string; tools: readonly Tool[] } | null = null;

  /** The MCP servers of this session: made on first use, null when none is configured (or none applies). */
  private mcp: McpManager | null | undefined;

  private async mcpManager(): Promise<McpManager | null> {
    if (this.mcp !== undefined) return this.mcp;
    // MCP tools can act outside the repository: never in a dry run or in `explain`.
    const servers = Object.values(this.config.mcp.servers);
    if (this.options.dryRun || this.options.mode === 'explain' || !servers.some((s) => s.enabled)) return (this.mcp = null);
    const { loadMcp } = await import('../tools/index.js');
    const { McpManager } = await loadMcp();
    this.mcp = new McpManager({ config: this.config, env: this.options.env, cwd: this.root, onStatus: (message) => this.ui.status?.(message) });
    return this.mcp;
  }

  /** The tools this session offers: read-only ones for `explain`; no commands in a dry run (they could write); MCP tools (DESIGN §4 "MCP"). */
  private async toolList(signal?: AbortSignal): Promise<readonly Tool[]> {
    const mcp = await this.mcpManager();
    // A tenth of the window for MCP definitions; past that, `mcp_tools` finds them on demand.
    const mcpBudget = Math.floor(this.modelInfo(this.model).contextWindow / 10);
    const mcpTools = mcp ? await mcp.tools(mcpBudget, signal) : [];
    const key = `${this.options.mode ?? 'chat'}:${this.options.dryRun ? 'dry' : ''}:${mcpTools.map((t) => t.spec.name).join(',')}`;
    if (this.toolsCache?.key === key) return this.toolsCache.tools;
    const { allTools, readOnlyTools } = await import('../tools/index.js');
    let tools: readonly Tool[] = this.options.mode === 'explain' ? readOnlyTools() : allTools();
    if (this.options.dryRun) tools = tools.filter((t) => t.kind !== 'run');
    tools = [...tools, ...mcpTools];
    this.toolsCache = { key, tools };
    return tools;
  }

  /** MCP calls the person approved with `a`: they run without asking for the rest of the session. */
  private readonly mcpAlways = new Set<string>();

  private async approveMcpCall(info: McpCallInfo): Promise<boolean> {
    const key = `${info.server}/${info.tool}`;
    if (this.mcpAlways.has(key)) return true;
    const answer = await this.ui.approveToolCall!(info);
    if (answer === 'always') this.mcpAlways.add(key);
    return answer !== 'no';
  }

  private loopHost(signal?: AbortSignal): LoopHost {
    return {
      ui: this.ui,
      maxSteps: this.maxSteps,
      dryRun: this.options.dryRun ?? false,
      prepare: async (message, request) => {
        const info = this.modelInfo(this.model);
        const { toolSpecs } = await import('../tools/index.js');
        const specs = toolSpecs(await this.toolList(signal));
        const { system, messages, context } = await this.buildPrompt(message, info, request, 'tools', specs);
        return { system, messages, tools: specs, context };
      },
      fit: async (system, messages, tools) => {
        const info = this.modelInfo(this.model);
        const limit = Math.floor(info.contextWindow * this.config.context.compressionThreshold);
        let fitted = messages;
        let size = await this.messagesSize(system, fitted, tools, limit);
        if (size > limit) {
          // Within a turn, the results of its older steps go first; the newest step's stay whole.
          let lastTool = -1;
          fitted.forEach((m, i) => {
            if (m.role === 'tool') lastTool = i;
          });
          fitted = fitted.map((m, i) => (m.role === 'tool' && i < lastTool ? { ...m, results: m.results.map(elideResult) } : m));
          size = await this.messagesSize(system, fitted, tools, limit);
          this.log?.info('context.tool-results-dropped', { window: info.contextWindow, tokens: size });
        }
        return { messages: fitted, maxOutputTokens: Math.max(256, Math.min(info.maxOutput, info.contextWindow - size - 64)) };
      },
      stream: (system, messages, tools, maxOutputTokens, request, signal) => this.requestReply(system, messages, tools, maxOutputTokens, request, signal),
      record: async (events) => {
        if (this.options.dryRun || events.length === 0) return;
        const session = await this.ensureRecording();
        await this.store.appendEvents(session.id, events);
      },
      addUsage: (result, usage, model) => this.addUsage(result, usage, model),
      tools: () => this.toolsCache?.tools ?? [],
      reloadTools: async (before) => {
        if (!this.mcp) return null;
        // Within a turn the list only grows (tools `mcp_tools` loaded, at its end): a withdrawn
        // server's tools stay declared and answer that they are unavailable, so the request
        // prefix and the model's earlier calls stay valid. The next turn drops them.
        const next = await this.toolList();
        const known = new Set(before.map((t) => t.spec.name));
        const added = next.filter((t) => !known.has(t.spec.name));
        if (added.length === 0) return null;
        const tools = [...before, ...added];
        const { toolSpecs } = await import('../tools/index.js');
        return { tools, specs: toolSpecs(tools) };
      },
      toolContext: async (request, pending, signal) => {
        const paths = this.store.repo.paths;
        return {
          root: this.root,
          gitDir: paths.gitDir,
          commonDir: paths.commonDir,
          env: this.options.env,
          config: this.config,
          addedByName: this.chatFiles,
          readFiles: this.readFiles,
          pending,
          audit: this.audit(this.info?.id ?? 'dry-run'),
          knownNotIgnored: this.turnGit.knownNotIgnored,
          requestId: request,
          ...(signal ? { signal } : {}),
          yes: this.options.yes === true || this.options.mode === 'pr',
          interactive: this.options.interactive === true,
          ...(this.ui.confirmCommand ? { confirmCommand: (command: string, warning: string | null) => this.ui.confirmCommand!(command, warning) } : {}),
          ...(this.options.interactive && this.ui.approveToolCall ? { approveMcpCall: (info: McpCallInfo) => this.approveMcpCall(info) } : {}),
          testCommand: async () => {
            if (this.config.test.cmd) return this.config.test.cmd;
            const { detectTestCommand } = await import('./test-command.js');
            return (await detectTestCommand(this.root))?.cmd ?? null;
          },
          repoMap: async ({ query, files, tokens }) => {
            const { buildRepoMap } = await import('../context/index.js');
            const map = await buildRepoMap({
              cwd: this.root,
              tokens: tokens ?? this.config.context.mapTokens,
              focusFiles: files ?? [],
              query: query ?? '',
              maxFileBytes: this.config.context.maxFileBytes,
              env: this.options.env,
              listed: this.turnGit.sourceListing(),
            });
            return map.text;
          },
        };
      },
      execute: async (call, tools, ctx) => {
        const { executeToolCall } = await import('../tools/index.js');
        return executeToolCall(call, tools, ctx);
      },
      commitStep: (changes, meta, result) => this.commitStep(changes, meta, result),
      applyTextEdits: (reply, request, turnMessage, result) =>
        this.applyReplyText(reply.text, { request, prompt: turnMessage, originalMessage: this.currentAsk ?? turnMessage, usage: reply.usage, model: reply.model }, result),
    };
  }

  /** The edits of one step of the loop: approved together, one commit (DESIGN §4 "Tools"). */
  private async commitStep(changes: readonly StepChange[], meta: { request: string; turnMessage: string; reply: StepReply }, result: TurnResult): Promise<Map<string, string | null>> {
    result.noChange = false;
    const audit = this.audit(this.info?.id ?? 'dry-run');
    const verdicts = new Map<string, string | null>();
    const proposals: FileChangePreview[] = [];
    const written: FileChangePreview[] = [];
    for (const change of changes) {
      if (!change.fromCommand) {
        proposals.push({ path: change.path, before: change.before, after: change.after });
        continue;
      }
      // A command already wrote these: shown, and committed with the step.
      const after = await readFile(join(this.root, change.path), 'utf8').catch(() => null);
      const before = await this.headContent(change.path);
      if (before === after) continue;
      const shown = { path: change.path, before, after };
      this.ui.preview?.(shown);
      written.push(shown);
      verdicts.set(change.path, null);
    }
    const refusedBefore = result.refused.length;
    const approved = await this.approveAndCommit(
      proposals,
      written,
      { request: meta.request, prompt: meta.turnMessage, originalMessage: this.currentAsk ?? meta.turnMessage, reply: meta.reply.text, usage: meta.reply.usage, model: meta.reply.model },
      result,
      audit,
    );
    const approvedPaths = new Set(approved.map((c) => c.path));
    const refusedNow = result.refused.slice(refusedBefore);
    for (const proposal of proposals) {
      if (approvedPaths.has(proposal.path) || this.options.dryRun) verdicts.set(proposal.path, null);
      else verdicts.set(proposal.path, refusedNow.find((r) => r.file === proposal.path)?.reason ?? 'not approved');
    }
    return verdicts;
  }

  private async headContent(path: string): Promise<string | null> {
    const r = await execText('git', ['show', `HEAD:${path}`], { cwd: this.root, env: this.options.env }).catch(() => null);
    return r && r.code === 0 ? r.stdout : null;
  }

  private get maxSteps(): number {
    return this.options.maxSteps ?? this.config.session.maxSteps;
  }

  private modelMs = 0;

  /**
   * assist's own commits run no hooks (session branches skip them), so when the hooks are installed
   * the background refresher is started the same way a hook would: detached, off this turn's path.
   */
  private async kickRefresher(): Promise<void> {
    const paths = this.store.repo.paths;
    const { existsSync } = await import('node:fs');
    if (!existsSync(join(paths.sharedAssistDir, 'hook.sh'))) return;
    try {
      const { kickRefresher } = await import('../hooks/index.js');
      await kickRefresher(paths, 'post-commit', { env: this.options.env });
    } catch (error) {
      this.log?.warn('hooks.kick-failed', { error: (error as Error).message });
    }
  }

  private get log(): SessionOptions['logger'] {
    const base = this.options.logger;
    return base && this.info ? base.child({ session: this.info.id }) : base;
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
    const info = this.modelInfo(this.model);
    const { system, messages, maxOutputTokens, context } = await this.buildPrompt(prompt, info, request, 'text');
    const reply = await this.requestReply(system, messages, [], maxOutputTokens, request, signal);
    const { text, usage, model } = reply;
    result.reply = text;
    result.model = model;
    this.addUsage(result, usage, model);

    // Recording the exchange overlaps with parsing and checking its edits; both finish before any write.
    let recorded: Promise<unknown> = Promise.resolve();
    if (!this.options.dryRun) {
      const session = await this.ensureRecording();
      recorded = this.store.appendEvents(session.id, [
        { type: 'message', request, text: prompt, context },
        { type: 'reply', request, text, model, usage: usageRecord(usage) },
      ]);
      recorded.catch(() => undefined); // awaited below; this only keeps an early rejection from being unhandled
    }
    this.history.push({ request, user: prompt, assistant: text });
    try {
      return await this.applyReplyText(text, { request, prompt, originalMessage, usage, model }, result);
    } finally {
      await recorded;
    }
  }

  /** One model request: streams the reply, with the request's log lines and metrics. */
  private async requestReply(
    system: string,
    messages: readonly ChatMessage[],
    tools: readonly ToolSpec[],
    maxOutputTokens: number,
    request: string,
    signal: AbortSignal | undefined,
  ): Promise<StepReply & { firstTokenMs: number | null }> {
    const log = this.log?.child({ request });
    log?.info('llm.request.start', { model: this.model, messages: messages.length, tools: tools.length });
    const started = performance.now();
    let reply: StepReply & { firstTokenMs: number | null };
    try {
      reply = await this.streamReply(system, messages, tools, maxOutputTokens, signal);
    } catch (error) {
      const outcome = signal?.aborted ? 'aborted' : 'error';
      this.options.metrics?.llmRequests.inc({ provider: this.model.split('/')[0] ?? '', model: this.model, outcome });
      log?.error('llm.request.end', { model: this.model, outcome, ms: Math.round(performance.now() - started), error: (error as Error).message });
      throw error;
    } finally {
      this.modelMs += performance.now() - started;
    }
    const { usage, model } = reply;
    const provider = model.split('/')[0] ?? '';
    this.options.metrics?.llmRequests.inc({ provider, model, outcome: 'ok' });
    if (reply.firstTokenMs !== null) this.options.metrics?.llmTimeToFirstToken.observe({ provider, model }, reply.firstTokenMs / 1000);
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

  /**
   * Applies the SEARCH/REPLACE blocks of a reply: path policy, matching, approval, one commit.
   * Returns the reflection to send when blocks failed in a way the model can fix.
   */
  private async applyReplyText(
    text: string,
    meta: { request: string; prompt: string; originalMessage: string; usage: Usage; model: string },
    result: TurnResult,
  ): Promise<TextEditOutcome> {
    const { request } = meta;
    const log = this.log?.child({ request });
    const edits = await import('../edits/index.js');
    // A path line naming an existing file, spaces, quotes and all, is that file (issue 24 item 4).
    const tracked = /search/i.test(text) ? await this.trackedFiles() : [];
    const parsed = edits.parseEditBlocks(text, { knownPaths: new Set([...tracked, ...this.chatFiles]) });
    if (parsed.blocks.length === 0 && parsed.errors.length === 0) return { retryWith: null, failedCount: 0, proposedEdits: false };
    result.noChange = false;

    const resolved = edits.resolveBlocks(parsed.blocks, { chatFiles: [...this.chatFiles], trackedFiles: tracked });
    const sandbox = await import('../sandbox/index.js');
    const audit = this.audit(this.info?.id ?? 'dry-run');

    // Every target goes through the sandbox before anything is read or written.
    const allowed = new Map<string, { abs: string; rel: string }>();
    const denied: Array<{ file: string; reason: string }> = [];
    for (const block of resolved.blocks) {
      if (allowed.has(block.file) || denied.some((d) => d.file === block.file)) continue;
      // Whether git ignores the target is asked below for the whole reply at once, not per file.
      const check = await sandbox.resolveInside(this.root, block.file, {
        mode: 'write',
        writePaths: this.config.sandbox.writePaths,
        addedByName: this.chatFiles,
        env: this.options.env,
        checkIgnored: false,
      });
      if (check.ok) allowed.set(block.file, { abs: check.abs, rel: check.rel });
      else {
        denied.push({ file: block.file, reason: check.reason });
        audit.append({ op: 'deny', path: check.path, result: 'denied', reason: check.reason, code: check.code, requestId: request });
      }
    }
    const sensitive = await sandbox.checkSensitive(this.root, [...allowed.values()].map((t) => t.rel), { addedByName: this.chatFiles, env: this.options.env, knownNotIgnored: this.turnGit.knownNotIgnored });
    // Outside a sparse checkout a file is absent from disk, not deleted: never read it as absent (issue 24 item 5).
    const sparse = await outsideSparseCone(this.turnGit, this.store, [...allowed.values()].map((t) => t.rel));
    for (const [file, target] of [...allowed]) {
      const hit = sensitive.get(target.rel) ?? sparse.get(target.rel);
      if (!hit) continue;
      allowed.delete(file);
      denied.push({ file, reason: hit.reason });
      audit.append({ op: 'deny', path: target.rel, result: 'denied', reason: hit.reason, code: hit.code, requestId: request });
    }
    const deniedFiles = new Set(denied.map((d) => d.file));
    const applicable = resolved.blocks.filter((b) => !deniedFiles.has(b.file));
    const contents = new Map<string, string | Uint8Array | null>();
    for (const [file, target] of allowed) contents.set(file, await readFile(target.abs).catch(() => null));
    const applied = edits.applyEdits(applicable, contents, { maxFileBytes: this.config.context.maxFileBytes });
    const failed = [...resolved.failed, ...applied.failed];
    log?.info('edits.parsed', { blocks: parsed.blocks.length, errors: parsed.errors.length });
    // Every block that was turned down leaves a trace, not only the sandbox's denials.
    for (const f of failed) audit.append({ op: 'deny', path: f.file, result: 'failed', reason: f.message, code: `edits.${f.reason}`, requestId: request });
    for (const e of parsed.errors) audit.append({ op: 'deny', path: '', result: 'failed', reason: e.message, code: `edits.${e.code}`, requestId: request });
    if (failed.length + parsed.errors.length > 0) {
      this.options.metrics?.edits.inc({ outcome: 'failed' }, failed.length + parsed.errors.length);
      log?.warn('edits.failed', { blocks: failed.length + parsed.errors.length, files: [...new Set(failed.map((f) => f.file))] });
    }
    if (denied.length > 0) {
      this.options.metrics?.edits.inc({ outcome: 'refused' }, denied.length);
      log?.warn('sandbox.denied', { files: denied.map((d) => d.file) });
    }
    for (const d of denied) {
      result.refused.push(d);
      this.ui.status?.(`refused ${d.file}: ${d.reason}`);
    }

    // Approval, file by file, in the order the model wrote them.
    const changes: FileChangePreview[] = [];
    for (const [file, after] of applied.files) {
      const before = contents.get(file);
      const beforeText = before === null || before === undefined ? null : typeof before === 'string' ? before : Buffer.from(before).toString('utf8');
      if (beforeText === after) continue;
      changes.push({ path: allowed.get(file)?.rel ?? file, before: beforeText, after });
    }
    await this.approveAndCommit(changes, [], { request, prompt: meta.prompt, originalMessage: meta.originalMessage, reply: text, usage: meta.usage, model: meta.model }, result, audit);

    if (failed.length === 0 && parsed.errors.length === 0 && denied.length === 0) return { retryWith: null, failedCount: 0, proposedEdits: true };
    const newContents = new Map<string, string>();
    for (const [file, value] of contents) {
      const after = applied.files.get(file);
      if (after !== undefined) newContents.set(file, after);
      else if (value !== null) newContents.set(file, typeof value === 'string' ? value : Buffer.from(value).toString('utf8'));
    }
    const feedbackParts = [
      edits.renderEditFeedback({ failed, parseErrors: parsed.errors, appliedCount: applied.applied.length, files: newContents }),
      ...denied.map((d) => `The edit to ${d.file} was refused: ${d.reason}. Do not try to write that path.`),
    ].filter((p) => p !== '');
    // Binary, undecodable and oversized files cannot be fixed by the model: the person hears why at
    // once, and only blocks the model can fix are retried (each retry is a paid request).
    const unfixable = failed.filter((f) => f.reason === 'binary' || f.reason === 'too-large');
    for (const f of unfixable) {
      if (result.refused.some((r) => r.file === f.file)) continue;
      result.refused.push({ file: f.file, reason: f.message });
      this.ui.status?.(`not editable: ${f.file}: ${f.message}`);
    }
    const failedCount = failed.length - unfixable.length + parsed.errors.length;
    // Denied paths are not retried: the model is told, and the loop only repeats for blocks it can fix.
    if (failedCount === 0) {
      this.history.push({ request: `${request}-note`, user: feedbackParts.join('\n\n'), assistant: 'Understood.' });
      return { retryWith: null, failedCount: 0, proposedEdits: true };
    }
    return { retryWith: reflectionPrompt(feedbackParts.join('\n\n')), failedCount, proposedEdits: true, failedBlocks: edits.failedBlockNames(failed, parsed.errors) };
  }

  /**
   * Asks for approval of `changes` (while the weak model, when set, writes the commit message), then
   * commits what was approved plus `alreadyWritten` (files a command changed) as one commit.
   * Returns the approved changes.
   */
  private async approveAndCommit(
    changes: FileChangePreview[],
    alreadyWritten: FileChangePreview[],
    meta: { request: string; prompt: string; originalMessage: string; reply: string; usage: Usage; model: string },
    result: TurnResult,
    audit: AuditLog,
  ): Promise<FileChangePreview[]> {
    const { request } = meta;
    // A git-ignored file can be written only when the person added it by name; it is never committed (issue 24 item 2).
    const named = changes.filter((c) => this.chatFiles.has(c.path)).map((c) => c.path);
    if (named.length > 0) {
      const ignored = await this.store.ignoredPaths(named);
      for (const c of changes) if (ignored.has(c.path)) c.ignored = true;
    }
    const draft = this.startCommitMessage(meta.originalMessage, [...changes, ...alreadyWritten]);
    let approved: FileChangePreview[];
    let drafted: DraftedMessage | null = null;
    try {
      approved = await this.approve(changes, result, request, audit);
      approved = await this.dropChangedSinceShown(approved, result, request, audit);
      // A message about files that were turned down would be wrong: then the request's summary.
      if (draft !== undefined && approved.length === changes.length) {
        if (!draft.settled()) this.ui.status?.(`${this.config.weakModel ?? ''} is writing the commit message`);
        drafted = await draft.message;
      }
    } finally {
      // Also when the approval is interrupted: nothing may keep the request (or its timer) alive.
      draft?.cancel();
    }
    if (drafted) this.addUsage(result, drafted.usage, drafted.model);
    const toCommit = [...approved, ...alreadyWritten];
    if (toCommit.length === 0 || this.options.dryRun) return approved;
    const session = await this.ensureBranch();
    const summary = drafted?.summary ?? commitSummary(meta.originalMessage, toCommit.map((c) => c.path));
    const asked = `Asked: ${firstLine(meta.originalMessage, 200)}`;
    const batch = await timePhase('edits.apply-batch', () => this.store.applyBatch(session.id, {
      summary,
      body: drafted?.body ? `${drafted.body}\n\n${asked}` : asked,
      model: this.lastModel ?? this.model,
      request,
      exchange: { message: meta.prompt, reply: meta.reply, usage: usageRecord(meta.usage) },
      files: toCommit.map((c) => ({ path: c.path, content: c.after, ...(alreadyWritten.includes(c) ? { writtenByAssist: true } : {}) })),
    })).finally(() => this.turnGit.invalidate());
    for (const c of toCommit) audit.append({ op: 'write', path: c.path, result: 'ok', requestId: request });
    this.options.metrics?.edits.inc({ outcome: 'applied' }, toCommit.length);
    if (batch.snapshot) this.options.metrics?.commits.inc({ kind: 'snapshot' });
    if (batch.commit) {
      this.options.metrics?.commits.inc({ kind: 'edit' });
      this.log?.child({ request }).info('git.commit', { commit: batch.commit, snapshot: batch.snapshot, files: batch.files.map((f) => f.path) });
      result.commits.push(batch.commit);
      for (const f of batch.files) if (!result.files.includes(f.path)) result.files.push(f.path);
      this.ui.status?.(`committed ${batch.commit.slice(0, 10)} ${summary}`);
    }
    if (batch.ignored?.length) this.ui.status?.(`written, not committed (git ignores ${batch.ignored.length === 1 ? 'it' : 'them'}): ${batch.ignored.join(', ')}`);
    return approved;
  }

  /**
   * A file the person (or another process) changed while its diff was on screen is not written:
   * approving must never put content the person did not see over theirs. It is refused and named.
   */
  private async dropChangedSinceShown(approved: FileChangePreview[], result: TurnResult, request: string, audit: AuditLog): Promise<FileChangePreview[]> {
    if (this.options.dryRun || approved.length === 0) return approved;
    const kept: FileChangePreview[] = [];
    for (const change of approved) {
      const now = await readFile(join(this.root, change.path), 'utf8').catch(() => null);
      if (now === change.before) {
        kept.push(change);
        continue;
      }
      const reason = 'the file changed on disk after its diff was shown; not applied (ask again to get a fresh diff)';
      result.refused.push({ file: change.path, reason });
      this.ui.status?.(`not applied: ${change.path} changed while the approval was open`);
      audit.append({ op: 'deny', path: change.path, result: 'denied', reason, code: 'session.changed-under-approval', requestId: request });
    }
    return kept;
  }

  private lastModel: string | null = null;

  private async approve(changes: FileChangePreview[], result: TurnResult, request: string, audit: AuditLog): Promise<FileChangePreview[]> {
    const sandbox = await import('../sandbox/index.js');
    const approved: FileChangePreview[] = [];
    const flags = {
      yes: this.options.yes ?? false,
      dryRun: this.options.dryRun ?? false,
      isTTY: (this.options.interactive ?? false) && this.ui.approve !== undefined,
      mode: this.options.mode === 'explain' ? 'run' : (this.options.mode ?? 'chat'),
      ...(this.options.allowProtected ? { allowProtected: true } : {}),
    };
    let stopped = false;
    for (const change of changes) {
      if (stopped) {
        result.refused.push({ file: change.path, reason: 'not asked: you quit the approvals of this reply' });
        continue;
      }
      const decision = sandbox.decideApproval(change.path, this.approval, this.config.approval, flags);
      switch (decision) {
        case 'auto':
          this.ui.preview?.(change);
          approved.push(change);
          break;
        case 'dry-run':
          this.ui.preview?.(change);
          result.proposed.push(change);
          break;
        case 'ask':
        case 'protected-ask': {
          const protectedFile = sandbox.classifyProtected(change.path);
          const answer = await this.ui.approve!({ ...change, ...(protectedFile ? { protected: protectedFile } : {}) });
          const outcome = sandbox.applyAnswer(this.approval, change.path, answer);
          this.approval = outcome.state;
          if (outcome.write) approved.push(change);
          else {
            result.refused.push({ file: change.path, reason: answer === 'quit' ? 'you quit' : 'you declined' });
            audit.append({ op: 'deny', path: change.path, result: 'declined', reason: 'declined by the person', requestId: request });
          }
          stopped = outcome.stop;
          break;
        }
        case 'refuse-non-tty':
          this.ui.preview?.(change);
          result.proposed.push(change);
          result.refused.push({ file: change.path, reason: 'needs approval' });
          audit.append({ op: 'deny', path: change.path, result: 'denied', reason: 'no approval: no terminal and no --yes', requestId: request });
          break;
        case 'refuse-protected':
          result.refused.push({ file: change.path, reason: 'protected file (CI config, hooks, lockfile or assist config)' });
          audit.append({ op: 'deny', path: change.path, result: 'denied', reason: 'protected file', requestId: request });
          break;
      }
    }
    if (result.refused.length > 0 && !this.options.dryRun && this.info) {
      await this.store.appendEvent(this.info.id, {
        type: 'refused',
        request,
        reason: result.refused.map((r) => `${r.file}: ${r.reason}`).join('; '),
        files: result.refused.map((r) => r.file),
      });
    }
    return approved;
  }

  /**
   * The session this turn's events are recorded in, started if need be. On a branch that is not a
   * session branch it has no branch yet: HEAD stays where it is until the first edit (DESIGN §2).
   */
  private async ensureRecording(): Promise<SessionInfo> {
    if (this.info) return this.info;
    const noBranch = this.options.noBranch || !this.config.git.sessionBranch;
    const { session, created } = await this.store.startSession({ noBranch, deferBranch: true });
    this.info = session;
    if (created && noBranch) this.ui.status?.(`session ${session.id} on the current branch`);
    return session;
  }

  /** The session an edit is committed to: the first edit creates the session branch (and switches to it). */
  private async ensureBranch(): Promise<SessionInfo> {
    const info = await this.ensureRecording();
    if (!info.pendingBranch) return info;
    const { session, joined, movedFrom } = await this.store.createSessionBranch(info.id);
    this.info = session;
    if (joined) {
      this.ui.status?.(`continuing session ${session.id} on branch ${session.branch ?? ''}: it started while this one was answering; this session's exchanges moved into it`);
    } else {
      const moved = movedFrom
        ? `; HEAD moved since the session started (on ${movedFrom.ref ?? 'a detached HEAD'} at ${movedFrom.commit?.slice(0, 10) ?? '(unborn)'}), so it starts from ${session.base.ref ?? 'the detached HEAD'} at ${session.base.commit?.slice(0, 10) ?? '(unborn)'}`
        : '';
      this.ui.status?.(`session ${session.id} on branch ${session.branch ?? ''}${moved}`);
    }
    return session;
  }

  private turnGitState: TurnGit | null = null;
  private readonly chunkCounter = new ChunkCounter();

  /** The hybrid strategy fits chunks by exact tokens every turn: their tokenizer loads off this thread from the start. */
  private startChunkCounter(): void {
    if (this.config.context.strategy === 'hybrid' && Math.floor(this.config.context.mapTokens / 2) >= 64) this.chunkCounter.start();
  }

  /** The git state this turn shares (listing, tracked files): dropped when assist commits and when the turn ends. */
  private get turnGit(): TurnGit {
    const paths = this.store.repo.paths;
    return (this.turnGitState ??= new TurnGit({ root: this.root, gitDir: paths.gitDir, sharedAssistDir: paths.sharedAssistDir }, this.options.env));
  }

  private async trackedFiles(): Promise<string[]> {
    try {
      return [...(await this.turnGit.files())];
    } catch {
      return [];
    }
  }

  // ------------------------------------------------------------------ prompt and stream

  private async buildPrompt(prompt: string, info: ModelInfo, request: string, mode: 'text' | 'tools', tools: readonly ToolSpec[] = []): Promise<{ system: string; messages: ChatMessage[]; maxOutputTokens: number; context: TurnContext }> {
    const fileContents: Array<{ path: string; content: string }> = [];
    const audit = this.audit(this.info?.id ?? 'dry-run');
    for (const file of this.files) {
      const content = await readFile(resolve(this.root, file), 'utf8').catch(() => null);
      if (content === null) continue;
      fileContents.push({ path: file, content });
      audit.append({ op: 'send', path: file, result: 'ok', requestId: request });
    }
    const fence = chooseFence(fileContents.map((f) => f.content));
    const system = mode === 'tools' ? toolSystemPrompt({ readOnly: this.options.mode === 'explain' }) : systemPrompt({ fence: '```' });
    const prefetched = this.prefetchedMap?.query === prompt ? this.prefetchedMap.map : null;
    this.prefetchedMap = null;
    const mapResult = await timePhase('prompt.map', () => prefetched ?? this.repoMap(prompt));
    const map = mapResult.text;
    const filesText = renderChatFiles(fileContents, fence);
    const { estimateTextTokens } = await import('../llm/estimate.js');
    // What this turn sends, for the effectiveness stats (DESIGN §6): the outside context adds its parts.
    const sent: TurnContext = { strategy: this.config.context.strategy, files: fileContents.map((f) => f.path), map: mapResult.files, chunks: [], summaries: [], tokens: { map: mapResult.tokens, chunks: 0, summaries: 0, files: estimateTextTokens(filesText) } };
    const outside = await timePhase('prompt.outside', () => this.outsideContext(prompt, mapResult.files, request, sent));
    const context = [map ? `Repository map (the most relevant definitions, with their files):\n\n${map}` : '', outside, filesText].filter(Boolean).join('\n\n');

    const { history, tokens: promptTokens } = await this.fitHistory(system, context, prompt, info, tools);
    const messages: ChatMessage[] = [];
    if (context) {
      messages.push({ role: 'user', content: context });
      messages.push({
        role: 'assistant',
        content: mode === 'tools' ? 'Understood. I will use the map and these files, and read or search for anything else I need.' : 'Understood. I will use these files and the map, and edit with SEARCH/REPLACE blocks.',
      });
    }
    for (const exchange of history) messages.push(...exchangeMessages(exchange));
    messages.push({ role: 'user', content: prompt });
    // The tool definitions travel with the system prompt on every request: /tokens counts them there.
    this.lastPrompt = { system: tools.length > 0 ? system + JSON.stringify(tools) : system, map: map + outside, files: filesText, history: history.map(exchangeText).join('') };
    // Services count the requested output against the window too: ask for what is left.
    const maxOutputTokens = Math.max(256, Math.min(info.maxOutput, info.contextWindow - promptTokens - 64));
    return { system, messages, maxOutputTokens, context: sent };
  }

  private prefetchedMap: { query: string; map: Promise<{ text: string; files: string[]; tokens: number }> } | null = null;

  /**
   * Starts building the repo map for a first message while the rest of the session opens (the map
   * is most of the time before a request; it needs nothing from the store).
   */
  prefetch(message: string): void {
    this.prefetchedMap = { query: message, map: this.repoMap(message) };
    this.startChunkCounter();
  }

  private async repoMap(query: string): Promise<{ text: string; files: string[]; tokens: number }> {
    const budget = this.config.context.mapTokens;
    if (budget <= 0) return { text: '', files: [], tokens: 0 };
    try {
      const { buildRepoMap } = await import('../context/index.js');
      const recent = this.history.slice(-2).map((h) => h.user).join('\n');
      const map = await buildRepoMap({
        cwd: this.root,
        tokens: budget,
        focusFiles: this.files,
        excludeFiles: this.files,
        query: `${recent}\n${query}`,
        maxFileBytes: this.config.context.maxFileBytes,
        env: this.options.env,
        listed: this.turnGit.sourceListing(),
      });
      return { text: map.text, files: map.files, tokens: map.tokens };
    } catch (error) {
      this.ui.status?.(`repo map unavailable: ${(error as Error).message.split('\n')[0] ?? ''}`);
      return { text: '', files: [], tokens: 0 };
    }
  }

  /**
   * What represents files outside the chat besides the map (`context.strategy`): `chunks`, the
   * parts of the map's best files most relevant to the request (tree-sitter chunks: whole
   * functions, classes, methods); `summary`, the per-file summaries of those files and the
   * repository's roll-up; `hybrid`, the best chunks for the request from the search index (any
   * file, DESIGN §6 "Search") and summaries for the config and docs files the request names.
   * Summaries are used stale rather than waited for.
   */
  private async outsideContext(prompt: string, mapFiles: readonly string[], request: string, sent: TurnContext): Promise<string> {
    const strategy = this.config.context.strategy;
    const budget = Math.floor(this.config.context.mapTokens / 2);
    if (budget < 64) return '';
    const { languageForPath } = await import('../context/index.js');
    const audit = this.audit(this.info?.id ?? 'dry-run');
    const best = mapFiles.filter((f) => !this.chatFiles.has(f)).slice(0, 4);
    let summaryFiles: string[] = [];
    let chunkFiles: string[] = [];
    let searched = false;
    if (strategy === 'summary') summaryFiles = ['', ...best];
    else if (strategy === 'chunks') chunkFiles = best;
    else {
      // hybrid: summaries for the files the request names that are not source (config, docs).
      const named = new Set(prompt.match(/[\w./-]+\.[A-Za-z0-9]+/g) ?? []);
      if (named.size > 0) summaryFiles = (await this.trackedFiles()).filter((f) => named.has(f) && !this.chatFiles.has(f) && languageForPath(f) === undefined).slice(0, 4);
      searched = true;
    }
    const parts: string[] = [];
    const share = summaryFiles.length > 0 && (chunkFiles.length > 0 || searched) ? Math.floor(budget / 2) : budget;
    if (summaryFiles.length > 0) parts.push(await this.summariesText(summaryFiles, share, request, audit, sent));
    if (chunkFiles.length > 0) parts.push(await this.chunksText(prompt, chunkFiles, share, request, audit, true, sent));
    if (searched) parts.push(await this.searchedChunksText(prompt, share, request, audit, sent));
    return parts.filter(Boolean).join('\n\n');
  }

  /** The best chunks for the request by the search index (files outside the chat), within `budget` tokens. */
  private async searchedChunksText(prompt: string, budget: number, request: string, audit: AuditLog, sent: TurnContext): Promise<string> {
    try {
      const { searchCode, fitChunks } = await import('../context/index.js');
      const found = await searchCode({ cwd: this.root, env: this.options.env, query: prompt, k: 24, maxFileBytes: this.config.context.maxFileBytes, listing: await this.turnGit.sourceListing() });
      const chunks = found.hits
        .filter((h) => !this.chatFiles.has(h.file) && h.text.trim() !== '')
        .map((h) => ({ file: h.file, startLine: h.start, endLine: h.end, names: [], header: [], text: h.text }));
      const selected = await fitChunks(chunks, budget, await this.chunkCounter.counter());
      for (const file of new Set(selected.chunks.map((c) => c.file))) audit.append({ op: 'send', path: file, result: 'ok', reason: 'chunks', requestId: request });
      sent.chunks.push(...selected.chunks.map((c) => `${c.file}:${c.startLine}-${c.endLine}`));
      sent.tokens.chunks += selected.tokens;
      return selected.text ? `Relevant parts of other files (read-only context; edit them with SEARCH/REPLACE like any file):\n\n${selected.text}` : '';
    } catch (error) {
      this.log?.warn('context.search-unavailable', { error: (error as Error).message });
      return '';
    }
  }

  private async summariesText(files: readonly string[], budget: number, request: string, audit: AuditLog, sent: TurnContext): Promise<string> {
    try {
      const { summariesFor } = await import('../summaries/index.js');
      const found = await summariesFor(this.root, files, { env: this.options.env, config: this.config });
      const lines: string[] = [];
      let used = 0;
      for (const file of files) {
        const summary = found.get(file);
        if (!summary || summary.text.trim() === '') continue;
        const entry = `${file === '' ? '(the repository)' : file}${summary.fresh ? '' : ' (summary may be out of date)'}:\n${summary.text.trim()}`;
        // A conservative 3 characters per token: this part has its own budget, the map keeps its exact one.
        if (used + entry.length / 3 > budget) break;
        used += entry.length / 3;
        lines.push(entry);
        sent.summaries.push(file);
        sent.tokens.summaries += Math.ceil(entry.length / 3);
        if (file !== '') audit.append({ op: 'send', path: file, result: 'ok', reason: 'summary', requestId: request });
      }
      return lines.length > 0 ? `Summaries of other files:\n\n${lines.join('\n\n')}` : '';
    } catch (error) {
      this.log?.warn('context.summaries-unavailable', { error: (error as Error).message });
      return '';
    }
  }

  private async chunksText(prompt: string, files: readonly string[], budget: number, request: string, audit: AuditLog, listedByGit: boolean, sent: TurnContext): Promise<string> {
    const { chunkFile, selectChunks, languageForPath } = await import('../context/index.js');
    const { resolveInside } = await import('../sandbox/index.js');
    const chunks = [];
    for (const file of files) {
      if (languageForPath(file) === undefined) continue;
      const check = await resolveInside(this.root, file, { mode: 'read', env: this.options.env, checkIgnored: !listedByGit });
      if (!check.ok || !check.exists) continue;
      const content = await readFile(check.abs).catch(() => null);
      if (content === null || content.length > this.config.context.maxFileBytes) continue;
      chunks.push(...(await chunkFile(file, content, { maxFileBytes: this.config.context.maxFileBytes })));
    }
    if (chunks.length === 0) return '';
    const selected = await selectChunks(chunks, prompt, budget);
    for (const file of new Set(selected.chunks.map((c) => c.file))) audit.append({ op: 'send', path: file, result: 'ok', reason: 'chunks', requestId: request });
    sent.chunks.push(...selected.chunks.map((c) => `${c.file}:${c.startLine}-${c.endLine}`));
    sent.tokens.chunks += selected.tokens;
    return selected.text ? `Relevant parts of other files (read-only context; edit them with SEARCH/REPLACE like any file):\n\n${selected.text}` : '';
  }

  private async fitHistory(system: string, context: string, prompt: string, info: ModelInfo, tools: readonly ToolSpec[] = []): Promise<{ history: Exchange[]; tokens: number }> {
    const limit = Math.floor(info.contextWindow * this.config.context.compressionThreshold);
    const size = (history: readonly Exchange[]): Promise<number> => this.promptSize(system, context, history, prompt, limit, tools);
    let tokens = await size(this.history);
    if (tokens <= limit) return { history: this.history, tokens };
    // What served least goes first: the results of old tool calls, oldest first.
    for (const exchange of this.history) {
      if (!exchange.steps?.some((s) => s.results.some((r) => !r.content.startsWith(ELIDED_RESULT)))) continue;
      exchange.steps = exchange.steps.map((step) => ({ ...step, results: step.results.map(elideResult) }));
      tokens = await size(this.history);
      if (tokens <= limit) {
        this.log?.info('context.tool-results-dropped', { window: info.contextWindow });
        return { history: this.history, tokens };
      }
    }
    // Summarise everything but the newest exchanges that still fit alongside a summary.
    let keep = Math.min(2, this.history.length);
    while (keep > 0 && (await size(this.history.slice(-keep))) > limit * 0.7) keep--;
    const older = this.history.slice(0, this.history.length - keep);
    if (older.length > 0) {
      this.ui.status?.(`compressing ${older.length} earlier exchange${older.length === 1 ? '' : 's'} to fit the ${info.contextWindow}-token window`);
      this.log?.info('context.compressed', { exchanges: older.length, window: info.contextWindow });
      const summary = await this.summarise(older, Math.max(128, Math.floor(limit * 0.15)));
      const compressed: Exchange = { request: 'summary', user: `Summary of our earlier conversation:\n${summary}`, assistant: 'Noted.' };
      this.history = [compressed, ...this.history.slice(this.history.length - keep)];
    }
    tokens = await size(this.history);
    while (tokens > limit && this.history.length > 0) {
      this.history = this.history.slice(1);
      tokens = await size(this.history);
    }
    return { history: this.history, tokens };
  }

  /**
   * Tokens of a prompt: the calibrated estimate while far from the limit, an exact o200k count
   * (never less than the estimate) once close, since estimates undercount dense code.
   */
  private async promptSize(system: string, context: string, history: readonly Exchange[], prompt: string, limit: number, tools: readonly ToolSpec[] = []): Promise<number> {
    const messages: ChatMessage[] = [{ role: 'user', content: context }, ...history.flatMap(exchangeMessages), { role: 'user', content: prompt }];
    return this.messagesSize(system, messages, tools, limit);
  }

  /** {@link promptSize} of ready messages. */
  private async messagesSize(system: string, messages: readonly ChatMessage[], tools: readonly ToolSpec[], limit: number): Promise<number> {
    const { estimatePromptTokens } = await import('../llm/estimate.js');
    const estimate = estimatePromptTokens(system, messages, tools);
    if (estimate < limit * 0.6) return estimate;
    const { countTokens } = await import('../context/index.js');
    const text = system + JSON.stringify(tools) + messages.map(messageText).join('');
    const exact = (await countTokens(text)) + 4 * (messages.length + 1);
    return Math.max(estimate, exact);
  }

  private async summarise(exchanges: readonly Exchange[], maxTokens: number): Promise<string> {
    const model = this.config.weakModel ?? this.model;
    const info = this.modelInfo(model);
    const { estimateTextTokens } = await import('../llm/estimate.js');
    // The transcript itself must fit the summarising model's window: keep its newest part.
    const budgetChars = Math.max(1000, Math.floor((info.contextWindow * this.config.context.compressionThreshold - maxTokens - 200) * 3));
    let transcript = exchanges.map((e) => `USER: ${e.user}\n${(e.steps ?? []).map((s) => `ASSISTANT (tools): ${s.text} ${s.calls.map((c) => `${c.name}(${c.arguments.slice(0, 200)})`).join(' ')}\n`).join('')}ASSISTANT: ${e.assistant}`).join('\n\n');
    if (transcript.length > budgetChars) transcript = transcript.slice(transcript.length - budgetChars);
    const system = 'You summarise a conversation between a person and a coding assistant so it can continue without the full transcript. Keep decisions, file names, identifiers, open questions and what was changed. Be brief.';
    let text = '';
    for await (const event of this.provider.stream(
      { model, system, messages: [{ role: 'user', content: transcript }], maxOutputTokens: Math.max(64, Math.min(maxTokens, info.maxOutput)) },
      undefined,
    )) {
      if (event.type === 'text') text += event.text;
      else if (event.type === 'restart') text = '';
      else if (event.type === 'done') this.addUsage(null, event.usage, event.model);
    }
    if (estimateTextTokens(text) > maxTokens * 2) text = text.slice(0, maxTokens * 6);
    return text.trim();
  }

  private async streamReply(
    system: string,
    messages: readonly ChatMessage[],
    tools: readonly ToolSpec[],
    maxOutputTokens: number,
    signal: AbortSignal | undefined,
  ): Promise<StepReply & { firstTokenMs: number | null }> {
    let text = '';
    const started = performance.now();
    let firstTokenMs: number | null = null;
    const request = { model: this.model, system, messages, maxOutputTokens, ...(tools.length > 0 ? { tools } : {}) };
    for await (const event of this.provider.stream(request, signal)) {
      switch (event.type) {
        case 'text':
          firstTokenMs ??= performance.now() - started;
          text += event.text;
          this.ui.text?.(event.text);
          break;
        case 'restart':
          text = '';
          this.ui.restart?.({ model: event.model, reason: event.reason });
          break;
        case 'retry':
          this.ui.status?.(`${event.model}: ${event.reason}; retrying in ${Math.round(event.delayMs / 100) / 10} s (attempt ${event.attempt})`);
          break;
        case 'fallback':
          this.ui.status?.(`${event.from} failed (${event.reason}); trying ${event.to}`);
          break;
        case 'notice':
          this.ui.status?.(`${event.model}: ${event.message}`);
          break;
        case 'done':
          this.lastModel = event.model;
          return { text, usage: event.usage, model: event.model, firstTokenMs, toolCalls: event.toolCalls, ...(event.replay ? { replay: event.replay } : {}) };
      }
    }
    if (signal?.aborted) throw interrupted();
    throw new AssistError('llm.incomplete', 'the model stream ended without completing', { exitCode: ExitCode.provider });
  }

  /**
   * Starts the weak model (`weak_model`, when set) writing a commit message for `changes`, for at
   * most {@link COMMIT_MESSAGE_TIMEOUT_MS}; its message resolves null on any failure. None without
   * a weak model, without changes, or in a dry run.
   */
  private startCommitMessage(
    request: string,
    changes: readonly FileChangePreview[],
  ): { message: Promise<DraftedMessage | null>; settled: () => boolean; cancel: () => void } | undefined {
    const model = this.config.weakModel;
    if (!model || changes.length === 0 || this.options.dryRun) return undefined;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), COMMIT_MESSAGE_TIMEOUT_MS);
    timer.unref();
    let settled = false;
    const message = draftCommitMessage(this.provider, model, request, diffOfChanges(changes), controller.signal)
      .catch(() => null)
      .finally(() => {
        settled = true;
        clearTimeout(timer);
      });
    return {
      message,
      settled: () => settled,
      cancel: () => {
        clearTimeout(timer);
        controller.abort();
      },
    };
  }

  private addUsage(result: TurnResult | null, usage: Usage, model: string): void {
    const info = this.modelInfo(model);
    const cost = this.costOf(usage, info);
    this.options.metrics?.recordUsage(model.split('/')[0] ?? '', model, { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, costUsd: cost });
    for (const target of result ? [result.usage, this.totals] : [this.totals]) accumulateUsage(target, usage, cost);
  }

  // ------------------------------------------------------------------ tests

  private async testLoop(message: string, result: TurnResult, signal: AbortSignal | undefined): Promise<NonNullable<TurnResult['tests']>> {
    const { detectTestCommand, trimTestOutput } = await import('./test-command.js');
    const detected = this.config.test.cmd ? { cmd: this.config.test.cmd } : await detectTestCommand(this.root);
    if (!detected) {
      this.ui.status?.('no test command: set `test.cmd` in config');
      return { status: 'not run' };
    }
    let last = await this.runTests(detected.cmd, signal);
    for (let round = 0; last.code !== 0 && round < this.config.session.maxReflections; round++) {
      this.ui.status?.(`tests failed: asking the model to fix them (${round + 1}/${this.config.session.maxReflections})`);
      const feedback = `The test command \`${detected.cmd}\` failed after your edits (exit ${last.code}):\n\n${trimTestOutput(last.output)}\n\nFix the code (not the tests, unless they are wrong) with SEARCH/REPLACE blocks.`;
      const before = result.commits.length;
      await this.oneRequest(feedback, message, result, signal);
      if (result.commits.length === before) break;
      last = await this.runTests(detected.cmd, signal);
    }
    return { status: last.code === 0 ? 'passed' : 'failed', output: last.output };
  }

  private async runTests(cmd: string, signal: AbortSignal | undefined): Promise<{ code: number; output: string }> {
    const { runCommand, needsApproval } = await import('../sandbox/index.js');
    const mode = this.config.sandbox.commands;
    let approved = false;
    const unconfined = await needsApproval(mode);
    if (unconfined) {
      // No working bubblewrap: a command runs only after the person says so (DESIGN.md §7).
      const ok = this.options.interactive && this.ui.confirmCommand ? await this.ui.confirmCommand(cmd, unconfined.warning) : false;
      if (!ok) {
        throw new AssistError('sandbox.command-needs-approval', `not running \`${cmd}\`: ${unconfined.reason}`, {
          hint: 'install bubblewrap so commands run confined, or run it in a terminal and approve it',
          exitCode: ExitCode.refused,
        });
      }
      approved = true;
    }
    const r = await runCommand(cmd, {
      root: this.root,
      gitDir: this.store.repo.paths.gitDir,
      commonDir: this.store.repo.paths.commonDir,
      env: this.options.env,
      mode,
      approved,
      timeoutMs: 10 * 60_000,
      ...(signal ? { signal } : {}),
    });
    return { code: r.code ?? 1, output: `${r.stdout}\n${r.stderr}` };
  }

  // ------------------------------------------------------------------ chat commands

  /** Switches the model for the next requests; unknown provider names are refused here. */
  setModel(model: string): void {
    this.modelInfo(model);
    this.model = model;
  }

  /** Takes a reloaded config (the chat watches both config files). */
  setConfig(config: Config): void {
    (this.options as { config: Config }).config = config;
  }

  /** Names the session's current state; a session with no edit yet has no branch to name a state of. */
  async checkpoint(name: string): Promise<{ name: string; commit: string }> {
    if (!this.info || this.info.pendingBranch) {
      throw refusal('git.nothing-to-checkpoint', 'nothing to checkpoint yet: this session has made no edit, so it has no branch', 'its first edit creates the branch (and the automatic `auto-start` checkpoint at where it starts)');
    }
    const cp = await this.store.createCheckpoint(name);
    return { name: cp.name, commit: cp.commit };
  }

  /** Runs a command the person typed (`/run`) or, with null, the test command (`/test`), confined as config says. */
  async runShell(cmd: string | null, signal?: AbortSignal): Promise<{ cmd: string; code: number; output: string } | null> {
    let command = cmd;
    if (command === null) {
      const { detectTestCommand } = await import('./test-command.js');
      command = this.config.test.cmd ?? (await detectTestCommand(this.root))?.cmd ?? null;
      if (command === null) return null;
    }
    const r = await this.runTests(command, signal);
    return { cmd: command, code: r.code, output: r.output };
  }

  /** Adds text (command output) to the conversation as something the person showed the model. */
  addToConversation(text: string): void {
    this.history.push({ request: `note_${Date.now()}`, user: text, assistant: 'Noted.' });
  }

  // ------------------------------------------------------------------ tokens

  /** What the last request carried, by part, and what was spent. */
  async tokens(): Promise<TokenReport> {
    const { countTokens } = await import('../context/index.js');
    const info = this.modelInfo(this.model);
    const p = this.lastPrompt ?? { system: systemPrompt(), map: '', files: '', history: this.history.map((h) => h.user + h.assistant).join('') };
    const [system, map, files, history] = await Promise.all([countTokens(p.system), countTokens(p.map), countTokens(p.files), countTokens(p.history)]);
    return {
      model: this.model,
      contextWindow: info.contextWindow,
      system,
      map,
      files,
      history,
      total: system + map + files + history,
      spent: { ...this.totals },
    };
  }
}

function interrupted(): AssistError {
  return new AssistError('session.interrupted', 'interrupted: the reply was stopped and nothing from it was applied', { exitCode: ExitCode.interrupted });
}

function firstLine(text: string, max: number): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Adds one reply's tokens and cost to a running total; the cost becomes unknown once one part's is. */
export function accumulateUsage(total: { input_tokens: number; output_tokens: number; estimated: boolean; cost_usd: number | null; cached_input_tokens?: number }, usage: Usage, cost: number | undefined): void {
  total.input_tokens += usage.inputTokens;
  total.output_tokens += usage.outputTokens;
  if (usage.cachedInputTokens !== undefined) total.cached_input_tokens = (total.cached_input_tokens ?? 0) + usage.cachedInputTokens;
  total.estimated ||= usage.estimated;
  total.cost_usd = total.cost_usd === null || cost === undefined ? null : total.cost_usd + cost;
}

/** How long an edit waits at most for the weak model's commit message before using the request's summary. */
export const COMMIT_MESSAGE_TIMEOUT_MS = 20_000;

/** A one-line commit summary from the request and the files. */
export function commitSummary(message: string, files: readonly string[]): string {
  const line = firstLine(message, 64).replace(/[.\s]+$/, '');
  if (line !== '') return line.charAt(0).toUpperCase() + line.slice(1);
  return `Edit ${files.slice(0, 3).join(', ')}${files.length > 3 ? ` and ${files.length - 3} more` : ''}`;
}

/** Usage as the event chain and notes record it. */
function usageRecord(usage: Usage): { input_tokens: number; output_tokens: number; estimated?: true; cached_input_tokens?: number } {
  return {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    ...(usage.estimated ? { estimated: true as const } : {}),
    ...(usage.cachedInputTokens ? { cached_input_tokens: usage.cachedInputTokens } : {}),
  };
}

/** What a turn cut at the step limit leaves in the conversation in place of a final answer. */
const STEP_LIMIT_NOTE = '[This turn was stopped at the step limit before a final answer.]';

/** Marks a tool result dropped from the history to fit the window. */
const ELIDED_RESULT = '[result dropped to fit the context window';

function elideResult(result: ToolResult): ToolResult {
  if (result.content.startsWith(ELIDED_RESULT)) return result;
  return { ...result, content: `${ELIDED_RESULT}: ${result.content.length} characters; call the tool again if you need it]` };
}

function messageText(message: ChatMessage): string {
  if (message.role === 'tool') return message.results.map((r) => r.content).join('');
  if (message.role === 'assistant') return message.content + (message.toolCalls ?? []).map((c) => c.name + c.arguments).join('');
  return message.content;
}

function exchangeText(exchange: Exchange): string {
  return exchangeMessages(exchange).map(messageText).join('');
}

/**
 * Tracked files a reply names: a whole repo-relative path, or a file name (with an extension) that
 * only one tracked file has. Aider's rule, in short.
 */
export function mentionedFiles(reply: string, tracked: readonly string[]): string[] {
  const words = new Set(reply.match(/[\w./@+-]+/g)?.map((w) => w.replace(/^[./]+(?=\w)/, (m) => (m === './' ? '' : m)).replace(/[.,:;]+$/, '')) ?? []);
  if (words.size === 0) return [];
  const byName = new Map<string, string[]>();
  for (const file of tracked) {
    const name = file.slice(file.lastIndexOf('/') + 1);
    if (!name.includes('.')) continue;
    const list = byName.get(name);
    if (list) list.push(file);
    else byName.set(name, [file]);
  }
  const found: string[] = [];
  const trackedSet = new Set(tracked);
  for (const word of words) {
    if (trackedSet.has(word)) found.push(word);
    else {
      const same = byName.get(word);
      if (same?.length === 1) found.push(same[0]!);
    }
  }
  return [...new Set(found)];
}
