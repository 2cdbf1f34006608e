import type { AgentHookEvent } from './schema.js';

/** Per-provider settings (`llm.<provider>.*`). */
export interface ProviderConfig {
  base_url?: string;
  api_key_env?: string;
  api_key_cmd?: string;
  timeout_s?: number;
}

/** Registry overrides (`models."<provider/model>".*`); prices per million tokens. */
export interface ModelOverride {
  context_window?: number;
  max_output?: number;
  input_price?: number;
  output_price?: number;
}

/** One MCP server of `mcp.servers.<name>` (DESIGN.md §4 "MCP"): `command` for stdio, `url` for Streamable HTTP. */
export interface McpServerConfig {
  command?: string;
  args: string[];
  /** Values as written: `${VAR}` is expanded from assist's environment when the server starts. */
  env: Record<string, string>;
  url?: string;
  headers: Record<string, string>;
  enabled: boolean;
  /** Seconds one call (or the start) may take. */
  timeoutS: number;
}

/** One `[[agent_hooks.<event>]]` entry (DESIGN.md §6b "Agent hooks"). */
export interface AgentHookConfig {
  command: string;
  /** Glob of tool names (`pre_tool`, `post_tool`); `a|b` for several. Unset: every tool. */
  match: string | undefined;
  timeoutS: number;
  /** Where it was written (`file:line`, or `env:NAME`), for reports and `assist doctor`. */
  origin: string;
}

/** The validated configuration of DESIGN.md §5, after every layer is applied. */
export interface Config {
  model: string | undefined;
  fallback: string[];
  weakModel: string | undefined;
  llm: Record<string, ProviderConfig>;
  models: Record<string, ModelOverride>;
  context: {
    strategy: 'summary' | 'chunks' | 'hybrid';
    mapTokens: number;
    compressionThreshold: number;
    maxFileBytes: number;
    /** Index chunks by vectors too (DESIGN §6 "Search"). */
    embeddings: boolean;
    /** `provider/model`; undefined: the default of the model's provider. */
    embeddingModel: string | undefined;
    /** Tokens one background refresh may embed. */
    embeddingBudget: number;
    /** Weight of the vector ranks fixed by hand; undefined: calibrated (docs/search.md "Vector weight"). */
    vectorWeight: number | undefined;
  };
  session: { maxReflections: number; tools: 'auto' | 'off'; maxSteps: number; maxAutoAdd: number };
  tools: { maxResultTokens: number };
  sandbox: { writePaths: string[]; readPaths: string[]; commands: 'auto' | 'bwrap' | 'none' };
  approval: { autoApprove: string[]; requireConfirmation: boolean; commands: 'ask' | 'sandboxed' | 'never'; mcpTools: string[] };
  mcp: { servers: Record<string, McpServerConfig> };
  /** By event, in the order they run: the user's hooks, then the (trusted) project's. */
  agentHooks: Partial<Record<AgentHookEvent, AgentHookConfig[]>>;
  git: { sessionBranch: boolean; checkpointsKept: number };
  /** `mutants` and `minMutationScore`: the mutation check of `assist test` (DESIGN §6 "Tests"). */
  test: { cmd: string | undefined; auto: boolean; mutants: number; minMutationScore: number };
  summaries: { useModel: boolean; maxTokensPerRun: number };
  log: { level: 'error' | 'warn' | 'info' | 'debug'; file: string | undefined };
  metrics: { file: string | undefined };
}
