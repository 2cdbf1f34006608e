import { describe, expect, it } from 'vitest';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { checkSensitive, listIgnored } from './sensitivity.js';
import { isEnvFileName, isGitDirName } from './git-names.js';

describe('checkSensitive', () => {
  it('finds ignored and .env files in one batch, sparing tracked and named ones', async () => {
    await using repo = tempRepo({ files: { '.gitignore': 'dist/\n*.secret\n', 'src/a.ts': 'a\n', 'forced.secret': 'tracked\n' } });
    repo.git('add', '-f', 'forced.secret');
    repo.git('commit', '-q', '-m', 'forced');
    const rels = ['src/a.ts', 'dist/a.js', 'key.secret', 'forced.secret', '.env', 'app/.env.local', '.env.example', 'named.secret', 'naïve dir/ü.secret'];
    const found = await checkSensitive(repo.dir, rels, { addedByName: new Set(['named.secret']), env: repo.env });
    expect(Object.fromEntries([...found].map(([rel, v]) => [rel, v.code]))).toEqual({
      'dist/a.js': 'sandbox.ignored',
      'key.secret': 'sandbox.ignored',
      '.env': 'sandbox.env-file',
      'app/.env.local': 'sandbox.env-file',
      'naïve dir/ü.secret': 'sandbox.ignored',
    });
  });

  it('an empty batch spawns nothing and finds nothing', async () => {
    expect(await listIgnored('/nonexistent', [])).toEqual(new Set());
  });

  it('a path git cannot judge fails closed, the rest of the batch still answers', async () => {
    await using repo = tempRepo({ files: { '.gitignore': '*.log\n', 'a.txt': 'a\n' } });
    const found = await checkSensitive(repo.dir, ['a.log', '../outside.txt', 'a.txt'], { env: repo.env });
    expect(found.get('a.log')?.code).toBe('sandbox.ignored');
    expect(found.get('../outside.txt')?.code).toBe('sandbox.ignore-check-failed');
    expect(found.has('a.txt')).toBe(false);
  });
});

describe('names', () => {
  it.each([
    ['.git', true],
    ['.GiT', true],
    ['.git.', true],
    ['.git . .', true],
    ['git~1', true],
    ['GIT~12', true],
    ['.git::$INDEX_ALLOCATION', true],
    ['.g\u200cit', true],
    ['\ufeff.git', true],
    ['.github', false],
    ['.gitignore', false],
    ['git', false],
    ['git~', false],
    ['x.git', false],
  ])('isGitDirName(%j) = %s', (name, expected) => {
    expect(isGitDirName(name)).toBe(expected);
  });

  it.each([
    ['.env', true],
    ['.env.local', true],
    ['.ENV.production', true],
    ['.envrc', true],
    ['.env.example', false],
    ['.env.sample', false],
    ['env', false],
    ['x.env', false],
  ])('isEnvFileName(%j) = %s', (name, expected) => {
    expect(isEnvFileName(name)).toBe(expected);
  });
});
