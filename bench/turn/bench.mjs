#!/usr/bin/env node
/* global performance */
// Overhead of one `assist run` turn beyond the model's own time, on a generated 2,000-file repo,
// against `node -e 0` and `git add + git commit` timed in the same run. The model is a tiny
// OpenAI-compatible server in this process that answers at once with one SEARCH/REPLACE edit.
// Usage: npm run build && node bench/turn/bench.mjs [files=2000] [runs=10] [--cli PATH] [--base PATH] [--keep]
//   --cli PATH: the bin/assist.js timed (default: this checkout's).
//   --base PATH: a second build's bin/assist.js, timed alternately in the same runs on a twin repo
//   with its own model server; its overhead, marks, phases and CPU are printed beside these.
//   Repeatable: each base build gets its own twin repo, server and column, in the same runs.
//   --keep: the temp dir (repos, their sessions, the phases files) is left in place and printed, to
//   profile a warm turn in the same repo afterwards (BENCH_CPU_PROF=DIR profiles the timed runs).
//   --request TEXT: the person's message (default "bump the state", which names nothing in the
//   code: no chunks to fit, so no tokenizer). "how does helper42 use Service42 run" finds chunks,
//   as most real requests do, and times the turn with the hybrid context's exact chunk fit.
//   `{i}` in it takes a new number each turn (the same in every build's turn of a round):
//   "how does helper{i} use Service{i} run" asks something new every time, so its chunks were
//   never counted and each turn loads the tokenizer, as a person's new request does.
import { spawnSync, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gitTraceEnv, printGitTrace, readGitTrace } from '../lib/git-trace.mjs';
import { medianCpu, medianMarks, medianPhases, takePhases } from '../lib/phases.mjs';
import { cpuAvailable, cpuOf } from '../lib/cpu.mjs';
import { benchHome } from '../lib/home.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const positional = [];
const flags = {};
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--cli') flags.cli = process.argv[++i];
  else if (a === '--base') (flags.bases ??= []).push(process.argv[++i]);
  else if (a === '--keep') flags.keep = true;
  else if (a === '--request') flags.request = process.argv[++i];
  else positional.push(a);
}
const cli = flags.cli ?? join(root, 'bin', 'assist.js');
const requestText = flags.request ?? 'bump the state';
let asked = 0;
/** The request of the next turn (each build's turn of one round asks the same). */
const requestOf = (round) => requestText.replaceAll('{i}', String(round));
const baseClis = flags.bases ?? [];
const files = Number(positional[0] ?? 2000);
const runs = Number(positional[1] ?? 10);

const work = mkdtempSync(join(tmpdir(), 'assist-bench-turn-'));
const repo = join(work, 'repo');
const { env } = benchHome(work);
function makeRepo(repo) {
  execFileSync('git', ['init', '-q', '-b', 'main', repo], { env });
  for (let i = 0; i < files; i++) {
    const dir = join(repo, 'src', `m${i % 40}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `f${i}.ts`), `import { helper${(i + 1) % files} } from '../m${(i + 1) % 40}/f${(i + 1) % files}.js';\n\nexport function helper${i}(value: number): number {\n  return helper${(i + 1) % files}(value) + ${i};\n}\n\nexport class Service${i} {\n  run(input: string): string {\n    return input.repeat(${i % 7});\n  }\n}\n`);
  }
  writeFileSync(join(repo, 'target.txt'), 'state 0\n');
  execFileSync('git', ['add', '-A'], { cwd: repo, env });
  execFileSync('git', ['commit', '-q', '-m', 'initial'], { cwd: repo, env });
}
makeRepo(repo);
// Each base build works in a twin repo (the same files), so no build reads another's session.
const baseRepos = baseClis.map((_, i) => join(work, i === 0 ? 'base-repo' : `base-repo-${i + 1}`));
for (const r of baseRepos) makeRepo(r);

// git's own commit is timed in a clone of the same size: committing on the session branch by hand
// would (rightly) make assist refuse the next write.
const gitRepo = join(work, 'git-baseline');
execFileSync('git', ['clone', '-q', repo, gitRepo], { env });

let modelMs = 0;
// One instant model per repo: each answers the next edit of its own repo's target.txt.
function makeServer() {
  let state = 0;
  return createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const t = performance.now();
      const reply = `Changing it.\n\ntarget.txt\n\`\`\`\n<<<<<<< SEARCH\nstate ${state}\n=======\nstate ${state + 1}\n>>>>>>> REPLACE\n\`\`\`\n`;
      state++;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (delta, finish = null) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'gpt-4.1', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      res.write(chunk({ role: 'assistant', content: reply }));
      res.write(chunk({}, 'stop'));
      res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'gpt-4.1', choices: [], usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 } })}\n\n`);
      res.end('data: [DONE]\n\n');
      modelMs += performance.now() - t;
    });
  });
}
const server = makeServer();
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}/v1`;
const phaseFile = join(work, 'phases.json');
const runEnv = { ...env, OPENAI_BASE_URL: url, OPENAI_API_KEY: 'bench', ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_PHASES: phaseFile };
const bases = [];
for (const [i, baseCli] of baseClis.entries()) {
  const baseServer = makeServer();
  await new Promise((r) => baseServer.listen(0, '127.0.0.1', r));
  const basePhaseFile = join(work, i === 0 ? 'base-phases.json' : `base-phases-${i + 1}.json`);
  const baseEnv = { ...runEnv, OPENAI_BASE_URL: `http://127.0.0.1:${baseServer.address().port}/v1`, ASSIST_PHASES: basePhaseFile };
  bases.push({ cli: baseCli, repo: baseRepos[i], server: baseServer, phaseFile: basePhaseFile, env: baseEnv, cold: 0, help: [], runs: [], cpuRuns: [], phaseRuns: [] });
}
// BENCH_CPU_PROF=DIR writes a V8 CPU profile of every warm run there, to see where the time goes.
if (process.env.BENCH_LOG) runEnv.ASSIST_LOG__FILE = process.env.BENCH_LOG;
const wrap = process.env.BENCH_STRACE ? ['strace', ['-f', '-tt', '-e', 'trace=execve', '-o', process.env.BENCH_STRACE, process.execPath]] : null;
const nodeFlags = [...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []), ...(process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(' ') : [])];

function time(cmd, args, options) {
  const t = performance.now();
  const r = spawnSync(cmd, args, options);
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}
function timeAsync(cmd, args, options) {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    import('node:child_process').then(({ spawn }) => {
      const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      child.on('close', (code) => (code === 0 ? resolve(performance.now() - t) : reject(new Error(`${args.join(' ')} exited ${code}: ${err}`))));
    });
  });
}

// The first run builds the tags cache (cold map): reported separately.
const cold = await timeAsync(process.execPath, [cli, 'run', '--yes', '-m', requestOf(asked)], { cwd: repo, env: runEnv });
takePhases(phaseFile); // the cold run's
for (const b of bases) {
  b.cold = await timeAsync(process.execPath, [b.cli, 'run', '--yes', '-m', requestOf(asked)], { cwd: b.repo, env: b.env });
  takePhases(b.phaseFile);
}
const samples = { node: [], help: [], git: [], assist: [] };
let gitState = 1;
for (let i = 0; i < runs; i++) {
  samples.node.push(time(process.execPath, ['-e', '0'], { env }));
  // The CLI loaded and its run command parsed, nothing done: Node's start plus the bundle's load.
  samples.help.push(time(process.execPath, [cli, 'run', '--help'], { cwd: repo, env }));
  writeFileSync(join(gitRepo, 'target.txt'), `state ${gitState++}\n`);
  samples.git.push(time('sh', ['-c', 'git add target.txt && git commit -q -m scratch'], { cwd: gitRepo, env }));
  modelMs = 0;
  const request = requestOf(++asked);
  const ms = wrap
    ? await timeAsync(wrap[0], [...wrap[1], ...nodeFlags, cli, 'run', '--yes', '-m', request], { cwd: repo, env: runEnv })
    : await timeAsync(process.execPath, [...nodeFlags, cli, 'run', '--yes', '-m', request], { cwd: repo, env: runEnv });
  samples.assist.push(ms - modelMs);
  for (const b of bases) {
    b.help.push(time(process.execPath, [b.cli, 'run', '--help'], { cwd: b.repo, env }));
    modelMs = 0;
    const baseMs = await timeAsync(process.execPath, [...nodeFlags, b.cli, 'run', '--yes', '-m', request], { cwd: b.repo, env: b.env });
    b.runs.push(baseMs - modelMs);
  }
}
const phaseRuns = takePhases(phaseFile);
for (const b of bases) b.phaseRuns = takePhases(b.phaseFile);
// CPU time of a turn (the assist process and its git processes), runs not timed: steadier than wall time under load.
const cpuRuns = [];
if (cpuAvailable) {
  for (let i = 0; i < runs; i++) {
    const request = requestOf(++asked);
    cpuRuns.push((await cpuOf(process.execPath, [cli, 'run', '--yes', '-m', request], { cwd: repo, env: runEnv }, join(work, 'cpu.txt'))).cpu);
    for (const b of bases) b.cpuRuns.push((await cpuOf(process.execPath, [b.cli, 'run', '--yes', '-m', request], { cwd: b.repo, env: b.env }, join(work, 'cpu.txt'))).cpu);
  }
  takePhases(phaseFile);
  for (const b of bases) takePhases(b.phaseFile);
}
// One more turn (not timed) under git's trace: every git process the turn spawns.
const traceFile = join(work, 'git-trace.json');
await timeAsync(process.execPath, [cli, 'run', '--yes', '-m', requestOf(++asked)], { cwd: repo, env: { ...runEnv, ...gitTraceEnv(traceFile) } });
const trace = readGitTrace(traceFile);
const nodeCpuRuns = [];
if (cpuAvailable) for (let i = 0; i < runs; i++) nodeCpuRuns.push((await cpuOf(process.execPath, ['-e', '0'], { env }, join(work, 'cpu.txt'))).cpu);
server.close();
for (const b of bases) b.server.close();
const check = readFileSync(join(repo, 'target.txt'), 'utf8');
for (const b of bases) b.check = readFileSync(join(b.repo, 'target.txt'), 'utf8').trim();
if (flags.keep) console.log(`kept: ${work} (repo/, base-repo*/, home/: run with HOME and GIT_CONFIG_GLOBAL pointing there)`);
else rmSync(work, { recursive: true, force: true });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const node = median(samples.node);
const nodeCpu = nodeCpuRuns.length > 0 ? median(nodeCpuRuns) : 0;
const git = median(samples.git);
const assist = median(samples.assist);
console.log(`assist run turn overhead, ${files}-file repo, median of ${runs}, request ${JSON.stringify(requestText)} (final state: ${check.trim()})`);
console.log(`node -e 0                      ${node.toFixed(0).padStart(6)} ms`);
console.log(`git add + git commit           ${git.toFixed(0).padStart(6)} ms`);
const help = median(samples.help);
console.log(`assist run --help (CLI loaded) ${help.toFixed(0).padStart(6)} ms`);
console.log(`assist run (cold map, 1st run) ${cold.toFixed(0).padStart(6)} ms`);
console.log(`assist run (warm), minus model ${assist.toFixed(0).padStart(6)} ms   = node -e 0 x ${(assist / node).toFixed(2)}, git commit x ${(assist / git).toFixed(2)}`);
console.log('where a warm turn goes, medians (marks: from the process start; phases: summed, some inside others):');
for (const m of medianMarks(phaseRuns)) console.log(`  ${`${m.from} -> ${m.to}`.padEnd(40)} ${m.ms.toFixed(1).padStart(7)} ms`);
const ph = medianPhases(phaseRuns);
for (const [name, p] of Object.entries(ph)) console.log(`  ${name.padEnd(40)} ${p.ms.toFixed(1).padStart(7)} ms${p.count > 1 ? ` (${p.count}×)` : ''}`);
console.log(`  CPU of the assist process (user + system) ${medianCpu(phaseRuns).toFixed(1).padStart(7)} ms   (its git processes not counted)`);
if (cpuRuns.length > 0) console.log(`CPU of a warm turn, assist and its git processes ${median(cpuRuns).toFixed(0).padStart(6)} ms   (median of ${cpuRuns.length}; node -e 0 alone ${nodeCpu.toFixed(0)} ms)`);
printGitTrace('git processes of one warm turn', trace, '');
// What no change to the turn's own work can go below: loading the CLI, and the git processes a turn
// must run (summed; some run beside other work, so this overstates them a little).
const gitMs = trace.ms;
console.log(`floor: CLI loaded ${help.toFixed(0)} ms + git processes ${gitMs.toFixed(0)} ms = ${(help + gitMs).toFixed(0)} ms; the turn's own work above it ${(assist - help - gitMs).toFixed(0)} ms`);
if (bases.length > 0) {
  // The same figures of each base build, timed alternately in the same runs (each on its own twin repo).
  const cols = (xs) => xs.map((x) => (x === undefined ? '-' : typeof x === 'number' ? x.toFixed(1) : x).padStart(7)).join(' | ');
  const whole = (xs) => xs.map((x) => x.toFixed(0).padStart(7)).join(' | ');
  console.log(`\nA/B against ${bases.map((b) => `${b.cli} (final state: ${b.check})`).join(', ')}; alternate runs, twin repos; this build | ${bases.length === 1 ? 'base' : bases.map((_, i) => `base ${i + 1}`).join(' | ')}:`);
  console.log(`  assist run --help (CLI loaded)           ${whole([help, ...bases.map((b) => median(b.help))])} ms`);
  console.log(`  assist run (cold map, 1st run)           ${whole([cold, ...bases.map((b) => b.cold)])} ms`);
  const a = medianMarks(phaseRuns);
  const bm = bases.map((b) => medianMarks(b.phaseRuns));
  for (const m of a) console.log(`  ${`${m.from} -> ${m.to}`.padEnd(40)} ${cols([m.ms, ...bm.map((x) => x.find((y) => y.from === m.from && y.to === m.to)?.ms)])} ms`);
  const bp = bases.map((b) => medianPhases(b.phaseRuns));
  for (const name of [...new Set([...Object.keys(ph), ...bp.flatMap((x) => Object.keys(x))])]) console.log(`  ${name.padEnd(40)} ${cols([ph[name]?.ms, ...bp.map((x) => x[name]?.ms)])} ms`);
  console.log(`  CPU of the assist process (user + system) ${cols([medianCpu(phaseRuns), ...bases.map((b) => medianCpu(b.phaseRuns))])} ms`);
  // The process's CPU when its command line was parsed and its config loaded: the start alone, steadier than the whole turn.
  const cpuAtConfigured = (runs) => median(runs.map((r) => r.marks?.find((m) => m.name === 'cli.configured')?.cpu).filter((x) => x !== undefined));
  console.log(`  CPU at cli.configured                    ${cols([cpuAtConfigured(phaseRuns), ...bases.map((b) => cpuAtConfigured(b.phaseRuns))])} ms`);
  if (cpuRuns.length > 0) console.log(`  CPU of a warm turn with its git processes  ${whole([median(cpuRuns), ...bases.map((b) => median(b.cpuRuns))])} ms`);
  const baseMedians = bases.map((b) => median(b.runs));
  console.log(`  overhead beyond the model                ${whole([assist, ...baseMedians])} ms   (${baseMedians.map((base) => `${(((assist - base) / base) * 100).toFixed(0)}%`).join(', ')})`);
}
console.log(`overhead beyond the model      ${assist.toFixed(0).padStart(6)} ms   target <= 250 ms: ${assist <= 250 ? 'met' : 'MISSED'} (${(assist / node).toFixed(2)}x node -e 0)`);
