import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo, type TempRepo } from '../../test/helpers/git-repo.js';
import { Repo } from './repo.js';

const REF = 'refs/assist/log/s1';

/** A repository with two commits, and a Repo whose git processes (if any) write a trace2 line each to `trace`. */
async function setup(repo: TempRepo): Promise<{ store: Repo; a: string; b: string; trace: string }> {
  repo.write('x.txt', 'one\n');
  const a = repo.commitAll('one');
  repo.write('x.txt', 'two\n');
  const b = repo.commitAll('two');
  const trace = join(repo.home, 'trace2.txt');
  const store = await Repo.open(repo.dir, { ...repo.env, GIT_TRACE2: trace });
  rmSync(trace, { force: true });
  return { store, a, b, trace };
}

/** The git commands started since the last call (trace2 `start` lines). */
function gitStarted(trace: string): string[] {
  if (!existsSync(trace)) return [];
  const lines = readFileSync(trace, 'utf8')
    .split('\n')
    .filter((l) => / start /.test(l))
    .map((l) => l.replace(/^.* start /, ''));
  rmSync(trace, { force: true });
  return lines;
}

describe('updateRefs on a ref of assist\'s own', () => {
  it('creates and moves it without a git process, compare-and-swap included; git reads what was written', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const { store, a, b, trace } = await setup(repo);
    await store.updateRefs([{ ref: REF, value: a, old: null }]);
    await store.updateRefs([{ ref: REF, value: b, old: a }]);
    expect(gitStarted(trace)).toEqual([]);
    expect(repo.git('rev-parse', REF)).toBe(b);
    expect(existsSync(join(repo.dir, '.git', `${REF}.lock`))).toBe(false);
    expect(readFileSync(join(repo.dir, '.git', REF), 'utf8')).toBe(`${b}\n`);

    // A stale expectation changes nothing and says so, as git's transaction does.
    await expect(store.updateRefs([{ ref: REF, value: a, old: a }])).rejects.toMatchObject({ code: 'git.ref-moved' });
    await expect(store.updateRefs([{ ref: REF, value: a, old: null }])).rejects.toMatchObject({ code: 'git.ref-moved' });
    expect(repo.git('rev-parse', REF)).toBe(b);
    expect(existsSync(join(repo.dir, '.git', `${REF}.lock`))).toBe(false);
    expect(gitStarted(trace)).toEqual([]);
    store.close();
  });

  it('checks a packed ref as git does, and the loose file it writes wins over the packed one', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const { store, a, b, trace } = await setup(repo);
    repo.git('update-ref', REF, a);
    repo.git('pack-refs', '--all', '--prune');
    expect(existsSync(join(repo.dir, '.git', REF))).toBe(false);
    await expect(store.updateRefs([{ ref: REF, value: b, old: b }])).rejects.toMatchObject({ code: 'git.ref-moved' });
    await store.updateRefs([{ ref: REF, value: b, old: a }]);
    expect(gitStarted(trace)).toEqual([]);
    expect(repo.git('rev-parse', REF)).toBe(b);
    expect(repo.git('for-each-ref', '--format=%(objectname)', REF)).toBe(b);
    store.close();
  });

  it('leaves to git a ref another writer has locked: git reports the lock and nothing moves', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const { store, a, b, trace } = await setup(repo);
    repo.git('update-ref', REF, a);
    writeFileSync(join(repo.dir, '.git', `${REF}.lock`), '');
    await expect(store.updateRefs([{ ref: REF, value: b, old: a }])).rejects.toMatchObject({ code: 'git.ref-moved' });
    expect(gitStarted(trace).some((l) => l.includes('update-ref'))).toBe(true);
    expect(repo.git('rev-parse', REF)).toBe(a);
    store.close();
  });

  it('leaves to git a ref with a reflog, and any ref when a reference-transaction hook is installed: both get what git does', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const { store, a, b, trace } = await setup(repo);
    repo.git('update-ref', '--create-reflog', REF, a);
    await store.updateRefs([{ ref: REF, value: b, old: a }], 'assist: step');
    expect(gitStarted(trace).some((l) => l.includes('update-ref'))).toBe(true);
    expect(repo.git('reflog', 'show', '--format=%gs', REF).split('\n')[0]).toBe('assist: step');

    const hooks = join(repo.dir, '.git', 'hooks');
    mkdirSync(hooks, { recursive: true });
    const seen = join(repo.home, 'hook-saw.txt');
    writeFileSync(join(hooks, 'reference-transaction'), `#!/bin/sh\ncat >> '${seen}'\n`);
    chmodSync(join(hooks, 'reference-transaction'), 0o755);
    await store.updateRefs([{ ref: 'refs/assist/log/s2', value: a, old: null }]);
    expect(readFileSync(seen, 'utf8')).toContain('refs/assist/log/s2');
    expect(repo.git('rev-parse', 'refs/assist/log/s2')).toBe(a);
    store.close();
  });

  it('leaves to git the refs outside refs/assist/ and core.logAllRefUpdates=always', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const { store, a, b, trace } = await setup(repo);
    await store.updateRefs([{ ref: 'refs/heads/side', value: a, old: null }]);
    expect(gitStarted(trace).some((l) => l.includes('update-ref'))).toBe(true);
    expect(repo.git('rev-parse', 'refs/heads/side')).toBe(a);

    repo.git('config', 'core.logAllRefUpdates', 'always');
    await store.reloadConfig();
    gitStarted(trace);
    await store.updateRefs([{ ref: REF, value: b, old: null }], 'assist: logged');
    expect(gitStarted(trace).some((l) => l.includes('update-ref'))).toBe(true);
    expect(repo.git('reflog', 'show', '--format=%gs', REF)).toBe('assist: logged');
    store.close();
  });
});
