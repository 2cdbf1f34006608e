#!/usr/bin/env node
// A probe, not the shipped CLI (shipped since the eleventh session: dist/bundle/main.cjs with
// src/cli/code-cache.ts, built by scripts/bundle.mjs): how much of a turn is Node compiling the bundle's code. Node 20
// keeps no compiled code between runs for ES modules (module.enableCompileCache is Node 22+), and
// a CPU profile of a warm turn puts ~30% of its main thread in compiling and linking the ~1.6 MB
// of chunks `assist run` loads. This builds the same CLI as ONE CommonJS file, loaded through
// vm.Script with a V8 code cache kept between runs, plus an entry like bin/assist.js that loads it
// for every command; time it against this checkout's build with the turn bench:
//   npm run build && node bench/turn/code-cache-probe.mjs
//   node bench/turn/bench.mjs 2000 7 --cli <printed entry> --base bin/assist.js
// What it does not do (why it is a probe): the packages a `run` with an OpenAI model never loads
// are left out of the one file and load from node_modules (the shipped CLI has no node_modules;
// `--all-in-one` puts them in: 11 MB, read whole on every run), so test/integration/lazy-imports.test.ts's rules do not apply to it; the
// cache is trusted from a folder of the probe's own (a shipped one would key it by the file's hash
// in a per-user folder); `import()` of a package is routed through a function outside the script
// (vm.Script's own dynamic import needs --experimental-vm-modules on Node 20).
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = join(root, 'dist', 'bundle');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const LEFT_OUT = ['gpt-tokenizer', '@anthropic-ai/sdk', '@google/genai', '@modelcontextprotocol/client', '@modelcontextprotocol/core', 'google-auth-library', 'yaml', 'ws', 'jose', 'ollama', 'node-fetch'];
const result = await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // In dist/bundle/, so the workers, grammars and package.json are found where the ES build finds them.
  outfile: join(out, 'probe-main.cjs'),
  // The packages a `run` with an OpenAI model never loads stay outside the one file (loaded, when
  // used, from node_modules): with --all-in-one they are inside, as in the first probe.
  external: [...Object.keys(pkg.dependencies ?? {}), ...(process.argv.includes('--all-in-one') ? [] : LEFT_OUT)],
  define: { 'import.meta.url': '__assistMetaUrl', 'import.meta.dirname': '__dirname' },
  banner: { js: "const __assistMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'error',
  metafile: true,
});
const file = join(out, 'probe-main.cjs');
const code = readFileSync(file, 'utf8').replace(/(?<![\w.$`'"])import\((?=["'])/g, 'globalThis.__assistImport(');
writeFileSync(file, code);
const cacheDir = join(tmpdir(), `assist-code-cache-probe-${process.getuid?.() ?? 'user'}`);
writeFileSync(
  join(out, 'probe-load.cjs'),
  `'use strict';
const { readFileSync, writeFileSync, mkdirSync, renameSync } = require('node:fs');
const { join } = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');
globalThis.__assistImport = (s) => import(s);
module.exports = function loadMain() {
  const filename = join(__dirname, 'probe-main.cjs');
  const source = readFileSync(filename, 'utf8');
  const cacheDir = process.env.PROBE_CACHE_DIR || ${JSON.stringify(cacheDir)};
  const cacheFile = join(cacheDir, 'probe-main.bin');
  let cachedData;
  if (!process.env.PROBE_NO_CACHE) { try { cachedData = readFileSync(cacheFile); } catch {} }
  const script = new vm.Script(Module.wrap(source), { filename, cachedData });
  const mod = { exports: {} };
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(filename), mod, filename, __dirname);
  // Written after the run, so the functions the command compiled are in it.
  if (!process.env.PROBE_NO_CACHE && (cachedData === undefined || script.cachedDataRejected)) {
    process.once('beforeExit', () => {
      try { mkdirSync(cacheDir, { recursive: true }); const tmp = cacheFile + '.' + process.pid; writeFileSync(tmp, script.createCachedData()); renameSync(tmp, cacheFile); } catch {}
    });
  }
  return mod.exports;
};
`,
);
// The entry: bin/assist.js with main() taken from the one file (absolute paths: it lives outside bin/).
const entryDir = join(tmpdir(), 'assist-code-cache-probe-bin');
mkdirSync(entryDir, { recursive: true });
const bin = readFileSync(join(root, 'bin', 'assist.js'), 'utf8')
  .replace("const { main } = await import('../dist/bundle/main.js');", `const { main } = require(${JSON.stringify(join(out, 'probe-load.cjs'))})();`)
  .replace("join(__dirname, '..', 'package.json')", JSON.stringify(join(root, 'package.json')))
  .replaceAll("'../dist/bundle/", `'${out}/`);
if (!bin.includes('probe-load.cjs')) throw new Error('bin/assist.js changed: the probe could not put its loader in');
const entry = join(entryDir, 'assist.cjs');
writeFileSync(entry, bin);
console.log(`one-file CLI: ${(Object.values(result.metafile.outputs)[0].bytes / 1e6).toFixed(1)} MB; code cache in ${cacheDir}`);
console.log(`entry: ${entry}`);
console.log(`time it: node bench/turn/bench.mjs 2000 7 --cli ${entry} --base ${join(root, 'bin', 'assist.js')}`);
