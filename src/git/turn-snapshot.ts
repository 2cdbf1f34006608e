import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AssistError } from '../errors.js';

/** The listing of the index and the work tree one turn shares (see {@link TurnSnapshot}). */
export interface TurnListing {
  /** The output of the one `git ls-files` of {@link LISTING_ARGS}, as `listSourceFiles` reads it. */
  raw: string;
  /** Paths in the index (any stage). */
  tracked: ReadonlySet<string>;
  /** Paths in the index with the skip-worktree bit (outside a sparse checkout). */
  skipWorktree: ReadonlySet<string>;
  /** Tracked files and untracked files git does not ignore, as `git ls-files --cached --others --exclude-standard` lists them. */
  files: readonly string[];
}

/** What identifies one version of the index file: git replaces it by a rename on every write. */
interface IndexStamp {
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

function sameStamp(a: IndexStamp | null, b: IndexStamp | null): boolean {
  return a !== null && b !== null && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

/**
 * The repo map's one listing (`LIST_ARGS` in src/context/git-files.ts, which git/ does not import):
 * index entries with their blob ids, tagged (`H` cached, `S` skip-worktree, `M` unmerged), then
 * modified (`C`) and deleted (`R`) entries and untracked files git does not ignore (`?`, path alone).
 */
export const LISTING_ARGS: readonly string[] = ['ls-files', '-z', '-s', '-t', '-m', '-d', '-o', '--exclude-standard', '--full-name', '--', ':/'];

function gitText(root: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', [...args], { cwd: root, env: { ...env, GIT_OPTIONAL_LOCKS: '0' }, encoding: 'utf8', maxBuffer: 1 << 30 }, (error, stdout, stderr) => {
      if (error) reject(new AssistError('context.git-failed', `git ${args[0] ?? ''} failed: ${stderr.trim().split('\n')[0] ?? ''}`, { cause: error }));
      else resolve(stdout);
    });
  });
}

/**
 * What the git processes of one turn would each ask again: the file listing of the index and the
 * work tree, made once (one `git ls-files`) and shared by the repo map, the search index, the
 * file mentions and the path checks. It is dropped when assist commits and when the turn ends
 * ({@link invalidate}).
 *
 * Never a source for what protects the person's work: the checks before a write (a file changed
 * since its diff was shown, uncommitted changes to snapshot, the sparse checkout under the lock)
 * read the disk and the index afresh. The one answer that stands in for a git process on the way
 * to a read or a write, {@link trackedNow}, is given only while the index file is the very one the
 * listing read (same inode, size and times): git rewrites the index by a rename, so any `git add`,
 * `git rm --cached`, commit or checkout since then makes it decline, and the caller asks git.
 */
export class TurnSnapshot {
  private listed: Promise<TurnListing> | null = null;
  private settled: { listing: TurnListing; stamp: IndexStamp | null } | null = null;
  /** Bumped by {@link invalidate}: a listing begun before it is not kept. */
  private generation = 0;
  /** Something that can write files ran since the listing began (a command, a hook, an MCP tool). */
  private touched = false;

  constructor(private readonly options: { root: string; gitDir: string; env: NodeJS.ProcessEnv }) {}

  /** Where the index is; null when `GIT_INDEX_FILE` names another one (then nothing is answered from the listing). */
  private get indexFile(): string | null {
    return this.options.env['GIT_INDEX_FILE'] ? null : join(this.options.gitDir, 'index');
  }

  private async stamp(): Promise<IndexStamp | null> {
    const file = this.indexFile;
    if (file === null) return null;
    try {
      const s = await stat(file);
      return { ino: s.ino, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs };
    } catch {
      return null;
    }
  }

  /** The turn's listing: made on first use, shared until {@link invalidate}. Rejects when git fails (and is asked again next time). */
  listing(): Promise<TurnListing> {
    if (this.listed) return this.listed;
    const made = this.make();
    this.listed = made;
    made.catch(() => {
      if (this.listed === made) this.listed = null;
    });
    return made;
  }

  private async make(): Promise<TurnListing> {
    const { root, env } = this.options;
    const generation = this.generation;
    // The stamp is taken before git reads the index: a write after it changes the stamp.
    const stamp = await this.stamp();
    const raw = await gitText(root, LISTING_ARGS, env);
    const tracked = new Set<string>();
    const skipWorktree = new Set<string>();
    const untracked: string[] = [];
    for (const record of raw.split('\0')) {
      if (record.length < 3) continue;
      const tag = record[0];
      if (tag === '?') {
        untracked.push(record.slice(2));
        continue;
      }
      // `H 100644 <oid> 0\t<path>`: an index entry (`C`/`R`: the same entry, modified or deleted in the work tree).
      if (tag !== 'H' && tag !== 'S' && tag !== 'M') continue;
      const path = record.slice(record.indexOf('\t') + 1);
      tracked.add(path);
      if (tag === 'S') skipWorktree.add(path);
    }
    const files = [...tracked, ...untracked];
    const listing: TurnListing = { raw, tracked, skipWorktree, files };
    if (generation === this.generation) this.settled = { listing, stamp };
    return listing;
  }

  /**
   * Whether each of `paths` is in the index, from a listing already made and only while the index
   * is unchanged since; null when that cannot be said without git (no listing yet, index changed).
   * A tracked file is never ignored by git's rules: callers skip `git check-ignore` for those.
   */
  async trackedNow(paths: readonly string[]): Promise<{ tracked: Set<string>; skipWorktree: Set<string> } | null> {
    const settled = this.settled;
    if (settled === null || settled.stamp === null) return null;
    if (!sameStamp(settled.stamp, await this.stamp())) return null;
    const tracked = new Set<string>();
    const skipWorktree = new Set<string>();
    for (const p of paths) {
      if (settled.listing.tracked.has(p)) tracked.add(p);
      if (settled.listing.skipWorktree.has(p)) skipWorktree.add(p);
    }
    return { tracked, skipWorktree };
  }

  /**
   * Whether git would list no untracked file it does not ignore, said from the listing already
   * made (no git process): only while the index is unchanged since and nothing that can create
   * files ran since the listing began ({@link touchWorkTree}); false whenever it cannot be said.
   * A file the person creates by hand during the turn is not seen until the next listing.
   */
  async noUntrackedNow(): Promise<boolean> {
    const settled = this.settled;
    if (this.touched || settled === null || settled.stamp === null) return false;
    if (settled.listing.files.length !== settled.listing.tracked.size) return false;
    return sameStamp(settled.stamp, await this.stamp());
  }

  /** Something that can create files in the work tree ran: {@link noUntrackedNow} says false until the next listing. */
  touchWorkTree(): void {
    this.touched = true;
  }

  /** Forgets the listing: assist committed, or the turn ended. */
  invalidate(): void {
    this.generation++;
    this.listed = null;
    this.settled = null;
    // The next listing starts after whatever ran, so it sees what that created.
    this.touched = false;
  }
}
