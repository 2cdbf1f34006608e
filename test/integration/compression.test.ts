import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo } from '../helpers/git-repo.js';
import { runCli } from '../helpers/run-cli.js';
import { startFakeLlm, reply, type RecordedRequest } from '../fake-llm/index.js';

describe('a long conversation in a small window', () => {
  it('completes thanks to history compression against a server that rejects oversized requests', async () => {
    await using server = await startFakeLlm();
    // Room for the system prompt and the tool definitions (semantic_search and run_tests' workspace
    // arguments grew them) plus a few exchanges: below the compression threshold, with nothing else.
    const WINDOW = 3400;
    server.contextWindow = WINDOW;
    const repo = tempRepo({ files: { 'a.txt': 'one\n' } });
    try {
      mkdirSync(join(repo.home, '.config', 'assist'), { recursive: true });
      writeFileSync(join(repo.home, '.config', 'assist', 'config.toml'), `[models."openai/gpt-4.1"]\ncontext_window = ${WINDOW}\nmax_output = 512\n`);
      // Summaries are asked for with a system prompt about summarising; answer those briefly.
      const answer = (request: RecordedRequest) =>
        JSON.stringify(request.body).includes('You summarise a conversation')
          ? reply.text('SUMMARY: we discussed topics one to many.')
          : reply.text(`Reply about it. ${'Lorem ipsum dolor sit amet, consectetur. '.repeat(25)}`);
      const turns = 10;
      for (let i = 0; i < turns * 2; i++) server.enqueue(answer);
      const input = Array.from({ length: turns }, (_, i) => `Question ${i}: ${'tell me more about this long topic please. '.repeat(35)}`).join('\n') + '\n';
      const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '0' };
      const r = await runCli(['chat'], { cwd: repo.dir, env, input, timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('compressing');
      expect(r.stderr).not.toMatch(/error:/);
      const answered = server.requests.filter((q) => !JSON.stringify(q.body).includes('You summarise a conversation'));
      expect(answered).toHaveLength(turns);
      // Every request fitted the window the server enforces (it would have answered 400 otherwise).
      for (const q of server.requests) expect(q.promptTokens).toBeLessThanOrEqual(WINDOW);
      // The last request still carries what came before, as a summary.
      expect(JSON.stringify(answered[turns - 1]!.body)).toContain('SUMMARY:');
    } finally {
      repo.cleanup();
    }
  });
});
