import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo } from '../helpers/git-repo.js';
import { runCli, cliPath } from '../helpers/run-cli.js';
import { startTerminal } from '../helpers/tmux.js';
import { requireTool } from '../helpers/system-tools.js';
import { startFakeLlm, reply } from '../fake-llm/index.js';

const tmux = await requireTool('tmux');

const EDIT = { path: 'a.txt', search: 'one\n', replace: 'two\n' };

describe('model faults seen through assist run', () => {
  it('429 with retry-after, then success: the edit is committed once', async () => {
    await using server = await startFakeLlm();
    const repo = tempRepo({ files: { 'a.txt': 'one\n' } });
    try {
      server.enqueue(reply.rateLimited({ retryAfterMs: 20 }), reply.edits([EDIT]));
      const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'anthropic/claude-sonnet-4-5', ASSIST_CONTEXT__MAP_TOKENS: '0' };
      const r = await runCli(['run', '--yes', '--json', '-m', 'change it'], { cwd: repo.dir, env });
      expect(r.code, r.stderr).toBe(0);
      expect(server.requests).toHaveLength(2);
      expect((JSON.parse(r.stdout) as { commits: string[] }).commits).toHaveLength(1);
      expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('two\n');
    } finally {
      repo.cleanup();
    }
  });

  it('repeated 5xx: the fallback model answers, and the commit names it', async () => {
    await using server = await startFakeLlm();
    const repo = tempRepo({ files: { 'a.txt': 'one\n' } });
    try {
      server.enqueueFor({ provider: 'openai' }, ...Array.from({ length: 4 }, () => reply.serverError({ retryAfterMs: 1 })));
      server.enqueueFor({ provider: 'ollama' }, reply.edits([EDIT]));
      const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_FALLBACK: 'ollama/qwen2.5-coder', ASSIST_CONTEXT__MAP_TOKENS: '0' };
      const r = await runCli(['run', '--yes', '--json', '-m', 'change it'], { cwd: repo.dir, env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('trying ollama/qwen2.5-coder');
      const commit = (JSON.parse(r.stdout) as { commits: string[] }).commits[0]!;
      expect(repo.git('log', '-1', '--format=%(trailers:key=Assist-Model,valueonly)', commit).trim()).toBe('ollama/qwen2.5-coder');
      expect(server.requests.filter((q) => q.provider === 'openai')).toHaveLength(4);
    } finally {
      repo.cleanup();
    }
  });

  it('a stream dropped mid-edit is retried from the start; nothing partial is applied or repeated', async () => {
    await using server = await startFakeLlm();
    const repo = tempRepo({ files: { 'a.txt': 'one\n' } });
    try {
      const edits = reply.edits([EDIT], { before: 'UNIQUE-PREAMBLE', chunkSize: 12 });
      server.enqueue({ ...edits, cut: { afterFrames: 6 } }, edits);
      const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '0' };
      const r = await runCli(['run', '--yes', '--json', '-m', 'change it'], { cwd: repo.dir, env });
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { reply: string; commits: string[] };
      expect(out.reply.match(/UNIQUE-PREAMBLE/g)).toHaveLength(1);
      expect(out.commits).toHaveLength(1);
      expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('two\n');
    } finally {
      repo.cleanup();
    }
  });

  it('a hung request times out with a clear message, exit 4, nothing written', async () => {
    await using server = await startFakeLlm();
    const repo = tempRepo({ files: { 'a.txt': 'one\n' } });
    try {
      server.enqueue(reply.hang());
      mkdirSync(join(repo.home, '.config', 'assist'), { recursive: true });
      writeFileSync(join(repo.home, '.config', 'assist', 'config.toml'), '[llm.openai]\ntimeout_s = 1\n');
      const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '0' };
      const started = Date.now();
      const r = await runCli(['run', '--yes', '-m', 'change it'], { cwd: repo.dir, env });
      expect(r.code).toBe(4);
      expect(Date.now() - started).toBeLessThan(15_000);
      const firstError = r.stderr.split('\n').find((l) => l.startsWith('error:')) ?? '';
      expect(firstError).toMatch(/time|timed out/i);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('one\n');
    } finally {
      repo.cleanup();
    }
  });
});

describe('Ctrl-C in the chat', tmux.options, () => {
  it('stops the reply mid-stream, applies nothing from it, and the session goes on', async () => {
    await using server = await startFakeLlm();
    const repo = tempRepo({ files: { 'a.txt': 'one\n' } });
    const term = startTerminal([process.execPath, cliPath, 'chat', '--yes'], {
      cwd: repo.dir,
      env: { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '0' },
    });
    try {
      server.enqueue(
        reply.edits([EDIT], { before: 'SLOW-START '.repeat(3), chunkSize: 4, frameDelayMs: 150 }),
        reply.edits([{ path: 'a.txt', search: 'one\n', replace: 'three\n' }]),
      );
      await term.waitFor('/help for commands');
      term.type('change it');
      term.press('Enter');
      await term.waitFor('SLOW-START');
      term.press('C-c');
      await term.waitFor('stopped: nothing from this reply was applied');
      expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('one\n');
      term.type('try again');
      term.press('Enter');
      await term.waitFor(/committed [0-9a-f]{10}/);
      expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('three\n');
      expect(term.exited()).toBe(false);
      term.press('C-d');
    } finally {
      term.kill();
      repo.cleanup();
    }
  });
});
