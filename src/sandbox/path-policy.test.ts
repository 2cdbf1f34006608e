import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempRepo, type TempRepo } from '../../test/helpers/git-repo.js';
import { resolveInside, type PathDenialCode, type ResolveOptions } from './path-policy.js';

let repo: TempRepo;
let outside: string;
let socketServer: Server;
let hasCharDevice = false;

beforeAll(async () => {
  repo = tempRepo({
    files: {
      'README.md': '# r\n',
      'src/app.ts': 'export {};\n',
      '.gitignore': 'build/\n*.log\nmeta/\nvendor/ignored/\n',
      'docs/guide.md': 'g\n',
    },
  });
  const root = repo.dir;
  outside = join(dirname(root), 'outside');
  mkdirSync(join(outside, 'dir'), { recursive: true });
  writeFileSync(join(outside, 'secret.txt'), 'outside secret\n');

  repo.write('keep.log', 'tracked although it matches *.log\n');
  repo.git('add', '-f', 'keep.log');
  repo.git('commit', '-q', '-m', 'keep');
  repo.write('build/out.js', 'generated\n');
  repo.write('debug.log', 'log\n');
  repo.write('.env', 'TOKEN=x\n');
  repo.write('config/.env.production', 'TOKEN=y\n');
  repo.write('.env.example', 'TOKEN=\n');
  repo.write('meta/HEAD', 'ref: refs/heads/main\n');

  // A nested clone (a `.git` directory) and a submodule-like checkout (a `.git` file).
  repo.write('vendor/lib/file.c', 'int x;\n');
  execFileSync('git', ['init', '-q'], { cwd: join(root, 'vendor', 'lib'), env: repo.env });
  repo.write('vendor/ignored/x.c', 'int y;\n');
  execFileSync('git', ['init', '-q'], { cwd: join(root, 'vendor', 'ignored'), env: repo.env });
  repo.write('sub/mod.txt', 'm\n');
  repo.write('sub/.git', 'gitdir: ../.git/modules/sub\n');

  const link = (target: string, path: string): void => symlinkSync(target, join(root, path));
  link('/etc', 'to-etc');
  link('/etc/passwd', 'passwd-link');
  link('../outside', 'linkdir');
  link('../outside/secret.txt', 'out-file-link');
  link('chain2', 'chain1');
  link('chain3', 'chain2');
  link('../outside/secret.txt', 'chain3');
  link('src/app.ts', 'in-link');
  link('src', 'in-dir-link');
  link(join(root, 'src', 'app.ts'), 'abs-inside-link');
  link('.git', 'git-link');
  link('/dev/null', 'devnull');
  link('loop2', 'loop1');
  link('loop1', 'loop2');
  link('../outside/not-yet', 'dangling-out');
  link('src/new-target.ts', 'dangling-in');
  link('src/../../outside', 'rel-up-link');
  link('vendor/lib', 'nested-link');
  link('../../outside', 'docs/up-link');
  link('../README.md', 'src/via-link.ts');
  link('../.env', 'src/settings.txt');

  execFileSync('mkfifo', [join(root, 'pipe')]);
  linkSync(join(outside, 'secret.txt'), join(root, 'hard.txt'));
  writeFileSync(join(root, 'both-in.txt'), 'x\n');
  linkSync(join(root, 'both-in.txt'), join(root, 'both-in-2.txt'));
  socketServer = createServer();
  await new Promise<void>((resolveListen) => socketServer.listen(join(root, 'sock'), resolveListen));
  try {
    execFileSync('mknod', [join(root, 'null-dev'), 'c', '1', '3'], { stdio: 'ignore' });
    hasCharDevice = true;
  } catch {
    hasCharDevice = false;
  }
});

afterAll(async () => {
  await new Promise<void>((resolveClose) => socketServer.close(() => resolveClose()));
  repo.cleanup();
});

interface Row {
  attack: string;
  path: string;
  code: PathDenialCode;
  mode?: 'read' | 'write';
  options?: Omit<ResolveOptions, 'mode' | 'env'>;
}

const rejected: Row[] = [
  { attack: 'traversal with ..', path: '../outside/secret.txt', code: 'sandbox.traversal' },
  { attack: 'traversal after a real dir', path: 'src/../../outside/x', code: 'sandbox.traversal' },
  { attack: 'deep traversal', path: 'a/b/../../../../../etc/passwd', code: 'sandbox.traversal' },
  { attack: 'absolute path', path: '/etc/passwd', code: 'sandbox.absolute' },
  { attack: 'absolute path, even into the repo', path: '__ROOT__/README.md', code: 'sandbox.absolute' },
  { attack: 'home-relative path', path: '~/.ssh/authorized_keys', code: 'sandbox.absolute' },
  { attack: 'Windows drive letter', path: 'C:/Windows/System32/x.dll', code: 'sandbox.absolute' },
  { attack: 'Windows separators', path: '..\\..\\etc\\passwd', code: 'sandbox.backslash' },
  { attack: 'git hook (code run on commit)', path: '.git/hooks/pre-commit', code: 'sandbox.git-dir' },
  { attack: 'git config in upper case (case-insensitive fs)', path: '.GIT/config', code: 'sandbox.git-dir' },
  { attack: 'trailing dot stripped by Windows', path: '.git./config', code: 'sandbox.git-dir' },
  { attack: 'trailing space stripped by Windows', path: '.git /x', code: 'sandbox.git-dir' },
  { attack: '8.3 short name of .git (CVE-2019-1353)', path: 'git~1/config', code: 'sandbox.git-dir' },
  { attack: '8.3 short name, other index', path: 'GIT~2/hooks/post-checkout', code: 'sandbox.git-dir' },
  { attack: 'NTFS alternate data stream', path: '.git::$INDEX_ALLOCATION/config', code: 'sandbox.git-dir' },
  { attack: 'HFS+ ignorable code point (CVE-2014-9390)', path: '.g\u200cit/config', code: 'sandbox.git-dir' },
  { attack: '.git reached through ..', path: 'src/../.git/config', code: 'sandbox.git-dir' },
  { attack: '.git file of a submodule', path: 'sub/.git', code: 'sandbox.git-dir' },
  { attack: 'symlink to .git', path: 'git-link/config', code: 'sandbox.git-dir' },
  { attack: 'a GIT_DIR that is not named .git', path: 'meta/HEAD', code: 'sandbox.git-dir', options: { gitDirs: ['__META__'] } },
  { attack: 'nested clone', path: 'vendor/lib/file.c', code: 'sandbox.nested-repo' },
  { attack: 'new file in a nested clone', path: 'vendor/lib/new.c', code: 'sandbox.nested-repo' },
  { attack: 'submodule (gitfile)', path: 'sub/mod.txt', code: 'sandbox.nested-repo' },
  { attack: 'symlink into a nested repo', path: 'nested-link/file.c', code: 'sandbox.nested-repo' },
  { attack: 'symlinked directory to /etc', path: 'to-etc/passwd', code: 'sandbox.symlink-escape' },
  { attack: 'symlink to /etc/passwd', path: 'passwd-link', code: 'sandbox.symlink-escape' },
  { attack: 'symlinked parent directory escaping', path: 'linkdir/new.txt', code: 'sandbox.symlink-escape' },
  { attack: 'symlink to a file outside', path: 'out-file-link', code: 'sandbox.symlink-escape' },
  { attack: 'symlink chain leading outside', path: 'chain1', code: 'sandbox.symlink-escape' },
  { attack: 'dangling symlink whose target is outside', path: 'dangling-out', code: 'sandbox.symlink-escape' },
  { attack: 'symlink whose target uses ..', path: 'rel-up-link/secret.txt', code: 'sandbox.symlink-escape' },
  { attack: 'symlink in a subdirectory going up', path: 'docs/up-link/secret.txt', code: 'sandbox.symlink-escape' },
  { attack: '/dev/null via symlink', path: 'devnull', code: 'sandbox.symlink-escape' },
  { attack: 'symlink loop', path: 'loop1', code: 'sandbox.symlink-loop' },
  { attack: 'FIFO (a write would block forever)', path: 'pipe', code: 'sandbox.special-file' },
  { attack: 'unix socket', path: 'sock', code: 'sandbox.special-file' },
  { attack: 'hard link to a file outside', path: 'hard.txt', code: 'sandbox.hard-link' },
  { attack: 'hard link whose other name is unknown', path: 'both-in.txt', code: 'sandbox.hard-link' },
  { attack: 'NUL byte truncating the path', path: 'src/app.ts\0.png', code: 'sandbox.nul-byte' },
  { attack: 'newline in a name (log and prompt injection)', path: 'a\nb.txt', code: 'sandbox.control-char' },
  { attack: 'ANSI escape in a name (terminal spoofing)', path: '\u001b[2Jx.txt', code: 'sandbox.control-char' },
  { attack: 'empty path', path: '', code: 'sandbox.empty-path' },
  { attack: 'the repository root', path: '.', code: 'sandbox.is-directory' },
  { attack: 'a directory', path: 'src/', code: 'sandbox.is-directory' },
  { attack: 'a file used as a directory', path: 'README.md/x', code: 'sandbox.not-a-directory' },
  { attack: 'overlong name', path: `${'a'.repeat(300)}.txt`, code: 'sandbox.too-long' },
  { attack: 'outside sandbox.write_paths', path: 'README.md', code: 'sandbox.outside-write-paths', options: { writePaths: ['src/'] } },
  { attack: 'symlink out of sandbox.write_paths', path: 'src/via-link.ts', code: 'sandbox.outside-write-paths', options: { writePaths: ['src/**/*.ts'] } },
  { attack: 'ignored build output', path: 'build/out.js', code: 'sandbox.ignored' },
  { attack: 'new file in an ignored directory', path: 'build/new.js', code: 'sandbox.ignored' },
  { attack: 'ignored by a glob', path: 'debug.log', code: 'sandbox.ignored' },
  { attack: '.env secrets', path: '.env', code: 'sandbox.env-file' },
  { attack: '.env in a subdirectory', path: 'config/.env.production', code: 'sandbox.env-file' },
  { attack: '.env through an inside symlink with an innocent name', path: 'src/settings.txt', code: 'sandbox.env-file' },
  { attack: 'read outside the repo without read_paths', path: '/etc/passwd', code: 'sandbox.outside-read-paths', mode: 'read' },
  { attack: 'read via symlink outside', path: 'passwd-link', code: 'sandbox.outside-read-paths', mode: 'read' },
  { attack: 'read outside read_paths', path: '/etc/passwd', code: 'sandbox.outside-read-paths', mode: 'read', options: { readPaths: ['__OUTSIDE__'] } },
  { attack: 'read escaping read_paths through ..', path: '__OUTSIDE__/../../../../etc/passwd', code: 'sandbox.outside-read-paths', mode: 'read', options: { readPaths: ['__OUTSIDE__'] } },
  { attack: 'read the git config (remote tokens)', path: '.git/config', code: 'sandbox.git-dir', mode: 'read' },
  { attack: 'read a FIFO (blocks)', path: 'pipe', code: 'sandbox.special-file', mode: 'read' },
  { attack: 'read /dev/zero via read_paths', path: '/dev/zero', code: 'sandbox.special-file', mode: 'read', options: { readPaths: ['/dev'] } },
  { attack: 'read an ignored file', path: 'debug.log', code: 'sandbox.ignored', mode: 'read' },
  { attack: 'read .env', path: '.env', code: 'sandbox.env-file', mode: 'read' },
  { attack: 'read in a nested clone the outer repo ignores', path: 'vendor/ignored/x.c', code: 'sandbox.ignored', mode: 'read' },
];

function expand(row: Row): ResolveOptions {
  const options: ResolveOptions = { mode: row.mode ?? 'write', env: repo.env, ...row.options };
  const swap = (p: string): string => p.replace('__OUTSIDE__', outside).replace('__META__', join(repo.dir, 'meta'));
  if (options.readPaths) options.readPaths = options.readPaths.map(swap);
  if (options.gitDirs) options.gitDirs = options.gitDirs.map(swap);
  return options;
}

describe('resolveInside: rejected', () => {
  it('has at least 30 rows', () => {
    expect(rejected.length).toBeGreaterThanOrEqual(30);
  });

  it.each(rejected)('$attack: $path', async (row) => {
    const path = row.path.replace('__OUTSIDE__', outside).replace('__ROOT__', repo.dir);
    const result = await resolveInside(repo.dir, path, expand(row));
    expect(result).toMatchObject({ ok: false, code: row.code });
    if (!result.ok) {
      expect(result.reason).not.toMatch(/[\n\r]/);
      expect(result.path).not.toMatch(/[\n\r]/);
      expect(result.path).not.toContain('\u001b');
      expect(result.path).not.toContain('\0');
    }
  });

  it('refuses a character device', async (ctx) => {
    if (!hasCharDevice) ctx.skip('mknod of a character device is not permitted here');
    expect(await resolveInside(repo.dir, 'null-dev', { mode: 'write', env: repo.env })).toMatchObject({ ok: false, code: 'sandbox.special-file' });
  });
});

describe('resolveInside: accepted', () => {
  const write = (path: string, extra: Partial<ResolveOptions> = {}) => resolveInside(repo.dir, path, { mode: 'write', env: repo.env, ...extra });

  it('a tracked file', async () => {
    expect(await write('README.md')).toEqual({ ok: true, abs: join(repo.dir, 'README.md'), rel: 'README.md', inRepo: true, exists: true, viaSymlink: false });
  });

  it('a new file in a new directory', async () => {
    expect(await write('new/dir/file.ts')).toMatchObject({ ok: true, rel: 'new/dir/file.ts', exists: false });
  });

  it('an inside symlink is written through: the real target comes back', async () => {
    expect(await write('in-link')).toMatchObject({ ok: true, abs: join(repo.dir, 'src', 'app.ts'), rel: 'src/app.ts', viaSymlink: true });
    expect(await write('in-dir-link/app.ts')).toMatchObject({ ok: true, rel: 'src/app.ts', viaSymlink: true });
    expect(await write('abs-inside-link')).toMatchObject({ ok: true, rel: 'src/app.ts' });
  });

  it('a dangling symlink whose target is inside creates the target', async () => {
    expect(await write('dangling-in')).toMatchObject({ ok: true, rel: 'src/new-target.ts', exists: false, viaSymlink: true });
  });

  it('unicode names', async () => {
    expect(await write('docs/naïve ünïcode 日本語.md')).toMatchObject({ ok: true, rel: 'docs/naïve ünïcode 日本語.md' });
    expect(await write('src/emoji-🚀.ts')).toMatchObject({ ok: true });
  });

  it('.. that stays inside, and ./', async () => {
    expect(await write('src/../README.md')).toMatchObject({ ok: true, rel: 'README.md' });
    expect(await write('./docs/guide.md')).toMatchObject({ ok: true, rel: 'docs/guide.md' });
  });

  it('names that only look like .git', async () => {
    expect(await write('.github/x.yml')).toMatchObject({ ok: true });
    expect(await write('.gitignore')).toMatchObject({ ok: true });
    expect(await write('docs/git~x.md')).toMatchObject({ ok: true });
  });

  it('sensitive files the person added by name, and .env templates', async () => {
    expect(await write('.env', { addedByName: new Set(['.env']) })).toMatchObject({ ok: true, rel: '.env' });
    expect(await write('build/out.js', { addedByName: new Set(['build/out.js']) })).toMatchObject({ ok: true });
    expect(await write('.env.example')).toMatchObject({ ok: true });
    expect(await write('keep.log')).toMatchObject({ ok: true });
    // `.env*` is a rule for files: a virtualenv directory named `.env` is judged by git.
    expect(await write('.env-tools/run.py')).toMatchObject({ ok: true });
  });

  it('ignored files when the caller checked the batch itself', async () => {
    expect(await write('debug.log', { checkIgnored: false })).toMatchObject({ ok: true });
  });

  it('inside sandbox.write_paths, including through a symlink', async () => {
    expect(await write('src/app.ts', { writePaths: ['src/'] })).toMatchObject({ ok: true });
    expect(await write('in-link', { writePaths: ['src'] })).toMatchObject({ ok: true, rel: 'src/app.ts' });
    expect(await write('docs/guide.md', { writePaths: ['**/*.md'] })).toMatchObject({ ok: true });
  });

  it('reads: nested repos, hard links, and read_paths outside the repo', async () => {
    const read = (path: string, extra: Partial<ResolveOptions> = {}) => resolveInside(repo.dir, path, { mode: 'read', env: repo.env, ...extra });
    expect(await read('vendor/lib/file.c')).toMatchObject({ ok: true });
    expect(await read('hard.txt')).toMatchObject({ ok: true });
    expect(await read(join(outside, 'secret.txt'), { readPaths: [outside] })).toMatchObject({ ok: true, inRepo: false, abs: join(outside, 'secret.txt') });
    expect(await read('../outside/secret.txt', { readPaths: [outside] })).toMatchObject({ ok: true, inRepo: false });
    expect(await read('out-file-link', { readPaths: [outside] })).toMatchObject({ ok: true, inRepo: false, viaSymlink: true });
  });
});

describe('resolveInside: roots', () => {
  it('a linked worktree: its .git file is refused, its files are not a nested repo', async () => {
    const wt = join(dirname(repo.dir), 'wt');
    repo.git('worktree', 'add', '-q', wt);
    const opts: ResolveOptions = { mode: 'write', env: repo.env };
    expect(await resolveInside(wt, '.git', opts)).toMatchObject({ ok: false, code: 'sandbox.git-dir' });
    expect(await resolveInside(wt, 'README.md', opts)).toMatchObject({ ok: true, abs: join(wt, 'README.md') });
    expect(await resolveInside(wt, '../repo/README.md', opts)).toMatchObject({ ok: false, code: 'sandbox.traversal' });
  });

  it('reads in a real submodule follow its own ignore rules', async () => {
    const inner = tempRepo({ files: { 'a.txt': 'a\n', '.gitignore': '*.tmp\n' } });
    try {
      repo.git('-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', inner.dir, 'mods/inner');
      repo.write('mods/inner/x.tmp', 'scratch\n');
      const read = (path: string) => resolveInside(repo.dir, path, { mode: 'read', env: repo.env });
      expect(await read('mods/inner/a.txt')).toMatchObject({ ok: true, rel: 'mods/inner/a.txt' });
      expect(await read('mods/inner/x.tmp')).toMatchObject({ ok: false, code: 'sandbox.ignored' });
      expect(await resolveInside(repo.dir, 'mods/inner/a.txt', { mode: 'write', env: repo.env })).toMatchObject({ ok: false, code: 'sandbox.nested-repo' });
    } finally {
      inner.cleanup();
    }
  });

  it('a root given through a symlink is compared by its real path', async () => {
    const alias = join(dirname(repo.dir), 'alias');
    symlinkSync(repo.dir, alias);
    expect(await resolveInside(alias, 'src/app.ts', { mode: 'write', env: repo.env })).toMatchObject({ ok: true, abs: join(repo.dir, 'src', 'app.ts'), rel: 'src/app.ts' });
    expect(await resolveInside(alias, 'in-link', { mode: 'write', env: repo.env })).toMatchObject({ ok: true, rel: 'src/app.ts' });
  });
});
