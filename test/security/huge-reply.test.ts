import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reply, startFakeLlm } from '../fake-llm/index.js';
import { cliEnv, hasStackTrace, runCli } from '../faults/harness.js';
import { fixture } from './fixture.js';
import { diffWorld, hashWorld } from './tree-hash.js';

/**
 * A model reply carrying a 100 MB file (a runaway, or a hostile OpenAI-compatible server that
 * ignores max_tokens): the edit is refused by the size limit (context.max_file_bytes), nothing is
 * written. Its own file so it runs beside the other hostile replies.
 */
describe('a 100 MB reply', () => {
  it('a 100 MB reply file is refused without writing it', async ({ task }) => {
    task.meta.fault = 'security';
    task.meta.faultSurvived = 0;
    await using server = await startFakeLlm();
    await using repo = fixture();
    const base = dirname(repo.dir);
    server.defaultReply = reply.text('I will not do that.');
    // 256 KiB frames: the openai SDK looks for a frame's end from the frame's start again at each
    // network read, so 4 MiB frames cost the CLI over 30 s of CPU in that search alone; what is
    // tested is the reply's size, which stays 100 MB.
    server.enqueue(reply.edits([{ path: 'huge.txt', search: '', replace: `${'0123456789abcdef'.repeat((100 * 1024 * 1024) / 16)}\n` }], { chunkSize: 256 * 1024 }));
    const before = hashWorld(base, repo.dir, repo.env);
    const r = await runCli(['run', '--yes', '--json', '-m', 'make a big file'], { cwd: repo.dir, env: cliEnv(repo, server, { ASSIST_SESSION__MAX_REFLECTIONS: '0' }), timeoutMs: 60_000 });
    const escaped = diffWorld(before, hashWorld(base, repo.dir, repo.env));
    task.meta.faultLost = escaped.length;
    expect(hasStackTrace(r.stderr), r.stderr).toBe(false);
    expect(escaped).toEqual([]);
    expect(existsSync(join(repo.dir, 'huge.txt'))).toBe(false);
    // Over context.max_file_bytes: the model cannot fix that, so it is refused at once, not retried.
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/not editable: huge\.txt: .*context\.max_file_bytes/);
    expect(server.requests.filter((q) => q.provider !== undefined)).toHaveLength(1);
    task.meta.faultSurvived = 1;
  }, 90_000);
});
