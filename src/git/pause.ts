import { writeFileAtomicSync } from '../util/atomic-write.js';

/**
 * Named points of the store's write transactions where a crash test can stop the process
 * (ASSIST_PAUSE_AT). The first five are the steps of an edit batch; the rest cover session
 * start, event appends, undo, redo, checkpoints, finish and crash recovery itself.
 */
export const PAUSE_POINTS = [
  'before-write',
  'between-writes',
  'after-write',
  'before-commit',
  'after-commit',
  'undo-after-read-tree',
  'session-before-refs',
  'session-before-switch',
  'event-before-ref',
  'snapshot-written',
  'before-index-sync',
  'before-journal-remove',
  'undo-before-read-tree',
  'undo-after-restore',
  'undo-before-ref',
  'redo-after-reset',
  'redo-before-ref',
  'checkpoint-before-ref',
  'restore-before-move',
  'restore-before-ref',
  'finish-after-land',
  'finish-after-move',
  'finish-after-head',
  'finish-before-config',
  'recover-mid-rollback',
  'recover-before-remove',
  'drop-pending-mid',
] as const;
export type PausePoint = (typeof PAUSE_POINTS)[number];

/** The five points of an edit batch, in order (the store's own crash test walks them). */
export const BATCH_PAUSE_POINTS: readonly PausePoint[] = ['before-write', 'between-writes', 'after-write', 'before-commit', 'after-commit'];

/**
 * When `ASSIST_PAUSE_AT` names this point, announce the pid (to `ASSIST_PAUSE_FILE`, else stderr)
 * and stop the process with SIGSTOP so a test can kill -9 it exactly here.
 */
export function pauseAt(point: PausePoint, env: NodeJS.ProcessEnv = process.env): void {
  if (env.ASSIST_PAUSE_AT !== point) return;
  const file = env.ASSIST_PAUSE_FILE;
  if (file) announcePid(file);
  else process.stderr.write(`assist: paused at ${point} (pid ${process.pid})\n`);
  process.kill(process.pid, 'SIGSTOP');
}

/**
 * Writes this process's pid to `file` by rename, so a test that sees the file never reads it
 * half-written: an empty read would be pid 0, and kill(0) signals the reader's whole process group.
 */
export function announcePid(file: string): void {
  writeFileAtomicSync(file, `${process.pid}\n`, { fsync: false });
}
