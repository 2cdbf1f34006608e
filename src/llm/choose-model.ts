import { usageError } from '../errors.js';
import { homedir } from 'node:os';
import { basename, isAbsolute } from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import type { ProviderConfig } from '../config/types.js';

/** Where the model came from, in the order DESIGN.md §4 tries them. */
export type ModelSource = 'flag' | 'env' | 'config' | 'key' | 'ollama';

/** The model assist will use and why. */
export interface ModelChoice {
  /** `provider/model`. */
  model: string;
  source: ModelSource;
  /** Why, for people: `ANTHROPIC_API_KEY is set`, `model in .assist.toml:3`. */
  why: string;
}

/** What {@link chooseModel} looks at. */
export interface ChooseModelOptions {
  /** `--model`. */
  flag?: string | undefined;
  /** The environment: `ASSIST_MODEL`, the providers' key variables, `OLLAMA_HOST`. */
  env: Readonly<Record<string, string | undefined>>;
  /** `model` from a config file and where it was set; `llm.<provider>` for key and host settings. */
  config?: { model?: string | undefined; where?: string | undefined; llm?: Readonly<Record<string, ProviderConfig>> };
  /**
   * Lists the models of the Ollama server at `host` (an http URL), or null when none answers.
   * Default {@link probeOllama}; tests pass their own, or `null` to never probe.
   */
  probeOllama?: ((host: string) => Promise<string[] | null>) | null;
}

/** The model a provider's key stands for when nothing names one (the registry's defaults). */
export const DEFAULT_MODELS = {
  // claude-sonnet-4-5 reached end of life on 2026-11-30 (the SDK warns on every request): the current Sonnet.
  anthropic: 'anthropic/claude-sonnet-5-5',
  openai: 'openai/gpt-4.1',
  // A plain string: the google provider is not a ProviderName on every branch yet.
  google: 'google/gemini-2.5-pro',
} as const;

// Providers in the order of DESIGN.md §4, each with the variables its SDK reads for the key.
const KEYED: ReadonlyArray<{ provider: keyof typeof DEFAULT_MODELS; vars: readonly string[] }> = [
  { provider: 'anthropic', vars: ['ANTHROPIC_API_KEY'] },
  { provider: 'openai', vars: ['OPENAI_API_KEY'] },
  { provider: 'google', vars: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'] },
];

/** Ollama model names most likely to write good edits, best first. */
const CODING_MODELS: readonly RegExp[] = [/qwen[\d.]*-coder/, /devstral/, /deepseek-coder/, /codestral/, /codellama/, /starcoder/, /coder/];

/** Ollama's own default address. */
export const OLLAMA_DEFAULT_HOST = 'http://127.0.0.1:11434';

/** How long the Ollama probe waits: long enough for a local server, short enough to go unnoticed. */
export const OLLAMA_PROBE_MS = 300;

const set = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

/**
 * `OLLAMA_HOST` (or `llm.ollama.base_url`) as the ollama client reads it: `:port`, `host`,
 * `host:port` (port 11434 when none is given without a scheme), or a URL.
 */
export function ollamaUrl(host: string | undefined): string {
  if (!set(host)) return OLLAMA_DEFAULT_HOST;
  let text = host.trim();
  if (text.startsWith(':')) text = `http://127.0.0.1${text}`;
  const explicit = text.includes('://');
  if (!explicit) text = `http://${text}`;
  try {
    const url = new URL(text);
    if (url.port === '' && !explicit) url.port = '11434';
    // 0.0.0.0 is where a server listens, not an address every system lets a client connect to.
    if (url.hostname === '0.0.0.0') url.hostname = '127.0.0.1';
    return url.toString().replace(/\/+$/, '');
  } catch {
    return OLLAMA_DEFAULT_HOST;
  }
}

/** `GET /api/tags` on a local Ollama server within {@link OLLAMA_PROBE_MS}: the names it lists, or null. */
export async function probeOllama(host: string): Promise<string[] | null> {
  try {
    const response = await fetch(`${host}/api/tags`, { signal: AbortSignal.timeout(OLLAMA_PROBE_MS) });
    if (!response.ok) return null;
    const body = (await response.json()) as { models?: Array<{ name?: unknown; model?: unknown }> };
    if (!Array.isArray(body.models)) return null;
    return body.models.map((m) => (typeof m.name === 'string' ? m.name : typeof m.model === 'string' ? m.model : '')).filter((n) => n !== '');
  } catch {
    return null;
  }
}

/** Of the models an Ollama server lists, the one best suited to code (else the first); null for none. */
export function bestOllamaModel(names: readonly string[]): string | null {
  for (const pattern of CODING_MODELS) {
    const hit = names.find((n) => pattern.test(n.toLowerCase()));
    if (hit !== undefined) return hit.replace(/:latest$/, '');
  }
  return names[0]?.replace(/:latest$/, '') ?? null;
}

/**
 * The model to use (DESIGN.md §4): `--model`, then `ASSIST_MODEL`, then `model` from config;
 * else the first provider with a key gives its default (Anthropic, OpenAI, Gemini, in that order);
 * else a local Ollama server that lists a model gives its best coding model. None of these is a
 * usage error (exit 2) naming them all, before any request to a model.
 */
export async function chooseModel(options: ChooseModelOptions): Promise<ModelChoice> {
  const { env, config } = options;
  if (set(options.flag)) return { model: options.flag.trim(), source: 'flag', why: '--model' };
  if (set(env.ASSIST_MODEL)) return { model: env.ASSIST_MODEL.trim(), source: 'env', why: 'ASSIST_MODEL is set' };
  if (set(config?.model)) return { model: config.model.trim(), source: 'config', why: `model in ${config.where ?? 'config'}` };

  for (const { provider, vars } of KEYED) {
    const settings = config?.llm?.[provider];
    if (set(settings?.api_key_cmd)) return { model: DEFAULT_MODELS[provider], source: 'key', why: `llm.${provider}.api_key_cmd is set` };
    const names = set(settings?.api_key_env) ? [settings.api_key_env] : vars;
    const found = names.find((name) => set(env[name]));
    if (found !== undefined) return { model: DEFAULT_MODELS[provider], source: 'key', why: `${found} is set` };
  }

  const probe = options.probeOllama === undefined ? probeOllama : options.probeOllama;
  if (probe !== null) {
    const host = set(config?.llm?.ollama?.base_url) ? ollamaUrl(config.llm.ollama.base_url) : ollamaUrl(env.OLLAMA_HOST);
    const listed = await probe(host);
    const best = listed ? bestOllamaModel(listed) : null;
    if (best !== null) {
      return { model: `ollama/${best}`, source: 'ollama', why: `no API key is set, and Ollama at ${host} has it` };
    }
  }

  throw usageError(
    'llm.no-model',
    'no model: set ANTHROPIC_API_KEY, OPENAI_API_KEY or GEMINI_API_KEY (or GOOGLE_API_KEY), run Ollama with a model pulled, or pass --model provider/model',
  );
}

/**
 * The `config` of {@link chooseModel} from loaded config: `model` only when a config file set it
 * (`ASSIST_MODEL` and `--model` are their own steps), named as the person knows the file.
 */
export function configModel(loaded: Pick<LoadedConfig, 'config' | 'values'>): NonNullable<ChooseModelOptions['config']> {
  const entry = loaded.values.get('model');
  const llm = loaded.config.llm;
  if (entry?.origin.kind !== 'file' || typeof entry.value !== 'string') return { llm };
  const { file, line, scope } = entry.origin;
  const home = homedir();
  // The project file is `.assist.toml` (or `main:.assist.toml` when `pr` read it from the base).
  const name = scope === 'project' ? (isAbsolute(file) ? basename(file) : file) : file.startsWith(`${home}/`) ? `~${file.slice(home.length)}` : file;
  return { model: entry.value, where: `${name}:${line}`, llm };
}

/** The line a chat or `run` starts with: `using anthropic/claude-sonnet-5-5: ANTHROPIC_API_KEY is set; --model to change`. */
export function describeChoice(choice: ModelChoice): string {
  return `using ${choice.model}: ${choice.why}${choice.source === 'flag' ? '' : '; --model to change'}`;
}
