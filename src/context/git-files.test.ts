import { execFileSync } from 'node:child_process';
import { rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { isExcludedPath, listingFingerprint, listSourceFiles } from './git-files.js';

describe('listSourceFiles', () => {
  it('lists tracked and untracked source files with the blob ids git would give them', async () => {
    await using repo = tempRepo({
      files: {
        'src/a.ts': 'export const a = 1;\n',
        'src/b.py': 'def b():\n    pass\n',
        'src/gone.go': 'package x\n',
        'src/with space ü.rb': 'class X; end\n',
        'README.md': '# readme\n',
        'vendor/lib.go': 'package lib\n',
        'node_modules/x/index.js': 'module.exports = 1;\n',
        'web/dist/app.js': 'var a;\n',
        'web/app.min.js': 'var a;\n',
        'generated/big.ts': 'export {};\n',
        '.gitignore': 'ignored.ts\n',
        '.assistignore': 'generated/\n',
      },
    });
    repo.write('src/a.ts', 'export const a = 2;\n'); // modified
    rmSync(join(repo.dir, 'src/gone.go')); // deleted
    repo.write('src/new.rs', 'fn main() {}\n'); // untracked
    repo.write('ignored.ts', 'export {};\n'); // ignored by git
    symlinkSync(join(repo.dir, 'src'), join(repo.dir, 'linked.ts')); // untracked symlink to a directory

    const listing = await listSourceFiles(repo.dir, repo.env);
    expect(listing.files.map((f) => f.path)).toEqual(['src/a.ts', 'src/b.py', 'src/new.rs', 'src/with space ü.rb']);
    const hash = (path: string): string => execFileSync('git', ['hash-object', path], { cwd: repo.dir, env: repo.env, encoding: 'utf8' }).trim();
    for (const file of listing.files) expect(file.blob, file.path).toBe(hash(file.path));
    expect(listing.files.map((f) => f.lang)).toEqual(['typescript', 'python', 'rust', 'ruby']);
    expect(listing.hashed).toBe(2);
  });

  it('lists a path in a merge conflict once, with the id of what the work tree holds', async () => {
    await using repo = tempRepo({ files: { 'src/x.ts': 'export const x = 0;\n', 'src/y.ts': 'export const y = 0;\n' } });
    const main = repo.git('rev-parse', '--abbrev-ref', 'HEAD').trim();
    repo.git('checkout', '-qb', 'other');
    repo.write('src/x.ts', 'export const x = 1;\n');
    repo.commitAll('other');
    repo.git('checkout', '-q', main);
    repo.write('src/x.ts', 'export const x = 2;\n');
    repo.commitAll('main');
    expect(() => repo.git('merge', '-q', 'other')).toThrow();
    const listing = await listSourceFiles(repo.dir, repo.env);
    expect(listing.files.map((f) => f.path)).toEqual(['src/x.ts', 'src/y.ts']);
    const hash = (path: string): string => execFileSync('git', ['hash-object', path], { cwd: repo.dir, env: repo.env, encoding: 'utf8' }).trim();
    expect(listing.files[0]!.blob).toBe(hash('src/x.ts'));
    expect(listing.hashed).toBe(1);
  });

  it('works from a subdirectory and in an empty repository', async () => {
    await using repo = tempRepo();
    expect((await listSourceFiles(repo.dir, repo.env)).files).toEqual([]);
    repo.write('pkg/x.go', 'package pkg\n');
    const listing = await listSourceFiles(repo.dir, repo.env);
    expect(listing.files.map((f) => f.path)).toEqual(['pkg/x.go']);

    // From a subdirectory, with the root still being found: the whole tree, root-relative,
    // and hash-object run where those paths mean something.
    repo.write('lib/y.ts', 'export const y = 1;\n');
    repo.git('add', '-A');
    repo.git('commit', '-qm', 'files');
    repo.write('lib/y.ts', 'export const y = 2;\n');
    repo.write('top.py', 'x = 1\n');
    const fromSub = await listSourceFiles(join(repo.dir, 'pkg'), repo.env, Promise.resolve(repo.dir));
    expect(fromSub.files.map((f) => f.path)).toEqual(['lib/y.ts', 'pkg/x.go', 'top.py']);
    const hash = (path: string): string => execFileSync('git', ['hash-object', path], { cwd: repo.dir, env: repo.env, encoding: 'utf8' }).trim();
    for (const file of fromSub.files) expect(file.blob, file.path).toBe(hash(file.path));
    expect(fromSub.hashed).toBe(2);
  });

  it('reports the failure to find the root rather than the listing', async () => {
    await using repo = tempRepo();
    const outside = join(repo.dir, '.git'); // git refuses to list inside the git dir
    const error = new Error('not a git repository: elsewhere');
    await expect(listSourceFiles(outside, repo.env, Promise.reject(error))).rejects.toBe(error);
  });
});

describe('isExcludedPath', () => {
  it.each([
    ['node_modules/a/b.js', true],
    ['a/vendor/b.go', true],
    ['third_party/x.c', true],
    ['dist/index.js', true],
    ['web/app.min.js', true],
    ['api/service.pb.go', true],
    ['src/vendors.ts', false],
    ['src/distance.ts', false],
    ['index.js', false],
    // copied releases and bundler output, by name
    ['tests/assets/react-dom_18.1.0.js', true],
    ['public/jquery-3.6.0.slim.js', true],
    ['lib/lodash@4.17.21.mjs', true],
    ['static/js/main.cc4a7955.js', true],
    ['static/js/787.2f3b90fa.chunk.js', true],
    ['db/migrations/2024.01.15.add-users.js', false],
    ['src/report.20240115.js', false],
    ['src/deadbeef.feedface.js', false],
    ['src/v1.2.3-notes.ts', false],
    ['src/semver.ts', false],
    ['src/parser.1.ts', false],
    // a folder by its whole name, at any depth, never the file's own name; a suffix at the end only
    ['packages/x/node_modules/y/z.ts', true],
    ['.git/hooks/pre-commit.js', true],
    ['a/bower_components/b/c.js', true],
    ['src/node_modulesx/a.ts', false],
    ['src/xnode_modules/a.ts', false],
    ['src/dist.ts', false],
    ['src/dist', false],
    ['src/a.git/b.ts', false],
    ['src/agit/b.ts', false],
    ['lib/app.min.js/index.ts', false],
    ['proto/user_pb2.py', true],
    ['ui/Form.designer.cs', true],
    ['ui/Formxdesigner.cs', false],
    ['src/types.generated.ts', true],
    ['src/typesxgenerated.ts', false],
  ])('%s -> %s', (path, excluded) => {
    expect(isExcludedPath(path)).toBe(excluded);
  });
});

describe('listingFingerprint', () => {
  const entry = (tag: string, path: string, stage = 0): string => `${tag} 100644 ${'a'.repeat(40)} ${stage}\t${path}`;
  const clean = [entry('H', 'src/a.ts'), entry('S', 'src/b.py'), entry('R', 'src/gone.go'), '? notes.txt'].join('\0') + '\0';

  it('is the same for the same output and .assistignore, and differs when either differs', () => {
    const key = listingFingerprint(clean, undefined);
    expect(key).toMatch(/^[0-9a-f]{40}$/);
    expect(listingFingerprint(clean, undefined)).toBe(key);
    expect(listingFingerprint(clean, '')).not.toBe(key);
    expect(listingFingerprint(clean, 'src/\n')).not.toBe(listingFingerprint(clean, ''));
    expect(listingFingerprint(clean.replace('src/a.ts', 'src/c.ts'), undefined)).not.toBe(key);
  });

  it('gives none when an id would come from the work tree', () => {
    expect(listingFingerprint(`${clean}${entry('C', 'src/a.ts')}\0`, undefined)).toBeUndefined(); // modified
    expect(listingFingerprint(`${clean}? src/new.rs\0`, undefined)).toBeUndefined(); // untracked source
    expect(listingFingerprint(`${entry('M', 'src/a.ts', 2)}\0${entry('M', 'src/a.ts', 3)}\0`, undefined)).toBeUndefined(); // unmerged
    expect(listingFingerprint(`${entry('H', 'src/a.ts', 1)}\0`, undefined)).toBeUndefined();
  });
});
