import type { MainIO } from './main.js';
import { splitGlobalFlags } from './globals.js';
import { mayHaveLogOrMetrics } from './log-metrics-check.js';
import type { MapIO } from './map-action.js';
import { reportError } from './report-error.js';
import { Reporter } from '../ui/reporter.js';

/** What a command's action needs from a fast path: the same surface the full command gives it. */
export type FastAction<F> = (io: MapIO, flags: F) => Promise<number>;

/**
 * Runs `command` without the command-line parser and the other commands when its flags are in a
 * plain form `parse` takes (the entry point may have started the command's git processes already).
 * Null for anything else — another command, `--help`, a flag `parse` does not know, a log or
 * metrics file to open — which then goes through `main()`, the owner of every usage message.
 * `onTaken` runs as soon as the command line is known to be taken (work to start early).
 */
export async function runFastPath<F>(
  io: Omit<MainIO, 'stdin' | 'version'>,
  command: string,
  parse: (args: readonly string[]) => F | undefined,
  loadAction: () => Promise<FastAction<F>>,
  onTaken?: () => void,
): Promise<number | null> {
  const { globals, rest, error } = splitGlobalFlags(io.argv);
  if (error || globals.logFile !== undefined || globals.metricsFile !== undefined || rest[0] !== command) return null;
  const flags = parse(rest.slice(1));
  if (!flags || mayHaveLogOrMetrics(io)) return null;
  // Only once the command line is taken: a fast path that hands it back has started nothing, so the
  // whole one-file that then runs it is the only copy at work (src/cli/one-file-context.ts).
  onTaken?.();
  const reporter = new Reporter({ stdout: io.stdout, stderr: io.stderr, env: io.env, noColor: globals.noColor, verbose: globals.verbose });
  try {
    const [action, { resolveRepoPaths }, { loadConfig }] = await Promise.all([loadAction(), import('../git/repo-paths.js'), import('../config/index.js')]);
    return await action(
      {
        cwd: io.cwd,
        env: io.env,
        reporter,
        repo: () => resolveRepoPaths(io.cwd, io.env),
        config: async (repo) => {
          const loaded = await loadConfig({ env: io.env, repoRoot: repo.root, flags: {} });
          for (const warning of loaded.warnings) reporter.warn(warning);
          return loaded;
        },
      },
      flags,
    );
  } catch (err) {
    return reportError(err, reporter);
  }
}
