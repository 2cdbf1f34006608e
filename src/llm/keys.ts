import { execFile } from 'node:child_process';
import { LlmFailure } from './failure.js';
import { scrubSecrets } from './scrub.js';
import type { ProviderName } from './types.js';

export const DEFAULT_KEY_ENV: Record<ProviderName, string | undefined> = {
  anthropic: 'ANTHROPIC_API_KEY',
  openai: 'OPENAI_API_KEY',
  google: 'GEMINI_API_KEY',
  ollama: undefined,
};

/** Variables read, in order, after the default one is found empty (the Gemini SDK knows both names). */
const FALLBACK_KEY_ENV: Partial<Record<ProviderName, readonly string[]>> = {
  google: ['GOOGLE_API_KEY'],
};

/** Options of a {@link KeySource}. */
export interface KeySourceOptions {
  provider: ProviderName;
  env: Readonly<Record<string, string | undefined>>;
  apiKeyEnv?: string | undefined;
  apiKeyCmd?: string | undefined;
  /** When no key is configured: undefined means a key is required; a string is sent instead (local servers). */
  optionalFallback?: string | undefined;
  cwd?: string | undefined;
  /** Default 30 s: a password manager may prompt, but must not hang a request forever. */
  commandTimeoutMs?: number;
}

/**
 * Where one provider's key comes from: `api_key_cmd` (run through `sh -c`, stdout trimmed,
 * cached until `invalidate()`), else `api_key_env`, else the SDK's own variable. Every value
 * it has handed out is remembered so messages can be scrubbed of it.
 */
export class KeySource {
  private cached: Promise<string | undefined> | undefined;
  private readonly seen = new Set<string>();
  /** How many times the command ran (for tests and `doctor`). */
  commandRuns = 0;

  constructor(private readonly options: KeySourceOptions) {}

  get isCommand(): boolean {
    return Boolean(this.options.apiKeyCmd);
  }

  /** Where the key is read from, for hints: `ANTHROPIC_API_KEY`, `llm.openai.api_key_cmd`; of several names, the one that is set. */
  get description(): string | undefined {
    if (this.options.apiKeyCmd) return `llm.${this.options.provider}.api_key_cmd`;
    const names = this.envNames();
    return names.find((name) => this.options.env[name]?.trim()) ?? names[0];
  }

  /** The variables the key may come from, first set wins: `api_key_env` alone when configured. */
  private envNames(): string[] {
    const { provider, apiKeyEnv } = this.options;
    if (apiKeyEnv) return [apiKeyEnv];
    const first = DEFAULT_KEY_ENV[provider];
    return first === undefined ? [] : [first, ...(FALLBACK_KEY_ENV[provider] ?? [])];
  }

  /** Every key value handed out so far. */
  get secrets(): Iterable<string> {
    return this.seen;
  }

  /** The key, or undefined for a provider that needs none. Throws LlmFailure `no_key`/`key_cmd`. */
  get(): Promise<string | undefined> {
    this.cached ??= this.read().catch((error: unknown) => {
      this.cached = undefined;
      throw error;
    });
    return this.cached;
  }

  /** Forget the cached key so the next `get()` reads it again (after a 401/403). */
  invalidate(): void {
    this.cached = undefined;
  }

  private async read(): Promise<string | undefined> {
    const { provider, env, apiKeyCmd } = this.options;
    if (apiKeyCmd) {
      const key = await this.runCommand(apiKeyCmd);
      this.seen.add(key);
      return key;
    }
    const names = this.envNames();
    for (const name of names) {
      const value = env[name]?.trim();
      if (value) {
        this.seen.add(value);
        return value;
      }
    }
    if (this.options.optionalFallback !== undefined || names.length === 0) return this.options.optionalFallback;
    const [first, ...others] = names;
    const also = others.length > 0 ? ` (or ${others.join(', ')})` : '';
    throw new LlmFailure('no_key', `no API key for ${provider}: set ${first}${also} or choose another model with --model`);
  }

  private runCommand(command: string): Promise<string> {
    const { provider, env, cwd } = this.options;
    this.commandRuns++;
    return new Promise((resolve, reject) => {
      // The command comes from trusted config (DESIGN.md §5), so a shell is fine; no user data is spliced into it.
      execFile(
        '/bin/sh',
        ['-c', command],
        { env: { ...env } as NodeJS.ProcessEnv, cwd, timeout: this.options.commandTimeoutMs ?? 30_000, encoding: 'utf8', maxBuffer: 1024 * 1024 },
        (error, stdout, stderr) => {
          // `pass show` and friends print the secret on the first line and metadata after it.
          const key = stdout.trim().split('\n')[0]?.trim() ?? '';
          if (error) {
            const why = (error as { killed?: boolean }).killed ? 'timed out' : `exited with ${String((error as { code?: unknown }).code ?? 'an error')}`;
            const first = scrubSecrets(stderr.trim().split('\n')[0] ?? '', [key]).slice(0, 200);
            reject(new LlmFailure('key_cmd', `llm.${provider}.api_key_cmd ${why}${first ? `: ${first}` : ''}`));
            return;
          }
          if (key === '') {
            reject(new LlmFailure('key_cmd', `llm.${provider}.api_key_cmd printed no key`));
            return;
          }
          resolve(key);
        },
      );
    });
  }
}
