// Micro-benchmark of the model's read tools against the git commands they wrap. Run after the build:
//   npm run build && node bench/tools.mjs [--files N] [--runs N]
// Builds a temp repository of ~3,000 files and prints, as medians of interleaved runs:
//   - search vs `git grep` of the same pattern (the same flags, spawned from Node and read whole), as a ratio;
//   - search vs plain `git grep -n -E` (tracked files only, what a person would type);
//   - read_file of a 1 MiB file, in ms.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../dist/config/index.js';
import { createAuditLog } from '../dist/sandbox/index.js';
import { readFileTool } from '../dist/tools/read-file.js';
import { searchTool } from '../dist/tools/search.js';

const args = process.argv.slice(2);
const argOf = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : dflt;
};
const FILES = argOf('--files', 3000);
const RUNS = argOf('--runs', 21);

const base = realpathSync(mkdtempSync(join(tmpdir(), 'assist-bench-tools-')));
const home = join(base, 'home');
const root = join(base, 'repo');
mkdirSync(home);
mkdirSync(root);
writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = Bench\n\temail = bench@example.com\n[init]\n\tdefaultBranch = main\n');
const env = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), GIT_CONFIG_NOSYSTEM: '1', LANG: 'C.UTF-8' };
const git = (...a) => execFileSync('git', a, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function moduleText(i) {
  const lines = [`import { helper${(i * 7) % FILES} } from '../m${(i * 13) % 50}/file${(i * 7) % FILES}';`, ''];
  for (let f = 0; f < 8; f++) {
    lines.push(`export function compute${i}_${f}(input: number[], factor = ${f + 1}): number {`);
    lines.push('  let total = 0;');
    lines.push('  for (const value of input) total += value * factor;');
    if ((i + f) % 97 === 0) lines.push('  total = applyDiscount(total, 0.1);');
    lines.push(`  return helper${(i * 7) % FILES}(total);`);
    lines.push('}');
    lines.push('');
  }
  return lines.join('\n');
}

try {
  git('init', '-q');
  writeFileSync(join(root, '.gitignore'), 'build/\n');
  for (let i = 0; i < FILES; i++) {
    const dir = join(root, 'src', `m${i % 50}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `file${i}.ts`), moduleText(i));
  }
  const line = `${'const value = computeSomething(alpha, beta, gamma);'.padEnd(79, ' ')}\n`;
  writeFileSync(join(root, 'big.ts'), line.repeat(Math.floor((1024 * 1024) / line.length)));
  git('add', '-A');
  git('commit', '-q', '-m', 'bench');
  // Some untracked work, as in a real session.
  for (let i = 0; i < 30; i++) writeFileSync(join(root, 'src', `draft${i}.ts`), moduleText(FILES + i));
  mkdirSync(join(root, 'build'));
  writeFileSync(join(root, 'build', 'out.js'), 'applyDiscount();\n'.repeat(1000));

  const gitDir = join(root, '.git');
  const { config } = await loadConfig({ env, repoRoot: root });
  const ctx = {
    root,
    gitDir,
    commonDir: gitDir,
    env,
    config,
    addedByName: new Set(),
    readFiles: new Set(),
    pending: new Map(),
    audit: createAuditLog(join(gitDir, 'assist'), 'bench', { secrets: [] }),
    requestId: 'bench',
    yes: false,
    interactive: false,
    testCommand: async () => null,
  };

  const gitGrep = (grepArgs) =>
    new Promise((resolve, reject) => {
      const child = spawn('git', grepArgs, { cwd: root, env: { ...env, GIT_OPTIONAL_LOCKS: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
      const out = [];
      child.stdout.on('data', (c) => out.push(c));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, bytes: Buffer.concat(out).length }));
    });

  const patterns = [
    ['applyDiscount', 'few matches'],
    ['total \\+= value', 'every file matches: the cap stops the listing'],
  ];
  console.log(`repo: ${FILES} tracked files + 30 untracked, ${RUNS} runs each, medians`);
  for (const [pattern, what] of patterns) {
    const same = ['grep', '-E', '-n', '-I', '-z', '--no-color', '--no-column', '--full-name', '--untracked', '-e', pattern];
    const plain = ['grep', '-n', '-E', '-e', pattern];
    const tool = [];
    const baseline = [];
    const plainTimes = [];
    let status = '';
    for (let r = 0; r < RUNS + 2; r++) {
      let t = performance.now();
      const out = await searchTool.run({ pattern }, ctx);
      const toolMs = performance.now() - t;
      status = out.status;
      t = performance.now();
      await gitGrep(same);
      const baseMs = performance.now() - t;
      t = performance.now();
      await gitGrep(plain);
      const plainMs = performance.now() - t;
      if (r < 2) continue; // warm-up
      tool.push(toolMs);
      baseline.push(baseMs);
      plainTimes.push(plainMs);
    }
    const m = median(tool);
    console.log(`search /${pattern}/ (${what}): ${status}`);
    console.log(`  tool ${m.toFixed(1)} ms | git grep, same flags ${median(baseline).toFixed(1)} ms → ratio ${(m / median(baseline)).toFixed(2)} | plain git grep -n -E ${median(plainTimes).toFixed(1)} ms → ratio ${(m / median(plainTimes)).toFixed(2)}`);
  }

  const reads = [];
  for (let r = 0; r < RUNS + 2; r++) {
    const t = performance.now();
    const out = await readFileTool.run({ path: 'big.ts' }, ctx);
    if (out.kind !== 'result' || !out.ok) throw new Error(`read_file failed: ${out.kind === 'result' ? out.text : out.kind}`);
    if (r >= 2) reads.push(performance.now() - t);
  }
  console.log(`read_file of a 1 MiB file (${readFileTool.spec.name} big.ts, first 2,000 lines within the cap): median ${median(reads).toFixed(1)} ms, min ${Math.min(...reads).toFixed(1)} ms`);
} finally {
  rmSync(base, { recursive: true, force: true });
}
