/* global performance */
// Runs the repo-map engine (dist/) once, or once per quality symbol, in a fresh process and
// prints JSON with the timings, stats and peak RSS. Used by bench.mjs; not part of assist.
import { readFileSync } from 'node:fs';

const dist = process.env.BENCH_MAP_DIST ?? new URL('../../dist', import.meta.url).pathname;
const { buildRepoMap } = await import(`${dist}/context/index.js`);
const [mode, cwd, arg] = process.argv.slice(2);

if (mode === 'map') {
  const options = JSON.parse(arg ?? '{}');
  const t0 = performance.now();
  const map = await buildRepoMap({ cwd, ...options });
  const wallMs = performance.now() - t0;
  console.log(JSON.stringify({ wallMs, tokens: map.tokens, files: map.files.length, stats: map.stats, maxRssKB: process.resourceUsage().maxRSS }));
} else if (mode === 'quality') {
  const symbols = JSON.parse(readFileSync(arg, 'utf8'));
  const misses = [];
  let hits = 0;
  const t0 = performance.now();
  for (const { name, file } of symbols) {
    const map = await buildRepoMap({ cwd, tokens: 1024, query: `How does ${name} work? I want to change it.` });
    if (map.files.includes(file)) hits++;
    else misses.push({ name, file, top: map.files.slice(0, 3) });
    if (map.tokens > 1024) throw new Error(`budget exceeded: ${map.tokens}`);
  }
  console.log(JSON.stringify({ hits, total: symbols.length, misses, msPerQuery: (performance.now() - t0) / symbols.length, maxRssKB: process.resourceUsage().maxRSS }));
} else {
  console.error('usage: engine.mjs map|quality CWD ARG');
  process.exit(2);
}
