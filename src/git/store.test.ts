import { existsSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo, type TempRepo } from '../../test/helpers/git-repo.js';
import { AssistError } from '../errors.js';
import { openStore, type EditBatch, type GitStore } from './index.js';

function batch(files: EditBatch['files'], summary = 'Change things'): EditBatch {
  return { files, summary, model: 'test/model', request: `req-${Math.random().toString(36).slice(2, 8)}`, exchange: { message: 'please change', reply: 'done', usage: { input_tokens: 10, output_tokens: 5 } } };
}

async function start(repo: TempRepo, noBranch = false): Promise<{ store: GitStore; id: string }> {
  const store = await openStore({ cwd: repo.dir, env: repo.env, command: 'test' });
  const { session } = await store.startSession({ noBranch });
  return { store, id: session.id };
}

async function refusalOf(p: Promise<unknown>): Promise<AssistError> {
  try {
    await p;
  } catch (error) {
    if (error instanceof AssistError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('sessions', () => {
  it('a deferred session records events with HEAD left alone; its first edit creates the branch, or joins one started meanwhile', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n', 'b.txt': 'b\n' } });
    const store = await openStore({ cwd: repo.dir, env: repo.env, command: 'test' });
    const first = (await store.startSession({ deferBranch: true })).session;
    const second = (await store.startSession({ deferBranch: true })).session;
    expect(first.pendingBranch).toBe(`assist/${first.id}`);
    expect(second.id).not.toBe(first.id);
    await store.appendEvents(first.id, [{ type: 'message', request: 'r1', text: 'first?' }]);
    await store.appendEvents(second.id, [{ type: 'message', request: 'r2', text: 'second?' }]);
    expect(repo.git('symbolic-ref', '--short', 'HEAD')).toBe('main');
    expect(repo.git('config', '--list')).not.toMatch(/^branch\.assist\//m);
    await expect(store.applyBatch(first.id, batch([{ path: 'a.txt', content: 'A\n' }]))).rejects.toMatchObject({ code: 'git.no-branch-yet' });

    const made = await store.createSessionBranch(first.id);
    expect(made).toMatchObject({ joined: false, movedFrom: null, session: { id: first.id, branch: `assist/${first.id}` } });
    expect(repo.git('symbolic-ref', '--short', 'HEAD')).toBe(`assist/${first.id}`);
    await store.applyBatch(first.id, batch([{ path: 'a.txt', content: 'A\n' }]));

    const joined = await store.createSessionBranch(second.id);
    expect(joined).toMatchObject({ joined: true, session: { id: first.id } });
    expect(repo.git('for-each-ref', '--format=%(refname)', 'refs/assist/log/')).toBe(`refs/assist/log/${first.id}`);
    const types = (await store.replay(first.id)).map((e) => (e.type === 'message' ? `message ${e.text}` : e.type));
    expect(types).toEqual(['session-started', 'message first?', 'branch-created', 'edit', 'message second?']);
    store.close();
  });

  it('creates assist/<id> from HEAD, switches, and carries uncommitted work untouched', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n', 'b.txt': 'b\n' } });
    repo.write('a.txt', 'staged\n');
    repo.git('add', 'a.txt');
    repo.write('a.txt', 'staged then more\n');
    repo.write('b.txt', 'unstaged\n');
    repo.write('new.txt', 'untracked\n');
    const before = repo.git('status', '--porcelain');
    const { store, id } = await start(repo);
    expect(id).toMatch(/^\d{8}-\d{6}-[0-9a-f]{4}$/);
    expect(repo.git('symbolic-ref', '--short', 'HEAD')).toBe(`assist/${id}`);
    expect(repo.git('config', `branch.assist/${id}.assistSession`)).toBe(id);
    expect(repo.git('config', `branch.assist/${id}.assistBase`)).toBe('main');
    expect(repo.git('status', '--porcelain')).toBe(before);
    expect(repo.git('diff', '--cached', '--name-only')).toBe('a.txt');
    expect(repo.git('config', '--get-all', 'notes.rewriteRef')).toBe('refs/notes/assist');
    const again = await store.startSession();
    expect(again.created).toBe(false);
    expect(again.session.id).toBe(id);
    const events = await store.replay();
    expect(events.map((e) => e.type)).toEqual(['session-started']);
    store.close();
  });

  it('works in an empty repository (unborn branch) through edit, undo and finish', async () => {
    await using repo = tempRepo();
    const { store, id } = await start(repo);
    expect(repo.git('symbolic-ref', 'HEAD')).toBe(`refs/heads/assist/${id}`);
    const r = await store.applyBatch(undefined, batch([{ path: 'src/first.ts', content: 'export const x = 1;\n' }]));
    expect(repo.git('rev-parse', 'HEAD')).toBe(r.commit);
    expect(repo.git('rev-list', '--count', 'HEAD')).toBe('1');
    await store.undo();
    expect(existsSync(join(repo.dir, 'src/first.ts'))).toBe(false);
    expect(() => repo.git('rev-parse', '--verify', '-q', 'HEAD')).toThrow();
    await store.redo();
    expect(readFileSync(join(repo.dir, 'src/first.ts'), 'utf8')).toBe('export const x = 1;\n');
    const done = await store.finishSession();
    expect(done.mode).toBe('squash');
    expect(repo.git('symbolic-ref', '--short', 'HEAD')).toBe('main');
    expect(repo.git('show', 'HEAD:src/first.ts')).toBe('export const x = 1;');
    expect(repo.git('status', '--porcelain')).toBe('');
    store.close();
  });

  it('works from a detached HEAD and from a subdirectory', async () => {
    await using repo = tempRepo({ files: { 'pkg/a.txt': 'a\n' } });
    const first = repo.git('rev-parse', 'HEAD');
    repo.git('checkout', '-q', '--detach');
    const store = await openStore({ cwd: join(repo.dir, 'pkg'), env: repo.env });
    const { session } = await store.startSession();
    expect(session.base).toEqual({ ref: null, commit: first });
    await store.applyBatch(session.id, batch([{ path: 'pkg/a.txt', content: 'A\n' }]));
    const done = await store.finishSession();
    expect(done.commit).not.toBeNull();
    expect(repo.git('rev-parse', 'HEAD')).toBe(done.commit);
    expect(() => repo.git('symbolic-ref', '-q', 'HEAD')).toThrow();
    expect(repo.git('rev-parse', 'HEAD^')).toBe(first);
    store.close();
  });
});

describe('commit per edit', () => {
  it('commits exactly the changed files with trailers and a note, leaving the user index alone', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n', 'b.txt': 'b\n', 'c.txt': 'c\n', 'gone.txt': 'bye\n' } });
    repo.write('b.txt', 'user staged\n');
    repo.git('add', 'b.txt');
    repo.write('c.txt', 'user unstaged\n');
    const { store, id } = await start(repo);
    const r = await store.applyBatch(
      id,
      batch([
        { path: 'a.txt', content: 'A\n' },
        { path: 'dir/new.txt', content: 'new\n' },
        { path: 'gone.txt', content: null },
      ], 'Edit a, add new, remove gone'),
    );
    expect(r.snapshot).toBeNull();
    expect(r.files).toEqual([
      { path: 'a.txt', change: 'M' },
      { path: 'dir/new.txt', change: 'A' },
      { path: 'gone.txt', change: 'D' },
    ]);
    expect(repo.git('diff-tree', '--no-commit-id', '--name-status', '-r', 'HEAD')).toBe('M\ta.txt\nA\tdir/new.txt\nD\tgone.txt');
    const msg = repo.git('log', '-1', '--format=%B');
    expect(msg).toContain(`Assist-Session: ${id}`);
    expect(msg).toContain('Assist-Event: edit');
    expect(msg).toContain('Assist-Model: test/model');
    expect(repo.git('notes', '--ref=assist', 'show', 'HEAD')).toContain('please change');
    expect(repo.git('log', '-1', '--notes=assist', '--format=%N')).toContain('Usage: 10 input, 5 output tokens');
    // The user's staged change is still staged, the unstaged one unstaged; assist's files are clean.
    expect(repo.git('status', '--porcelain')).toBe('M  b.txt\n M c.txt');
    expect(repo.git('show', ':b.txt')).toBe('user staged');
    store.close();
  });

  it('snapshots uncommitted changes first, and undo gives them back exactly (staged and unstaged)', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'one\n', 'b.txt': 'two\n' } });
    const { store, id } = await start(repo);
    const base = repo.git('rev-parse', 'HEAD');
    repo.write('a.txt', 'one staged\n');
    repo.git('add', 'a.txt');
    repo.write('a.txt', 'one staged and typed\n');
    repo.write('untracked.txt', 'mine\n');
    const statusBefore = repo.git('status', '--porcelain');
    const r = await store.applyBatch(id, batch([{ path: 'a.txt', content: 'assistant\n' }, { path: 'untracked.txt', content: 'assistant too\n' }]));
    expect(r.snapshot).not.toBeNull();
    expect(repo.git('show', `${r.snapshot}:a.txt`)).toBe('one staged and typed');
    expect(repo.git('show', `${r.snapshot}:untracked.txt`)).toBe('mine');
    expect(repo.git('log', '-1', '--format=%B', r.snapshot ?? '')).toContain('Assist-Event: snapshot');
    expect(repo.git('rev-parse', 'HEAD^')).toBe(r.snapshot);
    expect(repo.git('status', '--porcelain')).toBe('');
    const u = await store.undo();
    expect(u.restored.sort()).toEqual(['a.txt', 'untracked.txt']);
    expect(repo.git('rev-parse', 'HEAD')).toBe(base);
    expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('one staged and typed\n');
    expect(repo.git('show', ':a.txt')).toBe('one staged');
    expect(repo.git('status', '--porcelain')).toBe(statusBefore);
    // redo brings the edit back over them
    await store.redo();
    expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('assistant\n');
    expect(repo.git('status', '--porcelain')).toBe('');
    store.close();
  });

  it('refuses paths inside .git, nested repositories and submodules', async () => {
    await using sub = tempRepo({ files: { 'lib.txt': 'lib\n' } });
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    repo.git('-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', sub.dir, 'vendor/sub');
    repo.git('commit', '-qm', 'add submodule');
    await using nested = tempRepo({ files: { 'n.txt': 'n\n' } });
    repo.git('clone', '-q', nested.dir, 'nested');
    const { store, id } = await start(repo);
    for (const path of ['.git/config', '.GIT/hooks/x', 'nested/n.txt', '../x', '/etc/passwd', 'a/./b']) {
      const e = await refusalOf(store.applyBatch(id, batch([{ path, content: 'x' }])));
      expect(e.exitCode === 3 || e.code === 'git.path-in-submodule').toBe(true);
    }
    await refusalOf(store.applyBatch(id, batch([{ path: 'vendor/sub/lib.txt', content: 'x' }])));
    expect(readFileSync(join(repo.dir, 'nested/n.txt'), 'utf8')).toBe('n\n');
    const r = await store.applyBatch(id, batch([{ path: 'a.txt', content: 'with submodule\n' }]));
    expect(r.commit).not.toBeNull();
    expect(repo.git('ls-tree', 'HEAD', 'vendor/sub').split(/\s/)[1]).toBe('commit');
    expect(repo.git('status', '--porcelain', '--ignore-submodules=none')).toBe('?? nested/');
    store.close();
  });
});

describe('guards and undo rules', () => {
  it('refuses the next write when HEAD moved off the session or the branch moved', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const { store, id } = await start(repo);
    repo.git('switch', '-q', 'main');
    const e = await refusalOf(store.applyBatch(id, batch([{ path: 'a.txt', content: 'x\n' }])));
    expect([e.code, e.exitCode]).toEqual(['git.head-moved', 3]);
    expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('a\n');
    repo.git('switch', '-q', `assist/${id}`);
    repo.write('b.txt', 'foreign\n');
    repo.commitAll('someone else');
    const e2 = await refusalOf(store.applyBatch(id, batch([{ path: 'a.txt', content: 'x\n' }])));
    expect([e2.code, e2.exitCode]).toEqual(['git.branch-moved', 3]);
    const e3 = await refusalOf(store.undo());
    expect(e3.exitCode).toBe(3);
    store.close();
  });

  it('undo refuses a foreign commit on top (--no-branch), a dirty touched file, and pushed commits unless forced', async () => {
    await using remote = tempRepo({ bare: true });
    await using repo = tempRepo({ files: { 'a.txt': 'a\n', 'b.txt': 'b\n' } });
    const { store, id } = await start(repo, true);
    expect(repo.git('symbolic-ref', '--short', 'HEAD')).toBe('main');
    await store.applyBatch(id, batch([{ path: 'a.txt', content: 'A\n' }]));
    repo.write('b.txt', 'user commit\n');
    repo.commitAll('user commit on top');
    expect((await refusalOf(store.undo())).code).toBe('git.undo-not-at-tip');
    repo.git('reset', '-q', '--hard', 'HEAD^');
    repo.write('a.txt', 'typed after\n');
    const dirty = await refusalOf(store.undo());
    expect([dirty.code, dirty.exitCode]).toEqual(['git.dirty-files', 3]);
    expect(dirty.message).toContain('a.txt');
    expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('typed after\n');
    repo.write('a.txt', 'A\n');
    repo.git('remote', 'add', 'origin', remote.dir);
    repo.git('push', '-q', 'origin', 'main');
    expect((await refusalOf(store.undo())).code).toBe('git.undo-pushed');
    const u = await store.undo({ force: true });
    expect(u.undone).toHaveLength(1);
    expect(repo.git('show', 'HEAD:a.txt')).toBe('a');
    store.close();
  });

  it('undo takes a remote-tracking branch at the base as not pushed, and one holding the edit as pushed', async () => {
    await using remote = tempRepo({ bare: true });
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    repo.git('remote', 'add', 'origin', remote.dir);
    repo.git('push', '-q', '-u', 'origin', 'main');
    const { store, id } = await start(repo);
    await store.applyBatch(id, batch([{ path: 'a.txt', content: 'A\n' }]));
    expect((await store.undo()).undone).toHaveLength(1);
    await store.applyBatch(id, batch([{ path: 'a.txt', content: 'B\n' }]));
    repo.git('push', '-q', 'origin', 'HEAD:refs/heads/shared');
    repo.git('fetch', '-q', 'origin');
    expect((await refusalOf(store.undo())).code).toBe('git.undo-pushed');
    store.close();
  });

  it('undo and redo go through when a touched file only has stale stat data (its content is clean)', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const { store, id } = await start(repo);
    await store.applyBatch(id, batch([{ path: 'a.txt', content: 'A\n' }]));
    // Same content, new mtime: git's read-tree alone refuses this entry as "not uptodate".
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(repo.dir, 'a.txt'), later, later);
    await store.undo();
    expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('a\n');
    utimesSync(join(repo.dir, 'a.txt'), later, later);
    await store.redo();
    expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('A\n');
    expect(repo.git('status', '--porcelain')).toBe('');
    // A checkpoint restore moves with read-tree over the whole tree: it refreshes and retries.
    await store.createCheckpoint('before-b');
    await store.applyBatch(id, batch([{ path: 'a.txt', content: 'B\n' }]));
    utimesSync(join(repo.dir, 'a.txt'), later, later);
    await store.restoreCheckpoint('before-b');
    expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('A\n');
    expect(repo.git('status', '--porcelain')).toBe('');
    store.close();
  });

  it('undoes edits that created and then deleted a file (a path in neither commit)', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const { store, id } = await start(repo);
    await store.applyBatch(id, batch([{ path: 'tmp.txt', content: 't\n' }, { path: 'a.txt', content: 'A\n' }]));
    await store.applyBatch(id, batch([{ path: 'tmp.txt', content: null }, { path: 'a.txt', content: 'AA\n' }]));
    const u = await store.undo({ count: 2 });
    expect(u.undone).toHaveLength(2);
    expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('a\n');
    expect(existsSync(join(repo.dir, 'tmp.txt'))).toBe(false);
    expect(repo.git('status', '--porcelain')).toBe('');
    await store.redo();
    expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('AA\n');
    expect(repo.git('status', '--porcelain')).toBe('');
    store.close();
  });

  it('undo refuses an untracked or ignored file where the undone edit had deleted one, and changes nothing', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n', 'gone.log': 'old\n', 'gone.txt': 'old\n' } });
    // gone.log is tracked, and ignored from now on: a file put back there is an ignored one.
    repo.write('.gitignore', '*.log\n');
    repo.commitAll('ignore logs');
    const { store, id } = await start(repo);
    await store.applyBatch(id, batch([{ path: 'gone.log', content: null }, { path: 'gone.txt', content: null }, { path: 'a.txt', content: 'A\n' }]));
    repo.write('gone.log', 'mine\n');
    repo.write('gone.txt', 'mine too\n');
    const refused = await refusalOf(store.undo());
    expect(refused.code).toBe('git.dirty-files');
    expect(refused.message).toContain('gone.log');
    expect(refused.message).toContain('gone.txt');
    expect(readFileSync(join(repo.dir, 'gone.log'), 'utf8')).toBe('mine\n');
    expect(readFileSync(join(repo.dir, 'gone.txt'), 'utf8')).toBe('mine too\n');
    expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('A\n');
    store.close();
  });

  it('undo keeps every other file exactly (staged still staged), removes created files, and rolls the conversation back', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n', 's.txt': 's\n', 'u.txt': 'u\n' } });
    const { store, id } = await start(repo);
    const req = 'req-1';
    await store.appendEvent(id, { type: 'message', request: req, text: 'make x' });
    await store.appendEvent(id, { type: 'reply', request: req, text: 'here', model: 'test/model' });
    await store.applyBatch(id, { ...batch([{ path: 'created.txt', content: 'c\n' }, { path: 'a.txt', content: 'A\n' }]), request: req });
    await store.applyBatch(id, batch([{ path: 'a.txt', content: 'AA\n' }]));
    repo.write('s.txt', 'staged\n');
    repo.git('add', 's.txt');
    repo.write('u.txt', 'unstaged\n');
    const status = repo.git('status', '--porcelain');
    const u = await store.undo({ count: 2 });
    expect(u.undone.map((x) => x.files)).toEqual([['a.txt'], ['created.txt', 'a.txt']]);
    expect(existsSync(join(repo.dir, 'created.txt'))).toBe(false);
    expect(repo.git('status', '--porcelain')).toBe(status);
    expect(repo.git('diff', '--cached', '--name-only')).toBe('s.txt');
    const events = await store.replay();
    expect(events.filter((e) => e.reverted).map((e) => e.type)).toEqual(['message', 'reply', 'edit', 'edit']);
    await store.redo();
    expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('AA\n');
    expect((await store.replay()).some((e) => e.reverted)).toBe(false);
    expect((await refusalOf(store.redo())).code).toBe('git.nothing-to-redo');
    store.close();
  });
});

describe('repositories assist cannot read', () => {
  it('refuses a reftable repository in one line with what to do, before writing anything', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    // Git 2.45+ writes this for `git init --ref-format=reftable`; older git only carries the key.
    repo.git('config', 'extensions.refStorage', 'reftable');
    const refused = await refusalOf(openStore({ cwd: repo.dir, env: repo.env }));
    expect(refused).toMatchObject({ code: 'git.reftable-unsupported', exitCode: 1 });
    expect(refused.message).not.toContain('\n');
    expect(refused.hint).toContain('--ref-format=files');
    expect(repo.git('status', '--porcelain')).toBe('');
    expect(existsSync(join(repo.dir, '.git', 'assist'))).toBe(false);
  });
});

describe('committing the user\'s own changes (/commit)', () => {
  it('commits what `git commit -a` takes, and undo gives it back staged as it was; redo commits it again', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n', 'b.txt': 'b\n', 'gone.txt': 'g\n', 'same.txt': 's\n' } });
    const { store, id } = await start(repo);
    const edit = await store.applyBatch(undefined, batch([{ path: 'same.txt', content: 'model\n' }]));
    repo.write('a.txt', 'staged\n');
    repo.git('add', 'a.txt');
    repo.write('a.txt', 'staged then more\n');
    repo.write('b.txt', 'unstaged\n');
    repo.write('new.txt', 'staged new\n');
    repo.git('add', 'new.txt');
    repo.git('rm', '-q', 'gone.txt');
    repo.write('untracked.txt', 'stays out\n');
    const statusBefore = repo.git('status', '--porcelain');
    const stagedBefore = repo.git('diff', '--cached');

    const done = await store.commitUserChanges(id, { message: 'My own work', request: 'req-user' });
    expect(repo.git('rev-parse', 'HEAD')).toBe(done.commit);
    expect(repo.git('rev-parse', 'HEAD^')).toBe(edit.commit);
    expect(done.files.map((f) => `${f.change} ${f.path}`)).toEqual(['M a.txt', 'M b.txt', 'D gone.txt', 'A new.txt']);
    expect(repo.git('show', '-s', '--format=%s%n%(trailers:key=Assist-Event,key=Assist-Model)', 'HEAD').trim()).toBe('My own work\nAssist-Event: snapshot\nAssist-Model: user');
    expect(repo.git('show', 'HEAD:a.txt')).toBe('staged then more');
    expect(repo.git('status', '--porcelain')).toBe('?? untracked.txt');
    const event = (await store.replay()).at(-1)!;
    expect(event).toMatchObject({ type: 'edit', model: 'user', commit: done.commit, snapshot: { commit: done.commit } });

    const undone = await store.undo();
    expect(undone.undone).toEqual([{ commit: done.commit, summary: 'My own work', files: ['a.txt', 'b.txt', 'gone.txt', 'new.txt'] }]);
    expect(repo.git('rev-parse', 'HEAD')).toBe(edit.commit);
    expect(repo.git('status', '--porcelain')).toBe(statusBefore);
    expect(repo.git('diff', '--cached')).toBe(stagedBefore);
    expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('staged then more\n');

    await store.redo();
    expect(repo.git('rev-parse', 'HEAD')).toBe(done.commit);
    expect(repo.git('status', '--porcelain')).toBe('?? untracked.txt');
    // The model's edit underneath is still an ordinary edit: two undos take both back.
    await store.undo({ count: 2 });
    expect(repo.git('rev-parse', 'HEAD')).toBe(repo.git('rev-parse', `${edit.commit}^`));
    expect(readFileSync(join(repo.dir, 'same.txt'), 'utf8')).toBe('s\n');
    expect(readFileSync(join(repo.dir, 'b.txt'), 'utf8')).toBe('unstaged\n');
    store.close();
  });

  it('names the files when no message is given, refuses with nothing to commit, and works with --no-branch', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const { store, id } = await start(repo, true);
    repo.write('untracked.txt', 'u\n');
    const nothing = await refusalOf(store.commitUserChanges(id, { request: 'r1' }));
    expect(nothing).toMatchObject({ code: 'git.nothing-to-commit', exitCode: 5 });
    repo.write('a.txt', 'mine\n');
    const done = await store.commitUserChanges(id, { request: 'r2' });
    expect(repo.git('symbolic-ref', '--short', 'HEAD')).toBe('main');
    expect(repo.git('log', '-1', '--format=%s', 'main')).toBe('Your changes to a.txt');
    expect(repo.git('rev-parse', 'main')).toBe(done.commit);
    store.close();
  });

  it('refuses when HEAD left the session branch, and commits nothing', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const { store, id } = await start(repo);
    repo.write('a.txt', 'mine\n');
    repo.git('switch', '-q', 'main');
    const refused = await refusalOf(store.commitUserChanges(id, { request: 'r' }));
    expect(refused.code).toBe('git.head-moved');
    expect(repo.git('rev-list', '--count', 'main')).toBe('1');
    expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('mine\n');
    store.close();
  });
});
