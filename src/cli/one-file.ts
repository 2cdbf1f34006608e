import type { MainIO } from './main.js';

/**
 * The entry of the one-file CLI (dist/bundle/main.cjs, run by dist/bundle/main-loader.cjs with a
 * V8 code cache; scripts/bundle.mjs): `main()` of the command line. `map` and `search` start from
 * the context one-file instead (src/cli/one-file-context.ts) and come here only for a form their
 * fast path does not take. Everything is imported on demand: a command evaluates only what it reaches.
 */
export async function main(io: MainIO): Promise<number> {
  return (await import('./main.js')).main(io);
}
