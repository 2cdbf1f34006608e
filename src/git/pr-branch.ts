import { rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AssistError, refusal } from '../errors.js';
import { writeEvent } from './chain.js';
import { checkpointRef, chainRef } from './session-id.js';
import type { RefUpdate } from './repo.js';
import type { GitStore } from './store.js';
import type { SessionInfo } from './store-types.js';

/** What {@link squashSessionBranch} did. */
export interface SquashResult {
  /** The one commit now on the branch, or null when the branch had nothing to squash. */
  commit: string | null;
  /** The tip before the squash, kept as the checkpoint `pre-squash`. */
  previous: string | null;
}

export interface SquashOptions {
  /** The full commit message (summary, blank line, body, trailers). */
  message: string;
  /**
   * Run the repository's `pre-commit` and `commit-msg` hooks and sign as `commit.gpgsign` says
   * (`pr --allow-repo-hooks`). Default false: a scratch commit like every session-branch commit.
   */
  runHooks?: boolean;
}

/**
 * Rewrites the current session's branch, in place, into one commit on its base commit with the
 * same tree (`pr --squash`). The old tip stays reachable as the checkpoint `pre-squash`, and a
 * `finish` event (mode `squash`, onto the branch itself) records the move, so the chain still
 * agrees with the branch. Work tree and index are untouched: the tree does not change.
 */
export async function squashSessionBranch(store: GitStore, options: SquashOptions): Promise<SquashResult> {
  const session = requireBranchSession(store);
  using lock = await store.lock();
  void lock;
  const { head, tip } = await store.guard(session);
  const base = session.base.commit;
  if (head.oid === null || head.oid === base) return { commit: null, previous: head.oid };
  const repo = store.repo;
  const tree = (await repo.objects.readCommit(head.oid)).tree;
  const parents = base === null ? [] : [base];
  const commit = options.runHooks ? await commitWithHooks(store, tree, parents, options.message) : repo.writeCommit(tree, parents, options.message);
  const event = writeEvent(repo, session.id, tip, { type: 'finish', mode: 'squash', onto: session.branch, commit }, { tip: commit });
  const updates: RefUpdate[] = [
    { ref: session.ref, value: commit, old: head.oid },
    { ref: checkpointRef(session.id, 'pre-squash'), value: head.oid },
    event.update,
  ];
  await repo.updateRefs(updates, `assist: squash ${session.id}`);
  return { commit, previous: head.oid };
}

/**
 * Removes every trace of a session that made no commit (`pr` with nothing to do): its branch,
 * its branch config, its event chain and its checkpoints. Refuses when the branch holds commits
 * beyond its base, or when HEAD is still on it.
 */
export async function dropEmptySession(store: GitStore, sessionId: string): Promise<void> {
  const session = await store.session(sessionId);
  const repo = store.repo;
  using lock = await store.lock();
  void lock;
  const updates: RefUpdate[] = [];
  if (!session.noBranch && session.branch) {
    if (repo.head().ref === session.ref) throw refusal('git.drop-current', `HEAD is still on ${session.branch}`, 'switch away from it first');
    const tip = repo.readRef(session.ref);
    if (tip !== null && tip !== session.base.commit) {
      throw refusal('git.drop-has-commits', `${session.branch} has commits beyond its base: not deleting it`, 'finish or discard it with `assist session finish`');
    }
    if (tip !== null) updates.push({ ref: session.ref, value: null, old: tip });
  }
  const chain = repo.readRef(chainRef(sessionId));
  if (chain !== null) updates.push({ ref: chainRef(sessionId), value: null, old: chain });
  for (const [ref, oid] of await repo.listRefs(`refs/assist/checkpoints/${sessionId}/`)) updates.push({ ref, value: null, old: oid });
  await repo.updateRefs(updates, `assist: drop empty session ${sessionId}`);
  if (!session.noBranch && session.branch) await repo.unsetConfigSection(`branch.${session.branch}`);
}

function requireBranchSession(store: GitStore): SessionInfo {
  const session = store.currentSession();
  if (!session || session.noBranch || !session.branch) throw refusal('git.no-session', 'HEAD is not on an assist session branch', 'switch to the session branch first');
  return session;
}

// Like a commit on a user's branch: pre-commit sees exactly the new tree (a private index),
// commit-msg may rewrite the message, and commit.gpgsign is honoured.
async function commitWithHooks(store: GitStore, tree: string, parents: string[], message: string): Promise<string> {
  const repo = store.repo;
  const dir = repo.paths.worktreeAssistDir;
  const indexFile = join(dir, 'squash-index');
  const msgFile = join(dir, 'SQUASH_EDITMSG');
  writeFileSync(msgFile, message);
  const env = { GIT_INDEX_FILE: indexFile };
  try {
    await repo.git(['read-tree', tree], { extraEnv: env });
    for (const hook of ['pre-commit', 'commit-msg']) {
      const args = ['hook', 'run', '--ignore-missing', hook, ...(hook === 'commit-msg' ? ['--', msgFile] : [])];
      const result = await repo.git(args, { extraEnv: env, okCodes: [0, 1, 2, 126, 127, 128, 255] });
      if (result.code !== 0) {
        const output = `${result.stdout.toString('utf8')}${result.stderr}`.trim();
        throw new AssistError('git.hook-rejected', `the ${hook} hook rejected the squash commit${output ? `: ${output.split('\n')[0] ?? ''}` : ''}`, {
          hint: 'the branch keeps its commits unsquashed; fix what the hook reported, or run without --squash',
          data: { hook, output },
        });
      }
    }
    if (repo.configGet('commit.gpgsign') === 'true') {
      return (await repo.gitText(['commit-tree', '-S', tree, ...parents.flatMap((p) => ['-p', p]), '-F', msgFile])).trim();
    }
    return repo.writeCommit(tree, parents, readFileSync(msgFile, 'utf8'));
  } finally {
    rmSync(indexFile, { force: true });
    rmSync(msgFile, { force: true });
  }
}
