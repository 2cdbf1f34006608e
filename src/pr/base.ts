import { AssistError, ExitCode } from '../errors.js';
import type { GitRunner } from './git.js';

/** The ref a PR branch starts from and targets. */
export interface PrBase {
  /** The branch the pull request targets (`main`), or null when the base is a bare commit. */
  name: string | null;
  /** The full ref it was read from (`refs/remotes/origin/main`, `refs/heads/main`), or null for a commit. */
  ref: string | null;
  commit: string;
  /** Where the choice came from: `--base`, `GITHUB_BASE_REF`, `CI_MERGE_REQUEST_TARGET_BRANCH_NAME`, `refs/remotes/<remote>/HEAD`, `the current branch`, `HEAD`. */
  source: string;
}

export interface ResolveBaseOptions {
  git: GitRunner;
  /** `--base`. */
  flag?: string | undefined;
  env: NodeJS.ProcessEnv;
  /** The remote whose branches CI names refer to. */
  remote: string;
}

// CI systems that name the target branch of the change being built, in the order they are tried.
const CI_BASE_VARIABLES = ['GITHUB_BASE_REF', 'CI_MERGE_REQUEST_TARGET_BRANCH_NAME'] as const;

async function fullRef(git: GitRunner, name: string): Promise<string | null> {
  const r = await git(['rev-parse', '--verify', '--quiet', '--symbolic-full-name', name]);
  const ref = r.stdout.trim();
  return r.code === 0 && ref.startsWith('refs/') ? ref : null;
}

async function commitOf(git: GitRunner, rev: string): Promise<string | null> {
  const r = await git(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  return r.code === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : null;
}

async function refExists(git: GitRunner, ref: string): Promise<string | null> {
  return commitOf(git, ref);
}

function branchName(ref: string, remote: string): string | null {
  if (ref.startsWith('refs/heads/')) return ref.slice('refs/heads/'.length);
  const prefix = `refs/remotes/${remote}/`;
  if (ref.startsWith(prefix)) return ref.slice(prefix.length);
  if (ref.startsWith('refs/remotes/')) return ref.split('/').slice(3).join('/') || null;
  return null;
}

/** A branch name CI gave us: the remote's copy first (what the server has), then a local branch. */
async function fromBranchName(git: GitRunner, name: string, remote: string, source: string): Promise<PrBase> {
  for (const ref of [`refs/remotes/${remote}/${name}`, `refs/heads/${name}`]) {
    const commit = await refExists(git, ref);
    if (commit) return { name, ref, commit, source };
  }
  throw new AssistError('pr.base-not-found', `${source} names ${name}, but neither ${remote}/${name} nor ${name} exists in this clone`, {
    hint: 'fetch it first (actions/checkout with fetch-depth: 0, or `git fetch <remote> <branch>`), or pass --base',
    exitCode: ExitCode.usage,
  });
}

/**
 * The base of a PR branch (issue 8): `--base REF` (any revision; a bare branch name missing
 * locally is looked up on the remote), else `GITHUB_BASE_REF` or GitLab's
 * `CI_MERGE_REQUEST_TARGET_BRANCH_NAME` (the remote's copy first), else the remote's default
 * branch (`refs/remotes/<remote>/HEAD`), else the current branch, else a detached HEAD's commit.
 */
export async function resolveBase(options: ResolveBaseOptions): Promise<PrBase> {
  const { git, remote } = options;
  if (options.flag !== undefined && options.flag !== '') {
    const rev = options.flag;
    if (rev.startsWith('-')) throw new AssistError('pr.bad-base', `not a revision: ${rev}`, { exitCode: ExitCode.usage });
    const commit = await commitOf(git, rev);
    if (commit) {
      const ref = await fullRef(git, rev);
      return { name: ref ? branchName(ref, remote) : null, ref, commit, source: '--base' };
    }
    const remoteCommit = await refExists(git, `refs/remotes/${remote}/${rev}`);
    if (remoteCommit) return { name: rev, ref: `refs/remotes/${remote}/${rev}`, commit: remoteCommit, source: '--base' };
    throw new AssistError('pr.base-not-found', `--base ${rev}: no such branch or commit here (nor ${remote}/${rev})`, {
      hint: 'fetch it first, or check the name',
      exitCode: ExitCode.usage,
    });
  }
  for (const variable of CI_BASE_VARIABLES) {
    const name = options.env[variable];
    if (name !== undefined && name.trim() !== '') return fromBranchName(git, name.trim(), remote, variable);
  }
  const remoteHead = await git(['symbolic-ref', '-q', `refs/remotes/${remote}/HEAD`]);
  if (remoteHead.code === 0) {
    const ref = remoteHead.stdout.trim();
    const commit = await refExists(git, ref);
    if (commit) return { name: branchName(ref, remote), ref, commit, source: `refs/remotes/${remote}/HEAD` };
  }
  const head = await git(['symbolic-ref', '-q', 'HEAD']);
  const headCommit = await commitOf(git, 'HEAD');
  if (!headCommit) {
    throw new AssistError('pr.no-base', 'there is no commit to start a branch from (the repository has no commits)', {
      hint: 'commit something first, or pass --base',
      exitCode: ExitCode.usage,
    });
  }
  if (head.code === 0) {
    const ref = head.stdout.trim();
    return { name: branchName(ref, remote), ref, commit: headCommit, source: 'the current branch' };
  }
  return { name: null, ref: null, commit: headCommit, source: 'HEAD' };
}

/** A branch-name slug of the task: lower case, words joined by `-`, at most `max` characters. */
export function slugify(task: string, max = 40): string {
  const words = task
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  let slug = '';
  for (const word of words) {
    const next = slug === '' ? word : `${slug}-${word}`;
    if (next.length > max) {
      if (slug === '') slug = word.slice(0, max);
      break;
    }
    slug = next;
  }
  return slug === '' ? 'task' : slug;
}
