#!/usr/bin/env node
/* global performance */
// What the review adds to the approval of a 10-file batch on a generated 3,000-file repository,
// against a baseline timed in the same run: the batch's diff summary and rendered diffs (what the
// approval computed before the review existed). See docs/review.md and docs/benchmarks.md.
//
//   node bench/review/bench.mjs [files=3000] [runs=30]
//
// It compiles src/ into a private temp build (tsc), generates the repository, builds the repo map
// once (that fills the tags cache and the map snapshot the review reads, as a chat's turn does),
// then per run reviews 10 changed files whose new contents the cache has never seen (each run's
// edits differ), so every run parses the 10 new contents and reads the snapshot again.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchHome } from '../lib/home.mjs';

const root = new URL('../..', import.meta.url).pathname;
const files = Number(process.argv[2] ?? 3000);
const runs = Number(process.argv[3] ?? 30);
const BATCH = 10;
const BUDGET_MS = 20;

const work = mkdtempSync(join(tmpdir(), 'assist-bench-review-'));
const build = join(work, 'build');
mkdirSync(build, { recursive: true });
spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', join(build, 'dist')], { stdio: 'inherit' });
if (!existsSync(join(build, 'dist', 'review', 'index.js'))) {
  console.error('the build failed: run `npx tsc -p tsconfig.build.json --noEmit` and fix its errors');
  process.exit(1);
}
symlinkSync(join(root, 'node_modules'), join(build, 'node_modules'));
writeFileSync(join(build, 'package.json'), '{"type":"module"}\n');
const dist = (p) => pathToFileURL(join(build, 'dist', p)).href;
const { buildRepoMap, openReviewLookup } = await import(dist('context/index.js'));
const { reviewBatch } = await import(dist('review/index.js'));
const { summarizeBatch, renderBatchDiff } = await import(dist('ui/diff.js'));

const repo = join(work, 'repo');
const { env } = benchHome(work);
execFileSync('git', ['init', '-q', '-b', 'main', repo], { env });

// Each module exports a function and a class and uses the next two modules' functions, so every
// exported function has callers in other files (the review's reference lookups find some).
const source = (i) => {
  const a = (i + 1) % files;
  const b = (i + 7) % files;
  const body = Array.from({ length: 12 }, (_, k) => `    const step${k} = input.length * ${k} + ${i};\n    if (step${k} > ${k * 97}) out.push(String(step${k}));`).join('\n');
  return `import { helper${a} } from '../m${a % 40}/f${a}.js';
import { helper${b} } from '../m${b % 40}/f${b}.js';

export function helper${i}(value: number, scale: number): number {
  return helper${a}(value, scale) + helper${b}(value, 1) + ${i};
}

export class Service${i} {
  private cache = new Map<string, string>();

  run(input: string): string[] {
    const out: string[] = [];
${body}
    return out;
  }

  clear(): void {
    this.cache.clear();
  }
}

function local${i}(x: number): number {
  return x * ${i};
}
`;
};
for (let i = 0; i < files; i++) {
  const dir = join(repo, 'src', `m${i % 40}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `f${i}.ts`), source(i));
}
execFileSync('git', ['add', '-A'], { cwd: repo, env });
execFileSync('git', ['commit', '-q', '-m', 'initial'], { cwd: repo, env });
const sharedAssistDir = join(repo, '.git', 'assist');

const t0 = performance.now();
await buildRepoMap({ cwd: repo, env, retrieval: false });
const coldMap = performance.now() - t0;
const snapshot = join(sharedAssistDir, 'map-snapshot.bin');

/** Run `run`'s batch: 10 files, each edited differently (exported signature, body, helper, whitespace). */
function batch(run) {
  const changes = [];
  for (let k = 0; k < BATCH; k++) {
    const i = (run * 131 + k * 277) % files;
    const before = source(i);
    let after;
    switch (k % 5) {
      case 0: // an exported function gains a parameter: breaking, callers looked up
        after = before.replace(`helper${i}(value: number, scale: number)`, `helper${i}(value: number, scale: number, mode${run}: string)`);
        break;
      case 1: // a method's body
        after = before.replace('return out;', `return out.slice(${run});`);
        break;
      case 2: // an unexported helper's signature
        after = before.replace(`local${i}(x: number)`, `local${i}(x: number, y${run}: number)`);
        break;
      case 3: // whitespace only
        after = before.replace('    return out;', `      return out;${' '.repeat(run % 7)}`);
        break;
      default: // a new export
        after = `${before}\nexport const added${run} = ${run};\n`;
    }
    changes.push({ path: `src/m${i % 40}/f${i}.ts`, before, after });
  }
  return changes;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)];
const ms = (n) => `${n.toFixed(1)} ms`;

async function review(changes) {
  const cpu0 = process.cpuUsage();
  const t = performance.now();
  const lookup = await openReviewLookup({ sharedAssistDir });
  const result = await reviewBatch(changes, lookup);
  const elapsed = performance.now() - t;
  const c = process.cpuUsage(cpu0);
  await lookup.written();
  return { elapsed, cpu: (c.user + c.system) / 1000, result, stats: lookup.stats };
}

// The first review of a process loads the TypeScript grammar (a chat pays it once).
const first = await review(batch(runs + 1));
const baseline = [];
const reviewed = [];
const reviewedMemo = [];
const cpu = [];
const cpuMemo = [];
const baselineCpu = [];
let lastStats;
let breaking = 0;
for (let run = 0; run < runs; run++) {
  const changes = batch(run);
  const cpu0 = process.cpuUsage();
  const t = performance.now();
  summarizeBatch(changes);
  renderBatchDiff(changes, { color: true });
  baseline.push(performance.now() - t);
  const bc = process.cpuUsage(cpu0);
  baselineCpu.push((bc.user + bc.system) / 1000);
  // A new mtime makes the lookup read the snapshot again, as after a turn that rebuilt the map.
  const now = Date.now() / 1000 + run;
  utimesSync(snapshot, now, now);
  const r = await review(changes);
  reviewed.push(r.elapsed);
  cpu.push(r.cpu);
  lastStats = r.stats;
  breaking = r.result.breaking.length;
  const again = await review(batch(run + 1000));
  reviewedMemo.push(again.elapsed);
  cpuMemo.push(again.cpu);
}

const added = median(reviewed);
console.log(`review benchmark: ${files} files, ${BATCH}-file batches, ${runs} runs (node ${process.version}, ${process.platform})`);
console.log(`  repo map build (cold, fills the tags cache): ${ms(coldMap)}`);
console.log(`  load average at the end: ${loadavg().map((n) => n.toFixed(1)).join(' ')} on ${availableParallelism()} cores`);
console.log(`  baseline, the batch's diff summary + rendered diffs: wall median ${ms(median(baseline))} (p90 ${ms(p90(baseline))}), CPU median ${ms(median(baselineCpu))}`);
console.log(`  review, snapshot read again (another process rebuilt the map): wall median ${ms(added)} (p90 ${ms(p90(reviewed))}), CPU median ${ms(median(cpu))}  [cache hits ${lastStats.hits}, parsed ${lastStats.parsed}, ${breaking} breaking]`);
console.log(`  review, snapshot held (this process built the map, as a chat does): wall median ${ms(median(reviewedMemo))} (p90 ${ms(p90(reviewedMemo))}), CPU median ${ms(median(cpuMemo))}`);
console.log(`  first review of the process (grammar load): ${ms(first.elapsed)}`);
const held = median(reviewedMemo);
console.log(`  added to the approval of a 10-file batch: ${ms(held)} wall in a chat, ${ms(added)} worst case (budget ${BUDGET_MS} ms: ${held <= BUDGET_MS ? 'within' : 'OVER'}); the baseline itself ${ms(median(baseline))}`);
if (process.env.BENCH_KEEP) console.log(`kept ${work}`); else rmSync(work, { recursive: true, force: true });
