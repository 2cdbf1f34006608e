/* global performance */
// The whole `assist map` command against its baselines, timed in the same run (issue 17 item 2):
//
//   node bench/map/command.mjs --repo DIR [--runs 5] [--cli bin/assist.js] [--skip cold]
//        [--base-cli OTHER/bin/assist.js --base-repo COPY_OF_DIR]
//   node bench/map/command.mjs --generate 50000 [--runs 3]
//
// - cold: `ctags -R --languages=TypeScript,JavaScript` over the tree and a cold `assist map`
//   (cache removed), in alternation; the ratio is taken within each pair (this machine's speed
//   drifts by a third over minutes, and other processes share its 2 cores).
// - warm: `node -e 0` and an unchanged `assist map`, in alternation: the difference per pair.
// - one change: a line appended to a mid-listing file before each `assist map`, `node -e 0`
//   beside it; the file is put back at the end.
// Every map run prints its phases (list, hash, cache, parse, rank, render) from `--stats --json`.
// `--base-cli`: the cold, warm and one-change runs of another build too, alternating with this one's in
// the same rounds, in its own copy of the repository (`--base-repo`: the builds' cache files differ).
// `--generate N`: a generated repository of N TypeScript files (the one bench.mjs makes).
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1];
};
const runs = Number(opt('--runs', '5'));
const cli = opt('--cli', join(root, 'bin', 'assist.js'));
const baseCli = opt('--base-cli', undefined);
const skip = new Set((opt('--skip', '') ?? '').split(',').filter(Boolean));
const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b', NO_COLOR: '1' };
if (!existsSync(join(root, 'dist', 'bundle', 'main.js')) && cli === join(root, 'bin', 'assist.js')) {
  console.error('no bundle: run `npm run build` first');
  process.exit(1);
}

function generateRepo(dir, count) {
  if (existsSync(join(dir, '.git'))) return;
  rmSync(dir, { recursive: true, force: true });
  let seed = count;
  const rand = (n) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
  for (let i = 0; i < count; i++) {
    const d = join(dir, 'src', `m${i % 200}`);
    if (i < 200) mkdirSync(d, { recursive: true });
    const j = rand(count);
    const k = rand(count);
    writeFileSync(
      join(d, `f${i}.ts`),
      `import { fn${j} } from '../m${j % 200}/f${j}.js';\nimport { Service${k} } from '../m${k % 200}/f${k}.js';\n\nexport interface Shape${i} {\n  id: number;\n  label: string;\n}\n\nexport class Service${i} {\n  private cache = new Map<number, Shape${i}>();\n\n  run(input: Shape${i}): number {\n    return fn${j}(input.id) + helper${i}();\n  }\n\n  describe(input: Shape${i}): string {\n    return \`\${input.label}:\${this.cache.size}\`;\n  }\n}\n\nexport function fn${i}(x: number): number {\n  return x * ${i};\n}\n\nfunction helper${i}(): number {\n  return new Service${k}().run({ id: 1, label: 'x' });\n}\n`,
    );
  }
  const git = (...a) => execFileSync('git', a, { cwd: dir, env, stdio: 'ignore' });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'generated');
}

const generate = opt('--generate', undefined);
let repo = opt('--repo', undefined);
if (generate) {
  repo = join(tmpdir(), 'assist-bench-map', `gen-${generate}`);
  mkdirSync(join(repo, '..'), { recursive: true });
  console.error(`generating ${generate} files in ${repo}`);
  generateRepo(repo, Number(generate));
}
if (!repo) {
  console.error('usage: node bench/map/command.mjs --repo DIR | --generate N [--runs N]');
  process.exit(2);
}

const time = (fn) => {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
};
const sorted = (xs) => [...xs].sort((a, b) => a - b);
const median = (xs) => sorted(xs)[Math.floor(xs.length / 2)];
const fmt = (xs, unit = 'ms') => `min ${Math.round(sorted(xs)[0])} / median ${Math.round(median(xs))} ${unit}`;
const nodeStart = () => time(() => execFileSync(process.execPath, ['-e', '0']));
const ctags = () => time(() => execFileSync('ctags', ['-R', '--languages=TypeScript,JavaScript', '-f', join(tmpdir(), 'assist-bench-map-tags'), '--exclude=.git', '--exclude=node_modules', '.'], { cwd: repo, stdio: 'ignore' }));

// The process's CPU time (user + sys) comes from ASSIST_PHASES (src/obs/phases.ts), which load
// disturbs less than the wall time.
const phasesFile = join(tmpdir(), `assist-bench-map-phases-${process.pid}.jsonl`);
let lastMarks = {};
// Minor page faults of each run, by series and side (builds since the sixteenth session record
// them): on this project's machine a first touch of a page costs ~11 µs, a large part of every
// figure here (docs/repo-map.md "Sixteenth session").
const faults = {};
let lastFaults;
function cpuOfLast() {
  try {
    const lines = readFileSync(phasesFile, 'utf8').trim().split('\n');
    rmSync(phasesFile, { force: true });
    const last = JSON.parse(lines[lines.length - 1]);
    lastMarks = Object.fromEntries((last.marks ?? []).map((m) => [m.name, m.at]));
    lastFaults = last.minorFaults;
    return last.cpuMs;
  } catch {
    lastMarks = {};
    lastFaults = undefined;
    return NaN;
  }
}
function noteFaults(series) {
  if (lastFaults !== undefined) (faults[series] ??= []).push(lastFaults);
}

// A cold run's parse pool from its marks (ms since the process started): when the workers
// were started, when each one's first and last batch came back (the difference of the last
// ones is the parse's tail, one core idle). Empty for a build without these marks.
function poolMarks() {
  const m = lastMarks;
  const r = (x) => Math.round(x);
  const out = [];
  if (m['parse.prestarted'] !== undefined) out.push(`workers started at ${r(m['parse.prestarted'])}`);
  if (m['parse.pool'] !== undefined) out.push(`pool at ${r(m['parse.pool'])}`);
  const firsts = [0, 1, 2, 3].map((k) => m[`parse.worker${k}.first`]).filter((x) => x !== undefined);
  const lasts = [0, 1, 2, 3].map((k) => m[`parse.worker${k}.last`]).filter((x) => x !== undefined);
  if (firsts.length > 0) out.push(`first batches back at ${firsts.map(r).join('/')}`);
  if (lasts.length > 1) out.push(`last at ${lasts.map(r).join('/')} (tail ${r(Math.max(...lasts) - Math.min(...lasts))})`);
  return out.length > 0 ? `; ${out.join(', ')}` : '';
}

function map(which = cli, where = repo) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [which, 'map', '--tokens', '1024', '--json', '--stats'], { cwd: where, env: { ...env, ASSIST_PHASES: phasesFile }, encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`assist map failed: ${r.stderr}`);
  const cpu = cpuOfLast();
  noteFaults(which === cli ? 'this' : 'base');
  return { wall, cpu, stats: JSON.parse(r.stdout).stats, pool: poolMarks() };
}

// The command as typed: text output, no --json (which adds the workspace's package boundaries,
// in a pnpm workspace a YAML parser's load) and no --stats.
function plainMap(which = cli, where = repo) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [which, 'map', '--tokens', '1024'], { cwd: where, env: { ...env, ASSIST_PHASES: phasesFile }, encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`assist map failed: ${r.stderr}`);
  const cpu = cpuOfLast();
  noteFaults(which === cli ? 'this plain' : 'base plain');
  return { wall, cpu };
}

const phaseNames = ['list', 'hash', 'cache', 'parse', 'rank', 'render', 'total'];
const phases = (stats) => phaseNames.filter((p) => stats.ms[p] !== undefined).map((p) => `${p} ${Math.round(stats.ms[p])}`).join(', ') + (stats.rankReused ? ', ranking carried over' : '') + (stats.renderReused ? ', rendering kept' : '') + (stats.listingSkipped ? ', found by git output' : '');
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

// A copied repository (cp -a) has index stat data that no longer match its files, so every
// `git ls-files -m` would read and hash each file again: refresh it first, as `git status` would.
spawnSync('git', ['update-index', '--refresh', '-q'], { cwd: repo, env, stdio: 'ignore' });
const baseRepo = opt('--base-repo', repo);
if (baseCli) spawnSync('git', ['update-index', '--refresh', '-q'], { cwd: baseRepo, env, stdio: 'ignore' });
// The base build's side of a round: its wall minus the same round's `node -e 0`, and its CPU.
const baseSide = { warm: { d: [], cpu: [] }, plain: { d: [], cpu: [] }, change: { d: [], cpu: [] } };
const baseLine = (name, side) => (baseCli ? `\n  BASE ${name}: map - node per pair ${fmt(side.d)}; map CPU ${fmt(side.cpu)}` : '');
const files = execFileSync('git', ['ls-files'], { cwd: repo, encoding: 'utf8', maxBuffer: 1 << 28 }).split('\n').filter((f) => /\.(ts|js)$/.test(f));
console.log(`# ${repo}: ${files.length} .ts/.js files tracked; node ${process.version}; load at start ${load()}`);
const cacheDir = join(repo, '.git', 'assist');

if (!skip.has('cold')) {
  ctags(); // not counted: brings the tree into the page cache
  const c = [];
  const m = [];
  const ratios = [];
  const cpus = [];
  // With --base-cli: the base build's cold run in the same round, its own ratio against the same
  // round's ctags run, the two builds in alternating order.
  const base = { m: [], ratios: [], cpus: [] };
  const baseCache = join(baseRepo, '.git', 'assist');
  for (let i = 0; i < runs; i++) {
    const t = ctags();
    const sides = baseCli && i % 2 === 1 ? ['base', 'this'] : baseCli ? ['this', 'base'] : ['this'];
    for (const side of sides) {
      if (side === 'base') {
        rmSync(baseCache, { recursive: true, force: true });
        const b = map(baseCli, baseRepo);
        base.m.push(b.wall);
        base.cpus.push(b.cpu);
        base.ratios.push(b.wall / t);
        console.log(`  BASE cold ${i + 1}: map ${Math.round(b.wall)} ms = ${(b.wall / t).toFixed(2)}x, map CPU ${Math.round(b.cpu)} ms   [${phases(b.stats)}]`);
        continue;
      }
      rmSync(cacheDir, { recursive: true, force: true });
      const r = map();
      c.push(t);
      m.push(r.wall);
      cpus.push(r.cpu);
      ratios.push(r.wall / t);
      console.log(`cold ${i + 1}: ctags -R ${Math.round(t)} ms, map ${Math.round(r.wall)} ms = ${(r.wall / t).toFixed(2)}x, map CPU ${Math.round(r.cpu)} ms   [parsed ${r.stats.parsed} with ${r.stats.workers} workers; ${phases(r.stats)}${r.pool}]`);
    }
  }
  console.log(`COLD  ctags ${fmt(c)}; map ${fmt(m)}; ratio per pair min ${sorted(ratios)[0].toFixed(2)} / median ${median(ratios).toFixed(2)}x (target <= 2x); map CPU ${fmt(cpus)}`);
  if (baseCli) console.log(`  BASE cold: map ${fmt(base.m)}; ratio min ${sorted(base.ratios)[0].toFixed(2)} / median ${median(base.ratios).toFixed(2)}x; map CPU ${fmt(base.cpus)}`);
}

if (!existsSync(cacheDir)) map();
if (baseCli) map(baseCli, baseRepo);
if (!skip.has('warm')) {
  map(); // the stored result of this exact request
  if (baseCli) map(baseCli, baseRepo);
  const n = [];
  const m = [];
  const d = [];
  const cpu = [];
  for (let i = 0; i < runs; i++) {
    const a = nodeStart();
    const r = map();
    n.push(a);
    m.push(r.wall);
    d.push(r.wall - a);
    cpu.push(r.cpu);
    if (baseCli) {
      const b = map(baseCli, baseRepo);
      baseSide.warm.d.push(b.wall - a);
      baseSide.warm.cpu.push(b.cpu);
    }
    if (i === 0 || i === runs - 1) console.log(`warm ${i + 1}: node -e 0 ${Math.round(a)} ms, map ${Math.round(r.wall)} ms   [${phases(r.stats)}${r.stats.reused ? ', reused' : ''}]`);
  }
  console.log(`WARM  node -e 0 ${fmt(n)}; map --json --stats ${fmt(m)}; map - node per pair ${fmt(d)}; map CPU ${fmt(cpu)} (target <= +150 ms)${baseLine('warm', baseSide.warm)}`);
  const pn = [];
  const pm = [];
  const pd = [];
  const pc = [];
  for (let i = 0; i < runs; i++) {
    const a = nodeStart();
    const r = plainMap();
    pn.push(a);
    pm.push(r.wall);
    pd.push(r.wall - a);
    pc.push(r.cpu);
    if (baseCli) {
      const b = plainMap(baseCli, baseRepo);
      baseSide.plain.d.push(b.wall - a);
      baseSide.plain.cpu.push(b.cpu);
    }
  }
  console.log(`WARM PLAIN  node -e 0 ${fmt(pn)}; \`assist map --tokens 1024\` ${fmt(pm)}; map - node per pair ${fmt(pd)}; map CPU ${fmt(pc)} (target <= +150 ms)${baseLine('plain', baseSide.plain)}`);
}

if (!skip.has('change')) {
  const victim = files[Math.floor(files.length / 2)];
  const original = readFileSync(join(repo, victim));
  const baseOriginal = baseCli ? readFileSync(join(baseRepo, victim)) : undefined;
  const c = [];
  const n = [];
  const m = [];
  const d = [];
  try {
    for (let i = 0; i < runs; i++) {
      const line = `\nexport function benchChanged${i}x${Date.now()}(): number {\n  return ${i};\n}\n`;
      appendFileSync(join(repo, victim), line);
      if (baseCli) appendFileSync(join(baseRepo, victim), line);
      const a = nodeStart();
      const r = map();
      n.push(a);
      m.push(r.wall);
      d.push(r.wall - a);
      c.push(r.cpu);
      let b;
      if (baseCli) {
        b = map(baseCli, baseRepo);
        baseSide.change.d.push(b.wall - a);
        baseSide.change.cpu.push(b.cpu);
      }
      console.log(`change ${i + 1}: node -e 0 ${Math.round(a)} ms, map ${Math.round(r.wall)} ms, CPU ${Math.round(r.cpu)} ms   [parsed ${r.stats.parsed}; ${phases(r.stats)}]${b ? `; base ${Math.round(b.wall)} ms, CPU ${Math.round(b.cpu)} [${phases(b.stats)}]` : ''}`);
    }
  } finally {
    writeFileSync(join(repo, victim), original);
    if (baseOriginal) writeFileSync(join(baseRepo, victim), baseOriginal);
  }
  console.log(`CHANGE (${victim}) node -e 0 ${fmt(n)}; map ${fmt(m)}; map - node per pair ${fmt(d)}; map CPU ${fmt(c)} (target <= +250 ms)${baseLine('change', baseSide.change)}`);
}
// Over every run of a side (cold, warm and change runs of `map --json --stats` together; plain apart).
for (const [series, xs] of Object.entries(faults)) console.log(`minor page faults, ${series}: ${fmt(xs, 'faults')}`);
console.log(`load at end ${load()}`);
