import { describe, expect, it } from 'vitest';
import { createLlmClient } from './client.js';

const undiciLoaded = (): boolean => (process as unknown as { moduleLoadList: string[] }).moduleLoadList.some((m) => m.includes('internal/deps/undici/undici'));

describe('warm()', () => {
  it("loads the provider's SDK and Node's fetch implementation before any request", async () => {
    // This test file runs in its own process (vitest's forks pool) and nothing here fetched yet.
    expect(undiciLoaded()).toBe(false);
    const client = createLlmClient({ env: {} });
    client.warm('openai/gpt-4.1');
    await import('openai');
    for (let i = 0; i < 50 && !undiciLoaded(); i++) await new Promise((resolve) => setImmediate(resolve));
    expect(undiciLoaded()).toBe(true);
  });
});
