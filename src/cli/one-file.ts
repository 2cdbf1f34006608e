import type { MainIO } from './main.js';

/**
 * The entry of the one-file CLI (dist/bundle/main.cjs, run by dist/bundle/main-loader.cjs with a
 * V8 code cache; scripts/bundle.mjs). `command` is the name bin/assist.js gave the run: `map` and
 * `search` try their fast paths first (no command-line parser), and whatever they hand back goes
 * to `main()` of the same file, so a fall-back never loads a second copy of a module (and of its
 * state). Everything is imported on demand: a `map` evaluates only what the map reaches.
 */
export async function main(io: MainIO, command?: string): Promise<number> {
  if (command === 'map') {
    const code = await (await import('./map-fast.js')).fastMap(io);
    if (code !== null) return code;
  } else if (command === 'search') {
    const code = await (await import('./search-fast.js')).fastSearch(io);
    if (code !== null) return code;
  }
  return (await import('./main.js')).main(io);
}
