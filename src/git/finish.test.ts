import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo, type TempRepo } from '../../test/helpers/git-repo.js';
import { AssistError } from '../errors.js';
import { acquireLock, openStore, type EditBatch, type GitStore } from './index.js';

function batch(files: EditBatch['files'], summary = 'Change things'): EditBatch {
  return { files, summary, model: 'test/model', request: `req-${Math.random().toString(36).slice(2, 8)}` };
}

async function start(repo: TempRepo, noBranch = false, cwd = repo.dir): Promise<{ store: GitStore; id: string }> {
  const store = await openStore({ cwd, env: repo.env, command: 'test', checkpointsKept: 3 });
  const { session } = await store.startSession({ noBranch });
  return { store, id: session.id };
}

async function failure(p: Promise<unknown>): Promise<AssistError> {
  try {
    await p;
  } catch (error) {
    if (error instanceof AssistError) return error;
    throw error;
  }
  throw new Error('expected an AssistError');
}

function hook(repo: TempRepo, name: string, script: string): void {
  const file = join(repo.dir, '.git', 'hooks', name);
  writeFileSync(file, `#!/bin/sh\n${script}\n`);
  chmodSync(file, 0o755);
}

describe('checkpoints', () => {
  it('creates, lists and restores, with an automatic checkpoint first and the auto ones kept to the limit', async () => {
    await using repo = tempRepo({ files: { 'a.txt': '0\n' } });
    const { store, id } = await start(repo);
    await store.applyBatch(id, batch([{ path: 'a.txt', content: '1\n' }]));
    const cp = await store.createCheckpoint('one');
    expect(repo.git('rev-parse', `refs/assist/checkpoints/${id}/one`)).toBe(cp.commit);
    expect((await failure(store.createCheckpoint('one'))).code).toBe('git.checkpoint-exists');
    expect((await failure(store.createCheckpoint('bad name'))).exitCode).toBe(2);
    await store.applyBatch(id, batch([{ path: 'a.txt', content: '2\n' }, { path: 'b.txt', content: 'b\n' }]));
    const r = await store.restoreCheckpoint('one');
    expect(r.undone).toBe(1);
    expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('1\n');
    expect(existsSync(join(repo.dir, 'b.txt'))).toBe(false);
    await store.redo();
    expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('2\n');
    for (let i = 0; i < 4; i++) {
      await store.restoreCheckpoint('one');
      await store.redo();
    }
    const autos = (await store.listCheckpoints()).filter((c) => c.auto && c.name.endsWith('-restore'));
    expect(autos.length).toBe(3); // checkpointsKept = 3; auto-start is the session's base and always kept
    expect((await store.listCheckpoints()).some((c) => c.name === 'auto-start')).toBe(true);
    store.close();
  });
});

describe('finish', () => {
  it('squashes onto the base by default, running its hooks, and deletes the session branch', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const { store, id } = await start(repo);
    await store.applyBatch(id, batch([{ path: 'a.txt', content: 'A\n' }], 'First'));
    await store.applyBatch(id, batch([{ path: 'b.txt', content: 'B\n' }], 'Second'));
    repo.write('c.txt', 'user work\n');
    hook(repo, 'commit-msg', 'echo "Signed-off-by: hook" >> "$1"');
    const r = await store.finishSession();
    expect(repo.git('symbolic-ref', '--short', 'HEAD')).toBe('main');
    expect(repo.git('rev-parse', 'main')).toBe(r.commit);
    expect(repo.git('rev-list', '--count', 'main')).toBe('2');
    const msg = repo.git('log', '-1', '--format=%B');
    expect(msg).toContain('First (and 1 more)');
    expect(msg).toContain('Signed-off-by: hook');
    expect(repo.git('branch', '--list', `assist/${id}`)).toBe('');
    expect(repo.git('status', '--porcelain')).toBe('?? c.txt');
    expect((await store.replay(id)).at(-1)?.type).toBe('finish');
    store.close();
  });

  it('applies the squash on a moved base when clean, and refuses naming conflicts when not', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n', 'b.txt': 'b\n' } });
    const { store, id } = await start(repo);
    await store.applyBatch(id, batch([{ path: 'a.txt', content: 'A\n' }]));
    repo.git('switch', '-q', 'main');
    repo.write('b.txt', 'B on main\n');
    repo.commitAll('main moved');
    repo.git('switch', '-q', `assist/${id}`);
    const r = await store.finishSession();
    expect(repo.git('show', 'main:a.txt')).toBe('A');
    expect(repo.git('show', 'main:b.txt')).toBe('B on main');
    expect(repo.git('rev-parse', 'main^')).not.toBe(r.commit);
    expect(readFileSync(join(repo.dir, 'b.txt'), 'utf8')).toBe('B on main\n');
    const second = await store.startSession();
    await store.applyBatch(second.session.id, batch([{ path: 'a.txt', content: 'session\n' }]));
    repo.git('switch', '-q', 'main');
    repo.write('a.txt', 'main\n');
    repo.commitAll('conflict');
    repo.git('switch', '-q', `assist/${second.session.id}`);
    const mainBefore = repo.git('rev-parse', 'main');
    const e = await failure(store.finishSession());
    expect([e.code, e.exitCode]).toEqual(['git.finish-conflict', 3]);
    expect(e.message).toContain('a.txt');
    expect(repo.git('rev-parse', 'main')).toBe(mainBefore);
    expect(repo.git('symbolic-ref', '--short', 'HEAD')).toBe(`assist/${second.session.id}`);
    expect(repo.git('status', '--porcelain')).toBe('');
    store.close();
  });

  it('merge fast-forwards, keep keeps the branch, discard deletes it', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const s1 = await start(repo);
    const c1 = (await s1.store.applyBatch(s1.id, batch([{ path: 'a.txt', content: '1\n' }]))).commit;
    await s1.store.finishSession({ mode: 'merge' });
    expect(repo.git('rev-parse', 'main')).toBe(c1);
    const s2 = await start(repo);
    await s2.store.applyBatch(s2.id, batch([{ path: 'a.txt', content: '2\n' }]));
    const keep = await s2.store.finishSession({ mode: 'keep' });
    expect(keep.branchDeleted).toBe(false);
    expect(repo.git('symbolic-ref', '--short', 'HEAD')).toBe('main');
    expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('1\n');
    expect(repo.git('branch', '--list', `assist/${s2.id}`)).toContain(s2.id);
    const s3 = await start(repo);
    await s3.store.applyBatch(s3.id, batch([{ path: 'a.txt', content: '3\n' }]));
    const d = await s3.store.finishSession({ mode: 'discard' });
    expect(d.branchDeleted).toBe(true);
    expect(repo.git('branch', '--list', `assist/${s3.id}`)).toBe('');
    expect(repo.git('rev-parse', 'main')).toBe(c1);
    const list = await s3.store.listSessions();
    expect(list.map((s) => s.id).sort()).toEqual([s1.id, s2.id, s3.id].sort());
    expect(list.find((s) => s.id === s2.id)?.commits).toBe(1);
    s1.store.close();
    s2.store.close();
    s3.store.close();
  });

  it('a hook rejecting at finish leaves everything as it was', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const { store, id } = await start(repo);
    await store.applyBatch(id, batch([{ path: 'a.txt', content: 'A\n' }]));
    const tip = repo.git('rev-parse', 'HEAD');
    hook(repo, 'pre-commit', 'echo "lint failed" >&2; exit 1');
    const e = await failure(store.finishSession());
    expect(e.code).toBe('git.hook-rejected');
    expect(e.message).toContain('lint failed');
    expect(repo.git('symbolic-ref', '--short', 'HEAD')).toBe(`assist/${id}`);
    expect(repo.git('rev-parse', 'HEAD')).toBe(tip);
    expect(repo.git('rev-list', '--count', 'main')).toBe('1');
    store.close();
  });
});

describe('--no-branch hooks', () => {
  it('runs pre-commit on the commit\'s content; a rejection leaves the batch pending and undo drops it', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const { store, id } = await start(repo, true);
    hook(repo, 'pre-commit', 'if git diff --cached --name-only | grep -q bad.txt; then echo "no bad files" >&2; exit 1; fi');
    const ok = await store.applyBatch(id, batch([{ path: 'a.txt', content: 'A\n' }]));
    expect(repo.git('rev-parse', 'main')).toBe(ok.commit);
    const e = await failure(store.applyBatch(id, batch([{ path: 'bad.txt', content: 'bad\n' }, { path: 'a.txt', content: 'AA\n' }])));
    expect(e.code).toBe('git.hook-rejected');
    expect(e.data.output).toContain('no bad files');
    expect(readFileSync(join(repo.dir, 'bad.txt'), 'utf8')).toBe('bad\n');
    expect(repo.git('rev-parse', 'main')).toBe(ok.commit);
    expect((await failure(store.applyBatch(id, batch([{ path: 'a.txt', content: 'x\n' }])))).code).toBe('git.batch-pending');
    const reopened = await openStore({ cwd: repo.dir, env: repo.env });
    expect((await reopened.recover())?.action).toBe('pending');
    const u = await reopened.undo();
    expect(u.pendingDropped?.sort()).toEqual(['a.txt', 'bad.txt']);
    expect(existsSync(join(repo.dir, 'bad.txt'))).toBe(false);
    expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('A\n');
    expect(repo.git('status', '--porcelain')).toBe('');
    expect((await reopened.replay(id)).some((ev) => ev.type === 'refused')).toBe(true);
    store.close();
    reopened.close();
  });
});

describe('concurrency', () => {
  it('two linked worktrees run two sessions at once', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const other = join(repo.dir, '..', 'wt2');
    repo.git('worktree', 'add', '-q', '-b', 'feature', other);
    const one = await start(repo);
    const two = await start(repo, false, other);
    expect(one.id).not.toBe(two.id);
    await Promise.all([
      one.store.applyBatch(one.id, batch([{ path: 'a.txt', content: 'one\n' }])),
      two.store.applyBatch(two.id, batch([{ path: 'a.txt', content: 'two\n' }])),
    ]);
    expect(repo.git('show', `assist/${one.id}:a.txt`)).toBe('one');
    expect(repo.git('show', `assist/${two.id}:a.txt`)).toBe('two');
    expect(readFileSync(join(other, 'a.txt'), 'utf8')).toBe('two\n');
    await two.store.undo();
    expect(readFileSync(join(other, 'a.txt'), 'utf8')).toBe('a\n');
    expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('one\n');
    one.store.close();
    two.store.close();
  });

  it('a second writer waits, then fails naming the holder; a dead holder is taken over', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const { store, id } = await openStore({ cwd: repo.dir, env: repo.env, lockWaitMs: 100 }).then(async (s) => ({ store: s, id: (await s.startSession()).session.id }));
    const held = await acquireLock(store.repo.paths.worktreeAssistDir, { command: 'assist chat' });
    const e = await failure(store.applyBatch(id, batch([{ path: 'a.txt', content: 'x\n' }])));
    expect([e.code, e.exitCode]).toEqual(['git.locked', 1]);
    expect(e.message).toContain(`assist chat (pid ${process.pid}`);
    held.release();
    writeFileSync(join(store.repo.paths.worktreeAssistDir, 'lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname(), command: 'dead', start: 'then' }));
    const r = await store.applyBatch(id, batch([{ path: 'a.txt', content: 'x\n' }]));
    expect(r.commit).not.toBeNull();
    expect(existsSync(join(store.repo.paths.worktreeAssistDir, 'lock'))).toBe(false);
    store.close();
  });
});

describe('notes', () => {
  it('notes follow an amend (notes.rewriteRef)', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const { store, id } = await start(repo);
    await store.applyBatch(id, { ...batch([{ path: 'a.txt', content: 'A\n' }]), exchange: { message: 'why: because', reply: 'ok' } });
    repo.git('commit', '-q', '--amend', '-m', 'reworded');
    expect(repo.git('notes', '--ref=assist', 'show', 'HEAD')).toContain('why: because');
    store.close();
  });
});
