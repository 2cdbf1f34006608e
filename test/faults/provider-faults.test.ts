import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reply, startFakeLlm, type Scripted } from '../fake-llm/index.js';
import { tempRepo } from '../helpers/git-repo.js';
import { CONCURRENT_CLI_TEST_MS } from '../helpers/run-cli.js';
import { cliEnv, hasStackTrace, lostUserWork, makeUserWork, repoProblems, runCli } from './harness.js';

/**
 * The provider misbehaves (429 storms, 5xx, 529, cut and corrupted streams, slow drips, hung
 * requests, broken edit blocks); assist either gets the edit through or fails with one clear line
 * (exit 4 for the provider, 1 for edits that never applied), and the repository and the user's
 * work come out unharmed either way.
 */

const GOOD = reply.edits([{ path: 'a.txt', search: 'one\n', replace: 'two\n' }]);

/** mulberry32: a small seeded PRNG, so "random" cut offsets are the same on every run. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Case {
  name: string;
  model?: string;
  script: Scripted[];
  /** Expected exit code. */
  code: number;
  /** Text stderr must contain (a clear reason). */
  says?: RegExp;
  env?: Record<string, string>;
  /** Whether the edit lands (default: when code is 0). */
  applied?: boolean;
}

const rnd = prng(20250901);
const cutCases: Case[] = [];
for (const [i, model] of ['openai/gpt-4.1', 'anthropic/claude-sonnet-4-5', 'ollama/qwen2.5-coder', 'openai/gpt-4.1', 'anthropic/claude-sonnet-4-5', 'ollama/qwen2.5-coder'].entries()) {
  const afterBytes = 40 + Math.floor(rnd() * 400);
  cutCases.push({
    name: `stream cut after ${afterBytes} bytes (seeded, #${i + 1}) on ${model}, then a good reply`,
    model,
    script: [{ ...GOOD, chunkSize: 6, cut: { afterBytes, mode: i % 2 === 0 ? 'destroy' : 'end' } }, GOOD],
    code: 0,
  });
}

const CASES: Case[] = [
  { name: '429 storm (3 in a row, retry-after-ms 1) then success', script: [reply.rateLimited({ retryAfterMs: 1 }), reply.rateLimited({ retryAfterMs: 1 }), reply.rateLimited({ retryAfterMs: 1 }), GOOD], code: 0 },
  {
    name: '429 storm longer than the retry budget',
    script: [1, 2, 3, 4].map(() => reply.rateLimited({ retryAfterMs: 1 })),
    code: 4,
    says: /rate|429/i,
  },
  { name: '429 asking to wait longer than assist waits', script: [reply.rateLimited({ retryAfter: 3600 })], code: 4, says: /wait/i },
  { name: '500 twice then success', script: [reply.serverError({ retryAfterMs: 1 }), reply.serverError({ retryAfterMs: 1 }), GOOD], code: 0 },
  { name: '500 on every attempt', script: [1, 2, 3, 4].map(() => reply.serverError({ retryAfterMs: 1 })), code: 4, says: /500|server/i },
  { name: '529 overloaded (anthropic) then success', model: 'anthropic/claude-sonnet-4-5', script: [reply.overloaded({ retryAfterMs: 1 }), GOOD], code: 0 },
  { name: '529 overloaded on every attempt (anthropic)', model: 'anthropic/claude-sonnet-4-5', script: [1, 2, 3, 4].map(() => reply.overloaded({ retryAfterMs: 1 })), code: 4, says: /overload|529/i },
  { name: '503 overloaded (ollama) then success', model: 'ollama/qwen2.5-coder', script: [reply.overloaded({ retryAfterMs: 1 }), GOOD], code: 0 },
  { name: '401 bad key: not retried', script: [reply.unauthorized()], code: 4, says: /key|auth|401/i },
  ...cutCases,
  { name: 'slow drip (4 chars a frame, 15 ms apart)', script: [{ ...GOOD, chunkSize: 4, frameDelayMs: 15 }], code: 0 },
  // A deadline of 4 s: the fake server lives in the worker, which runs the block's other CLI runs
  // meanwhile; with 1.5 s a request once timed out before the server had taken it (its scripted
  // reply never asked for), which is not the fault these cases are about.
  { name: 'hung request: no status line until the deadline', script: [reply.hang()], code: 4, says: /timed out|no response/i, env: { ASSIST_LLM__OPENAI__TIMEOUT_S: '4' } },
  { name: 'stream stalls mid-reply until the deadline', script: [{ ...GOOD, stallAfterFrames: 3 }], code: 4, says: /timed out|stall/i, env: { ASSIST_LLM__OPENAI__TIMEOUT_S: '4' } },
  { name: 'malformed SSE frame (openai) then success', script: [{ ...GOOD, garbageAfterFrames: 2 }, GOOD], code: 0 },
  { name: 'malformed SSE frame (anthropic) then success', model: 'anthropic/claude-sonnet-4-5', script: [{ ...GOOD, garbageAfterFrames: 4 }, GOOD], code: 0 },
  { name: 'malformed NDJSON line (ollama) then success', model: 'ollama/qwen2.5-coder', script: [{ ...GOOD, garbageAfterFrames: 2 }, GOOD], code: 0 },
  { name: 'error frame mid-stream then success', script: [{ ...GOOD, streamError: { afterFrames: 3, error: 'overloaded' } }, GOOD], code: 0 },
  {
    name: 'half an edit block (no REPLACE marker), then the model fixes it',
    script: [reply.text('a.txt\n```\n<<<<<<< SEARCH\none\n=======\ntwo\n'), GOOD],
    code: 0,
  },
  {
    name: 'edit block cut by the output limit (finish: length), then fixed',
    script: [reply.text('a.txt\n```\n<<<<<<< SEARCH\none\n=======\ntw', { finish: 'length' }), GOOD],
    code: 0,
  },
  {
    name: 'SEARCH that matches nothing, every time',
    script: [1, 2, 3, 4].map(() => reply.edits([{ path: 'a.txt', search: 'three\n', replace: 'four\n' }])),
    code: 1,
    says: /did not apply/,
  },
  {
    name: 'garbled markers (======= missing) every time',
    script: [1, 2, 3, 4].map(() => reply.text('a.txt\n```\n<<<<<<< SEARCH\none\n>>>>>>> REPLACE\n```\n')),
    code: 1,
    says: /did not apply/,
  },
];

describe.concurrent('provider faults through `assist run`', { timeout: CONCURRENT_CLI_TEST_MS }, () => {
  for (const c of CASES) {
    it(c.name, async ({ task }) => {
      task.meta.fault = 'provider';
      task.meta.faultCases = 1;
      task.meta.faultSurvived = 0;
      await using server = await startFakeLlm();
      await using repo = tempRepo({ files: { 'a.txt': 'one\n', 'staged.txt': 'x\n', 'unstaged.txt': 'y\n' } });
      const work = makeUserWork(repo);
      const head = repo.git('rev-parse', 'HEAD');
      server.enqueue(...c.script);
      const env = cliEnv(repo, server, { ...(c.model ? { ASSIST_MODEL: c.model } : {}), ...c.env });
      const r = await runCli(['run', '--yes', '--json', '-m', 'change one to two', 'a.txt'], { cwd: repo.dir, env, timeoutMs: 30_000 });
      const lost = lostUserWork(repo, work);
      task.meta.faultLost = lost.length;

      expect(hasStackTrace(r.stderr), r.stderr).toBe(false);
      expect(r.code, r.stderr).toBe(c.code);
      if (c.says) expect(r.stderr).toMatch(c.says);
      if (c.code !== 0) {
        // one clear line of error (plus an optional hint line)
        const errorLines = r.stderr.split('\n').filter((l) => /^error:/i.test(l));
        expect(errorLines, r.stderr).toHaveLength(1);
      }
      const applied = c.applied ?? c.code === 0;
      expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe(applied ? 'two\n' : 'one\n');
      if (!applied) expect(repo.git('log', '--all', '--format=%H', '--', 'a.txt').split('\n')).toEqual([head]);
      expect(lost).toEqual([]);
      expect(repoProblems(repo)).toEqual([]);
      expect(server.pendingReplies, 'every scripted reply was asked for').toBe(0);
      task.meta.faultSurvived = 1;
    });
  }
});
