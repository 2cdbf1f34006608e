import { join } from 'node:path';
import { AssistError, refusal } from '../errors.js';
import type { EditEvent } from './events.js';
import { keptIgnored } from './ignored-files.js';
import { hashObject } from './objects.js';
import { pauseAt } from './pause.js';
import { literal, type StoreCore } from './store-core.js';
import { readWorktree, writeWorktreeAtomic } from './worktree-files.js';

/**
 * Moves index and work tree from `from` to `to` (local changes to other files stay exactly as
 * they are, staged or not), then gives back the snapshots of `undone` edits as uncommitted
 * changes. The caller moves the ref. With `paths`, the only paths the two commits differ in,
 * the quick move on just those is tried first ({@link movePaths}); else `read-tree -m -u`.
 */
export async function moveTo(core: StoreCore, from: string | null, to: string | null, undone: readonly EditEvent[], paths: readonly string[] | null = null): Promise<string[]> {
  if (paths && from && to && (await movePaths(core, to, paths))) return giveBackSnapshots(core, undone);
  const fromTree = from ? from : core.repo.objects.emptyTree;
  const toTree = to ? to : core.repo.objects.write('tree', Buffer.alloc(0));
  if (!from) core.repo.objects.write('tree', Buffer.alloc(0));
  const readTree = () => core.repo.git(['read-tree', '-m', '-u', fromTree, toTree], { okCodes: [0, 128] });
  // read-tree checks only the entries it changes, and refuses one whose stat data is stale even
  // when its content is clean. Refreshing the whole index first costs a process and a scan of
  // every file on each undo; refreshing only after a refusal costs that in the rare case alone.
  // read-tree writes nothing when it refuses, so the retry starts from the same state.
  let result = await readTree();
  if (result.code !== 0) {
    await core.repo.git(['update-index', '-q', '--refresh'], { okCodes: [0, 1] });
    result = await readTree();
  }
  if (result.code !== 0) {
    const changed = await core.repo.gitText(['diff', '--name-only', '-z', fromTree, toTree]);
    const touched = changed.split('\0').filter(Boolean);
    const dirty = touched.length
      ? (await core.repo.gitText(['diff-index', '--name-only', '-z', 'HEAD', '--', ...touched.map(literal)], { okCodes: [0, 128] })).split('\0').filter(Boolean)
      : [];
    const untracked = result.stderr.match(/^\t(.+)$/gm)?.map((l) => l.trim()) ?? [];
    const files = [...new Set([...dirty, ...untracked])];
    throw refusal('git.dirty-files', `refusing: ${files.length ? files.join(', ') : 'files it would change'} ${files.length === 1 ? 'has' : 'have'} uncommitted changes that would be overwritten`, 'commit, stash or revert those changes first; nothing was changed', {
      files,
      stderr: result.stderr,
    });
  }
  return giveBackSnapshots(core, undone);
}

/**
 * The quick way for a move between two commits known to differ only in `paths` (the files of
 * the edits an undo or redo moves over), with HEAD at the first: `read-tree -m -u` walks both
 * whole trees (about 30 ms on a 2,000-file repository), `git restore` only these paths. It runs
 * only when `git status` finds all of them clean. An untracked or ignored file at one of them is
 * refused here; a tracked change, or a path in neither commit, changes nothing and returns false,
 * and the caller's read-tree gives git's own verdict.
 */
export async function movePaths(core: StoreCore, to: string, paths: readonly string[]): Promise<boolean> {
  const unique = [...new Set(paths)];
  if (unique.length === 0 || unique.length > 500 || core.repo.configGet('core.sparsecheckout') === 'true') return false;
  const literal = { GIT_LITERAL_PATHSPECS: '1' };
  const status = await core.repo.git(['status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignored=matching', '--no-renames', '--', ...unique], {
    okCodes: [0, 128],
    extraEnv: { ...literal, GIT_OPTIONAL_LOCKS: '0' },
  });
  if (status.code !== 0) return false;
  const listed = status.stdout.toString('utf8').split('\0').filter(Boolean);
  // read-tree refuses an untracked file it would overwrite but, like all of git since 2.35,
  // takes an ignored one as expendable; assist keeps both, and names them.
  const strays = listed.filter((l) => l.startsWith('?? ') || l.startsWith('!! ')).map((l) => l.slice(3));
  if (strays.length) {
    throw refusal('git.dirty-files', `refusing: ${strays.join(', ')} ${strays.length === 1 ? 'is' : 'are'} not tracked but would be overwritten`, 'move, commit or delete those files first; nothing was changed', { files: strays });
  }
  if (listed.length > 0) return false;
  const restore = await core.repo.git(['restore', `--source=${to}`, '--staged', '--worktree', '--pathspec-from-file=-', '--pathspec-file-nul'], {
    input: `${unique.join('\0')}\0`,
    okCodes: [0, 1, 128],
    // In the C locale, so that the one refusal this tells apart reads the same everywhere.
    extraEnv: { ...literal, LC_ALL: 'C' },
  });
  if (restore.code === 0) return true;
  // git checks every path before it writes anything: a path in neither commit fails here, untouched.
  if (/did not match any file/.test(restore.stderr)) return false;
  throw new AssistError('git.command-failed', `git restore failed: ${restore.stderr.trim().split('\n')[0] ?? `exit ${restore.code}`}`, { data: { stderr: restore.stderr } });
}

/** After a move: the snapshots of `undone` edits come back as uncommitted changes (see {@link moveTo}). */
export async function giveBackSnapshots(core: StoreCore, undone: readonly EditEvent[]): Promise<string[]> {
  pauseAt('undo-after-read-tree', core.repo.env);
  const restored: string[] = [];
  const indexInfo: string[] = [];
  const tmpDir = join(core.repo.paths.worktreeAssistDir, 'tmp');
  // Newest first, so the oldest snapshot of a file wins: that is what the user had before any of them.
  for (const edit of undone) {
    if (!edit.snapshot) continue;
    const snapTree = (await core.repo.objects.readCommit(edit.snapshot.commit)).tree;
    for (const { path, entry } of edit.snapshot.index) {
      const snap = await core.repo.objects.entryAt(snapTree, path);
      const content = snap ? ((await core.repo.objects.read(snap.oid))?.body ?? null) : null;
      writeWorktreeAtomic(core.root, path, content, tmpDir, snap?.mode);
      indexInfo.push(entry ? `${entry.mode} ${entry.oid}\t${path}` : `0 ${core.repo.zeroOid}\t${path}`);
      restored.push(path);
    }
  }
  if (restored.length) pauseAt('undo-after-restore', core.repo.env);
  if (indexInfo.length) await core.repo.git(['update-index', '--index-info'], { input: `${indexInfo.join('\n')}\n` });
  restored.push(...moveIgnored(core, undone, 'back'));
  return [...new Set(restored)];
}

/**
 * Git-ignored files of these edits (newest first) go back to what they held before (`back`, undo)
 * or forward to what the edits wrote (`forward`, redo), each only while it holds exactly what the
 * other side left there: anything else the person put there since stays.
 */
export function moveIgnored(core: StoreCore, edits: readonly EditEvent[], direction: 'back' | 'forward'): string[] {
  const moved: string[] = [];
  const tmpDir = join(core.repo.paths.worktreeAssistDir, 'tmp');
  const ordered = direction === 'back' ? edits : [...edits].reverse();
  for (const edit of ordered) {
    for (const w of edit.ignored ?? []) {
      const [from, to] = direction === 'back' ? [w.new, w.old?.oid ?? null] : [w.old?.oid ?? null, w.new];
      const cur = readWorktree(core.root, w.path);
      if ((cur === null ? null : hashObject(core.repo.objects.format, 'blob', cur)) !== from) continue;
      const content = to === null ? null : keptIgnored(core, to);
      if (to !== null && content === null) continue;
      writeWorktreeAtomic(core.root, w.path, content, tmpDir, w.old?.mode);
      moved.push(w.path);
    }
  }
  return moved;
}

/** Files that still hold exactly what an undo restored from their snapshot go back to HEAD, so redo can move them. */
export async function resetToHeadIfSnapshot(core: StoreCore, headOid: string | null, edits: readonly EditEvent[]): Promise<void> {
  const headTree = headOid ? (await core.repo.objects.readCommit(headOid)).tree : null;
  const tmpDir = join(core.repo.paths.worktreeAssistDir, 'tmp');
  const info: string[] = [];
  for (const edit of [...edits].reverse()) {
    if (!edit.snapshot) continue;
    const snapTree = (await core.repo.objects.readCommit(edit.snapshot.commit)).tree;
    for (const { path } of edit.snapshot.index) {
      const snap = await core.repo.objects.entryAt(snapTree, path);
      const cur = readWorktree(core.root, path);
      const same = snap === null ? cur === null : cur !== null && hashObject(core.repo.objects.format, 'blob', cur) === snap.oid;
      if (!same) continue;
      const h = await core.repo.objects.entryAt(headTree, path);
      writeWorktreeAtomic(core.root, path, h ? ((await core.repo.objects.read(h.oid))?.body ?? null) : null, tmpDir, h?.mode);
      info.push(h ? `${h.mode} ${h.oid}\t${path}` : `0 ${core.repo.zeroOid}\t${path}`);
    }
  }
  if (info.length) {
    await core.repo.git(['update-index', '--index-info'], { input: `${info.join('\n')}\n` });
    await core.repo.git(['update-index', '-q', '--refresh'], { okCodes: [0, 1] });
  }
}

/** Every path the commits of these edits (and their snapshots) touched. */
export function movedPaths(edits: readonly EditEvent[]): string[] {
  const paths: string[] = [];
  for (const e of edits) {
    for (const f of e.files) paths.push(f.path);
    for (const i of e.snapshot?.index ?? []) paths.push(i.path);
  }
  return paths;
}
