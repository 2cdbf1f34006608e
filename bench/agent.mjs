#!/usr/bin/env node
/* global performance */
// The tool loop's harness cost: everything a step costs but the model. A tiny OpenAI-compatible
// server in this process answers at once with one tool call per request (search, then read_file),
// then a final answer. A turn of K steps is timed against a turn of 1 step on the same generated
// repository; (T_K - T_1) / (K - 1) is the harness time per step. It also checks that the request
// prefix (tools, system prompt, earlier messages) stays byte-identical across the steps of a turn,
// and times `git grep` against the `search` tool's own process for the same pattern.
// Usage: npm run build && node bench/agent.mjs [files=3000] [steps=12] [runs=7]
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gitTraceEnv, printGitTrace, readGitTrace } from './lib/git-trace.mjs';
import { medianCpu, medianMarks, medianPhases, takePhases } from './lib/phases.mjs';
import { cpuAvailable, cpuOf } from './lib/cpu.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'bin', 'assist.js');
const files = Number(process.argv[2] ?? 3000);
const steps = Number(process.argv[3] ?? 12);
const runs = Number(process.argv[4] ?? 7);

const work = mkdtempSync(join(tmpdir(), 'assist-bench-agent-'));
const home = join(work, 'home');
const repo = join(work, 'repo');
mkdirSync(home, { recursive: true });
writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = Bench\n\temail = bench@example.com\n[maintenance]\n\tauto = false\n[gc]\n\tauto = 0\n');
const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: join(home, '.gitconfig'), NO_COLOR: '1' };
for (const key of Object.keys(env)) if (key.startsWith('ASSIST_') || key.startsWith('GIT_DIR') || /_API_KEY$/.test(key)) delete env[key];
execFileSync('git', ['init', '-q', '-b', 'main', repo], { env });
for (let i = 0; i < files; i++) {
  const dir = join(repo, 'src', `m${i % 60}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, `f${i}.ts`),
    `import { helper${(i + 1) % files} } from '../m${(i + 1) % 60}/f${(i + 1) % files}.js';\n\nexport function helper${i}(value: number): number {\n  return helper${(i + 1) % files}(value) + ${i};\n}\n\nexport class Service${i} {\n  run(input: string): string {\n    return input.repeat(${i % 7});\n  }\n}\n`,
  );
}
// One big file for read_file, 1 MiB of lines.
const line = 'export const filler = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";\n';
writeFileSync(join(repo, 'src', 'big.ts'), line.repeat(Math.ceil((1 << 20) / line.length)));
execFileSync('git', ['add', '-A'], { cwd: repo, env });
execFileSync('git', ['commit', '-q', '-m', 'initial'], { cwd: repo, env });

/** One scripted turn: K-1 tool calls, then the answer. */
let script = [];
let bodies = [];
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    bodies.push(body);
    const next = script.shift() ?? { text: 'done' };
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const chunk = (delta, finish = null) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'gpt-4.1', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    if (next.call) {
      res.write(chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: `call_${bodies.length}`, type: 'function', function: { name: next.call, arguments: '' } }] }));
      res.write(chunk({ tool_calls: [{ index: 0, function: { arguments: JSON.stringify(next.args) } }] }));
      res.write(chunk({}, 'tool_calls'));
    } else {
      res.write(chunk({ role: 'assistant', content: next.text }));
      res.write(chunk({}, 'stop'));
    }
    res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'gpt-4.1', choices: [], usage: { prompt_tokens: 1000, completion_tokens: 20, total_tokens: 1020 } })}\n\n`);
    res.end('data: [DONE]\n\n');
  });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const runEnv = { ...env, OPENAI_BASE_URL: `http://127.0.0.1:${server.address().port}/v1`, OPENAI_API_KEY: 'sk-bench', ASSIST_MODEL: 'openai/gpt-4.1' };

/** Runs the CLI without blocking this process: the model server above lives on its event loop. */
function runAssist(args, extraEnv = {}) {
  return new Promise((resolve) => {
    // BENCH_CPU_PROF=DIR writes a V8 CPU profile of every assist process there.
    const flags = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
    execFile(process.execPath, [...flags, cli, ...args], { cwd: repo, env: { ...runEnv, ...extraEnv }, encoding: 'utf8', maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** A turn of k steps under /usr/bin/time: the CPU ms of assist and its git processes. */
async function turnCpu(k) {
  setScript(k);
  const r = await cpuOf(process.execPath, [cli, 'run', '--yes', '--json', '-m', 'find where helper is used'], { cwd: repo, env: runEnv }, join(work, 'cpu.txt'));
  if (r.status !== 0 && r.status !== 5) throw new Error(`assist run failed (${r.status}): ${r.stderr}`);
  return r.cpu;
}

function setScript(k) {
  script = [];
  for (let i = 1; i < k; i++) {
    script.push(i % 2 === 1 ? { call: 'search', args: { pattern: `helper${(i * 97) % files}\\b` } } : { call: 'read_file', args: { path: `src/m${i % 60}/f${i}.ts` } });
  }
  script.push({ text: 'done' });
}

async function turn(k, extraEnv = {}) {
  setScript(k);
  bodies = [];
  const phaseFile = join(work, 'phases.json');
  const t = performance.now();
  const r = await runAssist(['run', '--yes', '--json', '-m', 'find where helper is used'], { ASSIST_PHASES: phaseFile, ...extraEnv });
  const ms = performance.now() - t;
  if (r.status !== 0 && r.status !== 5) throw new Error(`assist run failed (${r.status}): ${r.stderr}`);
  return { ms, bodies: [...bodies], phases: takePhases(phaseFile)[0] ?? { phases: {}, marks: [], exitAt: 0 } };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
await turn(steps); // warm the tags cache and the page cache
const one = [];
const many = [];
const phasesOne = [];
const phasesMany = [];
let prefixStable = true;
for (let i = 0; i < runs; i++) {
  const r1 = await turn(1);
  one.push(r1.ms);
  phasesOne.push(r1.phases);
  const r = await turn(steps);
  many.push(r.ms);
  phasesMany.push(r.phases);
  // Each request's messages must start with the previous request's messages, byte for byte.
  for (let s = 1; s < r.bodies.length; s++) {
    const a = JSON.parse(r.bodies[s - 1]);
    const b = JSON.parse(r.bodies[s]);
    const same = JSON.stringify(a.tools) === JSON.stringify(b.tools) && a.messages.every((m, j) => JSON.stringify(m) === JSON.stringify(b.messages[j]));
    if (!same) prefixStable = false;
  }
}
const perStep = (median(many) - median(one)) / (steps - 1);
// The same turns' CPU (assist and its git processes), not timed: steadier than wall time under load.
const cpuOne = [];
const cpuMany = [];
if (cpuAvailable) {
  for (let i = 0; i < runs; i++) {
    cpuOne.push(await turnCpu(1));
    cpuMany.push(await turnCpu(steps));
  }
}

// Every git process of a turn of 1 step and of K steps, from git's own trace (not timed).
const traceFile = join(work, 'git-trace.json');
await turn(1, gitTraceEnv(traceFile));
const traceOne = readGitTrace(traceFile);
await turn(steps, gitTraceEnv(traceFile));
const traceMany = readGitTrace(traceFile);

// search against git grep of the same pattern: the tool's one process vs git's.
const pattern = 'helper1234\\b';
const timeIt = (fn, n = 15) => {
  const xs = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn();
    xs.push(performance.now() - t);
  }
  return median(xs);
};
const grepMs = timeIt(() => spawnSync('git', ['grep', '-E', '-n', '-I', '--no-color', '--untracked', pattern], { cwd: repo, env }));
let searchMs = null;
let readMs = null;
try {
  const tools = await import(join(root, 'dist', 'tools', 'index.js'));
  const { loadConfig } = await import(join(root, 'dist', 'config', 'index.js'));
  const { createAuditLog } = await import(join(root, 'dist', 'sandbox', 'index.js'));
  const loaded = await loadConfig({ cwd: repo, env });
  const ctx = {
    root: repo,
    gitDir: join(repo, '.git'),
    commonDir: join(repo, '.git'),
    env,
    config: loaded.config,
    addedByName: new Set(),
    readFiles: new Set(),
    pending: new Map(),
    audit: createAuditLog(join(repo, '.git', 'assist'), 'bench'),
    requestId: 'bench',
    yes: false,
    interactive: false,
    testCommand: async () => null,
  };
  const all = tools.allTools();
  const call = (name, args) => tools.executeToolCall({ id: 'c', name, arguments: JSON.stringify(args) }, all, ctx);
  const timeAsync = async (fn, n = 15) => {
    const xs = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await fn();
      xs.push(performance.now() - t);
    }
    return median(xs);
  };
  searchMs = await timeAsync(() => call('search', { pattern }));
  readMs = await timeAsync(() => call('read_file', { path: 'src/big.ts' }));
} catch (error) {
  console.error(`tool timings skipped: ${error.message.split('\n')[0]}`);
}
const node = timeIt(() => spawnSync(process.execPath, ['-e', '0']), 9);

console.log(`agent bench: ${files} files, turns of 1 and ${steps} steps, ${runs} runs each (medians)`);
console.log(`  node -e 0                     ${node.toFixed(1)} ms`);
console.log(`  turn of 1 step                ${median(one).toFixed(1)} ms`);
console.log(`  turn of ${steps} steps               ${median(many).toFixed(1)} ms`);
console.log(`  harness time per step         ${perStep.toFixed(1)} ms   (target <= 30 ms)`);
if (cpuOne.length > 0) console.log(`  CPU per step                  ${((median(cpuMany) - median(cpuOne)) / (steps - 1)).toFixed(1)} ms   (assist and its git processes: turns of ${steps} less turns of 1, / ${steps - 1}; 1-step turn ${median(cpuOne).toFixed(0)} ms)`);
// The assist process's own CPU (its git children not counted), from the timed turns' phase lines: what a step costs the harness's one thread.
if (phasesMany.some((p) => p.cpuMs !== undefined)) console.log(`  assist process CPU per step   ${((medianCpu(phasesMany) - medianCpu(phasesOne)) / (steps - 1)).toFixed(1)} ms   (the timed turns, git processes not counted)`);
console.log(`  request prefix byte-identical ${prefixStable ? 'yes' : 'NO'}`);
console.log(`  git grep ${pattern.padEnd(20)} ${grepMs.toFixed(1)} ms`);
if (searchMs !== null) console.log(`  search tool, same pattern     ${searchMs.toFixed(1)} ms   = ${(searchMs / grepMs).toFixed(2)}x git grep (target <= 1.2x)`);
if (readMs !== null) console.log(`  read_file of a 1 MiB file     ${readMs.toFixed(1)} ms   (target <= 20 ms)`);
// Where a step's time goes: each phase's median in the turns of K steps less that in the turns of 1, per step.
const p1 = medianPhases(phasesOne);
const pk = medianPhases(phasesMany);
console.log(`  per step, by phase (median over the ${steps}-step turns less the 1-step turns, / ${steps - 1}):`);
let inPhases = 0;
for (const name of Object.keys(pk)) {
  if (name.startsWith('prompt.') || name.startsWith('edits.')) continue; // parts of turn.prompt / step.text-edits
  const per = (pk[name].ms - (p1[name]?.ms ?? 0)) / (steps - 1);
  const calls = (pk[name].count - (p1[name]?.count ?? 0)) / (steps - 1);
  inPhases += per;
  const note = name === 'step.chain' ? '; runs during the next step.fit and step.model' : name === 'turn.prompt' ? '; once a turn: noise' : '';
  console.log(`    ${name.padEnd(26)} ${per.toFixed(2).padStart(7)} ms  (${calls.toFixed(2)} per step${note})`);
}
console.log(`    ${'(outside these phases)'.padEnd(26)} ${(perStep - inPhases).toFixed(2).padStart(7)} ms  (the loop's own work, less the overlap of step.chain)`);
console.log(`  turn of 1 step, by mark (medians):`);
for (const m of medianMarks(phasesOne)) console.log(`    ${`${m.from} -> ${m.to}`.padEnd(36)} ${m.ms.toFixed(1).padStart(7)} ms`);
printGitTrace('git processes, turn of 1 step', traceOne);
printGitTrace(`git processes, turn of ${steps} steps`, traceMany);
console.log(`  git processes per step        ${((traceMany.count - traceOne.count) / (steps - 1)).toFixed(2)}`);
server.close();
rmSync(work, { recursive: true, force: true });
