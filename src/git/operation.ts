import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { refusal } from '../errors.js';
import type { RepoPaths } from './repo-paths.js';

/** A git operation that stopped half-way and waits for the person (DESIGN.md §2, "starting and continuing"). */
export interface OperationInProgress {
  kind: 'merge' | 'rebase' | 'am' | 'cherry-pick' | 'revert' | 'bisect';
  /** The file or directory of the git dir that shows it. */
  marker: string;
  /** How to finish it, and how to abort it, as commands. */
  finish: string;
  abort: string;
}

/**
 * What git has in progress in this worktree, read from the per-worktree git dir: a merge
 * (`MERGE_HEAD`), a rebase (`rebase-merge/`, or `rebase-apply/` of the apply backend), `git am`
 * (`rebase-apply/applying`), a cherry-pick or revert (`CHERRY_PICK_HEAD`, `REVERT_HEAD`, or a
 * `sequencer/` left between picks of a range), a bisect (`BISECT_LOG`). Null when none.
 */
export function operationInProgress(paths: Pick<RepoPaths, 'gitDir'>): OperationInProgress | null {
  const has = (name: string): boolean => existsSync(join(paths.gitDir, name));
  if (has('rebase-merge')) return { kind: 'rebase', marker: 'rebase-merge', finish: 'git rebase --continue', abort: 'git rebase --abort' };
  if (has('rebase-apply')) {
    return has(join('rebase-apply', 'applying'))
      ? { kind: 'am', marker: 'rebase-apply', finish: 'git am --continue', abort: 'git am --abort' }
      : { kind: 'rebase', marker: 'rebase-apply', finish: 'git rebase --continue', abort: 'git rebase --abort' };
  }
  if (has('MERGE_HEAD')) return { kind: 'merge', marker: 'MERGE_HEAD', finish: 'git merge --continue', abort: 'git merge --abort' };
  if (has('CHERRY_PICK_HEAD')) return { kind: 'cherry-pick', marker: 'CHERRY_PICK_HEAD', finish: 'git cherry-pick --continue', abort: 'git cherry-pick --abort' };
  if (has('REVERT_HEAD')) return { kind: 'revert', marker: 'REVERT_HEAD', finish: 'git revert --continue', abort: 'git revert --abort' };
  if (has(join('sequencer', 'todo'))) {
    // Between the picks of a range: the todo's first word says which command it is.
    const revert = sequencerIsRevert(join(paths.gitDir, 'sequencer', 'todo'));
    return revert
      ? { kind: 'revert', marker: 'sequencer', finish: 'git revert --continue', abort: 'git revert --abort' }
      : { kind: 'cherry-pick', marker: 'sequencer', finish: 'git cherry-pick --continue', abort: 'git cherry-pick --abort' };
  }
  if (has('BISECT_LOG')) return { kind: 'bisect', marker: 'BISECT_LOG', finish: 'git bisect good|bad', abort: 'git bisect reset' };
  return null;
}

function sequencerIsRevert(todo: string): boolean {
  try {
    return /^\s*revert\b/m.test(readFileSync(todo, 'utf8'));
  } catch {
    return false;
  }
}

const NAMES: Record<OperationInProgress['kind'], string> = {
  merge: 'a merge',
  rebase: 'a rebase',
  am: 'a `git am`',
  'cherry-pick': 'a cherry-pick',
  revert: 'a revert',
  bisect: 'a bisect',
};

/**
 * Refuses (exit 3) while an operation is in progress: assist would commit its conflict markers,
 * collapse the index's conflict stages, or move the branch the operation is about to update.
 * One line, naming the state and the commands that end it.
 */
export function refuseIfOperationInProgress(paths: Pick<RepoPaths, 'gitDir'>): void {
  const op = operationInProgress(paths);
  if (!op) return;
  const how = op.kind === 'bisect' ? `end it with \`${op.abort}\`` : `finish it with \`${op.finish}\` or abort it with \`${op.abort}\``;
  throw refusal('git.operation-in-progress', `${NAMES[op.kind]} is in progress: ${how}, then run assist again`, undefined, { operation: op.kind, marker: op.marker });
}
