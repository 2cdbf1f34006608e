import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// `assist --version` must not load an SDK (test/integration/lazy-imports.test.ts checks the
// built CLI); here, the rule that makes it hold for this folder: SDKs only by `await import`.
const HEAVY = /from\s+'(@anthropic-ai\/sdk|@google\/genai|openai|ollama|js-tiktoken|gpt-tokenizer)(\/[^']*)?'/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('src/llm imports SDKs lazily', () => {
  const files = sources(import.meta.dirname);

  it('finds the adapters (the check can fail)', () => {
    expect(files.some((f) => f.endsWith('anthropic.ts'))).toBe(true);
    // The four adapters, the client's warm() that starts the same imports early, and the embeddings adapter.
    expect(files.filter((f) => /import\('(@anthropic-ai\/sdk|@google\/genai|openai|ollama)'\)/.test(readFileSync(f, 'utf8')))).toHaveLength(6);
  });

  it('no static value import of an SDK or tokenizer', () => {
    for (const file of files) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (HEAVY.test(line)) expect(line, file).toMatch(/^import type /);
      }
    }
  });
});
