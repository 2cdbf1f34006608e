import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { TurnSnapshot } from './turn-snapshot.js';

function snapshotOf(repo: { dir: string; env: NodeJS.ProcessEnv }): TurnSnapshot {
  return new TurnSnapshot({ root: repo.dir, gitDir: join(repo.dir, '.git'), env: repo.env });
}

describe('TurnSnapshot', () => {
  it('lists tracked files and untracked files git does not ignore, as ls-files --cached --others --exclude-standard', async () => {
    await using repo = tempRepo({ files: { 'a.ts': 'a\n', 'src/b.ts': 'b\n', '.gitignore': 'secret.txt\n' } });
    repo.write('new.ts', 'n\n');
    repo.write('secret.txt', 's\n');
    const listing = await snapshotOf(repo).listing();
    const git = repo.git('ls-files', '-z', '--cached', '--others', '--exclude-standard').split('\0').filter(Boolean);
    expect([...listing.files].sort()).toEqual(git.sort());
    expect(listing.files).not.toContain('secret.txt');
    expect([...listing.tracked].sort()).toEqual(['.gitignore', 'a.ts', 'src/b.ts']);
    // The very output `listSourceFiles` would ask git for (LIST_ARGS of src/context/git-files.ts).
    expect(listing.raw).toBe(repo.git('ls-files', '-z', '-s', '-t', '-m', '-d', '-o', '--exclude-standard', '--full-name', '--', ':/'));
    expect(listing.raw.split('\0')).toContainEqual(expect.stringMatching(/^H 100644 [0-9a-f]{40} 0\t\.gitignore$/));
  });

  it('says "no untracked files" only from a listing without any, while the index is unchanged and nothing that writes ran', async () => {
    await using repo = tempRepo({ files: { 'a.ts': 'a\n', '.gitignore': 'out/\n' } });
    repo.write('out/ignored.ts', 'x\n');
    const snap = snapshotOf(repo);
    expect(await snap.noUntrackedNow()).toBe(false);
    await snap.listing();
    // Ignored files do not count: git grep --untracked skips them too.
    expect(await snap.noUntrackedNow()).toBe(true);
    // A command (or anything that may write) ran: not said again until the next listing.
    snap.touchWorkTree();
    expect(await snap.noUntrackedNow()).toBe(false);
    snap.invalidate();
    repo.write('made.ts', 'm\n');
    await snap.listing();
    expect(await snap.noUntrackedNow()).toBe(false);
    // Committed, listed again: none.
    repo.git('add', 'made.ts');
    repo.git('commit', '-q', '-m', 'made');
    snap.invalidate();
    await snap.listing();
    expect(await snap.noUntrackedNow()).toBe(true);
    // The index changed since the listing: cannot be said.
    repo.write('a.ts', 'changed\n');
    repo.git('add', 'a.ts');
    expect(await snap.noUntrackedNow()).toBe(false);
  });

  it('answers "tracked" only from a listing already made, and only while the index is the one it read', async () => {
    await using repo = tempRepo({ files: { 'a.ts': 'a\n', 'b.ts': 'b\n' } });
    const snap = snapshotOf(repo);
    expect(await snap.trackedNow(['a.ts'])).toBeNull();
    await snap.listing();
    const known = await snap.trackedNow(['a.ts', 'c.ts']);
    expect(known && [...known.tracked]).toEqual(['a.ts']);

    // The person untracks a file during the turn: the index changes, the snapshot declines.
    repo.git('rm', '-q', '--cached', 'a.ts');
    expect(await snap.trackedNow(['a.ts'])).toBeNull();

    // Listed again, it knows the new index.
    snap.invalidate();
    await snap.listing();
    const again = await snap.trackedNow(['a.ts', 'b.ts']);
    expect(again && [...again.tracked]).toEqual(['b.ts']);
  });

  it('declines after `git add` of a new file and after a commit', async () => {
    await using repo = tempRepo({ files: { 'a.ts': 'a\n' } });
    const snap = snapshotOf(repo);
    await snap.listing();
    repo.write('c.ts', 'c\n');
    expect(await snap.trackedNow(['c.ts'])).not.toBeNull();
    repo.git('add', 'c.ts');
    expect(await snap.trackedNow(['c.ts'])).toBeNull();
    snap.invalidate();
    await snap.listing();
    expect((await snap.trackedNow(['c.ts']))?.tracked.has('c.ts')).toBe(true);
    repo.git('commit', '-q', '-m', 'c');
    expect(await snap.trackedNow(['c.ts'])).toBeNull();
  });

  it('marks files outside the sparse checkout', async () => {
    await using repo = tempRepo({ files: { 'in/a.ts': 'a\n', 'out/b.ts': 'b\n' } });
    repo.git('update-index', '--skip-worktree', 'out/b.ts');
    const snap = snapshotOf(repo);
    await snap.listing();
    const known = await snap.trackedNow(['in/a.ts', 'out/b.ts']);
    expect(known && [...known.skipWorktree]).toEqual(['out/b.ts']);
  });

  it('answers nothing from the listing when GIT_INDEX_FILE names another index', async () => {
    await using repo = tempRepo({ files: { 'a.ts': 'a\n' } });
    const snap = new TurnSnapshot({ root: repo.dir, gitDir: join(repo.dir, '.git'), env: { ...repo.env, GIT_INDEX_FILE: join(repo.dir, '.git', 'other-index') } });
    await snap.listing();
    expect(await snap.trackedNow(['a.ts'])).toBeNull();
  });

  it('does not keep a listing begun before it was invalidated', async () => {
    await using repo = tempRepo({ files: { 'a.ts': 'a\n' } });
    const snap = snapshotOf(repo);
    const first = snap.listing();
    snap.invalidate();
    await first;
    expect(await snap.trackedNow(['a.ts'])).toBeNull();
    expect(snap.listing()).not.toBe(first);
  });
});
