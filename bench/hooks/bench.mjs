#!/usr/bin/env node
// What the hooks cost `git commit`: the same 50 consecutive commits in a repository without hooks
// (the baseline), with assist's hooks, and, for reference, with a post-commit hook that runs node
// synchronously. Commits are interleaved across the repositories so machine noise hits all alike,
// and each is timed until git's stdout and stderr close (as a script reading git's output sees it).
// Two rounds: "back to back" (commits as fast as git takes them, the refresher still busy with the
// previous one) and "idle" (each commit finds the refresher idle, so its hook starts one: the
// hook's worst case: the round waits for the lingering refresher to exit); the idle round also
// times commit -> refresher caught up (mark cleared, run done; this includes its 300 ms quiet wait).
// First, the commit storm (issue 17): 30 commits back to back in the assist repository, in a
// twin without hooks and in one with an empty sh hook (the floor: what git pays to run any hook),
// alternating, four times (and once with coalescing off), each storm starting with no refresher running;
// it prints the per-commit overhead against the twin and how long after the last commit the
// refresher had caught up (idle, its last run started after that commit).
// Usage: npm run build && node bench/hooks/bench.mjs [commits] [--storm-only]
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'bin', 'assist.js');
const commits = Number(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 50);
const stormOnly = process.argv.includes('--storm-only');
const { waitForRefresher, kickRefresher } = await import(pathToFileURL(join(root, 'dist', 'hooks', 'index.js')).href);
const { resolveRepoPaths } = await import(pathToFileURL(join(root, 'dist', 'git', 'repo-paths.js')).href);

const work = mkdtempSync(join(tmpdir(), 'assist-bench-hooks-'));
const home = join(work, 'home');
mkdirSync(home);
writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = Bench\n\temail = bench@example.com\n[init]\n\tdefaultBranch = main\n[gc]\n\tauto = 0\n[maintenance]\n\tauto = false\n');
const env = {};
for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GIT_') && !k.startsWith('ASSIST_')) env[k] = v;
Object.assign(env, { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), GIT_CONFIG_GLOBAL: join(home, '.gitconfig'), GIT_CONFIG_NOSYSTEM: '1', NO_COLOR: '1' });

function makeRepo(name) {
  const dir = join(work, name);
  mkdirSync(dir);
  execFileSync('git', ['init', '-q', dir], { env });
  for (let i = 0; i < 20; i++) writeFileSync(join(dir, `file${i}.ts`), `export const v${i} = ${i};\n`);
  execFileSync('git', ['add', '-A'], { cwd: dir, env });
  execFileSync('git', ['commit', '-q', '-m', 'initial'], { cwd: dir, env });
  return dir;
}

const repos = {
  'no hooks': makeRepo('plain'),
  'empty sh hook': makeRepo('empty-sh'),
  'assist hooks': makeRepo('assist'),
  'assist hooks, assist removed': makeRepo('assist-removed'),
  'sync node hook': makeRepo('sync-node'),
};
const installed = spawnSync(process.execPath, [cli, 'hooks', 'install'], { cwd: repos['assist hooks'], env, encoding: 'utf8' });
if (installed.status !== 0) throw new Error(`hooks install failed: ${installed.stderr}`);
writeFileSync(join(repos['empty sh hook'], '.git', 'hooks', 'post-commit'), '#!/bin/sh\n', { mode: 0o755 });
// The block with its recorded entry gone: what the block costs when it starts nothing.
const gone = spawnSync(process.execPath, [cli, 'hooks', 'install'], { cwd: repos['assist hooks, assist removed'], env, encoding: 'utf8' });
if (gone.status !== 0) throw new Error(`hooks install failed: ${gone.stderr}`);
for (const name of ['post-commit', 'post-checkout', 'post-merge', 'post-rewrite']) {
  const file = join(repos['assist hooks, assist removed'], '.git', 'hooks', name);
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^__assist_entry=.*$/m, `__assist_entry='${join(work, 'removed', 'assist.js')}'`));
}
writeFileSync(join(repos['sync node hook'], '.git', 'hooks', 'post-commit'), `#!/bin/sh\n'${process.execPath}' -e 0\n`, { mode: 0o755 });
const assistPaths = await resolveRepoPaths(repos['assist hooks'], env);

let counter = 0;
// Rounds that need the refresher gone before each commit: it exits at once instead of lingering.
const noLinger = { ...env, ASSIST_HOOK_LINGER_MS: '0' };
function commitOnce(dir, commitEnv = env) {
  counter++;
  writeFileSync(join(dir, `file${counter % 20}.ts`), `export const v = ${counter};\n`);
  execFileSync('git', ['add', '-A'], { cwd: dir, env });
  const start = process.hrtime.bigint();
  const r = spawnSync('git', ['commit', '-q', '-m', `c${counter}`], { cwd: dir, env: commitEnv, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0 || r.stdout !== '' || r.stderr !== '') throw new Error(`commit in ${dir}: status ${r.status}, output ${JSON.stringify(r.stdout + r.stderr)}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

for (const dir of Object.values(repos)) commitOnce(dir); // warm caches
await waitForRefresher(assistPaths, 30_000);

/** Resolves once the refresher has exited (its lock gone), woken by the folder changing. */
function refresherGone(timeoutMs) {
  const lock = join(assistPaths.worktreeAssistDir, 'refresh.lock');
  return new Promise((resolve) => {
    const watcher = watch(assistPaths.worktreeAssistDir, () => !existsSync(lock) && finish(true));
    const timer = setTimeout(() => finish(false), timeoutMs);
    const finish = (value) => {
      watcher.close();
      clearTimeout(timer);
      resolve(value);
    };
    if (!existsSync(lock)) finish(true);
  });
}

// The storm: 30 commits back to back, the twin (no hooks) and the assist repository alternating.
const STORM = 30;
const stormRows = [];
// For reference, the same storm with coalescing off (the refresher works during the storm, as before).
const uncoalesced = { ...env, ASSIST_HOOK_QUIET_MS: '0', ASSIST_HOOK_MAX_DELAY_MS: '0', ASSIST_HOOK_LINGER_MS: '0' };
for (const [round, stormEnv] of [['1', env], ['2', env], ['3', env], ['coalescing off', uncoalesced], ['4', env]]) {
  await refresherGone(60_000);
  const load = loadavg()[0];
  const twin = [];
  const hooked = [];
  const emptyHook = [];
  let lastEnd = 0;
  for (let i = 0; i < STORM; i++) {
    twin.push(commitOnce(repos['no hooks']));
    emptyHook.push(commitOnce(repos['empty sh hook']));
    hooked.push(commitOnce(repos['assist hooks'], stormEnv));
    lastEnd = Date.now();
  }
  const fresh = await waitForRefresher(assistPaths, 30_000);
  const freshMs = Date.now() - lastEnd;
  const last = JSON.parse(readFileSync(join(assistPaths.worktreeAssistDir, 'refresh-last.json'), 'utf8'));
  const caughtUp = fresh && Date.parse(last.startedAt) >= lastEnd - 5;
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  stormRows.push(
    `| ${round} | ${load.toFixed(2)} | ${median(twin).toFixed(2)} | ${(median(emptyHook) - median(twin)).toFixed(2)} | ${median(hooked).toFixed(2)} | **${(median(hooked) - median(twin)).toFixed(2)}** | ${(mean(hooked) - mean(twin)).toFixed(2)} | ${caughtUp ? freshMs : `not fresh (${freshMs})`} |`,
  );
}
console.log(`\nCommit storm: ${STORM} commits back to back, against a twin without hooks (ms; load = 1-min load average before the storm, ${tmpdir()} on this machine)`);
console.log('| storm | load | twin median | empty sh hook: added | hooks median | hooks: added (median) | added (mean) | fresh after last commit |');
console.log('|---|---|---|---|---|---|---|---|');
for (const row of stormRows) console.log(row);
if (stormOnly) {
  await refresherGone(60_000);
  rmSync(work, { recursive: true, force: true });
  process.exit(0);
}

function report(title, samples) {
  const base = median(samples['no hooks']);
  console.log(`\n${title} (${commits} commits each, interleaved; ms)`);
  console.log('| variant | median | p90 | added to median | ratio |');
  console.log('|---|---|---|---|---|');
  for (const [name, xs] of Object.entries(samples)) {
    const m = median(xs);
    console.log(`| ${name} | ${m.toFixed(2)} | ${pct(xs, 90).toFixed(2)} | ${(m - base).toFixed(2)} | ${(m / base).toFixed(2)} |`);
  }
}

// Round 1: back to back.
const back = Object.fromEntries(Object.keys(repos).map((k) => [k, []]));
for (let i = 0; i < commits; i++) for (const [name, dir] of Object.entries(repos)) back[name].push(commitOnce(dir));
await waitForRefresher(assistPaths, 60_000);
report('Back to back', back);

// Round 2: each assist commit finds the refresher idle, so its hook starts one.
const idle = { 'no hooks': [], 'empty sh hook': [], 'assist hooks': [] };
const refreshed = [];
let died = 0;
for (let i = 0; i < commits; i++) {
  idle['no hooks'].push(commitOnce(repos['no hooks']));
  idle['empty sh hook'].push(commitOnce(repos['empty sh hook']));
  await refresherGone(30_000);
  const start = process.hrtime.bigint();
  idle['assist hooks'].push(commitOnce(repos['assist hooks'], noLinger));
  if (await waitForRefresher(assistPaths, 30_000)) {
    refreshed.push(Number(process.hrtime.bigint() - start) / 1e6);
  } else {
    // Died (e.g. dist/ rebuilt under it by a concurrent build) or hung: count it, start a new one.
    died++;
    await kickRefresher(assistPaths, 'post-commit', { env });
    if (!(await waitForRefresher(assistPaths, 30_000))) throw new Error('refresher did not finish in 30 s, twice');
  }
}
report('Refresher idle before each commit', idle);
console.log(`\ncommit -> refresher finished (from the start of \`git commit\`): median ${median(refreshed).toFixed(0)} ms, p90 ${pct(refreshed, 90).toFixed(0)} ms${died ? ` (${died} refresher(s) died and were restarted, not counted)` : ''}`);

// Round 3: the hook script alone, run as git runs it, against an empty sh script: with the lock held
// by a live process (it only marks the repository dirty) and free (it also starts the refresher).
const hook = join(repos['assist hooks'], '.git', 'hooks', 'post-commit');
const empty = join(work, 'empty-hook');
writeFileSync(empty, '#!/bin/sh\n', { mode: 0o755 });
const lock = join(assistPaths.worktreeAssistDir, 'refresh.lock');
const runScript = (file) => {
  const start = process.hrtime.bigint();
  const r = spawnSync(file, [], { cwd: repos['assist hooks'], env: noLinger, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${file} exited ${r.status}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
};
const alone = { 'empty sh hook': [], 'assist block, refresher running': [], 'assist block, starts refresher': [] };
for (let i = 0; i < commits; i++) {
  alone['empty sh hook'].push(runScript(empty));
  writeFileSync(lock, `${process.pid}\n`);
  alone['assist block, refresher running'].push(runScript(hook));
  rmSync(lock);
  alone['assist block, starts refresher'].push(runScript(hook));
  await refresherGone(30_000);
}
const baseAlone = median(alone['empty sh hook']);
console.log(`\nThe hook script alone (${commits} runs each; ms)`);
console.log('| variant | median | p90 | added to median |');
console.log('|---|---|---|---|');
for (const [name, xs] of Object.entries(alone)) console.log(`| ${name} | ${median(xs).toFixed(2)} | ${pct(xs, 90).toFixed(2)} | ${(median(xs) - baseAlone).toFixed(2)} |`);

rmSync(work, { recursive: true, force: true });
