// Ranking variants on several query sets in one process (docs/search.md "Retrieval benchmark"):
// each range's index is opened once, then every variant of `SearchTuning` is ranked on every
// range, so a change is judged on all of them at once. Recall@10 of `assist search`'s hits (the
// first ten distinct files of its chunks in order, as the CLI prints them) against the plain BM25.
//
//   npm run build && node bench/retrieval/variants.mjs --range DIR@HEAD@COUNT [--range ...]
//        [--variants '[{...}, ...]'] [--misses] [--keep]
//
// History (docs/search.md "Twelfth session: history"): a variant may carry `historyN` (commits
// indexed, default 3000), `historyK` (commits changing more source files left out, default 30),
// `historyBody` (the first this many non-empty lines of each commit's body indexed with its subject)
// besides `SearchTuning`'s `history` weight (`{"history": 0}`: without) and `historyRank`; each range's history index is built
// in process from one `git log` at the range's base, and the bench stops when a query commit is
// among its commits (the index must see only what the base reaches).
//
// DIR: a clone per range (the bench checks out the range's base in it; a clone's index lives in its
// own git dir, so ranges in separate clones do not rebuild each other's). --misses: per query, the
// answer files outside the first ten, with their place in the search and in the plain BM25.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildBm25, candidateCommits, checkoutBase, gitIn, mean, pct, plainSplit, queriesOf, recallAt } from './queries.mjs';

const root = new URL('../..', import.meta.url).pathname;
const dist = join(root, 'dist');
const cli = join(root, 'bin', 'assist.js');
const args = process.argv.slice(2);
const all = (name) => args.flatMap((a, i) => (a === name ? [args[i + 1]] : []));
const opt = (name, fallback) => all(name)[0] ?? fallback;
const flag = (name) => args.includes(name);
if (!existsSync(join(dist, 'bundle', 'main.js'))) {
  console.error('no build: run `npm run build` first');
  process.exit(1);
}
const env = { ...process.env, NO_COLOR: '1', GIT_OPTIONAL_LOCKS: '0' };
const context = await import(join(dist, 'context', 'index.js'));
const { listSourceFiles } = await import(join(dist, 'context', 'git-files.js'));

const ranges = [];
for (const spec of all('--range')) {
  const [repo, headRef, count] = spec.split('@');
  const git = gitIn(repo, env);
  const head = git('rev-parse', headRef ?? 'HEAD').trim();
  const { candidates, base } = candidateCommits(git, head, Number(count ?? 80));
  checkoutBase(git, base);
  const listing = await listSourceFiles(repo, env);
  const queries = queriesOf(candidates, listing);
  const bm25 = buildBm25(repo, listing, plainSplit);
  spawnSync(process.execPath, [cli, 'map', '--tokens', '1024'], { cwd: repo, env, stdio: 'ignore' });
  const index = await context.openIndex({ cwd: repo, env });
  const plain = mean(queries.map((q) => recallAt(bm25(q.query), q.answer)));
  const maxN = Math.max(3000, ...JSON.parse(opt('--variants', '[{}]')).map((v) => v.historyN ?? 0));
  const logged = context.parseLog(git('-c', 'core.quotePath=false', 'log', '--no-merges', '-M', '--name-status', '--format=%x1e%H%x09%s', '-n', String(maxN), 'HEAD', '--'));
  // Commit bodies, for the `historyBody` variants (the first N non-empty lines of each body, after the subject).
  const bodies = new Map();
  if (JSON.parse(opt('--variants', '[{}]')).some((v) => v.historyBody)) {
    for (const record of git('log', '--no-merges', '--format=%x1e%H%x09%b', '-n', String(maxN), 'HEAD', '--').split('\x1e')) {
      const tab = record.indexOf('\t');
      if (tab > 0) bodies.set(record.slice(0, tab), record.slice(tab + 1).split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^(co-authored-by|signed-off-by):/i.test(l)));
    }
  }
  const leaked = logged.filter((c) => candidates.some((q) => q.commit === c.id));
  if (leaked.length > 0) throw new Error(`history leak: ${leaked.length} query commits in the history at ${base}`);
  const name = `${headRef}~${count}`;
  process.stdout.write(`${name}: ${repo} base ${base.slice(0, 12)}, ${listing.files.length} files, ${queries.length} queries; plain BM25 ${pct(plain)}\n`);
  ranges.push({ name, repo, git, queries, bm25, index, plain, base, logged, bodies, histories: new Map() });
}

const historyOf = (range, v) => {
  const N = v.historyN ?? 3000;
  const K = v.historyK ?? 30;
  const B = v.historyBody ?? 0;
  const key = `${N}/${K}/${B}`;
  let h = range.histories.get(key);
  if (!h) {
    const logged = range.logged.slice(0, N).map((c) => (B > 0 ? { ...c, subject: [c.subject, ...(range.bodies.get(c.id) ?? []).slice(0, B)].join('\n') } : c));
    const data = context.buildHistory(range.base, logged, { maxCommits: N, maxFiles: K });
    if (data.commits.some((c) => range.queries.some((q) => q.commit === c.id))) throw new Error('history leak');
    h = context.HistoryIndex.parse(context.encodeHistory(data));
    range.histories.set(key, h);
  }
  return h;
};
const files = (range, q, v) => {
  const { historyN: _n, historyK: _k, historyBody: _b, ...tuning } = v;
  const r = context.rankForQuery(range.index, q.query, { tuning, ...((tuning.history ?? context.DEFAULT_TUNING.history) > 0 ? { history: historyOf(range, v) } : {}) });
  return r.chunks.map((c) => range.index.snapshot.paths[range.index.snapshot.chunkFile[c.chunk]]);
};
const variants = JSON.parse(opt('--variants', '[{}]'));
process.stdout.write(`\nrecall@10 (× plain BM25)\n`);
for (const v of variants) {
  const cells = ranges.map((range) => {
    const r = mean(range.queries.map((q) => recallAt(files(range, q, v), q.answer)));
    return `${pct(r)} ${(r / range.plain).toFixed(2)}×`;
  });
  process.stdout.write(`${cells.map((c) => c.padStart(13)).join(' ')}  ${JSON.stringify(v)}\n`);
}

if (flag('--misses')) {
  const v = variants[0];
  for (const range of ranges) {
    process.stdout.write(`\n== misses of ${range.name} (${JSON.stringify(v)})\n`);
    for (const q of range.queries) {
      const mine = [...new Set(files(range, q, v))];
      const theirs = range.bm25(q.query);
      const out = q.answer.filter((a) => !mine.slice(0, 10).includes(a));
      if (out.length === 0) continue;
      const place = (list, a) => (list.indexOf(a) === -1 ? '-' : String(list.indexOf(a) + 1));
      process.stdout.write(`${q.query}\n  top: ${mine.slice(0, 5).join(' ')}\n`);
      for (const a of out) process.stdout.write(`  ${a}: search #${place(mine, a)}, bm25 #${place(theirs, a)}\n`);
    }
  }
}
