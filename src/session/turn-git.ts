import type { FileListing } from '../context/git-files.js';
import { TurnSnapshot } from '../git/turn-snapshot.js';
import type { NotIgnoredLookup } from '../sandbox/index.js';
import type { SessionCore } from './core.js';

/** Where the repository is, as the store found it. */
export interface TurnGitPaths {
  root: string;
  gitDir: string;
  sharedAssistDir: string;
}

/**
 * The git state one turn of a session shares (src/git/turn-snapshot.ts), with what the session
 * derives from it: the repo map's and the search index's source listing, the file list for
 * mentions, and the tracked-file answers that spare `git check-ignore` and `git ls-files -t`.
 * The session drops it when it commits and when the turn ends.
 */
export class TurnGit {
  readonly snapshot: TurnSnapshot;
  private sources: Promise<{ files: FileListing; root: string; sharedAssistDir: string }> | null = null;

  constructor(
    private readonly paths: TurnGitPaths,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.snapshot = new TurnSnapshot({ root: paths.root, gitDir: paths.gitDir, env });
  }

  /** The source files the repo map and the search index cover, listed (and hashed) once per turn. */
  sourceListing(): Promise<{ files: FileListing; root: string; sharedAssistDir: string }> {
    if (this.sources) return this.sources;
    const { root, sharedAssistDir } = this.paths;
    const made = (async () => {
      const { listSourceFiles } = await import('../context/index.js');
      const files = await listSourceFiles(root, this.env, Promise.resolve(root), this.snapshot.listing().then((l) => l.raw));
      return { files, root, sharedAssistDir };
    })();
    this.sources = made;
    made.catch(() => {
      if (this.sources === made) this.sources = null;
    });
    return made;
  }

  /** Tracked files and untracked files git does not ignore (`git ls-files --cached --others --exclude-standard`). */
  async files(): Promise<readonly string[]> {
    return (await this.snapshot.listing()).files;
  }

  /** Tracked files among `rels`, while the index is the one listed (else none: git is asked). */
  readonly knownNotIgnored: NotIgnoredLookup = async (rels) => (await this.snapshot.trackedNow(rels))?.tracked ?? new Set<string>();

  /**
   * The skip-worktree files among `rels`, or null when the listing cannot say (then git is asked).
   * A check before the approval only: the store asks git again under its lock before writing.
   */
  async outsideSparseCone(rels: readonly string[]): Promise<ReadonlySet<string> | null> {
    // Only an index entry has the bit: a path the unchanged index lacks is not outside the cone.
    return (await this.snapshot.trackedNow(rels))?.skipWorktree ?? null;
  }

  /** Forgets everything: assist committed, or the turn ended. */
  invalidate(): void {
    this.snapshot.invalidate();
    this.sources = null;
  }
}

/**
 * The store's `outsideSparseCone` (one `git ls-files -t`), answered from the turn's listing when it
 * can say that none of `rels` is outside the sparse checkout; git is asked otherwise (and for the
 * reasons, when one is).
 */
export async function outsideSparseCone(
  turn: TurnGit,
  store: { outsideSparseCone(paths: readonly string[]): Promise<Map<string, { reason: string; code: string }>> },
  rels: readonly string[],
): Promise<Map<string, { reason: string; code: string }>> {
  if (rels.length === 0) return new Map();
  const known = await turn.outsideSparseCone(rels);
  if (known !== null && known.size === 0) return new Map();
  return store.outsideSparseCone(rels);
}

// Kept beside the session's shared state rather than on `SessionCore`: its types reach the context
// module's, which the library's declarations (dist/types) must not.
const perSession = new WeakMap<SessionCore, { turnGit: TurnGit | null }>();

function stateOf(core: SessionCore): { turnGit: TurnGit | null } {
  let state = perSession.get(core);
  if (!state) perSession.set(core, (state = { turnGit: null }));
  return state;
}

/** The git state this turn of the session shares (listing, tracked files): dropped when assist commits and when the turn ends. */
export function turnGitOf(core: SessionCore): TurnGit {
  const state = stateOf(core);
  const paths = core.store.repo.paths;
  return (state.turnGit ??= new TurnGit({ root: core.root, gitDir: paths.gitDir, sharedAssistDir: paths.sharedAssistDir }, core.options.env));
}

/** Tracked files and untracked files git does not ignore, from the turn's listing (none when git fails). */
export async function trackedFiles(core: SessionCore): Promise<string[]> {
  try {
    return [...(await turnGitOf(core).files())];
  } catch {
    return [];
  }
}
