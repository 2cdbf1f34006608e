import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRepoPaths } from '../../src/git/repo-paths.js';
import { waitForRefresher } from '../../src/hooks/index.js';
import { reply, startFakeLlm, type FakeLlmServer } from '../fake-llm/index.js';
import { tempRepo, type TempRepo } from '../helpers/git-repo.js';
import { runCli } from '../helpers/run-cli.js';

interface StatusJson {
  files: number;
  fresh: number;
  stale: number;
  pending: number;
  queue: number;
  notFresh: { path: string; state: string }[];
  last: { trigger: string } | null;
}

async function status(repo: TempRepo, env = repo.env): Promise<StatusJson> {
  const r = await runCli(['summaries', 'status', '--json'], { cwd: repo.dir, env });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as StatusJson;
}

/** Git as a person types it: hooks run; returns what git printed. */
function gitByHand(repo: TempRepo, ...args: string[]): { code: number | null; out: string } {
  const r = spawnSync('git', args, { cwd: repo.dir, env: repo.env, encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

/** Polls `summaries status` until `done`, or fails at the deadline; returns the ms it took. */
async function until(repo: TempRepo, done: (s: StatusJson) => boolean, deadlineMs = 15_000): Promise<number> {
  const start = Date.now();
  let last: StatusJson | undefined;
  while (Date.now() - start < deadlineMs) {
    last = await status(repo);
    if (done(last)) return Date.now() - start;
  }
  throw new Error(`not fresh within ${deadlineMs} ms: ${JSON.stringify(last)}`);
}

async function settle(repo: TempRepo): Promise<void> {
  await waitForRefresher(await resolveRepoPaths(repo.dir, repo.env), 20_000);
}

const TS = (name: string): string => `export function ${name}(): number {\n  return 1;\n}\n`;

describe('assist summaries, through the built CLI', () => {
  it('a commit by hand with hooks installed makes the changed file fresh in the background, silently', async () => {
    await using repo = tempRepo({ files: { 'src/a.ts': TS('alpha'), 'src/b.ts': TS('beta') } });
    expect((await runCli(['hooks', 'install'], { cwd: repo.dir, env: repo.env })).code).toBe(0);
    // The first hook run summarises everything; let it finish so the commit below is the only change.
    expect(gitByHand(repo, 'commit', '-q', '--allow-empty', '-m', 'warm up')).toEqual({ code: 0, out: '' });
    await until(repo, (s) => s.fresh === 2);

    repo.write('src/a.ts', TS('alphaTwo'));
    expect(gitByHand(repo, 'commit', '-q', '-am', 'rename alpha')).toEqual({ code: 0, out: '' });
    const ms = await until(repo, (s) => s.fresh === 2 && s.queue === 0);
    expect(ms).toBeLessThan(15_000);
    const s = await status(repo);
    expect(s.last?.trigger).toBe('hook');
    const shown = await runCli(['summaries', 'show', 'src/a.ts'], { cwd: repo.dir, env: repo.env });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^src\/a\.ts {2}blob [0-9a-f]{12} {2}fresh {2}outline\n\nTypeScript, 3 lines; exports alphaTwo\n/);
    await settle(repo);
  });

  it('show says stale after an edit and fresh after refresh; status counts it', async () => {
    await using repo = tempRepo({ files: { 'lib/x.py': 'def x():\n    return 1\n', 'README.md': '# X\n' } });
    const opts = { cwd: repo.dir, env: repo.env };
    const before = await runCli(['summaries', 'status'], opts);
    expect(before.stdout).toContain('files: 2  fresh: 0  stale: 0  pending: 2');
    const refreshed = await runCli(['summaries', 'refresh'], opts);
    expect(refreshed.code, refreshed.stderr).toBe(0);
    expect(refreshed.stdout).toMatch(/^2 files: 0 already up to date, 2 outlined, 2 directories rolled up; \d+ ms\n$/);

    repo.write('lib/x.py', 'def x():\n    return 2\n\ndef y():\n    pass\n');
    const stale = await runCli(['summaries', 'show', 'x.py'], { cwd: `${repo.dir}/lib`, env: repo.env });
    expect(stale.code).toBe(0);
    expect(stale.stdout.split('\n')[0]).toMatch(/^lib\/x\.py {2}blob [0-9a-f]{12} {2}stale: describes blob [0-9a-f]{12} {2}outline$/);
    expect(stale.stdout).toContain('exports x\n');
    expect((await status(repo)).notFresh).toEqual([{ path: 'lib/x.py', state: 'stale' }]);

    expect((await runCli(['summaries', 'refresh'], opts)).code).toBe(0);
    const fresh = await runCli(['summaries', 'show', 'lib/x.py', '--json'], opts);
    expect(JSON.parse(fresh.stdout)).toMatchObject({ path: 'lib/x.py', fresh: true, kind: 'outline', text: expect.stringContaining('exports x, y') });
    const root = await runCli(['summaries', 'show', '.'], opts);
    expect(root.stdout).toContain('(repository)  fresh  roll-up\n\nrepository: 2 files, 1 sub-directory');
    expect(root.stdout).toContain('lib/ — 1 file (1 .py)');

    const none = await runCli(['summaries', 'show', 'nope.ts'], opts);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^error: nope\.ts is not a tracked file/);
  });

  it('rebase and checkout update the view: status reflects the checked-out content', async () => {
    await using repo = tempRepo({ files: { 'a.ts': TS('base'), 'b.ts': TS('other') } });
    expect((await runCli(['hooks', 'install'], { cwd: repo.dir, env: repo.env })).code).toBe(0);
    gitByHand(repo, 'checkout', '-q', '-b', 'topic');
    repo.write('a.ts', TS('topicChange'));
    expect(gitByHand(repo, 'commit', '-q', '-am', 'topic').out).toBe('');
    gitByHand(repo, 'checkout', '-q', 'main');
    repo.write('b.ts', TS('mainChange'));
    expect(gitByHand(repo, 'commit', '-q', '-am', 'main').out).toBe('');
    gitByHand(repo, 'checkout', '-q', 'topic');
    const rebase = gitByHand(repo, 'rebase', '-q', 'main');
    expect(rebase.code).toBe(0);
    await until(repo, (s) => s.fresh === 2 && s.queue === 0);
    const b = await runCli(['summaries', 'show', 'b.ts'], { cwd: repo.dir, env: repo.env });
    expect(b.stdout).toMatch(/fresh {2}outline\n\nTypeScript, 3 lines; exports mainChange/);
    const a = await runCli(['summaries', 'show', 'a.ts'], { cwd: repo.dir, env: repo.env });
    expect(a.stdout).toContain('exports topicChange');

    await settle(repo);
    gitByHand(repo, 'checkout', '-q', 'main~1');
    await until(repo, (s) => s.fresh === 2);
    expect((await runCli(['summaries', 'show', 'b.ts'], { cwd: repo.dir, env: repo.env })).stdout).toContain('exports other');
    await settle(repo);
  });

  describe('with summaries.use_model and the fake model server', () => {
    let server: FakeLlmServer;
    beforeAll(async () => {
      server = await startFakeLlm();
    });
    afterAll(async () => {
      await server.close();
    });

    it('writes model summaries, never sends .env, and reports a failed call as pending', async () => {
      await using repo = tempRepo({ files: { 'a.ts': TS('a'), '.env': 'API_TOKEN=hunter2hunter2\n' } });
      const env = { ...repo.env, ...server.env(), ASSIST_WEAK_MODEL: 'openai/fake-weak', ASSIST_SUMMARIES__USE_MODEL: 'true' };
      server.reset();
      const failed = await runCli(['summaries', 'refresh'], { cwd: repo.dir, env });
      expect(failed.code).toBe(0);
      expect(failed.stdout).toContain('0 summarised by openai/fake-weak');
      expect(failed.stderr).toMatch(/^warning: a\.ts: model call failed \(.*\); it stays pending$/m);
      expect((await status(repo, env)).notFresh).toEqual([{ path: 'a.ts', state: 'failed' }]);

      server.defaultReply = reply.text('Returns one.', { usage: { input: 90, output: 4 } });
      const ok = await runCli(['summaries', 'refresh', '--json'], { cwd: repo.dir, env });
      expect(JSON.parse(ok.stdout)).toMatchObject({ models: 1, tokens: 94, skipped: ['.env'], failed: [] });
      const shown = await runCli(['summaries', 'show', 'a.ts'], { cwd: repo.dir, env });
      expect(shown.stdout).toMatch(/fresh {2}model openai\/fake-weak\n\nReturns one\.\n$/);
      expect(server.requests.some((r) => r.rawBody.includes('hunter2'))).toBe(false);
      expect(server.requests.length).toBeGreaterThanOrEqual(2);
    });
  });
});
