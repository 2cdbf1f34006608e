import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { isExcludedPath, LIST_ARGS, listingFingerprint, listSourceFiles } from './git-files.js';

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

  it('hashes a few changed files itself only where git stores the bytes as they are, with git\'s ids either way', async () => {
    const hash = (repo: { dir: string; env: NodeJS.ProcessEnv }, path: string): string => execFileSync('git', ['hash-object', path], { cwd: repo.dir, env: repo.env, encoding: 'utf8' }).trim();
    const raw = (text: string, format = 'sha1'): string => createHash(format).update(`blob ${Buffer.byteLength(text)}\0${text}`).digest('hex');

    // Line ends git converts (autocrlf): git hashes the file, whose id is not that of its bytes.
    await using crlf = tempRepo({ files: { 'a.ts': 'export const a = 1;\n' } });
    crlf.git('config', 'core.autocrlf', 'true');
    crlf.write('a.ts', 'export const a = 2;\r\n');
    const converted = await listSourceFiles(crlf.dir, crlf.env);
    expect(converted.files[0]!.blob).toBe(hash(crlf, 'a.ts'));
    expect(converted.files[0]!.blob).not.toBe(raw('export const a = 2;\r\n'));

    // A clean filter set by .gitattributes: git hashes the file too.
    await using filtered = tempRepo({ files: { '.gitattributes': '*.ts filter=upper\n', 'b.ts': 'export const b = 1;\n' } });
    filtered.git('config', 'filter.upper.clean', 'tr a-z A-Z');
    filtered.write('b.ts', 'export const b = 2;\n');
    const cleaned = await listSourceFiles(filtered.dir, filtered.env);
    expect(cleaned.files[0]!.blob).toBe(hash(filtered, 'b.ts'));
    expect(cleaned.files[0]!.blob).not.toBe(raw('export const b = 2;\n'));

    // Line-end rules alone (`* text=auto eol=lf`, vitest's) leave a file with no CR as its bytes:
    // hashed here, in a nested folder's attributes too; git's id all the same.
    await using eol = tempRepo({ files: { '.gitattributes': '* text=auto eol=lf\n', 'lib/.gitattributes': '*.js -text\n', 'lib/f.ts': 'export const f = 1;\n' } });
    eol.write('lib/f.ts', 'export const f = 2;\n');
    const eolText = execFileSync('git', [...LIST_ARGS], { cwd: eol.dir, env: eol.env, encoding: 'utf8' });
    const eolListed = await listSourceFiles(eol.dir, { ...eol.env, PATH: join(eol.home, 'no-bin') }, Promise.resolve(eol.dir), Promise.resolve(eolText));
    expect(eolListed.files.map((f) => f.blob)).toEqual([hash(eol, 'lib/f.ts')]);
    // ...but a nested file that sets a filter, an encoding or ident sends the file to git (without
    // a git to start, the listing fails), and so does an attributes file gone from the work tree.
    for (const [path, text] of [
      ['lib/.gitattributes', '*.ts filter=upper\n'],
      ['lib/.gitattributes', '*.txt working-tree-encoding=UTF-16\n'], // any mention, even for other files
      ['.gitattributes', '[attr]keyword ident\n*.ts keyword\n'],
    ] as const) {
      await using other = tempRepo({ files: { '.gitattributes': '* text=auto\n', [path]: text, 'lib/f.ts': 'export const f = 1;\n' } });
      other.write('lib/f.ts', 'export const f = 2;\n');
      const listedText = execFileSync('git', [...LIST_ARGS], { cwd: other.dir, env: other.env, encoding: 'utf8' });
      await expect(listSourceFiles(other.dir, { ...other.env, PATH: join(other.home, 'no-bin') }, Promise.resolve(other.dir), Promise.resolve(listedText)), `${path}: ${text}`).rejects.toThrow();
    }
    rmSync(join(eol.dir, 'lib/.gitattributes'));
    const goneText = execFileSync('git', [...LIST_ARGS], { cwd: eol.dir, env: eol.env, encoding: 'utf8' });
    await expect(listSourceFiles(eol.dir, { ...eol.env, PATH: join(eol.home, 'no-bin') }, Promise.resolve(eol.dir), Promise.resolve(goneText))).rejects.toThrow();

    // Plain bytes, in a SHA-256 repository: hashed here, with the repository's own format.
    await using sha256 = tempRepo({ noInit: true });
    sha256.git('init', '-q', '--object-format=sha256');
    sha256.write('c.ts', 'export const c = 1;\n');
    sha256.commitAll('c');
    sha256.write('c.ts', 'export const c = 2;\n');
    sha256.write('d.ts', 'export const d = 1;\n');
    const wide = await listSourceFiles(sha256.dir, sha256.env);
    expect(wide.files.map((f) => f.blob)).toEqual([hash(sha256, 'c.ts'), hash(sha256, 'd.ts')]);
    expect(wide.files[0]!.blob).toBe(raw('export const c = 2;\n', 'sha256'));
    expect(wide.hashed).toBe(2);
    // Without a git to start, the same listing: no `git hash-object` ran for it.
    const rawText = execFileSync('git', [...LIST_ARGS], { cwd: sha256.dir, env: sha256.env, encoding: 'utf8' });
    const noGit = await listSourceFiles(sha256.dir, { ...sha256.env, PATH: join(sha256.home, 'no-bin') }, Promise.resolve(sha256.dir), Promise.resolve(rawText));
    expect(noGit.files).toEqual(wide.files);
    // ...and with more than a few changed files, git hashes them: without it the listing fails.
    for (let i = 0; i < 9; i++) sha256.write(`e${i}.ts`, `export const e${i} = 1;\n`);
    const many = execFileSync('git', [...LIST_ARGS], { cwd: sha256.dir, env: sha256.env, encoding: 'utf8' });
    await expect(listSourceFiles(sha256.dir, { ...sha256.env, PATH: join(sha256.home, 'no-bin') }, Promise.resolve(sha256.dir), Promise.resolve(many))).rejects.toThrow();
    expect((await listSourceFiles(sha256.dir, sha256.env)).hashed).toBe(11);
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
