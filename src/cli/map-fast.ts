import { join } from 'node:path';
import { runFastPath } from './fast-path.js';
import type { MainIO } from './main.js';
import type { MapFlags } from './map-action.js';

/**
 * Start-up fast path of `assist map`, the command timed against `node -e 0` (issue 17): the plain
 * forms run here without loading the command-line parser and the other commands (~40 ms of a
 * warm map's ~150 beyond Node's own start, measured in a profile). Anything else — `--help`, a
 * flag it does not know, a missing value, a log or metrics file to open — returns null and goes
 * through `main()`, which owns every message about usage.
 */
export function fastMap(io: Omit<MainIO, 'stdin' | 'version'>): Promise<number | null> {
  // A source file changed since the last map: its parser starts loading now, beside the start.
  const prepare = (): void => void import('../context/changed-parsers.js').then((m) => m.prepareChangedParsersEarly(io.cwd, io.env, (shared) => join(shared, 'map-result.json'))).catch(() => undefined);
  return runFastPath(io, 'map', parseMapFlags, async () => (await import('./map-action.js')).mapAction, prepare);
}

/** The flags of `assist map` in the forms clipanion takes (`--tokens 9`, `--tokens=9`); undefined for anything else. */
export function parseMapFlags(args: readonly string[]): MapFlags | undefined {
  const flags: MapFlags = { tokens: undefined, focus: [], query: undefined, json: false, stats: false };
  const focus: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq !== -1 ? arg.slice(0, eq) : arg;
    if (name === '--json' || name === '--stats') {
      if (name !== arg) return undefined;
      if (name === '--json') flags.json = true;
      else flags.stats = true;
      continue;
    }
    if (name !== '--tokens' && name !== '--focus' && name !== '--query') return undefined;
    const value = name !== arg ? arg.slice(eq + 1) : args[++i];
    // A value that looks like a flag is clipanion's to judge.
    if (value === undefined || (name === arg && value.startsWith('-'))) return undefined;
    if (name === '--focus') focus.push(value);
    else if (name === '--tokens') {
      if (flags.tokens !== undefined) return undefined;
      flags.tokens = value;
    } else {
      if (flags.query !== undefined) return undefined;
      flags.query = value;
    }
  }
  flags.focus = focus;
  return flags;
}
