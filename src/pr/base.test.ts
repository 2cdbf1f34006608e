import { describe, expect, it } from 'vitest';
import { tempRepo, type TempRepo } from '../../test/helpers/git-repo.js';
import { gitRunner } from './git.js';
import { resolveBase, slugify } from './base.js';

/** main (pushed to origin), origin/main one commit ahead of the local main, and a local feature branch. */
function clone(): { repo: TempRepo; remote: TempRepo; local: string; ahead: string } {
  const remote = tempRepo({ bare: true });
  const repo = tempRepo({ files: { 'a.txt': '1\n' } });
  repo.git('remote', 'add', 'origin', remote.dir);
  repo.write('a.txt', '2\n');
  const ahead = repo.commitAll('ahead');
  repo.git('push', '-q', 'origin', 'main');
  repo.git('fetch', '-q', 'origin');
  repo.git('reset', '-q', '--hard', 'HEAD~1');
  const local = repo.git('rev-parse', 'HEAD');
  repo.git('switch', '-q', '-c', 'feature');
  return { repo, remote, local, ahead };
}

describe('resolveBase', () => {
  it('follows the order: --base, GITHUB_BASE_REF, GitLab, origin/HEAD, the current branch', async () => {
    const { repo, remote, local, ahead } = clone();
    try {
      const git = gitRunner(repo.dir, repo.env);
      const base = (flag: string | undefined, env: NodeJS.ProcessEnv = {}) => resolveBase({ git, flag, env, remote: 'origin' });

      // --base uses git's own meaning of the name: the local branch.
      expect(await base('main')).toEqual({ name: 'main', ref: 'refs/heads/main', commit: local, source: '--base' });
      expect(await base('origin/main')).toMatchObject({ name: 'main', ref: 'refs/remotes/origin/main', commit: ahead });
      expect(await base(local.slice(0, 10))).toEqual({ name: null, ref: null, commit: local, source: '--base' });
      // A name CI gives is the server's branch: the remote's copy wins over a stale local one.
      expect(await base(undefined, { GITHUB_BASE_REF: 'main' })).toEqual({ name: 'main', ref: 'refs/remotes/origin/main', commit: ahead, source: 'GITHUB_BASE_REF' });
      expect(await base(undefined, { CI_MERGE_REQUEST_TARGET_BRANCH_NAME: 'main' })).toMatchObject({ commit: ahead, source: 'CI_MERGE_REQUEST_TARGET_BRANCH_NAME' });
      expect(await base('feature', { GITHUB_BASE_REF: 'main' })).toMatchObject({ name: 'feature', source: '--base' });
      // No CI variable, no origin/HEAD: the current branch.
      expect(await base(undefined, { GITHUB_BASE_REF: '' })).toEqual({ name: 'feature', ref: 'refs/heads/feature', commit: local, source: 'the current branch' });
      repo.git('remote', 'set-head', 'origin', 'main');
      expect(await base(undefined)).toEqual({ name: 'main', ref: 'refs/remotes/origin/main', commit: ahead, source: 'refs/remotes/origin/HEAD' });
      repo.git('remote', 'set-head', 'origin', '-d');
      repo.git('switch', '-q', '--detach', 'HEAD');
      expect(await base(undefined)).toEqual({ name: null, ref: null, commit: local, source: 'HEAD' });

      await expect(base('nope')).rejects.toMatchObject({ code: 'pr.base-not-found', exitCode: 2 });
      await expect(base(undefined, { GITHUB_BASE_REF: 'gone' })).rejects.toMatchObject({ code: 'pr.base-not-found' });
      await expect(base('--upload-pack=evil')).rejects.toMatchObject({ code: 'pr.bad-base' });
    } finally {
      repo.cleanup();
      remote.cleanup();
    }
  });

  it('refuses a repository without commits', async () => {
    await using repo = tempRepo();
    await expect(resolveBase({ git: gitRunner(repo.dir, repo.env), env: {}, remote: 'origin' })).rejects.toMatchObject({ code: 'pr.no-base' });
  });
});

describe('slugify', () => {
  it.each([
    ['Upgrade the logger to v3', 'upgrade-the-logger-to-v3'],
    ['  Fix: crash in `parse()` when input is empty!  ', 'fix-crash-in-parse-when-input-is-empty'],
    ['Écrire la fonction résumé', 'ecrire-la-fonction-resume'],
    ['$(touch pwned); rm -rf /', 'touch-pwned-rm-rf'],
    ['日本語だけ', 'task'],
    ['', 'task'],
    ['a'.repeat(60), 'a'.repeat(40)],
    ['one two three four five six seven eight nine ten', 'one-two-three-four-five-six-seven-eight'],
  ])('%j -> %s', (task, slug) => {
    expect(slugify(task)).toBe(slug);
  });
});
