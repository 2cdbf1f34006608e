import { AssistError, ExitCode, refusal } from '../errors.js';
import type { Config } from '../config/types.js';
import type { GitStore, ReplayedEvent } from '../git/index.js';
import type { ModelInfo, Provider } from '../llm/types.js';
import type { ApprovalState, AuditLog } from '../sandbox/index.js';
import { systemPrompt } from './prompts.js';
import { filesReadInEvents, rebuildHistory, type Exchange } from './history.js';
import { Approvals } from './approval.js';
import { addFiles, dropFiles } from './chat-files.js';
import { SessionCore } from './core.js';
import { newRequestId } from './request.js';
import { PromptBuilder } from './prompt-builder.js';
import { GO_MESSAGE } from './plan-mode.js';
import { SessionTools } from './session-tools.js';
import { runTests, testsFor } from './test-loop.js';
import { TurnLoop } from './turn.js';
import type { SessionOptions, SessionUI, TokenReport, TurnResult } from './types.js';

export { newRequestId, accumulateUsage } from './request.js';
export { commitSummary, COMMIT_MESSAGE_TIMEOUT_MS } from './commit-message.js';
export { mentionedFiles } from './chat-files.js';

/**
 * One conversation with the model about one repository (DESIGN.md §1 `session/`): prompt ->
 * context -> llm -> edits -> approval -> commit. UI-agnostic: everything a person sees goes
 * through `SessionUI`. The parts live in their own modules (turn loop `turn.ts`, approval
 * `approval.ts`, per-step commit `commit-step.ts`, prompt building `prompt-builder.ts`, tests
 * `test-loop.ts`), sharing one `SessionCore`; this class opens the session and holds the
 * commands around the turns (files, undo and redo, checkpoints, `/tokens`).
 */
export class Session {
  private readonly core: SessionCore;
  private readonly prompt: PromptBuilder;
  private readonly tools: SessionTools;
  private readonly turns: TurnLoop;

  private constructor(
    options: SessionOptions,
    readonly root: string,
    store: GitStore,
    provider: Provider,
    modelInfo: (model: string) => ModelInfo,
    audit: (sessionId: string) => AuditLog,
    approvalState: ApprovalState,
  ) {
    this.core = new SessionCore(options, root, store, provider, modelInfo, audit);
    this.prompt = new PromptBuilder(this.core);
    this.tools = new SessionTools(this.core);
    this.turns = new TurnLoop(this.core, this.prompt, new Approvals(this.core, approvalState), this.tools);
  }

  /** The model of the next requests (`/model` changes it). */
  get model(): string {
    return this.core.model;
  }

  set model(model: string) {
    this.core.model = model;
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
    session.core.costOf = (await import('../llm/index.js')).costOf;
    if (options.prefetch !== undefined && options.resume === undefined) session.prefetch(options.prefetch);
    if (!options.dryRun) {
      const recovered = await store.recover();
      if (recovered && recovered.action !== 'pending') options.ui?.status?.(describeRecovery(recovered));
      await session.retryPending().catch((error: unknown) => {
        store.close();
        throw error;
      });
    }
    session.core.info = store.currentSession();
    if (options.resume !== undefined) await session.resume(options.resume);
    if (options.files?.length) await session.addFiles(options.files);
    return session;
  }

  get sessionId(): string | null {
    return this.core.info?.id ?? null;
  }

  get branch(): string | null {
    return this.core.info?.branch ?? null;
  }

  get files(): string[] {
    return this.core.files;
  }

  get ui(): SessionUI {
    return this.core.ui;
  }

  close(): void {
    this.tools.close();
    this.core.store.close();
  }

  // ------------------------------------------------------------------ files in the chat

  /** Adds files (relative to cwd) to the chat; they are sent whole with every request. */
  addFiles(paths: readonly string[]): Promise<string[]> {
    return addFiles(this.core, paths);
  }

  dropFiles(paths: readonly string[]): string[] {
    return dropFiles(this.core, paths);
  }

  /** Forgets the conversation (not the files, not the commits). */
  clearHistory(): void {
    this.core.history = [];
  }

  // ------------------------------------------------------------------ resume, undo, redo

  private async resume(which: string | true): Promise<void> {
    const id = which === true ? this.core.store.currentSession()?.id : which;
    if (!id) {
      throw new AssistError('session.nothing-to-resume', 'there is no session to resume here', {
        hint: 'switch to a session branch (`assist session list`), or pass the id: `--resume=ID`',
        exitCode: ExitCode.usage,
      });
    }
    const current = this.core.store.currentSession();
    let info = current;
    if (!current || current.id !== id) {
      // A session that made no edit has no branch: it goes on from any branch that is not a session branch.
      const named = which === true ? null : await this.core.store.session(id);
      if (!named?.pendingBranch || (current && !current.noBranch)) throw await this.core.store.resumeRefusal(id);
      info = named;
    }
    this.core.info = info;
    const events = await this.core.store.replay(id);
    this.core.history = rebuildHistory(events);
    this.core.readFiles = filesReadInEvents(events);
  }

  /**
   * A batch a commit hook or signing left pending (`--no-branch`) gets a way out: the next `run` or
   * `chat` retries its commit and says so (issue 24 items 6, 7). Still rejected, `run` stops before
   * the request; a chat goes on, and its `/commit` retries, `/undo` drops it. `pr` refuses it.
   */
  private async retryPending(): Promise<void> {
    const pending = this.core.store.pendingBatch();
    if (!pending) return;
    const mode = this.core.options.mode ?? 'chat';
    // `pr` works on a branch of its own, off the base: the batch belongs to where the person is.
    if (mode === 'pr') this.core.store.refuseIfPending();
    const files = pending.files.join(', ');
    try {
      const result = await this.core.store.commitPending();
      if (result.committedByYou) this.core.ui.status?.(`the pending batch was committed by you as ${result.commit?.slice(0, 10) ?? ''}: nothing to retry`);
      else if (result.commit) this.core.ui.status?.(`retried the commit of the pending batch (${files}): committed the pending batch as ${result.commit.slice(0, 10)} ${pending.summary}`);
      else this.core.ui.status?.(`retried the commit of the pending batch (${files}): its files hold what is committed, nothing left to commit`);
    } catch (error) {
      if (!(error instanceof AssistError)) throw error;
      const rejected = error.code === 'git.hook-rejected' || error.code === 'git.sign-failed';
      // Not rejected again but refused (HEAD moved off its branch, ...): the reason, and that it is pending.
      const why = rejected ? `retried the commit of the pending batch (${files}): ${error.message}` : `the pending batch (${files}) could not be retried: ${error.message}`;
      if (mode !== 'run') {
        this.core.ui.status?.(`${why}; it is still pending${mode === 'chat' ? ': /commit retries it, /undo drops it' : ''}`);
        return;
      }
      const hint = error.code === 'git.hook-rejected' ? 'fix what it reported (the files are written) and run assist again, or drop the batch with `assist undo`' : error.hint;
      throw refusal('git.batch-pending', `${why}; it is still pending`, hint, error.data);
    }
  }

  /** Undoes the session's last N edits; the exchanges that made them leave the conversation. */
  async undo(count = 1, force = false): Promise<{ undone: number; files: string[] }> {
    if (this.core.info?.pendingBranch && !this.core.store.pendingBatch()) throw refusal('git.nothing-to-undo', 'nothing to undo: this session has made no edit yet', undefined);
    const result = await this.core.store.undo({ count, force });
    this.core.options.metrics?.undo.inc();
    this.core.log?.info('git.undo', { commits: result.undone.map((u) => u.commit) });
    await this.reloadHistory();
    return { undone: result.undone.length, files: [...new Set(result.undone.flatMap((u) => u.files))] };
  }

  /**
   * Commits the person's own uncommitted changes to tracked files on the session branch (`/commit`),
   * with `message` or one naming the files; `/undo` gives them back as uncommitted changes.
   */
  async commitOwnChanges(message?: string): Promise<{ commit: string | null; files: string[]; pending?: 'committed' | 'committed-by-you' }> {
    if (this.core.store.pendingBatch()) {
      // A batch a hook or signing rejected: `/commit` retries its commit (the files as they are now).
      const result = await this.core.store.commitPending();
      this.core.log?.info('git.commit', { kind: 'pending', commit: result.commit, byYou: result.committedByYou === true });
      return { commit: result.commit, files: result.files.map((f) => f.path), pending: result.committedByYou ? 'committed-by-you' : 'committed' };
    }
    const session = await this.core.ensureBranch();
    const result = await this.core.store.commitUserChanges(session.id, { request: newRequestId(), ...(message === undefined ? {} : { message }) });
    this.core.log?.info('git.commit', { kind: 'snapshot', commit: result.commit, branch: this.core.info?.branch ?? null, files: result.files.map((f) => f.path) });
    return { commit: result.commit, files: result.files.map((f) => f.path) };
  }

  async redo(): Promise<{ redone: number }> {
    const result = await this.core.store.redo();
    await this.reloadHistory();
    return { redone: result.redone };
  }

  private async reloadHistory(): Promise<void> {
    const id = this.core.info?.id;
    if (!id) return;
    const events: ReplayedEvent[] = await this.core.store.replay(id);
    this.core.history = rebuildHistory(events);
  }

  /** The newest edit commit of this session still in place (`/diff`), or null when it has none. */
  async lastEditCommit(): Promise<string | null> {
    if (!this.core.info || this.core.info.pendingBranch) return null;
    const edit = await this.core.store.lastEdit(this.core.info.id);
    return edit && edit.commit !== edit.parent ? edit.commit : null;
  }

  /** The conversation as it will be sent (tests and `/tokens` read it). */
  get conversation(): readonly Exchange[] {
    return this.core.history;
  }

  // ------------------------------------------------------------------ a turn

  /**
   * Sends `message`, streams the reply, applies its edits (after approval), commits them, and
   * sends failed blocks back up to `session.max_reflections` times.
   */
  ask(message: string, signal?: AbortSignal): Promise<TurnResult> {
    return this.turns.ask(message, signal);
  }

  /** Whether this turn offers tools: `session.tools = "auto"` until a server rejected them. */
  usesTools(): boolean {
    return this.turns.usesTools();
  }

  /**
   * Starts building the repo map for a first message while the rest of the session opens (the map
   * is most of the time before a request; it needs nothing from the store).
   */
  prefetch(message: string): void {
    this.prompt.prefetch(message);
  }

  // ------------------------------------------------------------------ chat commands

  /** Plan mode (`--plan`, `/plan`): the next turns use the read-only tools and end with a plan; nothing is written. */
  get planMode(): boolean {
    return this.core.planMode;
  }

  /** Turns plan mode on or off (`/plan`, `/go`); the conversation, and so a plan made, stays. */
  setPlanMode(on: boolean): void {
    this.core.planMode = on;
  }

  /** `/go`: leaves plan mode and returns the message that asks for the plan to be carried out (`extra` added). */
  approvePlan(extra = ''): string {
    this.core.planMode = false;
    return extra.trim() === '' ? GO_MESSAGE : `${GO_MESSAGE}\n\n${extra.trim()}`;
  }

  /** Switches the model for the next requests; unknown provider names are refused here. */
  setModel(model: string): void {
    this.core.modelInfo(model);
    this.core.model = model;
  }

  /** Takes a reloaded config (the chat watches both config files). */
  setConfig(config: Config): void {
    (this.core.options as { config: Config }).config = config;
  }

  /** Names the session's current state; a session with no edit yet has no branch to name a state of. */
  async checkpoint(name: string): Promise<{ name: string; commit: string }> {
    if (!this.core.info || this.core.info.pendingBranch) {
      throw refusal('git.nothing-to-checkpoint', 'nothing to checkpoint yet: this session has made no edit, so it has no branch', 'its first edit creates the branch (and the automatic `auto-start` checkpoint at where it starts)');
    }
    const cp = await this.core.store.createCheckpoint(name);
    return { name: cp.name, commit: cp.commit };
  }

  /**
   * Runs a command the person typed (`/run`) or, with null, the tests (`/test`): in a workspace the
   * packages of the files the session changed (every package with `all`, `/test --all`), else the
   * test command; confined as config says.
   */
  async runShell(cmd: string | null, signal?: AbortSignal, options: { all?: boolean } = {}): Promise<{ cmd: string; code: number; output: string; packages?: string[] } | null> {
    let command = cmd;
    let packages: string[] = [];
    if (command === null) {
      const chosen = await testsFor(this.core, options.all ? { all: true } : {});
      if (chosen === null) return null;
      command = chosen.cmd;
      packages = chosen.packages;
    }
    const r = await runTests(this.core, command, signal);
    return { cmd: command, code: r.code, output: r.output, ...(packages.length > 0 ? { packages } : {}) };
  }

  /** Adds text (command output) to the conversation as something the person showed the model. */
  addToConversation(text: string): void {
    this.core.history.push({ request: `note_${Date.now()}`, user: text, assistant: 'Noted.', person: false });
  }

  // ------------------------------------------------------------------ tokens

  /** What the last request carried, by part, and what was spent. */
  async tokens(): Promise<TokenReport> {
    const { countTokens } = await import('../context/index.js');
    const info = this.core.modelInfo(this.core.model);
    // Before the first request: what the next one would carry of the system prompt and the instructions.
    const found = this.prompt.lastInstructionFiles ?? (await this.prompt.instructions());
    const p = this.prompt.lastPrompt ?? { system: systemPrompt(), instructions: found.text, map: '', files: '', history: this.core.history.map((h) => h.user + h.assistant).join('') };
    const [system, instructions, map, files, history] = await Promise.all([countTokens(p.system), countTokens(p.instructions), countTokens(p.map), countTokens(p.files), countTokens(p.history)]);
    return {
      model: this.core.model,
      contextWindow: info.contextWindow,
      system,
      instructions,
      instructionFiles: {
        files: found.files.map((f) => ({ path: f.path, bytes: f.bytes, imports: f.imports })),
        leftOut: found.leftOut.map((f) => ({ path: f.path, bytes: f.bytes })),
        notes: found.notes,
      },
      map,
      files,
      history,
      total: system + instructions + map + files + history,
      spent: { ...this.core.totals },
    };
  }
}
