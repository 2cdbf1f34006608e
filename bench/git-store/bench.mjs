// Benchmarks of the git event store against the same git commands run in a shell loop, in the same run.
// Needs the build: `npx tsc -p tsconfig.build.json`. Usage: node bench/git-store/bench.mjs [files...] (default 2000 50000)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { openStore } = await import(join(root, 'dist', 'git', 'index.js'));
const sizes = process.argv.slice(2).map(Number).filter(Boolean);
const EDITS = Number(process.env.BENCH_EDITS ?? 30);

function makeEnv(home) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('GIT_') || k.startsWith('ASSIST_')) delete env[k];
  writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = Bench\n\temail = bench@example.com\n[init]\n\tdefaultBranch = main\n[maintenance]\n\tauto = false\n[gc]\n\tauto = 0\n');
  return { ...env, HOME: home, GIT_CONFIG_GLOBAL: join(home, '.gitconfig'), GIT_CONFIG_NOSYSTEM: '1', XDG_CONFIG_HOME: join(home, '.config') };
}

/** A repository with `n` files of ~40 lines across nested directories, one commit. */
function generate(base, name, n, env) {
  const dir = join(base, name);
  mkdirSync(dir, { recursive: true });
  execFileSync('git', ['init', '-q', dir], { env });
  for (let i = 0; i < n; i++) {
    const sub = join(dir, `d${i % 50}`, `e${Math.floor(i / 50) % 20}`);
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `f${i}.ts`), Array.from({ length: 40 }, (_, l) => `export const v${l} = ${i * 40 + l};`).join('\n') + '\n');
  }
  execFileSync('git', ['add', '-A'], { cwd: dir, env });
  execFileSync('git', ['commit', '-q', '-m', 'initial'], { cwd: dir, env });
  return dir;
}

function clone(src, dest, env) {
  execFileSync('git', ['clone', '-q', '--no-hardlinks', src, dest], { env });
  return dest;
}

function sh(script, cwd, env) {
  const t0 = performance.now();
  const r = spawnSync('sh', ['-c', script], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`shell baseline failed: ${r.stderr}`);
  return performance.now() - t0;
}

function timeProcess(command, args, cwd, env) {
  const t0 = performance.now();
  const r = spawnSync(command, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.stderr}`);
  return performance.now() - t0;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function fmt(ms) {
  return `${ms.toFixed(1)} ms`;
}

const results = [];
const base = mkdtempSync(join(tmpdir(), 'assist-bench-'));
const home = join(base, 'home');
mkdirSync(home);
const env = makeEnv(home);
try {
  for (const n of sizes.length ? sizes : [2000, 50000]) {
    const t0 = performance.now();
    const src = generate(base, `src-${n}`, n, env);
    process.stderr.write(`generated ${n} files in ${fmt(performance.now() - t0)}\n`);
    const target = `d1/e0/f1.ts`;

    // Baseline: git add + git commit + git notes add + event commit-tree + update-ref, per edit, hooks off.
    const gitRepo = clone(src, join(base, `git-${n}`), env);
    const empty = execFileSync('git', ['hash-object', '-t', 'tree', '-w', '--stdin'], { cwd: gitRepo, env, input: '' }).toString().trim();
    const first = execFileSync('git', ['commit-tree', empty, '-m', '{"type":"session-started"}'], { cwd: gitRepo, env }).toString().trim();
    execFileSync('git', ['update-ref', 'refs/assist/log/x', first], { cwd: gitRepo, env });
    const commitLoop = `i=0; while [ $i -lt ${EDITS} ]; do i=$((i+1)); echo "// edit $i" >> ${target}; git add ${target} && git commit -q --no-verify -m "edit $i" && git notes --ref=assist add -m "note $i" HEAD && prev=$(git rev-parse refs/assist/log/x) && ev=$(git commit-tree ${empty} -p $prev -m "{\\"type\\":\\"edit\\",\\"i\\":$i}") && git update-ref refs/assist/log/x $ev $prev; done`;
    const gitCommit = sh(commitLoop, gitRepo, env) / EDITS;

    // Baseline undo: update-index --refresh + read-tree -m -u + update-ref, per commit.
    const undoLoop = `i=0; while [ $i -lt ${EDITS} ]; do i=$((i+1)); git update-index -q --refresh; git read-tree -m -u HEAD HEAD~1 && git update-ref refs/heads/main HEAD~1; done`;
    const gitUndo = sh(undoLoop, gitRepo, env) / EDITS;

    // The store, same work.
    const storeRepo = clone(src, join(base, `store-${n}`), env);
    const store = await openStore({ cwd: storeRepo, env, command: 'bench' });
    const { session } = await store.startSession();
    let content = execFileSync('git', ['show', `HEAD:${target}`], { cwd: storeRepo, env }).toString();
    let t = performance.now();
    for (let i = 1; i <= EDITS; i++) {
      content += `// edit ${i}\n`;
      await store.applyBatch(session.id, { files: [{ path: target, content }], summary: `edit ${i}`, model: 'bench/model', request: `r${i}`, exchange: { message: 'm', reply: 'r' } });
    }
    const storeCommit = (performance.now() - t) / EDITS;
    t = performance.now();
    for (let i = 1; i <= EDITS; i++) await store.undo();
    const storeUndo = (performance.now() - t) / EDITS;
    store.close();

    // Whole `assist undo` command vs node -e 0 + the git commands.
    const cli = join(root, 'bin', 'assist.js');
    const s2 = await openStore({ cwd: storeRepo, env, command: 'bench' });
    for (let i = 1; i <= 10; i++) {
      content += `// again ${i}\n`;
      await s2.applyBatch(session.id, { files: [{ path: target, content }], summary: `again ${i}`, model: 'bench/model', request: `a${i}` });
    }
    s2.close();
    // Interleaved, one `node -e 0` then one `assist undo` (then an untimed `assist redo` to undo
    // it again), and medians: the machine's drift hits both sides alike.
    const RUNS = 15;
    const nodeRuns = [];
    const undoRuns = [];
    for (let i = 0; i < RUNS; i++) {
      nodeRuns.push(timeProcess('node', ['-e', '0'], storeRepo, env));
      undoRuns.push(timeProcess('node', [cli, 'undo'], storeRepo, env));
      timeProcess('node', [cli, 'redo'], storeRepo, env);
    }
    const nodeT = median(nodeRuns);
    const cliUndo = median(undoRuns);
    results.push({ files: n, gitCommit, storeCommit, commitRatio: storeCommit / gitCommit, gitUndo, storeUndo, undoRatio: storeUndo / gitUndo, nodeT, cliUndo, cliUndoBudget: nodeT + 1.5 * gitUndo });
  }

  // `assist log` on a 500-event session vs node -e 0.
  const logRepo = generate(base, 'log-repo', 10, env);
  const store = await openStore({ cwd: logRepo, env, command: 'bench' });
  const { session } = await store.startSession();
  for (let i = 0; i < 166; i++) {
    await store.appendEvent(session.id, { type: 'message', request: `r${i}`, text: `question ${i}` });
    await store.appendEvent(session.id, { type: 'reply', request: `r${i}`, text: `answer ${i} `.repeat(20), model: 'bench/model', usage: { input_tokens: 100, output_tokens: 50 } });
    await store.applyBatch(session.id, { files: [{ path: `f${i}.txt`, content: `${i}\n` }], summary: `edit ${i}`, model: 'bench/model', request: `r${i}` });
  }
  store.close();
  const events = (await (await openStore({ cwd: logRepo, env })).replay(session.id)).length;
  const RUNS = 10;
  const cli = join(root, 'bin', 'assist.js');
  const nodeT = sh(`i=0; while [ $i -lt ${RUNS} ]; do i=$((i+1)); node -e 0; done`, logRepo, env) / RUNS;
  const logT = sh(`i=0; while [ $i -lt ${RUNS} ]; do i=$((i+1)); node ${cli} log >/dev/null; done`, logRepo, env) / RUNS;
  const logJsonT = sh(`i=0; while [ $i -lt ${RUNS} ]; do i=$((i+1)); node ${cli} log --json >/dev/null; done`, logRepo, env) / RUNS;

  for (const r of results) {
    console.log(`repo ${r.files} files, ${EDITS} edits:`);
    console.log(`  commit-per-edit  git loop ${fmt(r.gitCommit)}  store ${fmt(r.storeCommit)}  ratio ${r.commitRatio.toFixed(2)} (target <= 1.25)`);
    console.log(`  undo             git loop ${fmt(r.gitUndo)}  store ${fmt(r.storeUndo)}  ratio ${r.undoRatio.toFixed(2)} (target <= 1.25)`);
    console.log(`  assist undo      ${fmt(r.cliUndo)} (median)  vs node -e 0 (median) ${fmt(r.nodeT)} + 1.5 x git ${fmt(1.5 * r.gitUndo)} = ${fmt(r.cliUndoBudget)}  ${r.cliUndo <= r.cliUndoBudget ? 'within' : 'OVER'}`);
  }
  console.log(`assist log (${events} events): ${fmt(logT)} (--json ${fmt(logJsonT)}); node -e 0 ${fmt(nodeT)}; overhead ${fmt(logT - nodeT)} (target <= 150 ms)`);
} finally {
  if (process.env.BENCH_KEEP) process.stderr.write(`kept ${base}\n`);
  else rmSync(base, { recursive: true, force: true });
}
