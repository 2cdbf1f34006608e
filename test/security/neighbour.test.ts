import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reply, startFakeLlm } from '../fake-llm/index.js';
import { tempRepo } from '../helpers/git-repo.js';
import { cliEnv, runCli } from '../faults/harness.js';

/**
 * A curious neighbour: another user's process on the same machine. assist leaves nothing for it
 * in the shared temp directory (where it could plant a symlink for a write to follow), and the
 * audit log, which names every file sent to a model, is readable by its owner only (the rest of
 * `.git/assist` is as readable as the repository itself, by the umask).
 */
describe('a curious neighbour process', () => {
  it('nothing goes to the shared temp dir; audit.jsonl is 0600', async ({ task }) => {
    task.meta.fault = 'security';
    task.meta.faultSurvived = 0;
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'a.txt': 'one\n', 'b.txt': 'b\n' } });
    const tmp = join(dirname(repo.dir), 'shared-tmp');
    mkdirSync(tmp);
    const env = cliEnv(repo, server, { TMPDIR: tmp, TMP: tmp, TEMP: tmp });
    server.enqueue(reply.edits([{ path: 'a.txt', search: 'one\n', replace: 'two\n' }]), reply.edits([{ path: 'b.txt', search: 'b\n', replace: 'B\n' }]));
    for (const args of [['run', '--yes', '-m', 'edit a', 'a.txt'], ['run', '--yes', '-m', 'edit b'], ['undo'], ['redo'], ['checkpoint', 'create', 'x'], ['log'], ['session', 'finish']]) {
      const r = await runCli(args, { cwd: repo.dir, env });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    expect(readdirSync(tmp)).toEqual([]);
    const audit = join(repo.dir, '.git', 'assist', 'audit.jsonl');
    expect((statSync(audit).mode & 0o777).toString(8)).toBe('600');
    task.meta.faultSurvived = 1;
  });
});
