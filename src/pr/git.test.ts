import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { parsePorcelain } from './push.js';
import { pushCredentialArgs, withoutPushCredentials, withoutRepoHooks } from './git.js';

describe('git environment of pr', () => {
  it('turns hooks off through GIT_CONFIG_COUNT, after any config already given that way', () => {
    expect(withoutRepoHooks({ A: '1' })).toEqual({ A: '1', GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'core.hooksPath', GIT_CONFIG_VALUE_0: '/dev/null' });
    const env = withoutRepoHooks({ GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'user.name', GIT_CONFIG_VALUE_0: 'x' });
    expect(env).toMatchObject({ GIT_CONFIG_COUNT: '2', GIT_CONFIG_KEY_0: 'user.name', GIT_CONFIG_KEY_1: 'core.hooksPath' });
  });

  it('git sees core.hooksPath=/dev/null, and runs no hook', async () => {
    await using repo = tempRepo({ files: { 'a.txt': '1\n' } });
    const env = withoutRepoHooks(repo.env);
    expect(execFileSync('git', ['config', 'core.hooksPath'], { cwd: repo.dir, env, encoding: 'utf8' }).trim()).toBe('/dev/null');
    expect(execFileSync('git', ['hook', 'run', '--ignore-missing', 'pre-commit'], { cwd: repo.dir, env, encoding: 'utf8' })).toBe('');
  });

  it('the push credential helper answers from ASSIST_PUSH_TOKEN, and only for get', async () => {
    await using repo = tempRepo();
    const env = { ...repo.env, ASSIST_PUSH_TOKEN: 'tok-0123456789' };
    const fill = execFileSync('git', [...pushCredentialArgs(), 'credential', 'fill'], { cwd: repo.dir, env, input: 'protocol=https\nhost=example.com\n\n', encoding: 'utf8' });
    expect(fill).toContain('username=x-access-token');
    expect(fill).toContain('password=tok-0123456789');
    const gitlab = execFileSync('git', [...pushCredentialArgs(), 'credential', 'fill'], { cwd: repo.dir, env: { ...env, ASSIST_PUSH_USER: 'oauth2' }, input: 'protocol=https\nhost=gitlab.com\n\n', encoding: 'utf8' });
    expect(gitlab).toContain('username=oauth2');
    // The token is in no argument git was given.
    expect(pushCredentialArgs().join(' ')).not.toContain('tok-');
    expect(withoutPushCredentials({ ASSIST_PUSH_TOKEN: 'x', ASSIST_PUSH_USER: 'y', KEEP: 'z' })).toEqual({ KEEP: 'z' });
  });

  it('parses the porcelain push line of the branch', () => {
    const ok = 'To /tmp/remote.git\n*\trefs/heads/b:refs/heads/b\t[new branch]\nDone\n';
    expect(parsePorcelain(ok, 'refs/heads/b')).toEqual({ flag: '*', summary: '[new branch]' });
    const rejected = 'To /tmp/remote.git\n!\trefs/heads/b:refs/heads/b\t[rejected] (fetch first)\nDone\n';
    expect(parsePorcelain(rejected, 'refs/heads/b')).toEqual({ flag: '!', summary: '[rejected] (fetch first)' });
    expect(parsePorcelain(ok, 'refs/heads/other')).toBeNull();
  });
});
