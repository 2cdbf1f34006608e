import type { Config } from '../config/types.js';
import type { GitStore, SessionInfo } from '../git/index.js';
import type { ModelInfo, Provider, Usage } from '../llm/types.js';
import type { AuditLog } from '../sandbox/index.js';
import type { Exchange } from './history.js';
import { accumulateUsage } from './request.js';
import type { SessionOptions, SessionUI, TurnResult } from './types.js';

/** What the session has spent so far (`/tokens`). */
export interface Totals {
  input_tokens: number;
  output_tokens: number;
  estimated: boolean;
  cost_usd: number | null;
}

/**
 * The state one session's modules share (turn loop, approval, per-step commit, prompt building,
 * tests): what the session was opened with, the conversation, the files in the chat, and the few
 * helpers they all need. `Session` owns one and hands it to each module; no module imports
 * `session.ts`.
 */
export class SessionCore {
  readonly chatFiles = new Set<string>();
  history: Exchange[] = [];
  info: SessionInfo | null = null;
  totals: Totals = { input_tokens: 0, output_tokens: 0, estimated: false, cost_usd: 0 };
  /** The registry's pricing (src/llm `costOf`), loaded with the session. */
  costOf: (usage: Usage, info: ModelInfo) => number | undefined = () => undefined;
  /** Set once a server rejected tools (`session.tools = "auto"`): text mode for the rest of the session. */
  textOnly = false;
  /** Files the model read with `read_file` in this session: `write_file` may replace only those. */
  readFiles = new Set<string>();
  /** The person's message of the turn under way: commit messages are made from it, not from reflections. */
  currentAsk: string | null = null;
  /** The model that answered last (a fallback may differ from `model`): named in the commit trailer. */
  lastModel: string | null = null;
  /** Time spent waiting on the model in the turn under way: the rest is the turn's overhead. */
  modelMs = 0;
  /** Plan mode (`--plan`, `/plan`): read-only tools, the turn ends with a plan, nothing is written. */
  planMode: boolean;
  model: string;

  constructor(
    readonly options: SessionOptions,
    readonly root: string,
    readonly store: GitStore,
    readonly provider: Provider,
    readonly modelInfo: (model: string) => ModelInfo,
    private readonly auditFor: (sessionId: string) => AuditLog,
  ) {
    this.model = options.model ?? options.config.model ?? '';
    this.planMode = options.plan === true;
  }

  get config(): Config {
    return this.options.config;
  }

  get ui(): SessionUI {
    return this.options.ui ?? {};
  }

  get files(): string[] {
    return [...this.chatFiles].sort();
  }

  get log(): SessionOptions['logger'] {
    const base = this.options.logger;
    return base && this.info ? base.child({ session: this.info.id }) : base;
  }

  get maxSteps(): number {
    return this.options.maxSteps ?? this.config.session.maxSteps;
  }

  /** The audit log of this session (of `dry-run` before one is recorded). */
  audit(): AuditLog {
    return this.auditFor(this.info?.id ?? 'dry-run');
  }

  /** Counts a request's usage in the turn's `result` (when given) and the session's totals; with `request`, says so as a `usage` event. */
  addUsage(result: TurnResult | null, usage: Usage, model: string, request?: string): void {
    const info = this.modelInfo(model);
    const cost = this.costOf(usage, info);
    this.options.metrics?.recordUsage(model.split('/')[0] ?? '', model, { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, costUsd: cost });
    for (const target of result ? [result.usage, this.totals] : [this.totals]) accumulateUsage(target, usage, cost);
    if (result && request !== undefined) {
      this.ui.event?.({
        type: 'usage',
        request,
        model,
        input_tokens: usage.inputTokens,
        output_tokens: usage.outputTokens,
        ...(usage.cachedInputTokens ? { cached_input_tokens: usage.cachedInputTokens } : {}),
        ...(usage.estimated ? { estimated: true as const } : {}),
        cost_usd: cost === undefined ? null : roundUsd(cost),
        turn: { input_tokens: result.usage.input_tokens, output_tokens: result.usage.output_tokens, cost_usd: result.usage.cost_usd === null ? null : roundUsd(result.usage.cost_usd) },
      });
    }
  }

  /**
   * Whether the turn went over `maxCost` (`--max-cost`). A cost that became unknown (a fallback
   * model without a price) counts as over: the limit could no longer be kept.
   */
  overBudget(result: TurnResult): boolean {
    const max = this.options.maxCost;
    if (max === undefined) return false;
    return result.usage.cost_usd === null || result.usage.cost_usd > max;
  }

  /**
   * The session this turn's events are recorded in, started if need be. On a branch that is not a
   * session branch it has no branch yet: HEAD stays where it is until the first edit (DESIGN §2).
   */
  async ensureRecording(): Promise<SessionInfo> {
    if (this.info) return this.info;
    const noBranch = this.options.noBranch || !this.config.git.sessionBranch;
    const { session, created } = await this.store.startSession({ noBranch, deferBranch: true });
    this.info = session;
    if (created && noBranch) this.ui.status?.(`session ${session.id} on the current branch`);
    return session;
  }

  /** The session an edit is committed to: the first edit creates the session branch (and switches to it). */
  async ensureBranch(): Promise<SessionInfo> {
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
}

/** Dollars without the float noise of sums (`0.004880000000000001`): ten decimals is far below any price. */
function roundUsd(usd: number): number {
  return Math.round(usd * 1e10) / 1e10;
}
