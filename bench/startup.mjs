#!/usr/bin/env node
// Startup benchmark: `assist --version`, `--help` and `config list` against `node -e 0`, timed in the
// same run, interleaved so that machine noise hits every command alike. Prints medians and ratios.
// Usage: npm run build && node bench/startup.mjs [runs] [--against DIR]
// --against DIR also times DIR/bin/assist.js (another built checkout, say the commit before a change)
// in the same interleaved run, so the two are compared under the same machine load.
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'bin', 'assist.js');
const args = process.argv.slice(2);
const againstAt = args.indexOf('--against');
const against = againstAt === -1 ? undefined : args.splice(againstAt, 2)[1];
const runs = Number(args[0] ?? 30);

const work = mkdtempSync(join(tmpdir(), 'assist-bench-startup-'));
const home = join(work, 'home');
execFileSync('mkdir', ['-p', home]);
writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = Bench\n\temail = bench@example.com\n');
const repo = join(work, 'repo');
execFileSync('git', ['init', '-q', repo]);
const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), GIT_CONFIG_NOSYSTEM: '1', NO_COLOR: '1' };

const commands = [['--version'], ['--help'], ['config', 'list']];
const cases = [
  ['node -e 0', ['-e', '0']],
  ...commands.map((c) => [`assist ${c.join(' ')}`, [cli, ...c]]),
  ...(against ? commands.map((c) => [`other ${c.join(' ')}`, [join(against, 'bin', 'assist.js'), ...c]]) : []),
];

function timeOnce(args) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: repo, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const samples = new Map(cases.map(([name]) => [name, []]));
for (const [, args] of cases) timeOnce(args); // warm the file cache
// Every other round runs the commands in reverse order, so that neither side of a comparison always goes first.
for (let i = 0; i < runs; i++) for (const [name, args] of i % 2 ? [...cases].reverse() : cases) samples.get(name).push(timeOnce(args));
rmSync(work, { recursive: true, force: true });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const baseline = median(samples.get('node -e 0'));
const targets = { 'assist --version': 1.5, 'assist --help': 2, 'other --version': 1.5, 'other --help': 2 };
if (against) console.log(`"other" is ${against}`);
console.log(`startup, median of ${runs} runs (node ${process.version}, ${process.platform})`);
console.log('command               median ms   ratio to node -e 0   target');
for (const [name] of cases) {
  const m = median(samples.get(name));
  const ratio = m / baseline;
  const target = targets[name];
  const verdict = target === undefined ? '' : `${ratio <= target ? 'met' : 'MISSED'} (<= ${target}x)`;
  console.log(`${name.padEnd(22)}${m.toFixed(1).padStart(9)}   ${ratio.toFixed(2).padStart(18)}x   ${verdict}`);
}

if (against) {
  // The same command, this checkout minus the other, round by round: the mean and its 95% interval.
  console.log('paired difference (this - other), mean of the rounds');
  for (const c of commands) {
    const mine = samples.get(`assist ${c.join(' ')}`);
    const theirs = samples.get(`other ${c.join(' ')}`);
    const diffs = mine.map((v, i) => v - theirs[i]);
    const mean = diffs.reduce((a, b) => a + b, 0) / diffs.length;
    const sd = Math.sqrt(diffs.reduce((a, b) => a + (b - mean) ** 2, 0) / (diffs.length - 1));
    console.log(`${`assist ${c.join(' ')}`.padEnd(22)}${mean >= 0 ? '+' : ''}${mean.toFixed(1)} ms ± ${((1.96 * sd) / Math.sqrt(diffs.length)).toFixed(1)}`);
  }
}
