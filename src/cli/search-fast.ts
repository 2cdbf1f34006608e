import { join } from 'node:path';
import { runFastPath } from './fast-path.js';
import type { MainIO } from './main.js';
import type { SearchFlags } from './search-action.js';

/**
 * Start-up fast path of `assist search`, timed against `node -e 0` like the map (issue 26): the
 * plain forms run here without the command-line parser and the other commands, and the entry
 * point has started the listing's git commands already (as for `map`). Anything else — `--help`,
 * a flag it does not know, `--`, a log or metrics file to open — returns null and goes through
 * `main()`, which owns every message about usage.
 */
export function fastSearch(io: Omit<MainIO, 'stdin' | 'version'>): Promise<number | null> {
  // A source file changed since the index was written (search-index.ts searchSnapshotPath): its
  // parser starts loading now, beside the start.
  const prepare = (): void => void import('../context/changed-parsers.js').then((m) => m.prepareChangedParsersEarly(io.cwd, io.env, (shared) => [join(shared, 'search', 'snapshot.bin'), join(shared, 'search', 'delta.bin')])).catch(() => undefined);
  return runFastPath(io, 'search', parseSearchFlags, async () => (await import('./search-action.js')).searchAction, prepare);
}

/** The flags and words of `assist search` in the forms clipanion takes (`--k 5`, `--k=5`); undefined for anything else. */
export function parseSearchFlags(args: readonly string[]): SearchFlags | undefined {
  const flags: SearchFlags = { k: undefined, scope: undefined, json: false, query: [] };
  const query: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('-')) {
      query.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq !== -1 ? arg.slice(0, eq) : arg;
    if (name === '--json') {
      if (name !== arg) return undefined;
      flags.json = true;
      continue;
    }
    if (name !== '--k' && name !== '--path') return undefined;
    const value = name !== arg ? arg.slice(eq + 1) : args[++i];
    // A value that looks like a flag is clipanion's to judge.
    if (value === undefined || (name === arg && value.startsWith('-'))) return undefined;
    const key = name === '--k' ? 'k' : 'scope';
    if (flags[key] !== undefined) return undefined;
    flags[key] = value;
  }
  if (query.length === 0) return undefined;
  flags.query = query;
  return flags;
}
