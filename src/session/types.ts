import type { Config } from '../config/types.js';
import type { ApprovalAnswer } from '../sandbox/index.js';
import type { ProtectedFile } from '../sandbox/index.js';
import type { ModelInfo, Provider } from '../llm/types.js';
import type { AssistMetrics, Logger } from '../obs/index.js';
import type { FileReview, Review, ReviewGroup } from '../review/index.js';
import type { TestSetup } from './test-command.js';

/** How the session talks to whoever drives it (the terminal chat, `run`, `pr`, an editor). */
export interface SessionUI {
  /** A piece of the model's reply as it streams. */
  text?(delta: string): void;
  /** The reply shown so far broke and starts again from scratch: forget what was shown of it. */
  restart?(info: { model: string; reason: string }): void;
  /** One-line notices: retries, fallback, compression, refused edits, commits. */
  status?(message: string): void;
  /** One-line explanations shown under `--verbose` only (hybrid's choice per language). */
  detail?(message: string): void;
  /** The review of a batch (impact, breaking changes, risks, groups), before its diffs are shown or asked about. */
  review?(review: Review): void;
  /** An edit about to be approved or, in a dry run, just shown. */
  preview?(change: FileChangePreview): void;
  /** Asks the person about one file's edit. Absent: nothing can be asked (non-interactive). */
  approve?(request: ApprovalRequest): Promise<ApprovalAnswer>;
  /** Asks whether to run a command: `warning` says why it is risky (no working bubblewrap), null for a plain confirmation. */
  confirmCommand?(command: string, warning: string | null): Promise<boolean>;
  /**
   * Asks whether to run an MCP tool call, showing the server, the tool and the arguments: `always`
   * runs it and every later call of that tool in this session without asking. Absent: MCP tools
   * that `approval.mcp_tools` does not list are refused.
   */
  approveToolCall?(info: ToolCallApproval): Promise<'yes' | 'no' | 'always'>;
  /** A tool call of the loop starts or ends: one status line per call (`read src/a.ts (42 lines)`). */
  tool?(event: ToolActivity): void;
  /** Text mode: the reply named files that are not in the chat; returns the ones to add. Absent: none are added. */
  confirmAddFiles?(files: readonly string[]): Promise<string[]>;
  /**
   * What the turn did, as structured events for machine readers (`--json-stream`, editors): each
   * request's usage, each file edit decided, each commit made, a plan. Called as each happens.
   */
  event?(event: TurnEvent): void;
}

/** A structured event of a turn (see {@link SessionUI.event}); text and tool calls come through `text` and `tool`. */
export type TurnEvent =
  | {
      type: 'usage';
      /** The request's correlation id. */
      request: string;
      model: string;
      input_tokens: number;
      output_tokens: number;
      cached_input_tokens?: number;
      estimated?: true;
      /** This request's cost in US dollars; null when the model's price is unknown. */
      cost_usd: number | null;
      /** The turn so far, this request included. */
      turn: { input_tokens: number; output_tokens: number; cost_usd: number | null };
    }
  | {
      type: 'edit';
      request: string;
      path: string;
      /** A added, M modified, D deleted. */
      change: 'A' | 'M' | 'D';
      /** Written (committed with the step's commit, unless git ignores the file); false: refused, or a dry run. */
      applied: boolean;
      /** Why it was not applied. */
      reason?: string;
      /** A command wrote it (run_command), not an edit tool or block. */
      by_command?: true;
      /** Unified diff, no colour. */
      diff: string;
    }
  | { type: 'commit'; request: string; commit: string; summary: string; files: string[]; snapshot: string | null }
  | { type: 'plan'; request: string; text: string; files: string[] };

/** An MCP tool call waiting for approval. */
export interface ToolCallApproval {
  /** The server's name in config. */
  server: string;
  /** The tool's name on the server. */
  tool: string;
  arguments: Record<string, unknown>;
}

/** A tool call starting (`status` is the tool's name) or ending (with its status line, and the result for `--verbose`). */
export interface ToolActivity {
  phase: 'start' | 'end';
  call: string;
  name: string;
  status: string;
  /** The call's arguments as the model sent them (JSON text), on `start`. */
  arguments?: string;
  ok?: boolean;
  ms?: number;
  result?: string;
}

/** One tool call of a turn, as `--json` reports it. */
export interface ToolCallRecord {
  name: string;
  ok: boolean;
  ms: number;
}

export interface FileChangePreview {
  path: string;
  before: string | null;
  after: string | null;
  /** A git-ignored file the person added by name: written when approved, never committed. */
  ignored?: boolean;
  /** The file's review (impact, breaking changes, risk tags), when the batch was reviewed. */
  review?: FileReview;
  /** The review group the file is asked about in: `id` is unique to the batch and group. */
  reviewGroup?: { id: string; group: ReviewGroup };
}

/** The files of a review group still to be asked about, this one first: one answer can cover them all. */
export interface ApprovalGroup {
  id: string;
  group: ReviewGroup;
  pending: FileChangePreview[];
}

export interface ApprovalRequest extends FileChangePreview {
  /** Set for files that always need an explicit answer (CI config, hooks, lockfiles, assist config). */
  protected?: ProtectedFile;
  /** Set when other files of the same review group wait for an answer too. */
  group?: ApprovalGroup;
}

export interface SessionOptions {
  /** Any directory inside the work tree. */
  cwd: string;
  env: NodeJS.ProcessEnv;
  config: Config;
  /** `provider/model`; defaults to `config.model`. */
  model?: string;
  /** Files to add to the chat, relative to `cwd`. */
  files?: readonly string[];
  /** Apply edits without asking (protected files still ask). */
  yes?: boolean;
  /** Show diffs; write and commit nothing (no session branch, no events). */
  dryRun?: boolean;
  /** Record on the current branch instead of a session branch. */
  noBranch?: boolean;
  /** Model requests one turn of a tool loop may make (`--max-steps`); default `session.max_steps`. */
  maxSteps?: number;
  /**
   * US dollars a turn may cost (`--max-cost`): checked after each model request at the registry's
   * prices; over it, nothing more of that reply is acted on and the turn stops (`costLimit`).
   */
  maxCost?: number;
  /** Start in plan mode (`--plan`): read-only tools, and the turn ends with a numbered plan. */
  plan?: boolean;
  /** Run the test command after each edit and feed failures back. */
  autoTest?: boolean;
  /** Auto-test runs every package of a workspace, not only those the turn touched (`pr --all-tests`). */
  testAll?: boolean;
  /** The workspace and root test command to choose from, detected beforehand (`pr`: at the base); absent: detected when tests run. */
  testSetup?: TestSetup;
  /** Whether a person can answer prompts. */
  interactive?: boolean;
  mode?: 'chat' | 'run' | 'pr' | 'explain';
  /** `pr`: allow edits to protected files. */
  allowProtected?: boolean;
  /** Continue this session (or with `true`, the session HEAD is on) and rebuild its conversation. */
  resume?: string | true;
  ui?: SessionUI;
  /** Injected model client (tests, embedders); default: the providers of src/llm with `config`. */
  provider?: Provider;
  /** Injected registry lookup; default: src/llm's registry with config overrides. */
  modelInfo?: (model: string) => ModelInfo;
  /** The first message, when known at start: its repo map is built while the session opens. */
  prefetch?: string;
  /** Names the lock holder and the session's start event. */
  command?: string;
  /** Structured log (with the session and request ids) and metrics; absent: none. */
  logger?: Logger;
  metrics?: AssistMetrics;
}

/** What one request (plus its reflections) did. */
export interface TurnResult {
  /** The session id, or null in a dry run that never started one. */
  session: string | null;
  branch: string | null;
  /** The final reply text (of the last model call). */
  reply: string;
  /** Edit commits made, oldest first. */
  commits: string[];
  /** Repo-relative files changed by those commits. */
  files: string[];
  usage: { input_tokens: number; output_tokens: number; estimated: boolean; cost_usd: number | null; cached_input_tokens?: number };
  /** The model that answered (the last request's; a fallback model when one took over). */
  model: string;
  /** Model requests of the turn (steps of the tool loop, reflections in text mode). */
  steps: number;
  /** Every tool call of the turn, in order. */
  toolCalls: ToolCallRecord[];
  /** The tool loop stopped at `session.max_steps` while the model still wanted to call tools. */
  stepLimit?: boolean;
  /** The turn stopped because its cost went over `maxCost` (`--max-cost`). */
  costLimit?: boolean;
  /** A plan-mode turn: the plan (the final reply) and the tracked files it names. */
  plan?: { text: string; files: string[] };
  /** Blocks that did not apply after every reflection. */
  failed: number;
  /** Those blocks, named: the file and the first line of the SEARCH (set when `failed` > 0). */
  failedBlocks?: Array<{ file: string; firstLine: string }>;
  /** Files whose edits were refused (by the person, the sandbox or a missing approval). */
  refused: Array<{ file: string; reason: string }>;
  /** The model proposed no change at all. */
  noChange: boolean;
  /** Diffs that were computed but not written (dry run, or approval missing). */
  proposed: FileChangePreview[];
  /** The reviews of the turn's batches, file by file in review order (`--json` `review`, the PR body). */
  review?: FileReview[];
  /** The model requests made (correlation ids). */
  requests: string[];
  /** Auto-test's outcome; `command` is the shell line that ran last (in a workspace, the touched packages' commands). */
  tests?: { status: 'passed' | 'failed' | 'not run'; output?: string; command?: string };
}

/** `/tokens`: what the next request would carry. */
export interface TokenReport {
  model: string;
  contextWindow: number;
  system: number;
  /** Tokens of the instruction files (part of the system prompt, counted apart). */
  instructions: number;
  /** The instruction files sent, those left out over the limit, and refused imports. */
  instructionFiles: { files: Array<{ path: string; bytes: number; imports: string[] }>; leftOut: Array<{ path: string; bytes: number }>; notes: string[] };
  map: number;
  files: number;
  history: number;
  total: number;
  /** Spent so far in this process. */
  spent: { input_tokens: number; output_tokens: number; cost_usd: number | null; cached_input_tokens?: number };
}
