import { describe, expect, it } from 'vitest';
import { LlmFailure } from './failure.js';
import { KeySource } from './keys.js';

async function rejection(promise: Promise<unknown>): Promise<LlmFailure> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(LlmFailure);
    return error as LlmFailure;
  }
  throw new Error('expected a rejection');
}

describe('KeySource', () => {
  it('reads the SDK variable by default and api_key_env when set', async () => {
    expect(await new KeySource({ provider: 'anthropic', env: { ANTHROPIC_API_KEY: ' k1 ' } }).get()).toBe('k1');
    expect(await new KeySource({ provider: 'openai', env: { OPENAI_API_KEY: 'no', MY_KEY: 'k2' }, apiKeyEnv: 'MY_KEY' }).get()).toBe('k2');
  });

  it('a missing key names the variable to set', async () => {
    const failure = await rejection(new KeySource({ provider: 'openai', env: {}, apiKeyEnv: 'WORK_OPENAI_KEY' }).get());
    expect(failure.kind).toBe('no_key');
    expect(failure.message).toBe('no API key for openai: set WORK_OPENAI_KEY or choose another model with --model');
  });

  it('Gemini: GEMINI_API_KEY, then GOOGLE_API_KEY; the hint names the one in use, the error both', async () => {
    const both = new KeySource({ provider: 'google', env: { GEMINI_API_KEY: 'gem-key-1', GOOGLE_API_KEY: 'goog-key-2' } });
    expect(await both.get()).toBe('gem-key-1');
    const google = new KeySource({ provider: 'google', env: { GEMINI_API_KEY: ' ', GOOGLE_API_KEY: 'goog-key-2' } });
    expect(await google.get()).toBe('goog-key-2');
    expect(google.description).toBe('GOOGLE_API_KEY');
    const none = new KeySource({ provider: 'google', env: { GOOGLE_API_KEY: '' } });
    expect(none.description).toBe('GEMINI_API_KEY');
    expect((await rejection(none.get())).message).toBe('no API key for google: set GEMINI_API_KEY (or GOOGLE_API_KEY) or choose another model with --model');
    // api_key_env replaces both names.
    expect((await rejection(new KeySource({ provider: 'google', env: { GEMINI_API_KEY: 'x-key-123' }, apiKeyEnv: 'WORK_GEMINI' }).get())).message).toBe(
      'no API key for google: set WORK_GEMINI or choose another model with --model',
    );
  });

  it('Ollama needs no key unless one is configured', async () => {
    expect(await new KeySource({ provider: 'ollama', env: {} }).get()).toBeUndefined();
  });

  it('runs api_key_cmd once, keeps the first line, and runs it again after invalidate()', async () => {
    const source = new KeySource({ provider: 'anthropic', env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', N: 'x' }, apiKeyCmd: 'echo "  key-$N-$$  "; echo "user: bob"' });
    const first = await source.get();
    expect(first).toMatch(/^key-x-\d+$/);
    expect(await source.get()).toBe(first);
    expect(source.commandRuns).toBe(1);
    source.invalidate();
    const second = await source.get();
    expect(source.commandRuns).toBe(2);
    expect(second).not.toBe(first);
    expect([...source.secrets]).toEqual([first, second]);
    expect(source.description).toBe('llm.anthropic.api_key_cmd');
  });

  it('a failing or silent command is a clear failure and is retried on the next get()', async () => {
    const failing = new KeySource({ provider: 'openai', env: {}, apiKeyCmd: 'echo "vault: not logged in" >&2; exit 3' });
    const failure = await rejection(failing.get());
    expect(failure.kind).toBe('key_cmd');
    expect(failure.message).toBe('llm.openai.api_key_cmd exited with 3: vault: not logged in');
    await rejection(failing.get());
    expect(failing.commandRuns).toBe(2);
    const silent = await rejection(new KeySource({ provider: 'openai', env: {}, apiKeyCmd: 'true' }).get());
    expect(silent.message).toBe('llm.openai.api_key_cmd printed no key');
  });

  it('a command that hangs times out', async () => {
    const failure = await rejection(new KeySource({ provider: 'openai', env: {}, apiKeyCmd: 'sleep 5', commandTimeoutMs: 100 }).get());
    expect(failure.message).toBe('llm.openai.api_key_cmd timed out');
  });
});
