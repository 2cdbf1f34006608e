import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PROJECT_FILE_NAME, userConfigFile } from '../config/paths.js';
import type { MainIO } from './main.js';
import { splitGlobalFlags } from './globals.js';
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

const LOG_OR_METRICS_KEY = /^\s*(?:\[\s*(?:log|metrics)\s*\]|(?:log|metrics)\s*[.=])/m;

/**
 * Whether the config may set a log or metrics file for this command: then `main()` runs it, which
 * reads the config and opens them. Looks without parsing: the environment, and whether the user's
 * config file or the project's (at the nearest directory holding `.git`) mentions either section.
 */
function mayHaveLogOrMetrics(io: Pick<MainIO, 'cwd' | 'env'>): boolean {
  if (io.env.ASSIST_LOG__FILE || io.env.ASSIST_METRICS__FILE) return true;
  const files = [userConfigFile(io.env)];
  for (let dir = io.cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) {
      files.push(join(dir, PROJECT_FILE_NAME));
      break;
    }
    if (dirname(dir) === dir) break;
  }
  for (const file of files) {
    try {
      if (LOG_OR_METRICS_KEY.test(readFileSync(file, 'utf8'))) return true;
    } catch {
      // No such file: nothing set there.
    }
  }
  return false;
}
