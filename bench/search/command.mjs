/* global performance */
// The whole `assist search` command against `node -e 0`, timed in the same run (issue 26 "What it
// must show", the speed bullet), optionally A/B against another build of assist:
//
//   node bench/search/command.mjs --repo DIR [--runs 7] [--cli bin/assist.js]
//        [--base-cli OTHER/bin/assist.js --base-repo COPY_OF_DIR] [--generate 50000] [--skip build,change]
//        [--build-runs N]
//
// - warm: `node -e 0`, then the search (then the base's), in alternation; the difference per pair.
// - one change: a line appended to a mid-listing file before each search, `node -e 0` beside it;
//   the file is put back at the end.
// - build: the lexical index removed (tags kept, as after `assist map`; the history index kept, so
//   this stays the lexical index's build), one search: the process's start, the listing, the tags
//   cache read, the entries (chunks and terms), the merge into the inverted index, the graph's
//   PageRank, the snapshot's encoding and the writes, then the query's ranking. Sides alternate.
// - history: only the history index removed (search/history.txt, docs/search.md "History"), one
//   search: a warm search plus one `git log` of the last 3,000 commits; its CPU beside the warm one's.
// The base build runs in its own copy of the repository: the two builds' index files differ.
// Each run prints wall, CPU (user+sys of the command and its git children, from /usr/bin/time)
// and, for builds that record them, the phases (ASSIST_PHASES). Then the index's size on disk.
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1];
};
const runs = Number(opt('--runs', '7'));
const skip = new Set((opt('--skip', '') ?? '').split(',').filter(Boolean));
const query = opt('--query', 'display test name in github actions reporter summary header');
const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b', NO_COLOR: '1' };
let repo = opt('--repo', undefined);
const generate = opt('--generate', undefined);
if (generate) {
  // The generated repository of bench/map/command.mjs (made by it when missing).
  repo = join(tmpdir(), 'assist-bench-map', `gen-${generate}`);
  if (!existsSync(join(repo, '.git'))) execFileSync(process.execPath, [join(root, 'bench', 'map', 'command.mjs'), '--generate', generate, '--runs', '1', '--skip', 'cold,warm,change'], { stdio: 'inherit' });
}
if (!repo) {
  console.error('usage: node bench/search/command.mjs --repo DIR [--base-cli CLI --base-repo DIR] [--runs N]');
  process.exit(2);
}
const sides = [{ name: 'this', cli: opt('--cli', join(root, 'bin', 'assist.js')), repo }];
if (opt('--base-cli', undefined)) sides.push({ name: 'base', cli: opt('--base-cli'), repo: opt('--base-repo', repo) });

const scratch = mkdtempSync(join(tmpdir(), 'assist-bench-search-'));
const sorted = (xs) => [...xs].sort((a, b) => a - b);
const median = (xs) => sorted(xs)[Math.floor(xs.length / 2)];
const fmt = (xs) => `min ${Math.round(sorted(xs)[0])} / median ${Math.round(median(xs))} ms`;
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

/** Runs `node ARGV` in `cwd` under /usr/bin/time: wall ms, CPU ms (with children), the phases line if any. */
function run(argv, cwd) {
  const timeFile = join(scratch, 'time');
  const phasesFile = join(scratch, 'phases');
  rmSync(phasesFile, { force: true });
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', '-o', timeFile, process.execPath, ...argv], { cwd, env: { ...env, ASSIST_PHASES: phasesFile }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  const [user, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  let phases;
  try {
    phases = JSON.parse(readFileSync(phasesFile, 'utf8').trim().split('\n').pop()).phases;
  } catch {
    phases = undefined;
  }
  return { wall, cpu: (user + sys) * 1000, phases };
}
const node = () => run(['-e', '0'], tmpdir()).wall;
const search = (side) => run([side.cli, 'search', '--k', '10', query], side.repo);
const phaseText = (p) => (p ? Object.entries(p).filter(([k]) => k.startsWith('search.')).map(([k, v]) => `${k.slice(7)} ${v.ms.toFixed(1)}`).join(', ') : '');

// A copied repository (cp -a) has index stat data that no longer match its files, so every
// `git ls-files -m` would read and hash each file again: refresh it first, as `git status` would.
for (const side of sides) spawnSync('git', ['update-index', '--refresh', '-q'], { cwd: side.repo, env, stdio: 'ignore' });
const files = execFileSync('git', ['ls-files'], { cwd: repo, encoding: 'utf8', maxBuffer: 1 << 28 }).split('\n').filter((f) => /\.(ts|js)$/.test(f));
console.log(`# ${repo}: ${files.length} .ts/.js files; node ${process.version}; sides: ${sides.map((s) => `${s.name}=${s.cli}`).join(', ')}; load at start ${load()}`);
const searchDir = (side) => join(execFileSync('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], { cwd: side.repo, encoding: 'utf8' }).trim(), 'assist', 'search');

function series(label, before) {
  const base = [];
  const per = new Map(sides.map((s) => [s.name, { wall: [], cpu: [], diff: [], phases: [] }]));
  for (let i = 0; i < runs; i++) {
    const b = node();
    base.push(b);
    // Alternate which side goes first, so neither always runs right after node -e 0.
    for (const side of i % 2 === 0 ? sides : [...sides].reverse()) {
      before?.(side, i);
      const r = search(side);
      const s = per.get(side.name);
      s.wall.push(r.wall);
      s.cpu.push(r.cpu);
      s.diff.push(r.wall - b);
      if (r.phases) s.phases.push(r.phases);
      if (i === 0 || i === runs - 1) console.log(`  ${label} ${i + 1} ${side.name}: node -e 0 ${Math.round(b)} ms, search ${Math.round(r.wall)} ms, cpu ${Math.round(r.cpu)} ms  [${phaseText(r.phases)}]`);
    }
  }
  for (const [name, s] of per) {
    const phaseMedians = s.phases.length ? Object.keys(s.phases[0]).filter((k) => k.startsWith('search.')).map((k) => `${k.slice(7)} ${median(s.phases.map((p) => p[k]?.ms ?? 0)).toFixed(1)}`).join(', ') : '';
    console.log(`${label.toUpperCase()} ${name}: node -e 0 ${fmt(base)}; search ${fmt(s.wall)}; search - node per pair ${fmt(s.diff)}; cpu ${fmt(s.cpu)}${phaseMedians ? `; phases (median) ${phaseMedians}` : ''}`);
  }
}

for (const side of sides) search(side); // brings every index up to date
search(sides[0]);
if (!skip.has('warm')) series('warm');
if (!skip.has('change')) {
  const victim = files[Math.floor(files.length / 2)];
  const originals = new Map(sides.map((s) => [s.name, readFileSync(join(s.repo, victim))]));
  try {
    series(`change`, (side, i) => appendFileSync(join(side.repo, victim), `\nexport function benchSearchChanged${i}x${Date.now()}(): number {\n  return ${i};\n}\n`));
  } finally {
    for (const side of sides) writeFileSync(join(side.repo, victim), originals.get(side.name));
  }
  console.log(`  (changed file: ${victim})`);
}
if (!skip.has('build')) {
  // Alternated between the sides (each run on a fresh process, the lexical index removed first);
  // the same runs as before, min(runs, 3) per side unless --build-runs says otherwise.
  const buildRuns = Number(opt('--build-runs', String(Math.min(runs, 3))));
  const per = new Map(sides.map((s) => [s.name, { walls: [], cpus: [], phases: [] }]));
  for (let i = 0; i < buildRuns; i++) {
    for (const side of i % 2 === 0 ? sides : [...sides].reverse()) {
      for (const name of existsSync(searchDir(side)) ? readdirSync(searchDir(side)) : []) if (name !== 'history.txt') rmSync(join(searchDir(side), name), { recursive: true, force: true });
      const r = search(side);
      const s = per.get(side.name);
      s.walls.push(r.wall);
      s.cpus.push(r.cpu);
      if (r.phases) s.phases.push(r.phases);
      console.log(`  build ${i + 1} ${side.name}: ${Math.round(r.wall)} ms, cpu ${Math.round(r.cpu)} ms  [${phaseText(r.phases)}]`);
    }
  }
  for (const side of sides) {
    const { walls, cpus, phases } = per.get(side.name);
    // What the build's time is made of (medians): list, load (the snapshot and packs), the
    // update's tags (tags cache read, entries), merge, graph, encode, write, then the ranking.
    const keys = [...new Set(phases.flatMap((p) => Object.keys(p)))].filter((k) => k.startsWith('search.'));
    const medians = keys.map((k) => `${k.slice(7)} ${median(phases.map((p) => p[k]?.ms ?? 0)).toFixed(0)}`).join(', ');
    console.log(`BUILD ${side.name} (tags cached): ${fmt(walls)}; cpu ${fmt(cpus)} (target <= 1500 ms)${medians ? `; phases (median) ${medians}` : ''}`);
  }
}
if (!skip.has('history')) {
  for (const side of sides) {
    const history = join(searchDir(side), 'history.txt');
    if (!existsSync(history)) continue;
    const walls = [];
    const cpus = [];
    for (let i = 0; i < Math.min(runs, 3); i++) {
      rmSync(history, { force: true });
      const r = search(side);
      walls.push(r.wall);
      cpus.push(r.cpu);
      console.log(`  history ${i + 1} ${side.name}: ${Math.round(r.wall)} ms, cpu ${Math.round(r.cpu)} ms  [${phaseText(r.phases)}]`);
    }
    const text = readFileSync(history, 'utf8');
    console.log(`HISTORY ${side.name} (a search that builds the history index, ${text.slice(0, text.indexOf('\n')).split('\t')[5]} commits): ${fmt(walls)}; cpu ${fmt(cpus)}; ${Math.round(statSync(history).size / 1024)} KB`);
  }
}
for (const side of sides) search(side);
for (const side of sides) {
  const du = (dir) => Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0]);
  const snap = join(searchDir(side), 'snapshot.bin');
  console.log(`INDEX ${side.name}: ${du(searchDir(side))} KB on disk (snapshot ${existsSync(snap) ? Math.round(readFileSync(snap).length / 1024) : '?'} KB, the rest per-blob packs${existsSync(join(searchDir(side), 'history.txt')) ? ` and the history index ${Math.round(statSync(join(searchDir(side), 'history.txt')).size / 1024)} KB` : ''})`);
}
console.log(`load at end ${load()}`);
rmSync(scratch, { recursive: true, force: true });
