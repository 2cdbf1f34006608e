/** The value types a config key can take. */
export type KeyType =
  | { kind: 'string' }
  | { kind: 'int'; min?: number }
  | { kind: 'float'; min?: number; max?: number }
  | { kind: 'bool' }
  | { kind: 'string-list' }
  | { kind: 'enum'; values: readonly string[] };

export type ConfigValue = string | number | boolean | string[];

/** One key of DESIGN.md §5. `pattern` keys (`llm.*.base_url`) have a `*` segment. */
export interface KeyDef {
  key: string;
  type: KeyType;
  default?: ConfigValue;
  /** Ignored in an untrusted project `.assist.toml`: it can run code, send data elsewhere or widen access. */
  needsTrust?: boolean;
  description: string;
}

export const PROVIDERS = ['anthropic', 'openai', 'google', 'ollama'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** The events of `[[agent_hooks.<event>]]` (DESIGN.md §6b "Agent hooks"). */
export const AGENT_HOOK_EVENTS = ['session_start', 'user_prompt', 'pre_tool', 'post_tool', 'pre_commit', 'post_commit', 'pre_compact', 'stop'] as const;
export type AgentHookEvent = (typeof AGENT_HOOK_EVENTS)[number];

const str = { kind: 'string' } as const;
const bool = { kind: 'bool' } as const;
const list = { kind: 'string-list' } as const;

export const KEYS: readonly KeyDef[] = [
  { key: 'model', type: str, description: 'the model to use, as provider/model' },
  { key: 'fallback', type: list, default: [], description: "models tried in order when the model's provider fails" },
  { key: 'weak_model', type: str, description: 'a cheap model for commit messages, history compression and summaries' },
  { key: 'llm.*.base_url', type: str, needsTrust: true, description: "the provider's endpoint" },
  { key: 'llm.*.api_key_env', type: str, description: 'the environment variable that holds the key' },
  { key: 'llm.*.api_key_cmd', type: str, needsTrust: true, description: 'a command that prints the key' },
  { key: 'llm.*.timeout_s', type: { kind: 'float', min: 0 }, description: 'seconds before a request is abandoned' },
  { key: 'models.*.context_window', type: { kind: 'int', min: 1 }, description: 'registry override: context window in tokens' },
  { key: 'models.*.max_output', type: { kind: 'int', min: 1 }, description: 'registry override: output limit in tokens' },
  { key: 'models.*.input_price', type: { kind: 'float', min: 0 }, description: 'registry override: price per million input tokens' },
  { key: 'models.*.output_price', type: { kind: 'float', min: 0 }, description: 'registry override: price per million output tokens' },
  {
    key: 'context.strategy',
    type: { kind: 'enum', values: ['summary', 'chunks', 'hybrid'] },
    default: 'hybrid',
    description: 'what represents files outside the chat',
  },
  { key: 'context.map_tokens', type: { kind: 'int', min: 0 }, default: 2048, description: 'repo map budget, never exceeded' },
  {
    key: 'context.compression_threshold',
    type: { kind: 'float', min: 0.1, max: 1 },
    default: 0.8,
    description: "share of the model's window at which history is compressed",
  },
  { key: 'context.max_file_bytes', type: { kind: 'int', min: 1 }, default: 1024 * 1024, description: 'larger files are neither parsed nor sent' },
  { key: 'context.embeddings', type: bool, default: false, needsTrust: true, description: 'also index chunks by vectors from an embeddings API (the code goes to that provider)' },
  { key: 'context.embedding_model', type: str, needsTrust: true, description: "provider/model of the embeddings; default: the model's provider's default" },
  {
    key: 'context.vector_weight',
    type: { kind: 'float', min: 0, max: 4 },
    description: 'weight of the vector ranks in the fusion; default: calibrated on the repository\'s own commits (0, 0.25, 0.5 or 1)',
  },
  { key: 'context.embedding_budget', type: { kind: 'int', min: 0 }, default: 200000, description: 'tokens one background refresh may embed' },
  { key: 'session.max_reflections', type: { kind: 'int', min: 0 }, default: 3, description: 'tries the model gets to fix failed edits or tests' },
  {
    key: 'session.tools',
    type: { kind: 'enum', values: ['auto', 'off'] },
    default: 'auto',
    description: 'native tool calling (falls back to text mode when the server rejects tools), or text mode always',
  },
  { key: 'session.max_steps', type: { kind: 'int', min: 1 }, default: 30, description: 'model requests in one turn of a tool loop' },
  { key: 'session.max_auto_add', type: { kind: 'int', min: 0 }, default: 8, description: 'mentioned files run/pr --yes add in text mode' },
  { key: 'tools.max_result_tokens', type: { kind: 'int', min: 100 }, default: 8000, description: 'cap of one tool result' },
  {
    key: 'approval.commands',
    type: { kind: 'enum', values: ['ask', 'sandboxed', 'never'] },
    default: 'ask',
    needsTrust: true,
    description: 'model-requested commands: ask each time; run without asking when bubblewrap confines them; refuse',
  },
  { key: 'sandbox.write_paths', type: list, default: [], needsTrust: true, description: 'when set, writes are restricted to these paths inside the repo' },
  { key: 'sandbox.read_paths', type: list, default: [], needsTrust: true, description: 'paths outside the repo the model may read' },
  {
    key: 'sandbox.commands',
    type: { kind: 'enum', values: ['auto', 'bwrap', 'none'] },
    default: 'auto',
    needsTrust: true,
    description: 'how model-requested commands are confined',
  },
  { key: 'approval.auto_approve', type: list, default: [], needsTrust: true, description: 'globs of files whose edits need no prompt' },
  { key: 'approval.mcp_tools', type: list, default: [], needsTrust: true, description: 'MCP tools (server/tool or server/*) that run without a prompt, and the only ones --yes and pr run' },
  { key: 'mcp.servers.*.command', type: str, needsTrust: true, description: 'MCP server over stdio: the program to start' },
  { key: 'mcp.servers.*.args', type: list, needsTrust: true, description: 'MCP server over stdio: its arguments' },
  { key: 'mcp.servers.*.env.*', type: str, needsTrust: true, description: 'MCP server over stdio: a variable of its environment (it gets these, PATH and HOME only); ${VAR} takes VAR from yours' },
  { key: 'mcp.servers.*.url', type: str, needsTrust: true, description: 'MCP server over Streamable HTTP: its endpoint' },
  { key: 'mcp.servers.*.headers.*', type: str, needsTrust: true, description: 'MCP server over Streamable HTTP: a header sent with every request; ${VAR} takes VAR from your environment' },
  { key: 'mcp.servers.*.enabled', type: bool, needsTrust: true, description: 'whether the server is used (default true)' },
  { key: 'mcp.servers.*.timeout_s', type: { kind: 'float', min: 0 }, needsTrust: true, description: 'seconds one call (or the start) may take before the server is given up (default 30)' },
  // `[[agent_hooks.<event>]]` is an array of tables: each entry's keys are `agent_hooks.<event>.<index>.<field>`.
  { key: 'agent_hooks.*.*.command', type: str, needsTrust: true, description: 'agent hook: the shell command run on the event (gets one JSON object on stdin)' },
  { key: 'agent_hooks.*.*.match', type: str, needsTrust: true, description: 'agent hook: glob of the tool names it runs for (pre_tool, post_tool; `a|b` for several); default every tool' },
  { key: 'agent_hooks.*.*.timeout_s', type: { kind: 'float', min: 0 }, needsTrust: true, description: 'agent hook: seconds before it is killed (default 60)' },
  { key: 'approval.require_confirmation', type: bool, default: true, needsTrust: true, description: 'ask before applying edits' },
  { key: 'git.session_branch', type: bool, default: true, description: 'record sessions on their own assist/<id> branch' },
  { key: 'git.checkpoints_kept', type: { kind: 'int', min: 0 }, default: 10, description: 'automatic checkpoints kept per session' },
  { key: 'test.cmd', type: str, needsTrust: true, description: 'test command (detected when unset)' },
  { key: 'test.auto', type: bool, default: false, description: 'run tests after each edit' },
  { key: 'test.mutants', type: { kind: 'int', min: 0 }, default: 20, description: 'mutants `assist test` tries per target' },
  { key: 'test.min_mutation_score', type: { kind: 'float', min: 0, max: 1 }, default: 0.8, description: 'share of mutants the new tests must catch before `assist test` commits them' },
  { key: 'summaries.use_model', type: bool, default: false, needsTrust: true, description: 'write summaries with weak_model (else structural outlines)' },
  { key: 'summaries.max_tokens_per_run', type: { kind: 'int', min: 0 }, default: 50000, description: 'token budget of one background refresh' },
  { key: 'log.level', type: { kind: 'enum', values: ['error', 'warn', 'info', 'debug'] }, default: 'info', description: 'level of the structured log (written only when log.file is set)' },
  { key: 'log.file', type: str, description: 'where structured logs go (JSON lines)' },
  { key: 'metrics.file', type: str, description: 'Prometheus text file written after each command' },
];

/** Splits a dotted key, honouring quotes: `models."openai/gpt-4.1".context_window`. */
export function splitKey(key: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quote: string | null = null;
  for (const ch of key) {
    if (quote) {
      if (ch === quote) quote = null;
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === '.') {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

/** Joins key segments, quoting those that are not bare TOML keys. */
export function joinKey(parts: readonly string[]): string {
  return parts.map((p) => (/^[A-Za-z0-9_-]+$/.test(p) ? p : JSON.stringify(p))).join('.');
}

/** The definition a concrete key falls under, or undefined when the key is unknown. */
export function findKeyDef(parts: readonly string[]): KeyDef | undefined {
  for (const def of KEYS) {
    const pattern = def.key.split('.');
    if (pattern.length !== parts.length) continue;
    if (pattern.every((seg, i) => seg === '*' || seg === parts[i])) {
      if (pattern[0] === 'llm' && !(PROVIDERS as readonly string[]).includes(parts[1] ?? '')) continue;
      if (pattern[0] === 'models' && !/^[a-z0-9-]+\/.+/.test(parts[1] ?? '')) continue;
      if (pattern[0] === 'agent_hooks' && (!(AGENT_HOOK_EVENTS as readonly string[]).includes(parts[1] ?? '') || !/^\d+$/.test(parts[2] ?? ''))) continue;
      return def;
    }
  }
  return undefined;
}

/** Every concrete key that has a default, in table order. */
export function defaultEntries(): Array<[string, ConfigValue]> {
  return KEYS.filter((d) => d.default !== undefined && !d.key.includes('*')).map((d) => [d.key, d.default as ConfigValue]);
}

/** Checks a parsed value against a type; returns the value or an error phrase ("must be an integer"). */
export function checkType(type: KeyType, value: unknown): { ok: true; value: ConfigValue } | { ok: false; expected: string } {
  switch (type.kind) {
    case 'string':
      return typeof value === 'string' ? { ok: true, value } : { ok: false, expected: 'must be a string' };
    case 'bool':
      return typeof value === 'boolean' ? { ok: true, value } : { ok: false, expected: 'must be true or false' };
    case 'int': {
      const n = typeof value === 'bigint' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isInteger(n)) return { ok: false, expected: 'must be an integer' };
      if (type.min !== undefined && n < type.min) return { ok: false, expected: `must be at least ${type.min}` };
      return { ok: true, value: n };
    }
    case 'float': {
      const n = typeof value === 'bigint' ? Number(value) : value;
      if (typeof n !== 'number' || Number.isNaN(n)) return { ok: false, expected: 'must be a number' };
      if (type.min !== undefined && n < type.min) return { ok: false, expected: `must be at least ${type.min}` };
      if (type.max !== undefined && n > type.max) return { ok: false, expected: `must be at most ${type.max}` };
      return { ok: true, value: n };
    }
    case 'string-list':
      return Array.isArray(value) && value.every((v) => typeof v === 'string')
        ? { ok: true, value: [...(value as string[])] }
        : { ok: false, expected: 'must be a list of strings' };
    case 'enum':
      return typeof value === 'string' && type.values.includes(value)
        ? { ok: true, value }
        : { ok: false, expected: `must be one of ${type.values.map((v) => JSON.stringify(v)).join(', ')}` };
  }
}

/** Parses a value typed on a command line or in an environment variable. */
export function parseTextValue(type: KeyType, text: string): unknown {
  const trimmed = text.trim();
  switch (type.kind) {
    case 'string':
    case 'enum':
      return text;
    case 'bool':
      if (/^(true|1|yes|on)$/i.test(trimmed)) return true;
      if (/^(false|0|no|off)$/i.test(trimmed)) return false;
      return text;
    case 'int':
    case 'float':
      return trimmed !== '' && !Number.isNaN(Number(trimmed)) ? Number(trimmed) : text;
    case 'string-list':
      if (trimmed.startsWith('[')) {
        try {
          return JSON.parse(trimmed) as unknown;
        } catch {
          return text;
        }
      }
      return trimmed === '' ? [] : trimmed.split(',').map((s) => s.trim()).filter((s) => s !== '');
  }
}

/** Describes a type for help texts and error messages. */
export function describeType(type: KeyType): string {
  switch (type.kind) {
    case 'string-list':
      return 'list of strings';
    case 'enum':
      return type.values.join(' | ');
    default:
      return type.kind;
  }
}
