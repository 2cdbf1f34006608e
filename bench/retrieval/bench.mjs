/* global performance */
// Retrieval benchmark (docs/search.md): does `assist search` / `map --query` find the files a
// real commit changed, from the commit's subject alone, against a plain BM25 over whole files
// computed in the same run; and how fast is the index.
//
//   npm run build && node bench/retrieval/bench.mjs --repo DIR [--commits 80] [--head REF]
//        [--no-timings] [--no-cli] [--tune] [--keep] [--embeddings]
//
// --embeddings: the same recall@10 with `context.embeddings = true` against the project's fake
//   model server (test/fake-llm, started in a child process): its vectors are hashed word bags,
//   not semantic, so this shows the plumbing (embedding every file, the vector rank fused), not
//   the quality a real embeddings model would give. Prints the vector rows beside the lexical ones,
//   and what embedding cost (files, chunks, requests, time, store size). `--dim N` (default 256):
//   the fake's vector length. The vector weight is calibrated as the product does (on the commits
//   before the base; printed with its recall per weight) and the in-process rows are given at
//   weight 1 (plain RRF) and at the calibrated weight; `--vector-weight W` adds a row at W.
//
// --repo DIR: a git clone of a public repository, brought in for the benchmark only (for the
//   figures in docs/search.md: vitest-dev/vitest, see there for the commit). The bench checks out
//   the base of the commit range in that clone (detached HEAD; media files left out of the
//   checkout) and puts the clone's HEAD back at the end unless --keep.
// Queries: the subjects of the last --commits non-merge commits before --head (default HEAD) whose
//   type is not chore/ci/docs/release/build/revert and that modified source files the map covers
//   (the conventional-commit prefix and the PR number are removed). Answer: those files, as they
//   exist at the base (the parent of the oldest commit), where the index is built.
// Recall@10: the share of a commit's answer files among the first 10 distinct files a ranking
//   gives, averaged over commits.
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buildBm25, candidateCommits, checkoutBase, mean, pct, plainSplit, queriesOf, recallAt } from './queries.mjs';

const root = new URL('../..', import.meta.url).pathname;
const dist = join(root, 'dist');
const cli = join(root, 'bin', 'assist.js');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1];
};
const flag = (name) => args.includes(name);
const repo = opt('--repo');
if (!repo || !existsSync(join(repo, '.git'))) {
  console.error('usage: node bench/retrieval/bench.mjs --repo DIR (a git clone) [--commits 80] [--head REF] [--no-timings] [--no-cli] [--tune] [--keep] [--embeddings]');
  process.exit(2);
}
if (!existsSync(join(dist, 'bundle', 'main.js'))) {
  console.error('no build: run `npm run build` first');
  process.exit(1);
}
const env = { ...process.env, NO_COLOR: '1', GIT_OPTIONAL_LOCKS: '0' };
const git = (...a) => execFileSync('git', a, { cwd: repo, env, encoding: 'utf8', maxBuffer: 1 << 30 });
const context = await import(join(dist, 'context', 'index.js'));
const { listSourceFiles } = await import(join(dist, 'context', 'git-files.js'));
const { tokenize } = await import(join(dist, 'context', 'search-tokens.js'));
const count = Number(opt('--commits', '80'));
const head = git('rev-parse', opt('--head', 'HEAD')).trim();
const original = git('rev-parse', '--abbrev-ref', 'HEAD').trim() === 'HEAD' ? git('rev-parse', 'HEAD').trim() : git('rev-parse', '--abbrev-ref', 'HEAD').trim();

// ---------------------------------------------------------------- the query set
const { candidates, base } = candidateCommits(git, head, count);
process.stdout.write(`repository ${repo}: head ${head.slice(0, 12)}, base ${base.slice(0, 12)}, ${candidates.length} commits\n`);
checkoutBase(git, base);
const listing = await listSourceFiles(repo, env);
const queries = queriesOf(candidates, listing);
process.stdout.write(`${listing.files.length} source files at the base; ${queries.length} queries with answer files there (${queries.reduce((s, q) => s + q.answer.length, 0)} answer files)\n`);

// ---------------------------------------------------------------- plain BM25 over whole files
// Two tokenizers: identifiers split at camelCase/snake_case/kebab/digits and lower-cased, as the
// issue describes it; and the index's own (the same plus stems and whole compound identifiers).
const bm25Plain = buildBm25(repo, listing, plainSplit);
const bm25Index = buildBm25(repo, listing, (text) => tokenize(text).concat([]));

// ---------------------------------------------------------------- assist, in process and through the CLI
// Tags first (a cold map), so the index build below measures the index alone.
spawnSync(process.execPath, [cli, 'map', '--tokens', '1024'], { cwd: repo, env, stdio: 'ignore' });
const index = await context.openIndex({ cwd: repo, env });
// The history index at the base (docs/search.md "Twelfth session: history"), as the product builds
// it: only commits the base reaches. A clone may hold one made at another head: refreshed (rebuilt
// when that head is not an ancestor of the base), then checked to hold no query commit.
const tHistory = performance.now();
const historyRefresh = await context.refreshHistory({ root: index.root, sharedAssistDir: index.sharedAssistDir, env });
const history = historyRefresh.index;
const historyData = history?.data();
if (!historyData || historyData.head !== base) throw new Error(`history index not at the base: ${historyData?.head}`);
const leaked = historyData.commits.filter((c) => candidates.some((q) => q.commit === c.id));
if (leaked.length > 0) throw new Error(`history leak: ${leaked.length} query commits indexed at the base`);
process.stdout.write(`history index at the base: ${historyData.commits.length} commits (${historyRefresh.outcome}, ${historyRefresh.logged} logged, ${Math.round(performance.now() - tHistory)} ms); no query commit among them\n`);

function inProcessFiles(q, tuning) {
  return context.rankForQuery(index, q.query, { ...(tuning ? { tuning } : {}), ...(history ? { history } : {}) });
}
function cliJson(argv) {
  const r = spawnSync(process.execPath, [cli, ...argv], { cwd: repo, env, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`assist ${argv[0]} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const rows = [];
const add = (name, recalls) => rows.push({ name, recall: mean(recalls) });
add('plain BM25 over whole files (split identifiers)', queries.map((q) => recallAt(bm25Plain(q.query), q.answer)));
add("BM25 over whole files, the index's tokens (stems, whole identifiers)", queries.map((q) => recallAt(bm25Index(q.query), q.answer)));
const chunkOrder = (ranking) => ranking.chunks.map((c) => index.snapshot.paths[index.snapshot.chunkFile[c.chunk]]);
add('assist search, in process: chunks in order', queries.map((q) => recallAt(chunkOrder(inProcessFiles(q)), q.answer)));
add('assist search, in process: fused files', queries.map((q) => recallAt(inProcessFiles(q).files.map((f) => f.file), q.answer)));

if (flag('--tune')) {
  const variants = JSON.parse(opt('--variants', '[]'));
  const defaults = [
    { graph: 0 },
    { graph: 0.25 },
    { graph: 1 },
    { chunk: 0 },
    { chunk: 2 },
    { lexical: 0 },
    { second: 0 },
    { second: 0.6 },
    { k: 20 },
    { weights: { ...context.DEFAULT_TUNING.weights, path: 1 } },
    { weights: { ...context.DEFAULT_TUNING.weights, path: 6 } },
    { weights: { ...context.DEFAULT_TUNING.weights, names: 1 } },
    { weights: { ...context.DEFAULT_TUNING.weights, b: 0.4 } },
    { weights: { ...context.DEFAULT_TUNING.weights, k1: 2 } },
  ];
  for (const v of variants.length > 0 ? variants : defaults) {
    const chunks = mean(queries.map((q) => recallAt(chunkOrder(inProcessFiles(q, v)), q.answer)));
    const files = mean(queries.map((q) => recallAt(inProcessFiles(q, v).files.map((f) => f.file), q.answer)));
    process.stdout.write(`tune ${JSON.stringify(v)}: chunks ${pct(chunks)}, files ${pct(files)}\n`);
  }
}

if (!flag('--no-cli')) {
  const searchRecalls = [];
  const mapRecalls = [];
  const details = [];
  for (const q of queries) {
    const hits = cliJson(['search', '--json', '--k', '50', q.query]);
    const map = cliJson(['map', '--json', '--tokens', '8192', '--query', q.query]);
    const s = recallAt(hits.map((h) => h.file), q.answer);
    const m = recallAt(map.files, q.answer);
    searchRecalls.push(s);
    mapRecalls.push(m);
    details.push({ query: q.query, answer: q.answer, search: s, map: m, bm25: recallAt(bm25Index(q.query), q.answer) });
  }
  add('assist search (CLI, first 10 distinct files of --k 50)', searchRecalls);
  add('assist map --query --tokens 8192 (CLI, first 10 files)', mapRecalls);
  if (opt('--details')) writeFileSync(opt('--details'), JSON.stringify(details, null, 1));
}

if (flag('--embeddings')) await embeddingRows();

/**
 * The fake model server (TypeScript, bundled with esbuild) in a child process: this process
 * blocks in spawnSync while the CLI runs, so the server cannot live in it.
 */
async function startFakeServer(dim) {
  const { build } = await import('esbuild');
  const outfile = join(tmpdir(), `assist-bench-fake-llm-${process.pid}.mjs`);
  const contents = `import { startFakeLlm } from './test/fake-llm/index.ts';\nconst s = await startFakeLlm();\ns.embeddingDimensions = ${dim};\nprocess.stdout.write(JSON.stringify(s.env()) + '\\n');\n`;
  await build({ stdin: { contents, resolveDir: root, loader: 'ts', sourcefile: 'bench-fake-llm.ts' }, bundle: true, platform: 'node', format: 'esm', outfile, logLevel: 'error' });
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [outfile], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`fake server exited ${code}`)));
  });
  return { env: JSON.parse(line), stop: () => (child.kill(), rmSync(outfile, { force: true })) };
}

async function embeddingRows() {
  const dim = Number(opt('--dim', '256'));
  const fake = await startFakeServer(dim);
  try {
    const model = 'openai/text-embedding-3-small';
    const venv = { ...env, ...fake.env, ASSIST_CONTEXT__EMBEDDINGS: 'true', ASSIST_CONTEXT__EMBEDDING_MODEL: model, ASSIST_CONTEXT__EMBEDDING_BUDGET: '1000000000' };
    const { createEmbedder } = await import(join(dist, 'llm', 'embeddings.js'));
    const embedder = createEmbedder({ model, env: venv });
    const shared = git('rev-parse', '--path-format=absolute', '--git-common-dir').trim();
    rmSync(context.vectorsDir(join(shared, 'assist'), model), { recursive: true, force: true });
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const stats = await context.refreshVectors(index, await context.loadVectorTable(index, model), { embedder, budget: Number.MAX_SAFE_INTEGER });
    const cpu = process.cpuUsage(cpu0);
    const embedMs = performance.now() - t0;
    const t1 = performance.now();
    const table = await context.loadVectorTable(index, model);
    const loadMs = performance.now() - t1;
    const t2 = performance.now();
    await context.loadVectorTable(index, model, { fresh: true });
    const gatherMs = performance.now() - t2;
    // The product's calibration (docs/search.md "Vector weight"): commits before the base, stored
    // in the model's folder, so the CLI rows below use it as a search would.
    const t3 = performance.now();
    const outcome = await context.calibrateForIndex(index, table, { embedder, budget: Number.MAX_SAFE_INTEGER, env: venv });
    const calibrateMs = performance.now() - t3;
    const calibrated = outcome.calibration?.weight;
    process.stdout.write(
      outcome.calibration
        ? `\nvector weight calibrated on ${outcome.calibration.queries} commits before the base in ${Math.round(calibrateMs)} ms: ${outcome.calibration.recall.map((r) => `${r.weight} → ${pct(r.recall)}`).join(', ')}; chosen ${calibrated}\n`
        : `\nvector weight not calibrated: ${outcome.skipped}\n`,
    );
    // --vector-weight W: one more in-process row at that weight. Weight 1 (plain RRF, the default
    // before the calibration) is always printed beside the calibrated one.
    const weights = [...new Set([1, ...(calibrated === undefined ? [] : [calibrated]), ...(opt('--vector-weight') === undefined ? [] : [Number(opt('--vector-weight'))])])];
    for (const w of weights) {
      const chunks = [];
      const files = [];
      for (const q of queries) {
        const r = context.rankForQuery(index, q.query, { tuning: { vector: w }, vectors: { table, cos: context.cosines(table, await context.queryVector(embedder, q.query)) }, ...(history ? { history } : {}) });
        chunks.push(recallAt(chunkOrder(r), q.answer));
        files.push(recallAt(r.files.map((f) => f.file), q.answer));
      }
      const label = `vector weight ${w}${w === calibrated ? ', calibrated' : ''}${w === 1 ? ', plain RRF' : ''}`;
      add(`assist search, in process, with vectors (fake server, ${label}): chunks in order`, chunks);
      add(`assist search, in process, with vectors (fake server, ${label}): fused files`, files);
    }
    if (!flag('--no-cli')) {
      const recalls = [];
      const mapRecalls = [];
      const withVectors = (args, what) => {
        const r = spawnSync(process.execPath, [cli, ...args], { cwd: repo, env: venv, encoding: 'utf8', maxBuffer: 1 << 28 });
        if (r.status !== 0 || r.stderr !== '') throw new Error(`assist ${what} with vectors: exit ${r.status}: ${r.stderr}`);
        return JSON.parse(r.stdout);
      };
      for (const q of queries) {
        recalls.push(recallAt(withVectors(['search', '--json', '--k', '50', q.query], 'search').map((h) => h.file), q.answer));
        mapRecalls.push(recallAt(withVectors(['map', '--json', '--tokens', '8192', '--query', q.query], 'map').files, q.answer));
      }
      add('assist search with vectors (CLI, fake server, first 10 distinct files of --k 50)', recalls);
      add('assist map --query with vectors (CLI, fake server, first 10 files)', mapRecalls);
    }
    const du = Number(execFileSync('du', ['-sk', context.vectorsDir(join(shared, 'assist'), model)], { encoding: 'utf8' }).split('\t')[0]);
    process.stdout.write(
      `\nvectors (fake server, ${dim} dimensions): ${stats.files} files, ${stats.chunks} chunks embedded in ${stats.requests} requests (${stats.tokens} tokens) in ${Math.round(embedMs)} ms wall, ${Math.round((cpu.user + cpu.system) / 1000)} ms CPU of this process; ` +
        `${table.qnorm.length} vectors loaded in ${Math.round(loadMs)} ms from the packed table (${Math.round(gatherMs)} ms gathered from the per-blob files); store ${du} KB on disk (${dim + 12} bytes per chunk + a header per file)\n`,
    );
  } finally {
    fake.stop();
  }
}

process.stdout.write('\nrecall@10 (mean over queries)\n');
// The target (issue 26): `assist search` ≥ 1.25× the plain BM25, `map --query` ≥ 1×; the better BM25 beside it.
const baseline = Math.max(rows[0].recall, rows[1].recall);
for (const r of rows) process.stdout.write(`  ${r.name.padEnd(72)} ${pct(r.recall).padStart(6)}  ${(r.recall / rows[0].recall).toFixed(2)}× plain BM25, ${(r.recall / baseline).toFixed(2)}× the better BM25\n`);

// ---------------------------------------------------------------- timings
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
/** Wall time of `node ARGV...` in the repository. */
function wall(argv) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, argv, { cwd: repo, env, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}`);
  return performance.now() - t0;
}
if (!flag('--no-timings')) {
  const shared = git('rev-parse', '--path-format=absolute', '--git-common-dir').trim();
  const searchDir = join(shared, 'assist', 'search');
  const query = queries[0].query;
  const search = [cli, 'search', '--k', '10', query];
  const nodeBase = [];
  const build = [];
  const buildEngine = [];
  // Index build with the tags cached: the index (packs and snapshot) removed, the tags kept.
  for (let i = 0; i < 3; i++) {
    nodeBase.push(wall(['-e', '0']));
    rmSync(searchDir, { recursive: true, force: true });
    build.push(wall(search));
    rmSync(searchDir, { recursive: true, force: true });
    const t0 = performance.now();
    const stats = (await context.openIndex({ cwd: repo, env })).stats;
    buildEngine.push(performance.now() - t0);
    if (i === 0) process.stdout.write(`\nindex: ${stats.files} files, ${stats.chunks} chunks, ${stats.terms} terms\n`);
  }
  const warm = [];
  const warmBase = [];
  // The map's own warm path (an unchanged repeat) and after one change, as a reference of the same run.
  const map = [cli, 'map', '--tokens', '1024'];
  const mapWarm = [];
  wall(map);
  for (let i = 0; i < 9; i++) {
    warmBase.push(wall(['-e', '0']));
    warm.push(wall(search));
    mapWarm.push(wall(map));
  }
  // One changed file: a line appended to a mid-listing file before each run.
  const victim = listing.files[Math.floor(listing.files.length / 2)].path;
  const before = readFileSync(join(repo, victim));
  const changed = [];
  const changedBase = [];
  const mapChanged = [];
  try {
    for (let i = 0; i < 7; i++) {
      appendFileSync(join(repo, victim), `\nexport const benchChange${i} = ${i};\n`);
      changedBase.push(wall(['-e', '0']));
      changed.push(wall(search));
      appendFileSync(join(repo, victim), `\nexport const benchMapChange${i} = ${i};\n`);
      mapChanged.push(wall(map));
    }
  } finally {
    writeFileSync(join(repo, victim), before);
  }
  const du = (dir) => {
    try {
      return Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0]);
    } catch {
      return 0;
    }
  };
  const nb = median([...nodeBase, ...warmBase, ...changedBase]);
  const ms = (x) => `${Math.round(x)} ms`;
  process.stdout.write(`timings (medians; node -e 0 = ${ms(nb)} in this run)\n`);
  process.stdout.write(`  index build, tags cached: command ${ms(median(build))} (${build.map(ms).join(', ')}), engine ${ms(median(buildEngine))}\n`);
  process.stdout.write(`  warm search: ${ms(median(warm))} = node -e 0 + ${ms(median(warm) - median(warmBase))} (pairs: ${warm.map((w, i) => ms(w - warmBase[i])).join(', ')})\n`);
  process.stdout.write(`  after one changed file (${victim}): ${ms(median(changed))} = node -e 0 + ${ms(median(changed) - median(changedBase))} (pairs: ${changed.map((w, i) => ms(w - changedBase[i])).join(', ')})\n`);
  process.stdout.write(`  reference, assist map --tokens 1024: unchanged repeat node -e 0 + ${ms(median(mapWarm) - median(warmBase))}, after one changed file node -e 0 + ${ms(median(mapChanged) - median(changedBase))}\n`);
  process.stdout.write(`  index on disk: ${du(searchDir)} KB (packs and snapshot), tags cache ${du(join(shared, 'assist', 'tags'))} KB\n`);
}

if (!flag('--keep')) {
  git('checkout', '-q', '-f', original);
  // A clone made without its large blobs (media files the checkout left out) cannot check them out:
  // it stays sparse, and says so, rather than ending the run in a stack trace after its figures.
  try {
    git('sparse-checkout', 'disable');
  } catch {
    process.stderr.write('note: the clone stays a sparse checkout without its media files: git could not check them out (`git sparse-checkout disable` there once they are fetched)\n');
  }
}
