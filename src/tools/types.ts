import type { Config } from '../config/types.js';
import type { ToolSpec } from '../llm/types.js';
import type { AuditLog } from '../sandbox/index.js';

/** The tools of DESIGN.md §4 "Tools" (MCP tools come later, named `mcp__<server>__<tool>`). */
export type ToolName = 'read_file' | 'list_files' | 'search' | 'repo_map' | 'edit_file' | 'write_file' | 'run_command' | 'run_tests' | 'semantic_search';

/**
 * Everything a tool needs from the turn that calls it. The session builds one per model step;
 * the mutable parts (`readFiles`, `pending`) live as long as the session or the step says.
 */
export interface ToolContext {
  /** Absolute repository root (the work tree). */
  root: string;
  /** Absolute git dir of this worktree and the common git dir (bubblewrap mounts them read-only). */
  gitDir: string;
  commonDir: string;
  /** The person's environment; tools that run commands strip provider keys from it. */
  env: NodeJS.ProcessEnv;
  config: Config;
  /** Repo-relative files the person added to the chat by name: exempt from the ignored / `.env*` rule. */
  addedByName: ReadonlySet<string>;
  /** Repo-relative files the model has read in this session; `read_file` adds, `write_file` checks. */
  readFiles: Set<string>;
  /**
   * Contents proposed by earlier edit calls of the same step, not yet approved (repo-relative path
   * to the new text): a second `edit_file` on a file edits the first one's result.
   */
  pending: Map<string, string>;
  audit: AuditLog;
  /** Correlation id of the model request whose calls these are. */
  requestId: string;
  signal?: AbortSignal;
  /** `--yes` (or `pr`): commands run without asking only when bubblewrap confines them. */
  yes: boolean;
  /** Whether a person can answer a prompt now. */
  interactive: boolean;
  /** Asks the person whether to run `command`; `warning` says why it is risky (null: a plain confirmation). */
  confirmCommand?(command: string, warning: string | null): Promise<boolean>;
  /** The test command of the repository (config `test.cmd`, else detected); null when there is none. */
  testCommand(): Promise<string | null>;
  /** The repo map for a query, rendered as `assist map --query` renders it. */
  repoMap?(options: { query?: string; files?: string[]; tokens?: number }): Promise<string>;
}

/**
 * What a tool call came to. `result`: text for the model (already capped) and a status line for
 * the person (`read src/a.ts (42 lines)`). `edit`: a proposed change the session approves with the
 * other edits of the step; the model's result is written after the approval ("applied" with
 * `diff`, or "declined").
 */
export type ToolOutcome =
  | {
      kind: 'result';
      ok: boolean;
      text: string;
      status: string;
      /** Repo-relative files a command created, changed or deleted (committed with the step). */
      changedFiles?: string[];
    }
  | {
      kind: 'edit';
      /** Repo-relative, checked by the path policy for writing. */
      path: string;
      before: string | null;
      after: string;
      /** A short unified diff of the change, for the model's result. */
      diff: string;
      status: string;
    };

/** One tool: its declaration for the model and how it runs. */
export interface Tool {
  spec: ToolSpec & { name: ToolName };
  /** `read`: runs at once, no approval; `edit`: proposes a change approved with the step; `run`: executes a command (approval per `approval.commands`). */
  kind: 'read' | 'edit' | 'run';
  /** Runs with arguments already checked against `spec.parameters`. Never throws for a bad path or a failed command: those are results. */
  run(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolOutcome>;
}
