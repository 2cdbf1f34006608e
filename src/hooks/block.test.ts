import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BLOCK_BEGIN,
  BLOCK_END,
  findBlocks,
  foreignInterpreter,
  insertBlock,
  lineToAdd,
  recordedPaths,
  removeBlocks,
  renderBlock,
  renderBody,
  replaceBlock,
  shellQuote,
} from './block.js';

const template = readFileSync(new URL('../../hooks/assist-hook.sh', import.meta.url), 'utf8');
const body = (entry = '/opt/assist/bin/assist.js', node = '/usr/bin/node'): string => renderBody(template, { node, entry, hookExpr: "'post-commit'" });

describe('block text', () => {
  it('goes right after the shebang, so a hook ending in exit or exec still runs it', () => {
    const block = renderBlock(body(), false);
    const hook = '#!/bin/sh\necho mine\nexit 0\n';
    const out = insertBlock(hook, block);
    expect(out.startsWith('#!/bin/sh\n' + BLOCK_BEGIN + '\n')).toBe(true);
    expect(out.endsWith('\necho mine\nexit 0\n')).toBe(true);
    expect(removeBlocks(out).text).toBe(hook);
  });

  it('creates a file with a shebang, and knows it created it', () => {
    const out = insertBlock('', renderBlock(body(), true));
    expect(out.startsWith('#!/bin/sh\n')).toBe(true);
    const removed = removeBlocks(out);
    expect(removed).toMatchObject({ createdFile: true, onlyShebang: true });
  });

  it('keeps a file assist created once the person added lines to it', () => {
    const out = insertBlock('', renderBlock(body(), true)) + 'echo mine\n';
    expect(removeBlocks(out)).toEqual({ text: '#!/bin/sh\necho mine\n', createdFile: true, onlyShebang: false });
  });

  it('goes first in a hook without shebang (git runs those with sh)', () => {
    const out = insertBlock('echo x\n', renderBlock(body(), false));
    expect(out.startsWith(BLOCK_BEGIN)).toBe(true);
    expect(removeBlocks(out).text).toBe('echo x\n');
  });

  it('is replaced in place and duplicates are dropped', () => {
    const old = renderBlock(body('/old/assist.js'), false);
    const text = `#!/bin/sh\n${old}echo a\n${old}echo b\n`;
    const next = replaceBlock(text, renderBlock(body('/new/assist.js'), false)) ?? '';
    const found = findBlocks(next);
    expect(found.kind === 'found' && found.spans.length).toBe(1);
    expect(next).toContain("__assist_entry='/new/assist.js'");
    expect(removeBlocks(next).text).toBe('#!/bin/sh\necho a\necho b\n');
  });

  it('reports an unpaired marker instead of guessing', () => {
    expect(findBlocks(`#!/bin/sh\n${BLOCK_BEGIN}\necho\n`)).toEqual({ kind: 'broken', line: 2 });
    expect(findBlocks(`#!/bin/sh\n${BLOCK_END}\n`)).toEqual({ kind: 'broken', line: 2 });
    expect(findBlocks('#!/bin/sh\necho\n')).toEqual({ kind: 'none' });
  });

  it('adds itself only to shell scripts', () => {
    expect(foreignInterpreter('#!/bin/sh\n')).toBeNull();
    expect(foreignInterpreter('#!/usr/bin/env bash\n')).toBeNull();
    expect(foreignInterpreter('#!/bin/sh -eu\n')).toBeNull();
    expect(foreignInterpreter('echo no shebang\n')).toBeNull();
    expect(foreignInterpreter('#!/usr/bin/env python3\n')).toBe('python3');
    expect(foreignInterpreter('#!/usr/bin/env -S node --no-warnings\n')).toBe('node');
    expect(foreignInterpreter('#!/usr/bin/perl -w\n')).toBe('perl');
  });

  it('records paths with quotes and spaces and reads them back', () => {
    const entry = "/home/o'brien/my tools/assist.js";
    const text = renderBlock(body(entry, '/opt/node 20/bin/node'), false);
    expect(recordedPaths(text)).toEqual({ node: '/opt/node 20/bin/node', entry });
    expect(shellQuote("a'b")).toBe(`'a'\\''b'`);
  });

  it('refuses a template with a placeholder left', () => {
    expect(() => renderBody('x=@ASSIST_NODE@\ny=@ASSIST_OTHER@\n', { node: 'n', entry: 'e', hookExpr: 'h' })).toThrow(/placeholder/);
  });
});

describe('the block, run by sh', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = '';
  });

  /** A work tree with a bare `.git` folder and a fake assist entry that reports how it was started. */
  function setup(): { entry: string; report: string; gitDir: string } {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'assist-block-')));
    const gitDir = join(dir, '.git');
    mkdirSync(gitDir);
    const report = join(dir, 'report.json');
    const entry = join(dir, 'fake-assist.mjs');
    writeFileSync(
      entry,
      `import { readlinkSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
const fd = (n) => { try { return readlinkSync('/proc/self/fd/' + n); } catch { return 'closed'; } };
const stat = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
const info = { argv: process.argv.slice(2), lock: process.env.ASSIST_HOOK_LOCK ?? null, index: process.env.GIT_INDEX_FILE ?? null,
  fds: [fd(0), fd(1), fd(2), fd(3)], pid: process.pid, session: Number(stat[3]), nice: Number(stat[16]) };
writeFileSync(${JSON.stringify(report + '.tmp')}, JSON.stringify(info));
if (process.env.ASSIST_HOOK_LOCK) rmSync(process.env.ASSIST_HOOK_LOCK, { force: true });
(await import('node:fs')).renameSync(${JSON.stringify(report + '.tmp')}, ${JSON.stringify(report)});
`,
    );
    return { entry, report, gitDir };
  }

  function hookScript(entry: string, rest: string, shebang = '#!/bin/sh'): string {
    const text = insertBlock(`${shebang}\n${rest}`, renderBlock(renderBody(template, { node: process.execPath, entry, hookExpr: "'post-commit'" }), false));
    const file = join(dir, 'hook');
    writeFileSync(file, text, { mode: 0o755 });
    return file;
  }

  /** Waits for the fake assist's report: woken by the folder changing, not by a timer. */
  function waitForFile(path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const watcher = watch(dirname(path), () => existsSync(path) && done());
      const timer = setTimeout(() => {
        watcher.close();
        reject(new Error(`no ${path} after 10 s`));
      }, 10_000);
      const done = (): void => {
        clearTimeout(timer);
        watcher.close();
        resolve();
      };
      if (existsSync(path)) done();
    });
  }

  it.each(['#!/bin/sh -eu', '#!/bin/bash -eu'])('under `%s`: prints nothing, keeps exit status, args, stdin and variables, and starts one detached refresher', async (shebang) => {
    const { entry, report, gitDir } = setup();
    // The hook's own lines after the block see exactly what they would have seen without it.
    const file = hookScript(entry, 'set | grep -c "^__assist" || true\necho "args=$*"\ncase $- in *C*) echo noclobber;; esac\ncat\nexit 7\n', shebang);
    const run = spawnSync(file, ['one', 'two'], { cwd: dir, input: 'from stdin\n', encoding: 'utf8', env: { ...process.env, GIT_INDEX_FILE: '.git/index' } });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('0\nargs=one two\nfrom stdin\n');
    expect(run.status).toBe(7);
    expect(existsSync(join(gitDir, 'assist', 'dirty'))).toBe(true);
    await waitForFile(report);
    const info = JSON.parse(readFileSync(report, 'utf8')) as { argv: string[]; lock: string; index: string | null; fds: string[]; pid: number; session: number; nice: number };
    expect(info.argv).toEqual(['hook', 'post-commit']);
    expect(info.lock).toBe('.git/assist/refresh.lock');
    expect(info.index).toBeNull();
    expect(info.fds.slice(0, 3)).toEqual(['/dev/null', '/dev/null', '/dev/null']);
    expect(info.fds[3]).not.toMatch(/pipe/);
    expect(info.session).toBe(info.pid);
    expect(info.nice).toBeGreaterThan(0);
  });

  it('falls back to nohup where there is no setsid', async () => {
    const { entry, report } = setup();
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    for (const tool of ['nohup', 'nice', 'mkdir']) symlinkSync(`/usr/bin/${tool}`, join(bin, tool));
    const file = hookScript(entry, 'exit 0\n');
    const run = spawnSync(file, [], { cwd: dir, encoding: 'utf8', env: { ...process.env, PATH: bin } });
    expect(run).toMatchObject({ status: 0, stdout: '', stderr: '' });
    await waitForFile(report);
    const info = JSON.parse(readFileSync(report, 'utf8')) as { fds: string[]; pid: number; session: number; nice: number };
    expect(info.session).not.toBe(info.pid);
    expect(info.fds.slice(0, 3)).toEqual(['/dev/null', '/dev/null', '/dev/null']);
    expect(info.nice).toBeGreaterThan(0);
    expect(existsSync(join(dir, 'nohup.out'))).toBe(false);
  });

  it('starts nobody while a live refresher holds the lock; with a dead one, starts one that takes it over itself', async () => {
    const { entry, report, gitDir } = setup();
    mkdirSync(join(gitDir, 'assist'));
    const lock = join(gitDir, 'assist', 'refresh.lock');
    writeFileSync(lock, `${process.pid}\n`);
    const file = hookScript(entry, 'exit 0\n');
    expect(spawnSync(file, [], { cwd: dir }).status).toBe(0);
    expect(readFileSync(lock, 'utf8')).toBe(`${process.pid}\n`);
    expect(existsSync(join(gitDir, 'assist', 'dirty'))).toBe(true);

    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(lock, `${dead}\n`);
    expect(spawnSync(file, [], { cwd: dir }).status).toBe(0);
    await waitForFile(report);
    // Not handed the lock: the script never overwrites one it did not create (util/lock.ts takes it over).
    expect((JSON.parse(readFileSync(report, 'utf8')) as { lock: string | null }).lock).toBeNull();
    expect(readFileSync(lock, 'utf8')).toBe(`${dead}\n`);
  });

  it('follows GIT_DIR and a .git file, as in linked worktrees', async () => {
    const { entry, report } = setup();
    const real = join(dir, 'elsewhere', 'worktrees', 'wt');
    mkdirSync(real, { recursive: true });
    rmSync(join(dir, '.git'), { recursive: true });
    writeFileSync(join(dir, '.git'), `gitdir: ${real}\n`);
    const file = hookScript(entry, 'exit 0\n');
    expect(spawnSync(file, [], { cwd: dir }).status).toBe(0);
    expect(existsSync(join(real, 'assist', 'dirty'))).toBe(true);
    await waitForFile(report);

    const other = join(dir, 'other-git-dir');
    mkdirSync(other);
    expect(spawnSync(file, [], { cwd: dir, env: { ...process.env, GIT_DIR: other } }).status).toBe(0);
    expect(existsSync(join(other, 'assist', 'dirty'))).toBe(true);
  });

  it('does nothing, silently, when the recorded assist is gone', () => {
    const { gitDir } = setup();
    const file = hookScript(join(dir, 'removed', 'assist.js'), 'echo own\n');
    const run = spawnSync(file, [], { cwd: dir, encoding: 'utf8' });
    expect(run).toMatchObject({ status: 0, stdout: 'own\n', stderr: '' });
    expect(existsSync(join(gitDir, 'assist'))).toBe(false);
  });

  it('the line for hooks managed elsewhere is silent when the runner is gone', () => {
    setup();
    const line = lineToAdd(join(dir, 'no-such', 'hook.sh'), 'post-checkout');
    const run = spawnSync('sh', ['-euc', `${line}\necho after`], { cwd: dir, encoding: 'utf8' });
    expect(run).toMatchObject({ status: 0, stdout: 'after\n', stderr: '' });
  });
});
