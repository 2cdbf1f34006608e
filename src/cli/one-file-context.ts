import type { MainIO } from './main.js';

/**
 * The entry of the context one-file (dist/bundle/context.cjs, run by dist/bundle/main-loader.cjs
 * with a code cache of its own; scripts/bundle.mjs): the fast paths of `map` and `search` and what
 * they reach, a third of main.cjs. Every run of those commands reads, deserializes and evaluates
 * this file instead of the whole CLI (docs/repo-map.md "Sixteenth session"). Null when the fast
 * path does not take the command line (`--log-file`, a flag it does not know...): the entry point
 * then runs it through main.cjs, which owns every message about usage. Nothing with state outside
 * this file has started by then (the fast paths decide before they do anything).
 */
export async function main(io: MainIO, command?: string): Promise<number | null> {
  if (command === 'map') return (await import('./map-fast.js')).fastMap(io);
  if (command === 'search') return (await import('./search-fast.js')).fastSearch(io);
  return null;
}
