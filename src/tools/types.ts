import type { Config } from '../config/types.js';
import type { ToolSpec } from '../llm/types.js';
import type { AuditLog, NotIgnoredLookup } from '../sandbox/index.js';

/** The built-in tools of DESIGN.md §4 "Tools". */
export type BuiltinToolName = 'read_file' | 'list_files' | 'search' | 'repo_map' | 'edit_file' | 'write_file' | 'run_command' | 'run_tests' | 'semantic_search';

/** Every tool name: the built-ins, an MCP server's tools (`mcp__<server>__<tool>`), and `mcp_tools`, the search over them. */
export type ToolName = BuiltinToolName | `mcp__${string}` | 'mcp_tools';

/** An MCP tool call waiting for the person's approval: what the prompt shows. */
export interface McpCallInfo {
  /** The server's name in config (`mcp.servers.<name>`). */
  server: string;
  /** The tool's name on that server (not the fitted `mcp__` name). */
  tool: string;
  arguments: Record<string, unknown>;
}

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
  /**
   * Paths known not to be ignored by git (tracked in the index as it is now, from the turn's
   * listing): the path policy asks no `git check-ignore` for them. Absent: git is asked.
   */
  knownNotIgnored?: NotIgnoredLookup;
  /**
   * True only when the turn's listing says git would list no untracked file it does not ignore,
   * and nothing that can create files ran since: `search` then skips git's walk for untracked
   * files (`--untracked`). Absent or false: the walk runs.
   */
  noUntrackedFiles?(): Promise<boolean>;
  /** Correlation id of the model request whose calls these are. */
  requestId: string;
  signal?: AbortSignal;
  /** `--yes` (or `pr`): commands run without asking only when bubblewrap confines them. */
  yes: boolean;
  /** Whether a person can answer a prompt now. */
  interactive: boolean;
  /** Asks the person whether to run `command`; `warning` says why it is risky (null: a plain confirmation). */
  confirmCommand?(command: string, warning: string | null): Promise<boolean>;
  /**
   * Asks the person whether to run an MCP tool call (server, tool, arguments). Absent: nobody can be
   * asked, and a call that `approval.mcp_tools` does not list is refused.
   */
  approveMcpCall?(info: McpCallInfo): Promise<boolean>;
  /**
   * The test command to run (config `test.cmd`, else detected); in a workspace, the commands of the
   * packages of `path` (a repo-relative file or folder), of every package with `all`, else of the
   * files the session changed. Null when there is none.
   */
  testCommand(scope?: { path?: string; all?: boolean }): Promise<string | null>;
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
  /**
   * `read`: runs at once, no approval; `edit`: proposes a change approved with the step; `run`:
   * executes a command (approval per `approval.commands`); `mcp`: a call to an MCP server (approval
   * per `approval.mcp_tools`), whose arguments the server checks against its own schema.
   */
  kind: 'read' | 'edit' | 'run' | 'mcp';
  /** Runs with arguments already checked against `spec.parameters`. Never throws for a bad path or a failed command: those are results. */
  run(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolOutcome>;
}
