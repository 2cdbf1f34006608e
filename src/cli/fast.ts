import type { MainIO } from './main.js';
import { splitGlobalFlags } from './globals.js';
import { mayHaveLogOrMetrics } from './log-metrics-check.js';
import { reportError } from './report-error.js';
import { Reporter } from '../ui/reporter.js';
import { parseUndoCount, redoAction, undoAction } from './undo-redo.js';

/**
 * Start-up fast path for the commands people type between turns, `undo` and `redo`: the plain
 * forms run here without loading the command-line parser and the other commands (about a third
 * of the command's time on a small repository). Anything else, `--help` and malformed lines
 * included, returns null and goes through `main()`, which owns every message about usage.
 */
export async function fastMain(io: Omit<MainIO, 'stdin' | 'version'>): Promise<number | null> {
  const { globals, rest, error } = splitGlobalFlags(io.argv);
  if (error || globals.logFile !== undefined || globals.metricsFile !== undefined || mayHaveLogOrMetrics(io)) return null;
  const [name, ...args] = rest;
  // The reporter is made when first used, after the git processes of the store have started.
  let reporter: Reporter | undefined;
  const io2 = {
    cwd: io.cwd,
    env: io.env,
    get reporter(): Reporter {
      reporter ??= new Reporter({ stdout: io.stdout, stderr: io.stderr, env: io.env, noColor: globals.noColor, verbose: globals.verbose });
      return reporter;
    },
  };
  let run: (() => Promise<number>) | undefined;
  if (name === 'redo' && args.length === 0) {
    run = () => redoAction(io2);
  } else if (name === 'undo') {
    const force = args.includes('--force');
    const positional = args.filter((a) => a !== '--force');
    const typed = positional[0];
    if (positional.length > 1 || (typed !== undefined && typed.startsWith('-')) || args.filter((a) => a === '--force').length > 1) return null;
    run = () => undoAction(io2, { count: parseUndoCount(typed), force });
  }
  if (!run) return null;
  try {
    return await run();
  } catch (err) {
    return reportError(err, io2.reporter);
  }
}
