// The work of `assist undo` and `assist redo`, shared by their clipanion commands and the
// start-up fast path (`fast.ts`), so both print and refuse alike.
import { usageError } from '../errors.js';
import { describeRecovery, openStore, type GitStore } from '../git/index.js';
import type { Observability } from '../obs/index.js';
import type { Reporter } from '../ui/reporter.js';

/** Where a command runs, what it prints through, and its log and metrics when they were asked for. */
export interface UndoRedoIO {
  cwd: string;
  env: Record<string, string | undefined>;
  reporter: Reporter;
  obs?: Observability | undefined;
}

/** `N` as typed (or absent) to a positive whole number, or a usage error. */
export function parseUndoCount(typed: string | undefined): number {
  const count = typed === undefined ? 1 : Number(typed);
  if (!Number.isInteger(count) || count < 1) throw usageError('cli.bad-count', `N must be a positive whole number, got ${JSON.stringify(typed)}`, 'example: assist undo 2');
  return count;
}

export async function undoAction(io: UndoRedoIO, options: { count: number; force: boolean }): Promise<number> {
  const store = await openStore({ cwd: io.cwd, env: io.env, command: 'assist undo' });
  try {
    await reportRecovery(store, io.reporter);
    const result = await store.undo({ count: options.count, force: options.force });
    if (result.undone.length > 0) {
      io.obs?.metrics.undo.inc();
      io.obs?.logger.info('git.undo', { commits: result.undone.map((u) => u.commit), to: result.to });
    }
    if (result.pendingDropped) {
      io.reporter.print(`Dropped the pending batch${result.pendingDropped.length ? `: ${result.pendingDropped.join(', ')} restored` : ''}.`);
      return 0;
    }
    for (const u of result.undone) io.reporter.print(`Undid ${u.commit.slice(0, 10)} ${u.summary} (${u.files.join(', ')})`);
    if (result.restored.length) io.reporter.print(`Your own uncommitted changes are back in: ${result.restored.join(', ')}`);
    io.reporter.info('assist redo puts it back.');
    return 0;
  } finally {
    store.close();
  }
}

export async function redoAction(io: UndoRedoIO): Promise<number> {
  const store = await openStore({ cwd: io.cwd, env: io.env, command: 'assist redo' });
  try {
    await reportRecovery(store, io.reporter);
    const result = await store.redo();
    io.obs?.logger.info('git.redo', { commits: result.redone, to: result.to });
    io.reporter.print(`Redid ${result.redone} edit(s); ${result.to ? `the session is at ${result.to.slice(0, 10)}` : 'the session branch has no commit'}.`);
    return 0;
  } finally {
    store.close();
  }
}

/**
 * Finishes or rolls back what a crash left behind, and says what it did, before the command's own
 * work: the person hears about it even when the command then refuses (issue 24 item 17). A batch a
 * hook rejected stays pending (undo drops it and says so itself).
 */
export async function reportRecovery(store: GitStore, reporter: Reporter): Promise<void> {
  const recovered = await store.recover();
  if (recovered && recovered.action !== 'pending') reporter.info(describeRecovery(recovered));
}
