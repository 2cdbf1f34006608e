#!/usr/bin/env node
// Summaries: cost of a cold and a warm `assist summaries refresh`, of `summaries status`, of a
// refresh after one change, and, with the hooks installed, the time from the start of a
// `git commit` by hand to the changed file's summary being written (and to the background
// refresher finishing). Baselines measured in the same run: `node -e 0` (process start) and
// `git ls-files -s` + `git status` over the same repository.
// Usage: npm run build && node bench/summaries/bench.mjs [files=2000] [commits=10]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'bin', 'assist.js');
const fileCount = Number(process.argv[2] ?? 2000);
const commits = Number(process.argv[3] ?? 10);
const { waitForRefresher } = await import(pathToFileURL(join(root, 'dist', 'hooks', 'index.js')).href);
const { resolveRepoPaths } = await import(pathToFileURL(join(root, 'dist', 'git', 'repo-paths.js')).href);

const work = mkdtempSync(join(tmpdir(), 'assist-bench-summaries-'));
const home = join(work, 'home');
mkdirSync(home);
writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = Bench\n\temail = bench@example.com\n[init]\n\tdefaultBranch = main\n[gc]\n\tauto = 0\n[maintenance]\n\tauto = false\n');
const env = {};
for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GIT_') && !k.startsWith('ASSIST_')) env[k] = v;
Object.assign(env, { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), GIT_CONFIG_GLOBAL: join(home, '.gitconfig'), GIT_CONFIG_NOSYSTEM: '1', NO_COLOR: '1' });

const dir = join(work, 'repo');
mkdirSync(dir);
execFileSync('git', ['init', '-q', dir], { env });
const source = (i, v = 0) =>
  `import { helper${(i + 1) % fileCount} } from '../m${Math.floor(((i + 1) % fileCount) / 50)}/f${(i + 1) % fileCount}.js';\n\n` +
  `/** Module ${i}. */\nexport interface Options${i} {\n  size: number;\n  name: string;\n}\n\n` +
  `export class Service${i} {\n  constructor(private readonly options: Options${i}) {}\n\n  run(input: string): string {\n    return helper${(i + 1) % fileCount}(input) + ${v};\n  }\n}\n\n` +
  `export function helper${i}(text: string): string {\n  return text.trim();\n}\n\nconst internal${i} = ${i};\nexport default internal${i};\n`;
for (let i = 0; i < fileCount; i++) {
  const sub = join(dir, `m${Math.floor(i / 50)}`);
  mkdirSync(sub, { recursive: true });
  writeFileSync(join(sub, `f${i}.ts`), source(i));
}
execFileSync('git', ['add', '-A'], { cwd: dir, env });
execFileSync('git', ['commit', '-q', '-m', 'initial'], { cwd: dir, env });

function time(cmd, args, options = {}) {
  const t = performance.now();
  const r = spawnSync(cmd, args, { cwd: dir, env, encoding: 'utf8', ...options });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return ms;
}
const assist = (...args) => time(process.execPath, [cli, ...args]);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.9))];
const fmt = (ms) => `${ms.toFixed(0)} ms`;
const rows = [];
const row = (name, ms, note = '') => rows.push([name, fmt(ms), note]);

const nodeStart = median([0, 1, 2, 3, 4].map(() => time(process.execPath, ['-e', '0'])));
const lsFiles = median([0, 1, 2].map(() => time('git', ['ls-files', '-s'], { stdio: ['ignore', 'ignore', 'pipe'] })));
const gitStatus = median([0, 1, 2].map(() => time('git', ['status', '--porcelain'], { stdio: ['ignore', 'ignore', 'pipe'] })));

const cold = assist('summaries', 'refresh');
row('cold `summaries refresh` (whole command)', cold, `${((fileCount / cold) * 1000).toFixed(0)} files/s`);
const warm = median([0, 1, 2].map(() => assist('summaries', 'refresh')));
row('warm `summaries refresh`, nothing changed', warm, `${(warm / nodeStart).toFixed(1)}x node -e 0`);
const status = median([0, 1, 2].map(() => assist('summaries', 'status', '--json')));
row('`summaries status --json`', status, `${(status / nodeStart).toFixed(1)}x node -e 0`);
const one = [];
for (let k = 0; k < 3; k++) {
  writeFileSync(join(dir, 'm0', 'f0.ts'), source(0, 100 + k));
  one.push(assist('summaries', 'refresh'));
}
row('`summaries refresh` after one file changed', median(one));
execFileSync('git', ['checkout', '-q', '--', '.'], { cwd: dir, env });

// Store size.
const store = join(dir, '.git', 'assist', 'summaries');
let objects = 0;
let bytes = 0;
const walk = (d) => {
  for (const e of readdirSync(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    if (e.isDirectory()) walk(p);
    else {
      bytes += statSync(p).size;
      if (p.includes('/objects/')) objects++;
    }
  }
};
walk(store);

// Commit -> summary written, with the hooks installed (one file changed per commit).
const installed = spawnSync(process.execPath, [cli, 'hooks', 'install'], { cwd: dir, env, encoding: 'utf8' });
if (installed.status !== 0) throw new Error(`hooks install failed: ${installed.stderr}`);
const paths = await resolveRepoPaths(dir, env);
// The first hook run snapshots the whole index; do it before timing.
execFileSync('git', ['commit', '-q', '--allow-empty', '-m', 'warm'], { cwd: dir, env });
await waitForRefresher(paths, 120_000);
const toWritten = [];
const toIdle = [];
const commitMs = [];
for (let k = 0; k < commits; k++) {
  const i = (k * 37) % fileCount;
  const file = join(`m${Math.floor(i / 50)}`, `f${i}.ts`);
  writeFileSync(join(dir, file), source(i, 1000 + k));
  const blob = execFileSync('git', ['hash-object', file], { cwd: dir, env, encoding: 'utf8' }).trim();
  const target = join(store, 'objects', blob.slice(0, 2), `${blob.slice(2)}.outline-v1`);
  execFileSync('git', ['add', file], { cwd: dir, env });
  const t = performance.now();
  execFileSync('git', ['commit', '-q', '-m', `change ${k}`], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  commitMs.push(performance.now() - t);
  while (!existsSync(target)) {
    if (performance.now() - t > 60_000) throw new Error(`no summary for ${file} after 60 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
  toWritten.push(performance.now() - t);
  await waitForRefresher(paths, 120_000);
  toIdle.push(performance.now() - t);
}

console.log(`summaries bench: ${fileCount} generated TypeScript files in ${Math.ceil(fileCount / 50)} directories, ${commits} commits; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log(`baselines: node -e 0 ${fmt(nodeStart)}, git ls-files -s ${fmt(lsFiles)}, git status ${fmt(gitStatus)}`);
console.log('| figure | ms | note |\n|---|---|---|');
for (const [a, b, c] of rows) console.log(`| ${a} | ${b} | ${c} |`);
console.log(`| git commit with hooks (median) | ${fmt(median(commitMs))} | |`);
console.log(`| commit start -> changed file's summary written: median / p90 | ${fmt(median(toWritten))} / ${fmt(p90(toWritten))} | |`);
console.log(`| commit start -> refresher finished (summaries + tags): median / p90 | ${fmt(median(toIdle))} / ${fmt(p90(toIdle))} | |`);
console.log(`store: ${objects} summary files, ${(bytes / 1024 / 1024).toFixed(1)} MiB (index.json + dirs.json + objects)`);
rmSync(work, { recursive: true, force: true });
