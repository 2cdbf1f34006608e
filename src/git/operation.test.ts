import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo, type TempRepo } from '../../test/helpers/git-repo.js';
import { AssistError } from '../errors.js';
import { openStore } from './index.js';
import { operationInProgress } from './operation.js';

/** `main` and `other` both change a.txt's one line: any operation between them stops on a conflict. */
function conflicting(): TempRepo {
  const repo = tempRepo({ files: { 'a.txt': 'one\n' } });
  repo.git('switch', '-q', '-c', 'other');
  repo.write('a.txt', 'other\n');
  repo.commitAll('other');
  repo.git('switch', '-q', 'main');
  repo.write('a.txt', 'main\n');
  repo.commitAll('main');
  return repo;
}

/** Runs a git command expected to stop half-way (exit 1 on the conflict). */
function stops(repo: TempRepo, ...args: string[]): void {
  try {
    execFileSync('git', args, { cwd: repo.dir, env: repo.env, stdio: 'ignore' });
  } catch {
    return;
  }
  throw new Error(`git ${args.join(' ')} did not stop`);
}

const gitDir = (repo: TempRepo): { gitDir: string } => ({ gitDir: join(repo.dir, '.git') });

describe('operationInProgress', () => {
  const cases: Array<[string, (repo: TempRepo) => void, string, string]> = [
    ['merge', (r) => stops(r, 'merge', 'other'), 'merge', 'git merge --abort'],
    ['rebase (merge backend)', (r) => stops(r, 'rebase', '--merge', 'other'), 'rebase', 'git rebase --abort'],
    ['rebase (apply backend)', (r) => stops(r, 'rebase', '--apply', 'other'), 'rebase', 'git rebase --abort'],
    ['cherry-pick', (r) => stops(r, 'cherry-pick', 'other'), 'cherry-pick', 'git cherry-pick --abort'],
    [
      'revert',
      (r) => {
        r.write('a.txt', 'later\n');
        r.commitAll('later');
        stops(r, 'revert', '--no-edit', 'HEAD~1');
      },
      'revert',
      'git revert --abort',
    ],
    ['bisect', (r) => r.git('bisect', 'start'), 'bisect', 'git bisect reset'],
    [
      'git am',
      (r) => {
        const patch = r.git('format-patch', '-1', '--stdout', 'other');
        writeFileSync(join(r.home, 'p.patch'), `${patch}\n`);
        stops(r, 'am', join(r.home, 'p.patch'));
      },
      'am',
      'git am --abort',
    ],
  ];

  it.each(cases)('sees a %s in progress', async (_name, make, kind, abort) => {
    await using repo = conflicting();
    expect(operationInProgress(gitDir(repo))).toBeNull();
    make(repo);
    expect(operationInProgress(gitDir(repo))).toMatchObject({ kind, abort });
  });

  it('reads the worktree of its own git dir, not the main one', async () => {
    await using repo = conflicting();
    stops(repo, 'merge', 'other');
    const linked = join(repo.home, 'linked');
    repo.git('worktree', 'add', '-q', linked, 'other~0');
    const paths = { gitDir: repo.git('-C', linked, 'rev-parse', '--path-format=absolute', '--git-dir') };
    expect(operationInProgress(paths)).toBeNull();
    expect(operationInProgress(gitDir(repo))?.kind).toBe('merge');
  });
});

async function refusalOf(p: Promise<unknown>): Promise<AssistError> {
  try {
    await p;
  } catch (error) {
    if (error instanceof AssistError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('store preflight and session start', () => {
  it('refuses a merge in progress without touching the index', async () => {
    await using repo = conflicting();
    stops(repo, 'merge', 'other');
    const index = readFileSync(join(repo.dir, '.git', 'index'));
    const store = await openStore({ cwd: repo.dir, env: repo.env });
    const e = await refusalOf(store.preflight());
    expect([e.code, e.exitCode]).toEqual(['git.operation-in-progress', 3]);
    expect(e.message).toBe('a merge is in progress: finish it with `git merge --continue` or abort it with `git merge --abort`, then run assist again');
    expect((await refusalOf(store.startSession())).code).toBe('git.operation-in-progress');
    expect(readFileSync(join(repo.dir, '.git', 'index')).equals(index)).toBe(true);
    expect(repo.git('symbolic-ref', '--short', 'HEAD')).toBe('main');
    store.close();
  });

  it('a branch named assist: refused before anything, --no-branch still works', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    repo.git('branch', 'assist');
    const store = await openStore({ cwd: repo.dir, env: repo.env });
    const e = await refusalOf(store.preflight());
    expect(e.code).toBe('git.branch-namespace-taken');
    expect(e.message).toContain('git branch -m assist <new-name>');
    expect(e.message).toContain('--no-branch');
    expect((await refusalOf(store.startSession())).code).toBe('git.branch-namespace-taken');
    expect(repo.git('config', '--list')).not.toMatch(/^branch\.assist\//m);
    await store.preflight({ noBranch: true });
    const { created } = await store.startSession({ noBranch: true });
    expect(created).toBe(true);
    store.close();
  });

  it('a start whose refs fail leaves no branch config behind', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    // A file where the chain's directory must go makes the ref transaction fail.
    mkdirSync(join(repo.dir, '.git', 'refs', 'assist'), { recursive: true });
    writeFileSync(join(repo.dir, '.git', 'refs', 'assist', 'log'), 'not a directory\n');
    const store = await openStore({ cwd: repo.dir, env: repo.env });
    await expect(store.startSession()).rejects.toThrow();
    expect(repo.git('config', '--list')).not.toMatch(/^branch\.assist\//m);
    expect(repo.git('symbolic-ref', '--short', 'HEAD')).toBe('main');
    expect(store.currentSession()).toBeNull();
    await expect(store.startSession({ noBranch: true })).rejects.toThrow();
    expect(repo.git('config', '--list')).not.toMatch(/assistnobranchsession/i);
    expect(store.currentSession()).toBeNull();
    store.close();
  });

  it('a session branch that moved under assist refuses before the request, not after', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const store = await openStore({ cwd: repo.dir, env: repo.env });
    await store.startSession();
    await store.preflight();
    repo.write('a.txt', 'mine\n');
    repo.commitAll('mine');
    await store.repo.reloadConfig();
    expect((await refusalOf(store.preflight())).code).toBe('git.branch-moved');
    store.close();
  });

  it('names files outside a sparse checkout', async () => {
    await using repo = tempRepo({ files: { 'in/a.txt': 'a\n', 'out/b.txt': 'b\n' } });
    repo.git('sparse-checkout', 'set', 'in');
    const store = await openStore({ cwd: repo.dir, env: repo.env });
    const found = await store.outsideSparseCone(['in/a.txt', 'out/b.txt', 'new.txt']);
    expect([...found.keys()]).toEqual(['out/b.txt']);
    expect(found.get('out/b.txt')?.reason).toContain('git sparse-checkout add out');
    store.close();
  });
});
