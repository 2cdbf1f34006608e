import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AssistError } from '../errors.js';
import { PROJECT_FILE_NAME, userConfigDir, userConfigFile } from './paths.js';
import { checkType, defaultEntries, findKeyDef, joinKey, parseTextValue, splitKey, type ConfigValue } from './schema.js';
import { parseConfigText, type FileEntry } from './toml-file.js';
import { isProjectFileTrusted } from './trust.js';
import type { AgentHookEvent } from './schema.js';
import type { AgentHookConfig, Config } from './types.js';

/** Where a value came from, as `config list --show-origin` prints it. */
export type Origin =
  | { kind: 'default' }
  | { kind: 'file'; scope: 'user' | 'project'; file: string; line: number }
  | { kind: 'env'; name: string }
  | { kind: 'flag'; name: string };

export interface ResolvedValue {
  value: ConfigValue;
  origin: Origin;
}

export interface LoadConfigOptions {
  env: NodeJS.ProcessEnv;
  /** Work tree root; null outside a repository (no project file then). */
  repoRoot: string | null;
  /** Values given by command-line flags, by config key, with the flag's name. */
  flags?: Record<string, { value: ConfigValue; flag: string }>;
  /**
   * The project file's text from somewhere other than the work tree (`pr` reads it from the base
   * ref, so a task cannot change its own rules); null: no project file. Its origin names `label`.
   */
  projectSource?: { text: string | null; label: string; trusted?: boolean };
}

export interface LoadedConfig {
  config: Config;
  /** Every key that has a value, with its origin. */
  values: Map<string, ResolvedValue>;
  /** One-line warnings for the person (ignored untrusted keys, unknown ASSIST_ variables). */
  warnings: string[];
  userFile: string;
  /** Whether the user file exists. */
  userFileExists: boolean;
  projectFile: string | null;
  /** Keys of an untrusted project file that were ignored. */
  ignoredUntrusted: string[];
  /** Whether the project file exists and is trusted as it is now. */
  projectTrusted: boolean;
}


async function readIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new AssistError('config.unreadable', `cannot read ${file}: ${(error as Error).message}`, { hint: 'check its permissions' });
  }
}

/** Maps `ASSIST_CONTEXT__MAP_TOKENS` to `context.map_tokens`, `ASSIST_MODEL` to `model`. */
export function envNameToKey(name: string): string[] | null {
  if (!name.startsWith('ASSIST_')) return null;
  const rest = name.slice('ASSIST_'.length);
  if (rest === 'LOG_LEVEL') return ['log', 'level'];
  const parts = rest.split('__').map((p) => p.toLowerCase());
  if (parts.some((p) => p === '')) return null;
  return parts;
}

/** The env name for a key, for help texts: `context.map_tokens` -> `ASSIST_CONTEXT__MAP_TOKENS`. */
export function keyToEnvName(key: string): string {
  return 'ASSIST_' + splitKey(key).map((p) => p.toUpperCase().replace(/[^A-Z0-9_]/g, '_')).join('__');
}

// Variables assist reads for other purposes than config; never warned about.
const NON_CONFIG_ENV = new Set(['ASSIST_PAUSE_AT', 'ASSIST_PHASES', 'ASSIST_PAUSE_FILE', 'ASSIST_BIN', 'ASSIST_PUSH_TOKEN', 'ASSIST_PUSH_USER', 'ASSIST_TEST_REQUIRE_BWRAP', 'ASSIST_CODE_CACHE', 'ASSIST_CODE_CACHE_DIR', 'ASSIST_CODE_CACHE_DEBUG', 'ASSIST_INDEX_WORKER', 'ASSIST_BUNDLE_READABLE', 'ASSIST_SEARCH_DELTA']);

/** Loads defaults < user file < project file < env < flags into one validated Config. */
export { PROJECT_FILE_NAME, userConfigDir, userConfigFile };

export async function loadConfig(options: LoadConfigOptions): Promise<LoadedConfig> {
  const values = new Map<string, ResolvedValue>();
  const warnings: string[] = [];
  for (const [key, value] of defaultEntries()) values.set(key, { value, origin: { kind: 'default' } });

  const userFile = userConfigFile(options.env);
  const userText = await readIfExists(userFile);
  if (userText !== null) {
    const parsed = await parseConfigText(userText, userFile);
    for (const entry of parsed.entries) values.set(entry.key, fromFile(entry, 'user', userFile));
  }

  // Both files' hooks run: the project's entries are numbered after the user's, not merged into them.
  const hookCount = new Map<string, number>();
  for (const key of values.keys()) {
    const parts = splitKey(key);
    if (parts[0] !== 'agent_hooks') continue;
    hookCount.set(parts[1] as string, Math.max(hookCount.get(parts[1] as string) ?? 0, Number(parts[2]) + 1));
  }
  let projectFile: string | null = null;
  let projectTrusted = false;
  const ignored: string[] = [];
  if (options.repoRoot) {
    const file = options.projectSource ? options.projectSource.label : join(options.repoRoot, PROJECT_FILE_NAME);
    const text = options.projectSource ? options.projectSource.text : await readIfExists(file);
    if (text !== null) {
      projectFile = file;
      const parsed = await parseConfigText(text, file);
      projectTrusted = options.projectSource?.trusted ?? (await isProjectFileTrusted(options.env, options.repoRoot, text));
      for (const entry of parsed.entries) {
        if (entry.def.needsTrust && !projectTrusted) ignored.push(entry.key);
        else if (entry.parts[0] === 'agent_hooks') {
          const [, event, index, ...rest] = entry.parts as [string, string, string, ...string[]];
          values.set(joinKey(['agent_hooks', event, String(Number(index) + (hookCount.get(event) ?? 0)), ...rest]), fromFile(entry, 'project', file));
        } else values.set(entry.key, fromFile(entry, 'project', file));
      }
      if (ignored.length > 0) {
        warnings.push(
          `ignoring ${ignored.join(', ')} from ${PROJECT_FILE_NAME} until you trust it: review the file, then run \`assist trust\``,
        );
      }
    }
  }

  for (const [name, raw] of Object.entries(options.env)) {
    if (raw === undefined || NON_CONFIG_ENV.has(name)) continue;
    const parts = envNameToKey(name);
    if (!parts) continue;
    const def = findKeyDef(parts);
    if (!def) {
      if (name.includes('__') || parts.length === 1) warnings.push(`ignoring ${name}: it names no config key`);
      continue;
    }
    const checked = checkType(def.type, parseTextValue(def.type, raw));
    if (!checked.ok) {
      throw new AssistError('config.wrong-type', `${name}: ${joinKey(parts)} ${checked.expected}, got ${JSON.stringify(raw)}`, {
        hint: `fix or unset ${name}`,
        data: { env: name, key: joinKey(parts) },
      });
    }
    values.set(joinKey(parts), { value: checked.value, origin: { kind: 'env', name } });
  }

  for (const [key, { value, flag }] of Object.entries(options.flags ?? {})) {
    values.set(key, { value, origin: { kind: 'flag', name: flag } });
  }

  return { config: buildConfig(values), values, warnings, userFile, userFileExists: userText !== null, projectFile, projectTrusted, ignoredUntrusted: ignored };
}

function fromFile(entry: FileEntry, scope: 'user' | 'project', file: string): ResolvedValue {
  return { value: entry.value, origin: { kind: 'file', scope, file, line: entry.line } };
}

/** Builds the typed, nested Config from validated flat values. */
export function buildConfig(values: Map<string, ResolvedValue>): Config {
  const get = <T extends ConfigValue>(key: string): T => values.get(key)?.value as T;
  const opt = <T extends ConfigValue>(key: string): T | undefined => values.get(key)?.value as T | undefined;
  const llm: Config['llm'] = {};
  const models: Config['models'] = {};
  const servers: Config['mcp']['servers'] = {};
  const hooks = new Map<string, { event: AgentHookEvent; index: number; hook: Partial<AgentHookConfig> }>();
  for (const [key, { value, origin }] of values) {
    const parts = splitKey(key);
    if (parts[0] === 'agent_hooks' && parts.length === 4) {
      const id = `${parts[1]}.${parts[2]}`;
      const entry = hooks.get(id) ?? { event: parts[1] as AgentHookEvent, index: Number(parts[2]), hook: {} };
      hooks.set(id, entry);
      if (parts[3] === 'command') {
        entry.hook.command = value as string;
        entry.hook.origin = formatOrigin(origin);
      } else if (parts[3] === 'match') entry.hook.match = value as string;
      else if (parts[3] === 'timeout_s') entry.hook.timeoutS = value as number;
      continue;
    }
    if (parts[0] === 'mcp' && parts[1] === 'servers' && parts.length >= 4) {
      const server = (servers[parts[2] as string] ??= { args: [], env: {}, headers: {}, enabled: true, timeoutS: 30 });
      const field = parts[3] as string;
      if (parts.length === 5 && (field === 'env' || field === 'headers')) server[field][parts[4] as string] = value as string;
      else if (field === 'command' || field === 'url') server[field] = value as string;
      else if (field === 'args') server.args = value as string[];
      else if (field === 'enabled') server.enabled = value as boolean;
      else if (field === 'timeout_s') server.timeoutS = value as number;
      continue;
    }
    if (parts[0] === 'llm' && parts.length === 3) {
      const provider = parts[1] as string;
      (llm[provider] ??= {})[parts[2] as keyof Config['llm'][string]] = value as never;
    } else if (parts[0] === 'models' && parts.length === 3) {
      const model = parts[1] as string;
      (models[model] ??= {})[parts[2] as keyof Config['models'][string]] = value as never;
    }
  }
  return {
    model: opt<string>('model'),
    fallback: get<string[]>('fallback'),
    weakModel: opt<string>('weak_model'),
    llm,
    models,
    context: {
      strategy: get<'summary' | 'chunks' | 'hybrid'>('context.strategy'),
      mapTokens: get<number>('context.map_tokens'),
      compressionThreshold: get<number>('context.compression_threshold'),
      maxFileBytes: get<number>('context.max_file_bytes'),
      embeddings: get<boolean>('context.embeddings'),
      embeddingModel: opt<string>('context.embedding_model'),
      embeddingBudget: get<number>('context.embedding_budget'),
      vectorWeight: opt<number>('context.vector_weight'),
    },
    session: {
      maxReflections: get<number>('session.max_reflections'),
      tools: get<'auto' | 'off'>('session.tools'),
      maxSteps: get<number>('session.max_steps'),
      maxAutoAdd: get<number>('session.max_auto_add'),
    },
    tools: { maxResultTokens: get<number>('tools.max_result_tokens') },
    sandbox: {
      writePaths: get<string[]>('sandbox.write_paths'),
      readPaths: get<string[]>('sandbox.read_paths'),
      commands: get<'auto' | 'bwrap' | 'none'>('sandbox.commands'),
    },
    approval: {
      autoApprove: get<string[]>('approval.auto_approve'),
      requireConfirmation: get<boolean>('approval.require_confirmation'),
      commands: get<'ask' | 'sandboxed' | 'never'>('approval.commands'),
      mcpTools: get<string[]>('approval.mcp_tools'),
    },
    mcp: { servers },
    agentHooks: agentHooksOf([...hooks.values()]),
    git: { sessionBranch: get<boolean>('git.session_branch'), checkpointsKept: get<number>('git.checkpoints_kept') },
    test: { cmd: opt<string>('test.cmd'), auto: get<boolean>('test.auto'), mutants: get<number>('test.mutants'), minMutationScore: get<number>('test.min_mutation_score') },
    summaries: { useModel: get<boolean>('summaries.use_model'), maxTokensPerRun: get<number>('summaries.max_tokens_per_run') },
    log: { level: get<'error' | 'warn' | 'info' | 'debug'>('log.level'), file: opt<string>('log.file') },
    metrics: { file: opt<string>('metrics.file') },
  };
}

function agentHooksOf(entries: Array<{ event: AgentHookEvent; index: number; hook: Partial<AgentHookConfig> }>): Config['agentHooks'] {
  const out: Config['agentHooks'] = {};
  entries.sort((a, b) => a.index - b.index);
  for (const { event, hook } of entries) {
    // An entry without a command (only `match` set by an env variable, say) does nothing.
    if (hook.command === undefined) continue;
    (out[event] ??= []).push({ command: hook.command, match: hook.match, timeoutS: hook.timeoutS ?? DEFAULT_HOOK_TIMEOUT_S, origin: hook.origin ?? 'default' });
  }
  return out;
}

/** Seconds an agent hook may run when its `timeout_s` is unset. */
export const DEFAULT_HOOK_TIMEOUT_S = 60;

/** Formats an origin the way `git config --show-origin` does: `file:PATH:LINE`, `env:NAME`, `flag:--x`, `default`. */
export function formatOrigin(origin: Origin): string {
  switch (origin.kind) {
    case 'default':
      return 'default';
    case 'file':
      return `file:${origin.file}:${origin.line}`;
    case 'env':
      return `env:${origin.name}`;
    case 'flag':
      return `flag:${origin.name}`;
  }
}
