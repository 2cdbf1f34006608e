import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it, type TestOptions } from 'vitest';
import { reply, startFakeLlm } from '../fake-llm/index.js';
import { tempRepo } from '../helpers/git-repo.js';
import { CONCURRENT_CLI_TEST_MS } from '../helpers/run-cli.js';
import { cliEnv, cliPath, hasStackTrace, inNamespace, lostUserWork, makeUserWork, namespacesWork, repoProblems, runCli } from './harness.js';

/**
 * The machine misbehaves: two writers at once, a stale `index.lock`, a read-only directory, a full
 * disk. Each ends with a clear message (or success), the repository consistent, the user's work
 * intact, and the next start working.
 */

const canUnshare = await namespacesWork();
// The mounts these faults need come from a user namespace (`unshare -Urm`); without one they are skipped, with the reason.
const withMounts: TestOptions = canUnshare ? {} : { skip: true, meta: { skipReason: 'no user namespace with mounts here (unshare -Urm failed)' } };

function lines(text: string): string[] {
  return text.split('\n').filter((l) => /^error:/i.test(l));
}

describe.concurrent('the machine misbehaves', { timeout: CONCURRENT_CLI_TEST_MS }, () => {
  it('two `assist run` at once in one session: the lock serialises them, both commit', async ({ task }) => {
    task.meta.fault = 'process';
    task.meta.faultSurvived = 0;
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'a.txt': 'a\n', 'b.txt': 'b\n', 'c.txt': 'c\n', 'staged.txt': 's\n', 'unstaged.txt': 'u\n' } });
    const env = cliEnv(repo, server);
    server.enqueue(reply.edits([{ path: 'a.txt', search: 'a\n', replace: 'A\n' }]));
    expect((await runCli(['run', '--yes', '-m', 'start'], { cwd: repo.dir, env })).code).toBe(0);
    const work = makeUserWork(repo);
    server.enqueue(
      (req) => reply.edits([{ path: JSON.stringify(req.messages).includes('edit b') ? 'b.txt' : 'c.txt', search: JSON.stringify(req.messages).includes('edit b') ? 'b\n' : 'c\n', replace: 'X\n' }]),
      (req) => reply.edits([{ path: JSON.stringify(req.messages).includes('edit b') ? 'b.txt' : 'c.txt', search: JSON.stringify(req.messages).includes('edit b') ? 'b\n' : 'c\n', replace: 'X\n' }]),
    );
    const [one, two] = await Promise.all([
      runCli(['run', '--yes', '--json', '-m', 'edit b'], { cwd: repo.dir, env }),
      runCli(['run', '--yes', '--json', '-m', 'edit c'], { cwd: repo.dir, env }),
    ]);
    task.meta.faultLost = lostUserWork(repo, work).length;
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);
    expect(readFileSync(join(repo.dir, 'b.txt'), 'utf8')).toBe('X\n');
    expect(readFileSync(join(repo.dir, 'c.txt'), 'utf8')).toBe('X\n');
    expect(repo.git('log', '--format=%s', '-3').split('\n')).toHaveLength(3);
    expect(repo.git('status', '--porcelain', '--', 'a.txt', 'b.txt', 'c.txt')).toBe('');
    expect(lostUserWork(repo, work)).toEqual([]);
    expect(repoProblems(repo)).toEqual([]);
    expect((await runCli(['log'], { cwd: repo.dir, env })).code).toBe(0);
    task.meta.faultSurvived = 1;
  });

  it('two `assist run` at once on a repository with no session: the second continues the session the first started', async ({ task }) => {
    task.meta.fault = 'process';
    task.meta.faultSurvived = 0;
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'b.txt': 'b\n', 'c.txt': 'c\n', 'staged.txt': 's\n', 'unstaged.txt': 'u\n' } });
    const work = makeUserWork(repo);
    const env = cliEnv(repo, server);
    const edit = (req: { messages: { content: string }[] }): ReturnType<typeof reply.edits> => {
      const b = JSON.stringify(req.messages).includes('edit b');
      return reply.edits([{ path: b ? 'b.txt' : 'c.txt', search: b ? 'b\n' : 'c\n', replace: 'X\n' }]);
    };
    server.enqueue(edit, edit);
    const results = await Promise.all([
      runCli(['run', '--yes', '--json', '-m', 'edit b'], { cwd: repo.dir, env }),
      runCli(['run', '--yes', '--json', '-m', 'edit c'], { cwd: repo.dir, env }),
    ]);
    task.meta.faultLost = lostUserWork(repo, work).length;
    for (const r of results) {
      expect(hasStackTrace(r.stderr), r.stderr).toBe(false);
      expect(r.code, r.stderr).toBe(0);
    }
    const sessions = results.map((r) => (JSON.parse(r.stdout) as { session: string }).session);
    expect(sessions[0]).toBe(sessions[1]);
    expect(repo.git('branch', '--list', 'assist/*').split('\n')).toHaveLength(1);
    // Every file is either untouched or committed on the branch HEAD is on.
    for (const f of ['b.txt', 'c.txt']) {
      const content = readFileSync(join(repo.dir, f), 'utf8');
      expect(repo.git('show', `HEAD:${f}`)).toBe(content.trimEnd());
    }
    expect(lostUserWork(repo, work)).toEqual([]);
    expect(repoProblems(repo)).toEqual([]);
    server.enqueue(reply.edits([{ path: 'next.txt', search: '', replace: 'n\n' }]));
    const next = await runCli(['run', '--yes', '-m', 'next'], { cwd: repo.dir, env });
    expect(next.code, next.stderr).toBe(0);
    task.meta.faultSurvived = 1;
  });

  it('a stale .git/index.lock: a clear message, and after it is removed the next start is consistent', async ({ task }) => {
    task.meta.fault = 'process';
    task.meta.faultSurvived = 0;
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'a.txt': 'a\n', 'staged.txt': 's\n', 'unstaged.txt': 'u\n' } });
    const work = makeUserWork(repo);
    const env = cliEnv(repo, server);
    writeFileSync(join(repo.dir, '.git', 'index.lock'), '');
    server.enqueue(reply.edits([{ path: 'a.txt', search: 'a\n', replace: 'A\n' }]));
    const r = await runCli(['run', '--yes', '-m', 'edit a'], { cwd: repo.dir, env });
    expect(hasStackTrace(r.stderr), r.stderr).toBe(false);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('index.lock');
    expect(lines(r.stderr)).toHaveLength(1);
    task.meta.faultLost = lostUserWork(repo, work).length;
    // The person removes the stale lock, as git itself tells them to.
    rmSync(join(repo.dir, '.git', 'index.lock'));
    server.enqueue(reply.edits([{ path: 'next.txt', search: '', replace: 'n\n' }]));
    const next = await runCli(['run', '--yes', '-m', 'next'], { cwd: repo.dir, env });
    expect(next.code, next.stderr).toBe(0);
    const a = readFileSync(join(repo.dir, 'a.txt'), 'utf8');
    expect(['a\n', 'A\n']).toContain(a);
    expect(repo.git('show', 'HEAD:a.txt')).toBe(a.trimEnd());
    expect(repo.git('status', '--porcelain', '--', 'a.txt', 'next.txt')).toBe('');
    expect(lostUserWork(repo, work)).toEqual([]);
    expect(repoProblems(repo)).toEqual([]);
    task.meta.faultSurvived = 1;
  });

  it('a read-only directory (bind mount, binds root too): the batch fails whole, the next start rolls back', withMounts, async ({ task }) => {
    task.meta.fault = 'process';
    task.meta.faultSurvived = 0;
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'a.txt': 'a\n', 'ro/x.txt': 'x\n', 'staged.txt': 's\n', 'unstaged.txt': 'u\n' } });
    const work = makeUserWork(repo);
    const env = cliEnv(repo, server);
    server.enqueue(
      reply.edits([
        { path: 'a.txt', search: 'a\n', replace: 'A\n' },
        { path: 'ro/x.txt', search: 'x\n', replace: 'X\n' },
      ]),
    );
    const ro = join(repo.dir, 'ro');
    const script = `mount --bind '${ro}' '${ro}' && mount -o remount,ro,bind '${ro}' && cd '${repo.dir}' && (node '${cliPath}' run --yes -m 'edit a and x' || echo "exit=$?" >&2)`;
    const r = await inNamespace(script, env);
    expect(r).not.toBeNull();
    expect(hasStackTrace(r!.stderr), r!.stderr).toBe(false);
    expect(r!.stderr).toMatch(/exit=1/);
    expect(r!.stderr).toMatch(/read-only/i);
    task.meta.faultLost = lostUserWork(repo, work).length;
    server.enqueue(reply.edits([{ path: 'next.txt', search: '', replace: 'n\n' }]));
    const next = await runCli(['run', '--yes', '-m', 'next'], { cwd: repo.dir, env });
    expect(next.code, next.stderr).toBe(0);
    const a = readFileSync(join(repo.dir, 'a.txt'), 'utf8');
    const x = readFileSync(join(repo.dir, 'ro/x.txt'), 'utf8');
    expect(`${a}${x}`).toBe('a\nx\n');
    expect(repo.git('status', '--porcelain', '--', 'a.txt', 'ro')).toBe('');
    expect(lostUserWork(repo, work)).toEqual([]);
    expect(repoProblems(repo)).toEqual([]);
    task.meta.faultSurvived = 1;
  });

  // Free bytes left on a 4 MiB tmpfs holding the repository: the 300 KB reply fails at different steps.
  for (const free of [0, 64 * 1024, 400 * 1024, 900 * 1024]) {
    it(`a full disk (tmpfs with ${free / 1024} KiB free): a clear message, nothing lost, the next start works`, withMounts, async ({ task }) => {
      task.meta.fault = 'process';
      task.meta.faultSurvived = 0;
      await using server = await startFakeLlm();
      await using repo = tempRepo({ files: { 'a.txt': 'a\n', 'staged.txt': 's\n', 'unstaged.txt': 'u\n' } });
      const work = makeUserWork(repo, { 'a.txt': 'user a\n' });
      const env = cliEnv(repo, server);
      const big = randomBytes(225 * 1024).toString('base64');
      server.enqueue(
        reply.edits([
          { path: 'a.txt', search: 'user a\n', replace: 'A\n' },
          { path: 'big.txt', search: '', replace: `${big}\n` },
        ]),
      );
      server.enqueue(reply.edits([{ path: 'next.txt', search: '', replace: 'n\n' }]));
      const base = dirname(repo.dir);
      const script = [
        `cp -a '${repo.dir}' '${base}/stash'`,
        `mount -t tmpfs -o size=4m tmpfs '${repo.dir}'`,
        `cp -a '${base}/stash/.' '${repo.dir}/'`,
        `cd '${repo.dir}'`,
        `fill() { avail=$(( $(stat -f -c '%a*%S' .) )); n=$(( avail - ${free} )); if [ $n -gt 0 ]; then head -c $n /dev/zero > .git/filler 2>/dev/null || true; fi; }`,
        'fill',
        `set +e; node '${cliPath}' run --yes -m 'edit a, add big' > '${base}/out1' 2> '${base}/err1'; echo $? > '${base}/code1'; set -e`,
        'rm -f .git/filler',
        `set +e; node '${cliPath}' run --yes -m 'next' > '${base}/out2' 2> '${base}/err2'; echo $? > '${base}/code2'; set -e`,
        `cp -a '${repo.dir}/.' '${base}/after'`,
      ].join('\n');
      const r = await inNamespace(script, env);
      expect(r, 'namespace').not.toBeNull();
      expect(r!.code, r!.stderr).toBe(0);
      renameSync(repo.dir, `${base}/before`);
      renameSync(`${base}/after`, repo.dir);
      const code1 = Number(readFileSync(`${base}/code1`, 'utf8'));
      const err1 = readFileSync(`${base}/err1`, 'utf8');
      const err2 = readFileSync(`${base}/err2`, 'utf8');
      task.meta.faultLost = lostUserWork(repo, work).length;
      expect(hasStackTrace(err1), err1).toBe(false);
      if (code1 !== 0) {
        expect(err1).toMatch(/no space|ENOSPC|disk|quota/i);
        expect(lines(err1)).toHaveLength(1);
      }
      expect(Number(readFileSync(`${base}/code2`, 'utf8')), err2).toBe(0);
      // all old or all new and committed
      const a = readFileSync(join(repo.dir, 'a.txt'), 'utf8');
      const hasBig = existsSync(join(repo.dir, 'big.txt'));
      expect([a === 'user a\n' && !hasBig, a === 'A\n' && hasBig]).toContain(true);
      expect(repo.git('status', '--porcelain', '--', 'big.txt')).toBe('');
      expect(lostUserWork(repo, work)).toEqual([]);
      expect(repoProblems(repo)).toEqual([]);
      task.meta.faultSurvived = 1;
    });
  }
});
