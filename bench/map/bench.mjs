/* global performance */
// Repo-map benchmark against Universal Ctags, measured in the same run (see docs/repo-map.md).
//
//   node bench/map/bench.mjs [--repo DIR] [--sizes 5000,50000] [--no-quality] [--no-scale]
//
// --repo DIR: a git checkout to measure (for the figures in docs/repo-map.md:
//   git clone https://github.com/microsoft/playwright /tmp/pw && git -C /tmp/pw checkout d4e1023f6c03a8dced50eb3db88c2217e7c1a86a).
// Without --repo the corpus is built from the npm registry (the only network it uses):
//   `npm pack effect@3.16.12 rxjs@7.8.2`, unpacked into a temp git repository.
// Synthetic repositories of --sizes files are generated under the temp dir for scale.
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const engine = join(root, 'bench', 'map', 'engine.mjs');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1];
};
const work = join(tmpdir(), 'assist-bench-map');
mkdirSync(work, { recursive: true });
const env = { ...process.env, BENCH_MAP_DIST: join(work, 'build', 'dist'), GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b', NO_COLOR: '1' };

// A private build: the shared dist/ may be rebuilt by a test run in the middle of a measurement.
const build = join(work, 'build');
rmSync(build, { recursive: true, force: true });
mkdirSync(build, { recursive: true });
spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', join(build, 'dist')], { stdio: 'ignore' });
if (!existsSync(join(build, 'dist', 'context', 'index.js')) || !existsSync(join(build, 'dist', 'cli', 'main.js'))) {
  console.error('the build failed: run `npm run build` and fix its errors');
  process.exit(1);
}
// The command runs from the esbuild bundle of `npm run build`: a copy of it, taken now.
if (!existsSync(join(root, 'dist', 'bundle', 'main.js'))) {
  console.error('no bundle: run `npm run build` first');
  process.exit(1);
}
cpSync(join(root, 'dist', 'bundle'), join(build, 'dist', 'bundle'), { recursive: true });
cpSync(join(root, 'bin'), join(build, 'bin'), { recursive: true });
cpSync(join(root, 'package.json'), join(build, 'package.json'));
symlinkSync(join(root, 'node_modules'), join(build, 'node_modules'));
const cli = join(build, 'bin', 'assist.js');
const ctagsVersion = execFileSync('ctags', ['--version'], { encoding: 'utf8' }).split('\n')[0];
if (!/Universal Ctags/.test(ctagsVersion)) {
  console.error(`needs Universal Ctags (apt-get install -y universal-ctags), found: ${ctagsVersion}`);
  process.exit(1);
}

const git = (cwd, ...a) => execFileSync('git', a, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 30 });
const ms = (n) => `${Math.round(n)} ms`;
const mb = (kb) => `${Math.round(kb / 1024)} MB`;

function time(fn) {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function runEngine(cwd, options = {}) {
  const out = execFileSync(process.execPath, [engine, 'map', cwd, JSON.stringify({ tokens: 1024, ...options })], { env, encoding: 'utf8', maxBuffer: 1 << 28 });
  return JSON.parse(out);
}

function runCommand(cwd, extra = []) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, 'map', '--tokens', '1024', ...extra], { cwd, env, encoding: 'utf8' });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`assist map failed: ${r.stderr}`);
  return wall;
}

function clearCache(cwd) {
  rmSync(join(cwd, '.git', 'assist'), { recursive: true, force: true });
}

/** The files the map covers, as the engine lists them, for ctags over the same set. */
async function coveredFiles(cwd) {
  const { listSourceFiles } = await import(join(build, 'dist', 'context', 'git-files.js'));
  return (await listSourceFiles(cwd, env)).files.map((f) => f.path);
}

function ctagsOver(cwd, files) {
  const list = join(work, 'ctags-files.txt');
  writeFileSync(list, files.join('\n') + '\n');
  const out = join(work, 'tags');
  return time(() => execFileSync('ctags', ['-f', out, '--fields=+nK', '-L', list], { cwd, stdio: 'ignore' }));
}

function ctagsRecursive(cwd) {
  return time(() => execFileSync('ctags', ['-R', '-f', join(work, 'tags-r'), '--exclude=.git', '--exclude=node_modules', '.'], { cwd, stdio: 'ignore' }));
}

async function measureRepo(label, cwd, { quality }) {
  if (git(cwd, 'status', '--porcelain') !== '') throw new Error(`${cwd} has uncommitted changes: the benchmark needs a clean checkout`);
  const files = await coveredFiles(cwd);
  // ctags and the cold map alternate, and the ratio is taken within each pair: the speed of
  // this machine drifts by a third over minutes, which a ratio of two separate medians hides.
  const ctagsRuns = [];
  const ctagsRRuns = [];
  const colds = [];
  const ratios = [];
  let cold;
  ctagsOver(cwd, files); // not counted: reads freshly generated files into the page cache
  for (let i = 0; i < 3; i++) {
    const c = ctagsOver(cwd, files);
    ctagsRRuns.push(ctagsRecursive(cwd));
    clearCache(cwd);
    cold = runEngine(cwd);
    ctagsRuns.push(c);
    colds.push(cold.wallMs);
    ratios.push(cold.wallMs / c);
  }
  const ctags = median(ctagsRuns);
  const ctagsR = median(ctagsRRuns);
  clearCache(cwd);
  const coldCommand = runCommand(cwd);
  const warmUnchanged = [0, 1, 2].map(() => runEngine(cwd));
  const warmCommand = median([0, 1, 2].map(() => runCommand(cwd)));
  const warmQuery = [0, 1, 2].map((i) => runEngine(cwd, { query: `how is request ${i} handled?` }));
  const warmQueryCommand = median([0, 1, 2].map((i) => runCommand(cwd, ['--query', `what does page ${i} do?`])));

  // One file changed (a new line appended), then put back.
  const victim = files[Math.floor(files.length / 2)];
  const original = readFileSync(join(cwd, victim));
  const changed = [];
  let changedCommand;
  try {
    for (let i = 0; i < 3; i++) {
      appendFileSync(join(cwd, victim), `\nexport function benchChanged${i}${Date.now()}() {}\n`);
      changed.push(runEngine(cwd));
    }
    appendFileSync(join(cwd, victim), `\nexport function benchChangedCmd${Date.now()}() {}\n`);
    changedCommand = runCommand(cwd);
  } finally {
    writeFileSync(join(cwd, victim), original);
  }

  const result = {
    label,
    files: files.length,
    bytes: files.reduce((n, f) => n + readFileSync(join(cwd, f)).length, 0),
    ctags,
    ctagsR,
    cold: median(colds),
    coldRatios: ratios,
    coldStats: cold.stats,
    coldCommand,
    coldRss: cold.maxRssKB,
    warmEngine: median(warmUnchanged.map((r) => r.wallMs)),
    warmCommand,
    warmQueryEngine: median(warmQuery.map((r) => r.wallMs)),
    warmQueryPhases: warmQuery[1].stats.ms,
    warmQueryCommand,
    warmRss: warmQuery[1].maxRssKB,
    changedEngine: median(changed.map((r) => r.wallMs)),
    changedPhases: changed[1].stats.ms,
    changedCommand,
  };
  if (quality) result.quality = await measureQuality(cwd);
  return result;
}

const symbolKinds = new Set(['class', 'function', 'method', 'interface', 'enum', 'alias', 'typealias', 'struct', 'namespace', 'module', 'trait', 'generator', 'macro']);

/** 200 symbols (fixed seed) of declaration kinds that ctags finds defined in exactly one covered file. */
async function measureQuality(cwd) {
  // Files over context.max_file_bytes (1 MiB) are by contract neither parsed nor sent.
  const files = new Set((await coveredFiles(cwd)).filter((f) => statSync(join(cwd, f)).size <= 1 << 20));
  const text = readFileSync(join(work, 'tags'), 'utf8');
  const where = new Map();
  for (const line of text.split('\n')) {
    if (line.startsWith('!') || line === '') continue;
    const [name, file] = line.split('\t');
    const kind = /;"\t([a-z]+)/.exec(line)?.[1] ?? '';
    // ctags names what has no name (AnonymousFunction…, __anon<hash> for C structs and enums): no request can name those.
    if (!files.has(file) || name.length < 4 || !/^[A-Za-z_$][\w$]*$/.test(name) || name.startsWith('AnonymousFunction') || name.startsWith('__anon')) continue;
    // Named declarations both tools tag; ctags also tags locals and object properties.
    if (!symbolKinds.has(kind)) continue;
    if (!where.has(name)) where.set(name, new Set());
    where.get(name).add(file);
  }
  const unique = [...where].filter(([, set]) => set.size === 1).map(([name, set]) => ({ name, file: [...set][0] }));
  unique.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let seed = 42;
  const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const picked = [];
  const pool = [...unique];
  while (picked.length < 200 && pool.length > 0) picked.push(pool.splice(Math.floor(rand() * pool.length), 1)[0]);
  const symbolsFile = join(work, 'symbols.json');
  writeFileSync(symbolsFile, JSON.stringify(picked));
  const out = execFileSync(process.execPath, [engine, 'quality', cwd, symbolsFile], { env, encoding: 'utf8', maxBuffer: 1 << 26 });
  return JSON.parse(out);
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
      `import { fn${j} } from '../m${j % 200}/f${j}.js';
import { Service${k} } from '../m${k % 200}/f${k}.js';

export interface Shape${i} {
  id: number;
  label: string;
}

export class Service${i} {
  private cache = new Map<number, Shape${i}>();

  run(input: Shape${i}): number {
    return fn${j}(input.id) + helper${i}();
  }

  describe(input: Shape${i}): string {
    return \`\${input.label}:\${this.cache.size}\`;
  }
}

export function fn${i}(x: number): number {
  return x * ${i};
}

function helper${i}(): number {
  return new Service${k}().run({ id: 1, label: 'x' });
}
`,
    );
  }
  git(dir, 'init', '-q');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'generated');
}

async function npmCorpus() {
  const dir = join(work, 'npm-corpus');
  if (existsSync(join(dir, '.git'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const spec of ['effect@3.16.12', 'rxjs@7.8.2']) {
    const tgz = execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', work], { encoding: 'utf8' }).trim().split('\n').pop();
    const into = join(dir, spec.split('@')[0]);
    mkdirSync(into, { recursive: true });
    execFileSync('tar', ['-xzf', join(work, tgz), '-C', into, '--strip-components=1', 'package/src']);
  }
  git(dir, 'init', '-q');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'corpus');
  return dir;
}

const rows = [];
const repo = opt('--repo', undefined) ?? (await npmCorpus());
if (args.includes('--quality-only')) {
  ctagsOver(repo, await coveredFiles(repo));
  const q = await measureQuality(repo);
  console.log(`quality: ${q.hits}/${q.total} (${Math.round(q.msPerQuery)} ms/query)`);
  for (const m of q.misses) console.log(`  miss ${m.name} (${m.file}); top files: ${m.top.join(', ')}`);
  process.exit(0);
}
const head = git(repo, 'rev-parse', 'HEAD').trim();
console.error(`measuring ${repo} at ${head}`);
rows.push(await measureRepo(`${repo}@${head.slice(0, 10)}`, repo, { quality: !args.includes('--no-quality') }));
if (!args.includes('--no-scale')) {
  for (const size of (opt('--sizes', '5000,50000')).split(',').map(Number)) {
    const dir = join(work, `gen-${size}`);
    console.error(`generating ${size} files in ${dir}`);
    generateRepo(dir, size);
    rows.push(await measureRepo(`generated ${size}`, dir, { quality: false }));
  }
}

// The machine's speed at the end of the run, for reading the absolute figures (this machine's
// speed drifts by a third over minutes): `node -e 0`, median of 9.
const nodeStart = median(Array.from({ length: 9 }, () => time(() => execFileSync(process.execPath, ['-e', '0']))));
console.log(`node ${process.version}, ${ctagsVersion}, ${(await import('node:os')).availableParallelism()} cores; node -e 0: ${ms(nodeStart)}`);
for (const r of rows) {
  console.log(`\n## ${r.label}: ${r.files} files, ${(r.bytes / 1e6).toFixed(1)} MB`);
  console.log(`ctags over the same files     ${ms(r.ctags)}   (ctags -R over the tree: ${ms(r.ctagsR)})`);
  console.log(`cold map (engine)             ${ms(r.cold)}   = ${median(r.coldRatios).toFixed(2)}x ctags (median of pairs; ${r.coldRatios.map((x) => x.toFixed(2)).join(', ')})   [parsed ${r.coldStats.parsed} with ${r.coldStats.workers} workers, phases ${JSON.stringify(r.coldStats.ms, (k, v) => (typeof v === 'number' ? Math.round(v) : v))}]`);
  console.log(`cold map (whole command)      ${ms(r.coldCommand)}`);
  console.log(`warm, unchanged (engine)      ${ms(r.warmEngine)}   whole command ${ms(r.warmCommand)}`);
  console.log(`warm, new query (engine)      ${ms(r.warmQueryEngine)}   whole command ${ms(r.warmQueryCommand)}   phases ${JSON.stringify(r.warmQueryPhases, (k, v) => (typeof v === 'number' ? Math.round(v) : v))}`);
  console.log(`one file changed (engine)     ${ms(r.changedEngine)}   whole command ${ms(r.changedCommand)}   phases ${JSON.stringify(r.changedPhases, (k, v) => (typeof v === 'number' ? Math.round(v) : v))}`);
  console.log(`peak RSS: cold ${mb(r.coldRss)}, warm ${mb(r.warmRss)}`);
  if (r.quality) {
    console.log(`quality: ${r.quality.hits}/${r.quality.total} = ${((100 * r.quality.hits) / r.quality.total).toFixed(1)}% (${Math.round(r.quality.msPerQuery)} ms/query)`);
    for (const m of r.quality.misses.slice(0, 10)) console.log(`  miss ${m.name} (${m.file}); top files: ${m.top.join(', ')}`);
  }
}
