import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { openStore } from './index.js';
import { BATCH_PAUSE_POINTS } from './pause.js';

const here = dirname(fileURLToPath(import.meta.url));
let outDir = '';

// The child must run the real store code outside vitest: transpile src/git, src/util and src/errors.ts to plain JS.
beforeAll(async () => {
  const mod = await import('typescript');
  const ts = ((mod as { default?: typeof mod }).default ?? mod) as typeof mod;
  outDir = mkdtempSync(join(tmpdir(), 'assist-crash-'));
  const sources = [...readdirSync(here).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).map((f) => join('git', f)), 'errors.ts', ...readdirSync(join(here, '..', 'util')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).map((f) => join('util', f))];
  for (const rel of sources) {
    const src = readFileSync(join(here, '..', rel), 'utf8');
    const js = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true } }).outputText;
    mkdirSync(dirname(join(outDir, rel)), { recursive: true });
    writeFileSync(join(outDir, rel.replace(/\.ts$/, '.js')), js);
  }
  writeFileSync(join(outDir, 'package.json'), '{"type":"module"}');
  writeFileSync(
    join(outDir, 'driver.js'),
    `import { openStore } from './git/index.js';
const [cwd, files] = process.argv.slice(2);
const store = await openStore({ cwd, env: process.env, command: 'crash-driver' });
if (files === 'user-commit') await store.commitUserChanges(undefined, { message: 'crash commit', request: 'r-user' });
else await store.applyBatch(undefined, { files: JSON.parse(files), summary: 'crash batch', model: 't/m', request: 'r-crash' });
store.close();
`,
  );
});

afterAll(() => {
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

/** Runs the driver until it stops itself at `point`, then kills it with SIGKILL. */
function crashAt(point: string, cwd: string, env: NodeJS.ProcessEnv, files: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(outDir, 'driver.js'), cwd, files === 'user-commit' ? files : JSON.stringify(files)], {
      cwd,
      env: { ...env, ASSIST_PAUSE_AT: point },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (stderr.includes(`paused at ${point}`)) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`driver exited ${code ?? signal}: ${stderr}`))));
  });
}

const batchPoints = BATCH_PAUSE_POINTS;

describe('kill -9 at each named point of a batch, then recovery', () => {
  for (const point of batchPoints) {
    it(`recovers after a crash at ${point}: all files new and committed, or all old`, async () => {
      await using repo = tempRepo({ files: { 'a.txt': 'a\n', 'b.txt': 'b\n', 'gone.txt': 'gone\n' } });
      const setup = await openStore({ cwd: repo.dir, env: repo.env });
      const { session } = await setup.startSession();
      setup.close();
      repo.write('a.txt', 'user typed\n');
      const headBefore = repo.git('rev-parse', 'HEAD');
      const statusBefore = repo.git('status', '--porcelain');
      const files = [
        { path: 'a.txt', content: 'assistant a\n' },
        { path: 'new/c.txt', content: 'created\n' },
        { path: 'gone.txt', content: null },
      ];
      await crashAt(point, repo.dir, repo.env, files);

      const store = await openStore({ cwd: repo.dir, env: repo.env });
      const report = await store.recover();
      expect(report).not.toBeNull();
      const committed = point === 'after-write' || point === 'before-commit' || point === 'after-commit';
      expect(report?.action).toBe(committed ? 'finished' : 'rolled-back');
      if (committed) {
        expect(repo.git('rev-parse', 'HEAD')).not.toBe(headBefore);
        expect(repo.git('show', 'HEAD:a.txt')).toBe('assistant a');
        expect(repo.git('show', 'HEAD:new/c.txt')).toBe('created');
        expect(repo.git('show', 'HEAD^:a.txt')).toBe('user typed'); // the snapshot
        expect(repo.git('status', '--porcelain')).toBe('');
        expect((await store.replay(session.id)).filter((e) => e.type === 'edit')).toHaveLength(1);
        // and the user's typing comes back with undo
        await store.undo();
        expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('user typed\n');
      } else {
        expect(repo.git('rev-parse', 'HEAD')).toBe(headBefore);
        expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('user typed\n');
        expect(existsSync(join(repo.dir, 'new/c.txt'))).toBe(false);
        expect(readFileSync(join(repo.dir, 'gone.txt'), 'utf8')).toBe('gone\n');
        expect(repo.git('status', '--porcelain')).toBe(statusBefore);
      }
      expect(await store.recover()).toBeNull();
      // The dead writer's synced temp files (its new contents, made beside the journal) are gone.
      const tmp = join(repo.dir, '.git', 'assist', 'tmp');
      expect(existsSync(tmp) ? readdirSync(tmp) : []).toEqual([]);
      // the dead writer's lock was taken over: writing works again
      const next = await store.applyBatch(session.id, { files: [{ path: 'b.txt', content: 'after\n' }], summary: 'after', model: 't/m', request: 'r2' });
      expect(next.commit).not.toBeNull();
      store.close();
    });
  }

  for (const point of ['before-commit', 'after-commit', 'before-index-sync', 'before-journal-remove']) {
    it(`a /commit of the user's changes killed at ${point} is finished by recovery, staged state and content kept`, async () => {
      await using repo = tempRepo({ files: { 'a.txt': 'a\n', 'b.txt': 'b\n' } });
      const setup = await openStore({ cwd: repo.dir, env: repo.env });
      const { session } = await setup.startSession();
      setup.close();
      repo.write('a.txt', 'staged\n');
      repo.git('add', 'a.txt');
      repo.write('b.txt', 'unstaged\n');
      const headBefore = repo.git('rev-parse', 'HEAD');
      const stagedBefore = repo.git('diff', '--cached');
      await crashAt(point, repo.dir, repo.env, 'user-commit');

      const store = await openStore({ cwd: repo.dir, env: repo.env });
      expect((await store.recover())?.action).toBe('finished');
      expect(repo.git('rev-parse', 'HEAD^')).toBe(headBefore);
      expect(repo.git('show', 'HEAD:a.txt')).toBe('staged');
      expect(repo.git('show', 'HEAD:b.txt')).toBe('unstaged');
      expect(repo.git('status', '--porcelain')).toBe('');
      expect((await store.replay(session.id)).filter((e) => e.type === 'edit')).toHaveLength(1);
      await store.undo();
      expect(repo.git('rev-parse', 'HEAD')).toBe(headBefore);
      expect(repo.git('diff', '--cached')).toBe(stagedBefore);
      expect(readFileSync(join(repo.dir, 'b.txt'), 'utf8')).toBe('unstaged\n');
      store.close();
    });
  }

  it('leaves a file alone on rollback when it no longer holds what assist wrote', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n', 'b.txt': 'b\n' } });
    const setup = await openStore({ cwd: repo.dir, env: repo.env });
    await setup.startSession();
    setup.close();
    await crashAt('between-writes', repo.dir, repo.env, [
      { path: 'a.txt', content: 'A\n' },
      { path: 'b.txt', content: 'B\n' },
    ]);
    repo.write('a.txt', 'typed after the crash\n');
    const store = await openStore({ cwd: repo.dir, env: repo.env });
    const report = await store.recover();
    expect(report?.action).toBe('rolled-back');
    expect(report?.leftAlone).toEqual(['a.txt']);
    expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('typed after the crash\n');
    store.close();
  });
});
