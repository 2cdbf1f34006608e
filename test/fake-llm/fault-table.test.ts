import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROVIDERS, SCENARIOS, renderTable, runMatrix, type Observation } from './fault-matrix.js';

/** What each SDK throws (constructor name, status) and how many requests its default retries make. */
const EXPECTED: Record<string, Record<'openai' | 'anthropic' | 'ollama', [string, number | undefined, number]>> = {
  '429 rate limit, `retry-after: 0`': {
    openai: ['RateLimitError', 429, 3],
    anthropic: ['RateLimitError', 429, 3],
    ollama: ['ResponseError', 429, 1],
  },
  '500 server error': {
    openai: ['InternalServerError', 500, 3],
    anthropic: ['InternalServerError', 500, 3],
    ollama: ['ResponseError', 500, 1],
  },
  overloaded: {
    openai: ['InternalServerError', 503, 3],
    anthropic: ['OverloadedError', 529, 3],
    ollama: ['ResponseError', 503, 1],
  },
  '401 bad key': {
    openai: ['AuthenticationError', 401, 1],
    anthropic: ['AuthenticationError', 401, 1],
    ollama: ['ResponseError', 401, 1],
  },
  'prompt over the context window': {
    openai: ['BadRequestError', 400, 1],
    anthropic: ['BadRequestError', 400, 1],
    ollama: ['ok', undefined, 1],
  },
  'prompt over num_ctx, Ollama `truncate: false`': {
    openai: ['BadRequestError', 400, 1],
    anthropic: ['BadRequestError', 400, 1],
    ollama: ['ResponseError', 400, 1],
  },
  'stream cut: socket destroyed after 3 frames': {
    openai: ['TypeError', undefined, 1],
    anthropic: ['TypeError', undefined, 1],
    ollama: ['TypeError', undefined, 1],
  },
  'stream ends cleanly after 3 frames, no terminator': {
    openai: ['ok', undefined, 1],
    anthropic: ['ok', undefined, 1],
    ollama: ['Error', undefined, 1],
  },
  'error frame mid-stream': {
    openai: ['APIError', undefined, 1],
    anthropic: ['APIError', undefined, 1],
    ollama: ['Error', undefined, 1],
  },
  'malformed frame': {
    openai: ['SyntaxError', undefined, 1],
    anthropic: ['SyntaxError', undefined, 1],
    ollama: ['ok', undefined, 1],
  },
  'no answer, client timeout 300 ms': {
    openai: ['APIConnectionTimeoutError', undefined, 3],
    anthropic: ['APIConnectionTimeoutError', undefined, 3],
    ollama: ['DOMException', undefined, 1],
  },
  'stream stalls after 3 frames, caller aborts': {
    openai: ['ok', undefined, 1],
    anthropic: ['ok', undefined, 1],
    ollama: ['DOMException', undefined, 1],
  },
};

const DOC = join(import.meta.dirname, '..', '..', 'docs', 'testing.md');
const START = '<!-- fault-table:start -->';
const END = '<!-- fault-table:end -->';

let matrix: Map<string, { noRetry: Observation; defaults: Observation }>;
beforeAll(async () => {
  matrix = await runMatrix();
}, 20_000);

describe('each fault through each real SDK (streaming)', () => {
  it('covers every scenario', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(SCENARIOS.map((s) => s.name).sort());
  });

  for (const scenario of SCENARIOS) {
    it.each(PROVIDERS)(`${scenario.name}: %s`, (provider) => {
      const [name, status, retries] = EXPECTED[scenario.name]![provider];
      const seen = matrix.get(`${scenario.name}|${provider}`)!;
      expect({ outcome: seen.noRetry.outcome, status: seen.noRetry.status, requests: seen.noRetry.requests }).toEqual({
        outcome: name,
        status,
        requests: 1,
      });
      expect(seen.defaults.outcome).toBe(name);
      expect(seen.defaults.requests).toBe(retries);
    });
  }

  it('docs/testing.md holds the table these runs produce', () => {
    const table = renderTable(matrix);
    if (process.env['FAKE_LLM_PRINT_TABLE']) console.log(table);
    const doc = readFileSync(DOC, 'utf8');
    const start = doc.indexOf(START);
    const end = doc.indexOf(END);
    expect(start, `${DOC} lacks ${START}`).toBeGreaterThanOrEqual(0);
    if (process.env['FAKE_LLM_WRITE_TABLE']) {
      writeFileSync(DOC, `${doc.slice(0, start + START.length)}\n${table}\n${doc.slice(end)}`);
      return;
    }
    expect(doc.slice(start + START.length, end).trim()).toBe(table);
  });
});
