import { writeFileSync } from 'node:fs';

/** Named points of a write transaction where a crash test can stop the process (ASSIST_PAUSE_AT). */
export const PAUSE_POINTS = ['before-write', 'between-writes', 'after-write', 'before-commit', 'after-commit', 'undo-after-read-tree'] as const;
export type PausePoint = (typeof PAUSE_POINTS)[number];

/**
 * When `ASSIST_PAUSE_AT` names this point, announce the pid (to `ASSIST_PAUSE_FILE`, else stderr)
 * and stop the process with SIGSTOP so a test can kill -9 it exactly here.
 */
export function pauseAt(point: PausePoint, env: NodeJS.ProcessEnv = process.env): void {
  if (env.ASSIST_PAUSE_AT !== point) return;
  const file = env.ASSIST_PAUSE_FILE;
  if (file) writeFileSync(file, `${process.pid}\n`);
  else process.stderr.write(`assist: paused at ${point} (pid ${process.pid})\n`);
  process.kill(process.pid, 'SIGSTOP');
}
