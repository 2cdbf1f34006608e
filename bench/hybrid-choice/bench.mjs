// What hybrid's per-language choice costs a session's first turn: reading the recorded turns of every
// session (cold: no cache; warm: nothing moved; one session moved since), in-process, wall and CPU.
// Needs the build (`npm run build`). Usage: node bench/hybrid-choice/bench.mjs [sessions] [turns] (default 300 10)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { openStore } = await import(join(root, 'dist', 'git', 'index.js'));
const { loadLanguageFigures, MAX_REPLAYS, MAX_EXTEND, sessionTips, CHAIN_PREFIX } = await import(join(root, 'dist', 'context', 'effectiveness-cache.js'));
const { chooseRepresentations } = await import(join(root, 'dist', 'context', 'effectiveness.js'));
const SESSIONS = Number(process.argv[2] ?? 300);
const TURNS = Number(process.argv[3] ?? 10);

const base = mkdtempSync(join(tmpdir(), 'bench-hybrid-'));
const home = join(base, 'home');
const dir = join(base, 'repo');
execFileSync('mkdir', ['-p', home, dir]);
writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = Bench\n\temail = bench@example.com\n[init]\n\tdefaultBranch = main\n[gc]\n\tauto = 0\n');
const env = { PATH: process.env.PATH, HOME: home, GIT_CONFIG_GLOBAL: join(home, '.gitconfig'), GIT_CONFIG_NOSYSTEM: '1', XDG_CONFIG_HOME: join(home, '.config') };
execFileSync('git', ['init', '-q', dir], { env });
writeFileSync(join(dir, 'a.ts'), 'export const a = 1;\n');
execFileSync('git', ['add', '-A'], { cwd: dir, env });
execFileSync('git', ['commit', '-q', '-m', 'initial'], { cwd: dir, env });

const files = ['src/a.ts', 'src/b.py', 'lib/c.go', 'docs/d.md', 'src/e.rs'];
const store = await openStore({ cwd: dir, env, command: 'bench' });
const t0 = performance.now();
for (let s = 0; s < SESSIONS; s++) {
  const { session } = await store.startSession({ deferBranch: true });
  const events = [];
  for (let t = 0; t < TURNS; t++) {
    const request = `s${s}t${t}`;
    const f = files[(s + t) % files.length];
    events.push({ type: 'message', request, text: `turn ${t} of session ${s}: ${'words '.repeat(40)}`, context: { strategy: t % 3 === 0 ? 'summary' : 'hybrid', files: [], map: files.slice(0, 3), chunks: [`${f}:1-20`], summaries: [], tokens: { map: 900, chunks: 400, summaries: 0, files: 0 } } });
    events.push({ type: 'reply', request: `${request}.1`, turn: request, text: '', model: 'm', toolCalls: [{ id: 'c1', name: 'read_file', arguments: JSON.stringify({ path: files[(s + t + 1) % files.length] }) }] });
    events.push({ type: 'tool', request: `${request}.1`, turn: request, call: 'c1', name: 'read_file', arguments: JSON.stringify({ path: files[(s + t + 1) % files.length] }), ok: true, ms: 3, chars: 2000, result: 'x'.repeat(2000), status: 'read' });
    events.push({ type: 'reply', request, text: `answer ${'lorem '.repeat(60)}`, model: 'm' });
  }
  await store.appendEvents(session.id, events);
}
const seeded = performance.now() - t0;
// As the prompt builder reads them: a moved session is extended from its cached base (its new events, read without git).
const source = {
  tips: async () => sessionTips(store.repo.refsUnder(CHAIN_PREFIX)),
  replay: (id) => store.replay(id),
  since: (id, from) => store.replaySince(id, from, MAX_EXTEND),
};
// The read before the extension: a moved session replayed whole (`git log` and every event).
const wholeSource = { tips: source.tips, replay: source.replay };
const commonDir = store.repo.paths.commonDir;

async function measure(label, options = {}, from = source) {
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  const loaded = await loadLanguageFigures(commonDir, from, options);
  const choices = chooseRepresentations(loaded.figures);
  const wall = performance.now() - w0;
  const c = process.cpuUsage(cpu0);
  const cpu = (c.user + c.system) / 1000;
  console.log(`${label.padEnd(28)} wall ${wall.toFixed(1).padStart(8)} ms  cpu ${cpu.toFixed(1).padStart(8)} ms  replayed ${String(loaded.replayed).padStart(4)}/${loaded.sessions} (pending ${loaded.pending})  languages ${choices.length}`);
  return { wall, cpu };
}

console.log(`${SESSIONS} sessions x ${TURNS} turns (4 events a turn), seeded in ${(seeded / 1000).toFixed(1)} s`);
// The target: a session's first turn pays at most the capped cold read; any later one, the warm read.
rmSync(join(commonDir, 'assist', 'effectiveness.json'), { force: true });
await measure(`cold, capped (${MAX_REPLAYS} a call)`);
rmSync(join(commonDir, 'assist', 'effectiveness.json'), { force: true });
await measure('cold, every session', { maxReplays: Infinity });
const warm = [];
for (let i = 0; i < 9; i++) warm.push(await measure(`warm (nothing moved) #${i + 1}`));
warm.sort((a, b) => a.wall - b.wall);
console.log(`warm, median of 9: wall ${warm[4].wall.toFixed(1)} ms, cpu ${[...warm].sort((a, b) => a.cpu - b.cpu)[4].cpu.toFixed(1)} ms (the target)`);
const last = [...(await source.tips()).keys()].at(-1);
// One session moves by a turn between reads (a warm `assist run` continuing its session), read alternately
// both ways: replayed whole (the figure printed before the extension) and extended from its base.
const moved = { whole: [], extended: [] };
for (let i = 0; i < 5; i++) {
  for (const [kind, from] of [['whole', wholeSource], ['extended', source]]) {
    await store.appendEvents(last, [{ type: 'message', request: `later${kind}${i}`, text: 'one more', context: { strategy: 'hybrid', files: [], map: [], chunks: [], summaries: [], tokens: { map: 0, chunks: 0, summaries: 0, files: 0 } } }]);
    moved[kind].push(await measure(`one session moved, ${kind}`, {}, from));
  }
}
const med = (xs, key) => [...xs].sort((a, b) => a[key] - b[key])[2][key].toFixed(1);
console.log(`one session moved, median of 5: replayed whole wall ${med(moved.whole, 'wall')} ms cpu ${med(moved.whole, 'cpu')} ms; extended wall ${med(moved.extended, 'wall')} ms cpu ${med(moved.extended, 'cpu')} ms`);
store.close();
rmSync(base, { recursive: true, force: true });
