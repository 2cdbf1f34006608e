#!/usr/bin/env node
/* global performance */
// Which commands start sooner from the one-file CLI with its V8 code cache (dist/bundle/main.cjs
// through main-loader.cjs) than from the ES chunks (dist/bundle/main.js), and what the first,
// cache-writing run costs. Each command is run alternately three ways in the same loop:
//   es    — main() imported from the ES chunks (what bin/assist.js does for the other commands);
//   warm  — the one-file CLI with its cache in place (accepted);
//   first — the one-file CLI with an empty cache folder (it compiles, runs, writes the cache).
// Wall and CPU (user + sys, the command and its git processes, from /usr/bin/time) medians.
// The turn itself (`run`, the message form) is timed by bench/turn/bench.mjs with the real entry.
// Usage: npm run build && node bench/code-cache.mjs [runs=9]
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchHome } from './lib/home.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[2] ?? 9);
const bundle = join(root, 'dist', 'bundle');
if (!existsSync(join(bundle, 'main-loader.cjs'))) throw new Error('no dist/bundle/main-loader.cjs: run `npm run build` first');
const work = mkdtempSync(join(tmpdir(), 'assist-bench-code-cache-'));
const repo = join(work, 'repo');
const { env } = benchHome(work, (key) => key === 'XDG_CACHE_HOME');

// Both entries do what bin/assist.js does for these commands: read the version, build the io, run main().
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
const io = `{ argv: process.argv.slice(2), cwd: process.cwd(), env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, version: ${JSON.stringify(version)} }`;
const esEntry = join(work, 'es-entry.cjs');
writeFileSync(esEntry, `import(${JSON.stringify(join(bundle, 'main.js'))}).then(({ main }) => main(${io})).then((c) => { process.exitCode = c; });\n`);
const oneEntry = join(work, 'one-file-entry.cjs');
writeFileSync(oneEntry, `require(${JSON.stringify(join(bundle, 'main-loader.cjs'))}).runMain(${io}, 'bench').then((c) => { process.exitCode = c; });\n`);

// A repository with an assist session of one edit, so that `log` has something to show.
execFileSync('git', ['init', '-q', '-b', 'main', repo], { env });
for (let i = 0; i < 200; i++) {
  mkdirSync(join(repo, 'src'), { recursive: true });
  writeFileSync(join(repo, 'src', `f${i}.ts`), `export function f${i}(x: number): number {\n  return x + ${i};\n}\n`);
}
writeFileSync(join(repo, 'target.txt'), 'state 0\n');
execFileSync('git', ['add', '-A'], { cwd: repo, env });
execFileSync('git', ['commit', '-q', '-m', 'initial'], { cwd: repo, env });
// The first request gets an edit (the session `log` shows); every later one an answer without one.
let requests = 0;
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const chunk = (delta, finish = null) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'gpt-4.1', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const content = requests++ === 0 ? 'Changing it.\n\ntarget.txt\n```\n<<<<<<< SEARCH\nstate 0\n=======\nstate 1\n>>>>>>> REPLACE\n```\n' : 'Nothing to change.';
    res.write(chunk({ role: 'assistant', content }));
    res.write(chunk({}, 'stop'));
    res.end('data: [DONE]\n\n');
  });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const runEnv = { ...env, OPENAI_BASE_URL: `http://127.0.0.1:${server.address().port}/v1`, OPENAI_API_KEY: 'bench', ASSIST_MODEL: 'openai/gpt-4.1' };

/** Runs node ENTRY ARGS under /usr/bin/time; resolves to wall ms, CPU ms and the exit code. */
function timed(entry, args, extraEnv, input) {
  const out = join(work, 'time.txt');
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn('/usr/bin/time', ['-f', '%U %S', '-o', out, process.execPath, entry, ...args], { cwd: repo, env: { ...runEnv, ...extraEnv }, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const wall = performance.now() - t;
      const [user, sys] = readFileSync(out, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
      resolve({ wall, cpu: (user + sys) * 1000, code, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

// The session to log: one turn, from the ES chunks.
const made = await timed(esEntry, ['run', '--yes', '-m', 'bump the state'], {}, '');
if (made.code !== 0) throw new Error(`the setup turn failed: ${made.stderr}`);

const COMMANDS = [
  { name: '--help', args: ['--help'] },
  { name: 'run --help', args: ['run', '--help'] },
  { name: 'config list', args: ['config', 'list'] },
  { name: 'log', args: ['log'] },
  { name: 'session list', args: ['session', 'list'] },
  { name: 'chat (start, /exit)', args: ['chat'], input: '/exit\n' },
  // A warm turn whose instant model proposes nothing (exit 5); without bin/assist.js's git prefetch
  // and --liftoff-only, the same for every column (bench/turn/bench.mjs times the real entry).
  { name: 'run -m (a turn)', args: ['run', '-m', 'what is in target.txt?'] },
];
const warmCache = join(work, 'cache-warm');
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const rows = [];
for (const c of COMMANDS) {
  const samples = { es: [], warm: [], first: [] };
  // The warm cache of this command's run (each command compiles other functions: its own cache is what a user who types it gets).
  rmSync(warmCache, { recursive: true, force: true });
  const primed = await timed(oneEntry, c.args, { ASSIST_CODE_CACHE_DIR: warmCache, ASSIST_CODE_CACHE_DEBUG: '1' }, c.input);
  if (!/assist code cache: missing/.test(primed.stderr)) throw new Error(`${c.name}: the cache was not written: ${primed.stderr}`);
  for (let i = 0; i < runs; i++) {
    const es = await timed(esEntry, c.args, {}, c.input);
    const warm = await timed(oneEntry, c.args, { ASSIST_CODE_CACHE_DIR: warmCache, ASSIST_CODE_CACHE_DEBUG: '1' }, c.input);
    if (!/assist code cache: accepted/.test(warm.stderr)) throw new Error(`${c.name}: the cache was not accepted: ${warm.stderr}`);
    const firstDir = join(work, `cache-first-${i}`);
    const first = await timed(oneEntry, c.args, { ASSIST_CODE_CACHE_DIR: firstDir }, c.input);
    rmSync(firstDir, { recursive: true, force: true });
    if (es.code !== warm.code || es.code !== first.code) throw new Error(`${c.name}: exit codes differ (${es.code}, ${warm.code}, ${first.code})`);
    samples.es.push(es);
    samples.warm.push(warm);
    samples.first.push(first);
  }
  rows.push({ name: c.name, ...Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, { wall: median(v.map((s) => s.wall)), cpu: median(v.map((s) => s.cpu)) }])) });
}
const nodeAlone = [];
for (let i = 0; i < runs; i++) nodeAlone.push((await timed('-e', ['0'], {}, '')).wall);
server.close();
rmSync(work, { recursive: true, force: true });

const f = (n) => String(Math.round(n)).padStart(6);
const pct = (a, b) => `${a <= b ? '' : '+'}${Math.round(((a - b) / b) * 100)}%`.padStart(5);
console.log(`one-file CLI with a code cache against the ES chunks, medians of ${runs} alternating runs (node -e 0: ${Math.round(median(nodeAlone))} ms)`);
console.log(`${'command'.padEnd(22)} ${'wall: es'.padStart(9)} ${'warm'.padStart(6)} ${''.padStart(5)} ${'first'.padStart(6)}   ${'CPU: es'.padStart(8)} ${'warm'.padStart(6)} ${''.padStart(5)} ${'first'.padStart(6)}`);
for (const r of rows) {
  console.log(`${r.name.padEnd(22)} ${f(r.es.wall).padStart(9)} ${f(r.warm.wall)} ${pct(r.warm.wall, r.es.wall)} ${f(r.first.wall)}   ${f(r.es.cpu).padStart(8)} ${f(r.warm.cpu)} ${pct(r.warm.cpu, r.es.cpu)} ${f(r.first.cpu)}`);
}
console.log('warm: its cache accepted; first: an empty cache folder (compiles, runs, writes the cache). A command pays off on the one file when warm is below es in both wall and CPU.');
