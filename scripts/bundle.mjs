#!/usr/bin/env node
// Builds everything the package runs from, in dist/ (after `tsc -p tsconfig.build.json`, which
// writes the type declarations):
// - dist/bundle/: the CLI, the library entry (api.js), the git-hook refresher (hooks.js) and the
//   parse and token workers, as ES module chunks; every dependency is inside except web-tree-sitter
//   (its runtime finds its own .wasm beside its module). Dynamic imports stay chunks of their own,
//   so the SDKs, tree-sitter and the tokenizer load only when used (test/integration/lazy-imports).
//   Plus fast.cjs, the CommonJS fast path of `undo`/`redo`;
// - dist/grammars/: the grammar .wasm files of the repo map and a manifest of where they came from
//   (the tree-sitter-* packages are dev dependencies: users get these copies only);
// - dist/assist.schema.json: the config's JSON Schema, generated from the key table;
// - dist/THIRD-PARTY-NOTICES.md: the licences of the code bundled and the grammars copied;
// - dist/types/: the declarations the library entry reaches (tsc writes one per module).
// Usage: node scripts/bundle.mjs (`npm run bundle`).
import { build, transform } from 'esbuild';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dynamicImportsIn } from './dynamic-imports.mjs';
import { withMemoryMinimum } from './wasm-memory.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const out = join(dist, 'bundle');
const require = createRequire(join(root, 'package.json'));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
// web-tree-sitter loads its runtime .wasm from its own folder; it stays an installed dependency.
const external = Object.keys(pkg.dependencies ?? {});

// The packages left out of the one-file CLI (dist/bundle/main.cjs, below): the SDKs, the tokenizer's
// data, MCP's client (with zod, jose and the like) and the YAML parser, ~9 of its 11 MB when all
// were in (chosen from its metafile; a `run` with an OpenAI model loads one of them). Each is an
// ES entry, dist/bundle/vendor-NAME.js, whose default export is the package's namespace: what
// `await import(spec)` gives in the ES chunks. Keys are the specifiers the sources import.
const VENDOR = {
  openai: 'openai',
  '@anthropic-ai/sdk': 'anthropic-sdk',
  '@google/genai': 'google-genai',
  ollama: 'ollama',
  // The tokenizer's ranks, from which a counter is built only when the table the build writes
  // beside the bundle is missing or damaged (src/context/o200k.ts).
  'gpt-tokenizer/bpeRanks/o200k_base': 'gpt-tokenizer-o200k',
  'gpt-tokenizer/encodingParams/constants': 'gpt-tokenizer-split',
  '@modelcontextprotocol/client': 'mcp-client',
  yaml: 'yaml',
};
// Of those, the ones the one-file's commands load (the SDKs, MCP's client, yaml)
// are each built as ONE CommonJS file instead, dist/bundle/vendor-NAME.cjs, which the loader runs
// through a vm.Script with a V8 code cache of its own, as main.cjs (below; no ES entry of theirs is
// built: the ES chunks hold their own copy, which main.js and api.js import). These keep the ES
// entry: the tokenizer's ranks as a 3.4 MB module and its split patterns, only the fallback when the
// table is missing.
const VENDOR_ES_ONLY = new Set(['gpt-tokenizer/bpeRanks/o200k_base', 'gpt-tokenizer/encodingParams/constants']);
const VENDOR_SCRIPTS = Object.fromEntries(Object.entries(VENDOR).filter(([spec]) => !VENDOR_ES_ONLY.has(spec)));
// web-tree-sitter too, for the one-file alone (the chunks and the parse workers import the installed
// package): imported as an ES module it cost the map or search after one changed file ~11 ms of CPU
// (the ES loader's start and a compile from source; docs/repo-map.md "Thirteenth session"). Its
// runtime's .wasm, which it looks for beside its own file, is copied beside this one.
VENDOR_SCRIPTS['web-tree-sitter'] = 'web-tree-sitter';
// Left out too and loaded by specifier (the installed package's own dependency).
const EXTERNAL_VENDOR = ['web-tree-sitter'];
const packageOf = (spec) => /^(@[^/]+\/[^/]+|[^@./][^/]*)/.exec(spec)?.[1];
const VENDOR_PACKAGES = new Set([...Object.keys(VENDOR), ...EXTERNAL_VENDOR].map(packageOf));

const vendorEntries = {
  name: 'assist-vendor-entries',
  setup(b) {
    b.onResolve({ filter: /^assist-vendor:/ }, (args) => ({ path: args.path.slice('assist-vendor:'.length), namespace: 'assist-vendor' }));
    b.onLoad({ filter: /.*/, namespace: 'assist-vendor' }, (args) => ({
      contents: `import * as ns from ${JSON.stringify(args.path)};\nexport default ns;\n`,
      resolveDir: root,
      loader: 'js',
    }));
  },
};

// clipanion's state machine of each set of commands the CLI registers (src/cli/main.ts
// REGISTRATIONS), built now by clipanion itself from these sources and encoded
// (src/cli/parse-machine.ts), written beside the bundles (parse-machine-REGISTRATION.json, with
// the id both builds are given): a parse reads it and no longer builds it (~8 ms of CPU
// of a turn's line, ~35 ms of `assist log`, fresh process; docs/repo-map.md "Fourteenth
// session ... the parser's machine at build time"). Built from src/, never from an older dist/.
async function parseMachines() {
  const file = join(dist, `.parse-machines-${process.pid}.mjs`);
  try {
    await build({
      absWorkingDir: root,
      stdin: { contents: "export { REGISTRATIONS, buildCliOf, encodeMachine } from './src/cli/main.ts';\n", resolveDir: root, loader: 'ts', sourcefile: 'parse-machines.ts' },
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      packages: 'external',
      outfile: file,
      logLevel: 'warning',
    });
    const { REGISTRATIONS, buildCliOf, encodeMachine } = await import(pathToFileURL(file).href);
    return Object.fromEntries(REGISTRATIONS.map((registration) => [registration, encodeMachine(buildCliOf(registration, '0.0.0', false, false))]));
  } finally {
    rmSync(file, { force: true });
  }
}
const machines = await parseMachines();
const machinesId = createHash('sha256').update(JSON.stringify(machines)).digest('hex').slice(0, 16);
const parseMachinesDefine = { __ASSIST_PARSE_MACHINES_ID__: JSON.stringify(machinesId) };

rmSync(out, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: {
    main: 'src/cli/main.ts',
    // `assist map`'s fast path (src/cli/map-fast.ts): no command-line parser, shares the chunks.
    'map-fast': 'src/cli/map-fast.ts',
    // `assist search`'s, likewise (src/cli/search-fast.ts).
    'search-fast': 'src/cli/search-fast.ts',
    api: 'src/index.ts',
    hooks: 'src/cli/refreshers.ts',
    'tag-worker': 'src/context/tag-worker.ts',
    // The lexical index build's second thread (src/context/index-pool.ts).
    'index-worker': 'src/context/index-worker.ts',
    // The packages left out of the one-file CLI without a CommonJS file, each an ES entry of its own (see below).
    ...Object.fromEntries([...VENDOR_ES_ONLY].map((spec) => [`vendor-${VENDOR[spec]}`, `assist-vendor:${spec}`])),
  },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  splitting: true,
  outdir: out,
  entryNames: '[name]',
  chunkNames: '[name]-[hash]',
  external,
  metafile: true,
  logLevel: 'warning',
  plugins: [vendorEntries],
  define: parseMachinesDefine,
  // CommonJS packages inside ES module chunks still call require().
  banner: { js: "import { createRequire as __assistCreateRequire } from 'node:module'; const require = __assistCreateRequire(import.meta.url);" },
});
writeFileSync(join(out, 'meta.json'), JSON.stringify(result.metafile));
for (const [registration, machine] of Object.entries(machines)) {
  // eslint-disable-next-line no-control-regex
  const json = JSON.stringify({ id: machinesId, machine }).replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  writeFileSync(join(out, `parse-machine-${registration}.json`), json);
}

// The one-file CLI: src/cli/main.ts as ONE CommonJS file, which dist/bundle/main-loader.cjs
// (src/cli/code-cache.ts) runs through a vm.Script with a V8 code cache for the commands typed
// between turns (bin/assist.js). Everything of assist's own is inside (one copy of every module);
// the packages of VENDOR are not. In a vm.Script on Node 20 `import()` cannot be used (its
// callback needs --experimental-vm-modules, USE_MAIN_CONTEXT_DEFAULT_LOADER warns, and neither
// survives a script compiled from cached data), so no `import()` is left in the file: esbuild
// lowers the imports of node's modules to require(), and this plugin turns those of VENDOR into
// calls of the loader's `__assistVendor`:
// - `import('pkg')` gets a module whose exports are a thenable: esbuild's `import()` of a bundled
//   module resolves to it, and a promise resolved with a thenable takes what its `then` gives,
//   the package's namespace from its ES entry;
// - a lazily loaded module of assist's that imports a package statically (MCP's connection) is
//   reached through such a thenable too, which first loads the packages its static imports reach
//   (from the ES build's metafile), then evaluates it; its static import takes the loaded package.
const esInputs = result.metafile.inputs;
const isStatic = (kind) => kind === 'import-statement' || kind === 'require-call';
const vendorOfImport = (imp) => {
  const spec = imp.original ?? imp.path;
  const pkgName = packageOf(spec);
  if (pkgName && VENDOR_PACKAGES.has(pkgName) && !spec.startsWith('.')) return spec;
  return undefined;
};
// The vendor specifiers each source module reaches through static imports.
const reachCache = new Map();
const staticVendors = (input, seen = new Set()) => {
  if (reachCache.has(input)) return reachCache.get(input);
  if (seen.has(input) || !esInputs[input] || input.includes('node_modules/')) return [];
  seen.add(input);
  const found = new Set();
  for (const imp of esInputs[input].imports) {
    if (!isStatic(imp.kind)) continue;
    const spec = vendorOfImport(imp);
    if (spec) found.add(spec);
    else for (const s of staticVendors(imp.path, seen)) found.add(s);
  }
  const list = [...found].sort();
  reachCache.set(input, list);
  return list;
};
const mainReaches = staticVendors('src/cli/main.ts');
if (mainReaches.length) throw new Error(`src/cli/main.ts reaches ${mainReaches.join(', ')} through static imports: it would load on every command`);
const knownVendor = (spec) => {
  if (!(spec in VENDOR) && !EXTERNAL_VENDOR.includes(spec)) throw new Error(`scripts/bundle.mjs: '${spec}' is imported: add it to VENDOR (an ES entry of its own)`);
  return spec;
};
const oneFilePlugin = {
  name: 'assist-one-file-vendor',
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData?.assistResolved) return undefined;
      const pkgName = packageOf(args.path);
      if (pkgName && VENDOR_PACKAGES.has(pkgName)) {
        const spec = knownVendor(args.path);
        if (args.kind === 'dynamic-import') return { path: spec, namespace: 'assist-vendor-load' };
        return { path: spec, namespace: 'assist-vendor-sync' };
      }
      if (args.kind !== 'dynamic-import' || !args.path.startsWith('.')) return undefined;
      const resolved = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { assistResolved: true } });
      if (resolved.errors.length) return undefined;
      const needs = staticVendors(relative(root, resolved.path).split('\\').join('/'));
      if (!needs.length) return undefined;
      return { path: resolved.path, namespace: 'assist-vendor-preload', pluginData: { needs } };
    });
    b.onLoad({ filter: /.*/, namespace: 'assist-vendor-load' }, (args) => ({
      contents: `module.exports = { then(resolve, reject) { __assistVendor.load(${JSON.stringify(args.path)}).then(resolve, reject); } };\n`,
      loader: 'js',
    }));
    b.onLoad({ filter: /.*/, namespace: 'assist-vendor-sync' }, (args) => ({
      contents: `module.exports = __assistVendor.sync(${JSON.stringify(args.path)});\n`,
      loader: 'js',
    }));
    b.onLoad({ filter: /.*/, namespace: 'assist-vendor-preload' }, (args) => ({
      contents: `module.exports = { then(resolve, reject) { __assistVendor.preload(${JSON.stringify(args.pluginData.needs)}).then(() => resolve(require(${JSON.stringify(args.path)})), reject); } };\n`,
      resolveDir: dirname(args.path),
      loader: 'js',
      pluginData: { assistResolved: true },
    }));
  },
};
// ASSIST_BUNDLE_READABLE=1 leaves the CommonJS files unminified (below), for a CPU profile that names functions.
const readable = process.env['ASSIST_BUNDLE_READABLE'] === '1';
// In a CommonJS output an empty import.meta fails only at run time (a module's createRequire of
// undefined broke `undo` once): esbuild's warning is an error in every CommonJS build here.
const CJS_IMPORT_META = { 'empty-import-meta': 'error' };
/**
 * Builds one one-file CLI from `entry` to dist/bundle/NAME.cjs (its metafile beside it as
 * NAME-cjs-meta.json) and returns its content hash, the key of its code cache: taken here so that
 * a run never hashes a megabyte.
 */
async function buildOneFile(entry, name) {
  const file = join(out, `${name}.cjs`);
  const built = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logOverride: CJS_IMPORT_META,
    // No import() may stay in the file (see above): node's own modules are require()d.
    supported: { 'dynamic-import': false },
    // In dist/bundle/, so the workers, grammars and package.json are found where the chunks find them.
    outfile: file,
    plugins: [oneFilePlugin],
    define: { 'import.meta.url': '__assistMetaUrl', ...parseMachinesDefine },
    banner: { js: "var __assistMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    metafile: true,
    logLevel: 'warning',
  });
  writeFileSync(join(out, `${name}-cjs-meta.json`), JSON.stringify(built.metafile));
  const output = Object.values(built.metafile.outputs)[0];
  const heavy = Object.keys(output.inputs).filter((i) => [...VENDOR_PACKAGES].some((p) => i.includes(`node_modules/${p}/`)));
  if (heavy.length) throw new Error(`the one-file CLI ${name}.cjs carries ${heavy[0]}`);
  const left = output.imports.filter((i) => i.kind === 'dynamic-import' || !i.path.startsWith('node:') && !/^[a-z_]+$/.test(i.path));
  if (left.length) throw new Error(`the one-file CLI ${name}.cjs still imports ${left.map((i) => `${i.path} (${i.kind})`).join(', ')}`);
  // One byte per character: the loader reads this file as a string on every run, and a single
  // non-ASCII character makes it a two-byte string (twice the memory; the read of main.cjs 12-23 ms
  // instead of 6-10; docs/repo-map.md "Thirteenth session"). esbuild escapes strings and untagged
  // templates already; what it keeps as written, comments and regular expressions, is escaped here
  // (\uXXXX is the same code unit in a regular expression, and text in a comment). A tagged
  // template's raw text would change, so a line that may hold one fails the build instead.
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    // eslint-disable-next-line no-control-regex
    if (/[^\x00-\x7f]/.test(line) && line.includes('`') && !/^\s*(?:\/\/|\/\*|\*)/.test(line)) throw new Error(`dist/bundle/${name}.cjs:${i + 1}: a non-ASCII character beside a template literal: write it as an escape in the source`);
  });
  // eslint-disable-next-line no-control-regex
  const ascii = text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  // Then minified: every command that runs it reads all of it (the code cache needs the source
  // beside it), and the 1.0 MB main.cjs reads in about half the CPU of the 1.8 MB one (docs/repo-map.md
  // "Fourteenth session ... the CLI's fixed start"). Minified after the escapes, which it keeps (the check above reads lines);
  // local names are shortened too: no code of assist's or of the packages inside reads a
  // function's or class's name.
  const minified = readable ? ascii : (await transform(ascii, { format: 'cjs', platform: 'node', target: 'node20', minify: true, charset: 'ascii', legalComments: 'none' })).code;
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(minified)) throw new Error(`dist/bundle/${name}.cjs: minifying it brought back a non-ASCII character`);
  writeFileSync(file, minified);
  return createHash('sha256').update(minified).digest('hex').slice(0, 16);
}
// main(): every command the entry point starts from a one-file (bin/assist.js).
const mainHash = await buildOneFile('src/cli/one-file.ts', 'main');
// The fast paths of `map` and `search` alone, a third of main.cjs: the commands timed against
// `node -e 0` (issues 17 and 26) read, deserialize and evaluate that much less on every run
// (docs/repo-map.md "Sixteenth session"). A form their fast path does not take goes on to main.cjs.
const contextHash = await buildOneFile('src/cli/one-file-context.ts', 'context');

const WASM_PAGE = 64 * 1024;
// What web-tree-sitter's runtime was built with (32 MB), and where the one-file's copy starts.
const TREE_SITTER_RUNTIME_PAGES = 512;
const TREE_SITTER_START_PAGES = 32;

// The packages of VENDOR_SCRIPTS, each ONE CommonJS file whose exports' `default` is the package's
// namespace (what `await import(spec)` gives), compiled by the loader through a vm.Script with a
// code cache keyed by the file's own hash. Same rule as main.cjs: no `import()` may be left in
// one (node's modules are require()d; the build fails if one is, found by parsing the file).
// Emscripten's start of web-tree-sitter makes a `require` of its own from `import('module')`; as
// CommonJS, that import() becomes a call of `require`, which the function's own `var require`
// (hoisted, not yet set) hides. The file's own require does what it made one for. Its runtime's
// memory starts at TREE_SITTER_START_PAGES instead of 32 MB (scripts/wasm-memory.mjs): the glue's
// default here, and the minimum of the copy of the .wasm beside it.
const treeSitterRequire = {
  name: 'assist-tree-sitter-require',
  setup(b) {
    b.onLoad({ filter: /web-tree-sitter[\\/]web-tree-sitter\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const own = 'var require = createRequire(import.meta.url);';
      if (text.split(own).length !== 2) throw new Error(`scripts/bundle.mjs: web-tree-sitter no longer reads '${own}' once: check its CommonJS build`);
      const memory = `var INITIAL_MEMORY = Module["INITIAL_MEMORY"] || ${TREE_SITTER_RUNTIME_PAGES * WASM_PAGE};`;
      if (text.split(memory).length !== 2) throw new Error(`scripts/bundle.mjs: web-tree-sitter no longer sets '${memory}' once: check its runtime's memory`);
      return { contents: text.replace(own, '').replace(memory, `var INITIAL_MEMORY = Module["INITIAL_MEMORY"] || ${TREE_SITTER_START_PAGES * WASM_PAGE};`), loader: 'js' };
    });
  },
};
const vendorScripts = await build({
  absWorkingDir: root,
  entryPoints: Object.fromEntries(Object.entries(VENDOR_SCRIPTS).map(([spec, name]) => [`vendor-${name}`, `assist-vendor:${spec}`])),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  logOverride: CJS_IMPORT_META,
  supported: { 'dynamic-import': false },
  outdir: out,
  entryNames: '[name]',
  outExtension: { '.js': '.cjs' },
  plugins: [vendorEntries, treeSitterRequire],
  define: { 'import.meta.url': '__assistMetaUrl' },
  banner: { js: "var __assistMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  // Read whole by the command that loads one, as main.cjs is; names kept (the OpenAI SDK puts its
  // class's name in its User-Agent header).
  ...(readable ? {} : { minifyWhitespace: true, minifySyntax: true }),
  metafile: true,
  logLevel: 'warning',
});
writeFileSync(join(out, 'web-tree-sitter.wasm'), withMemoryMinimum(readFileSync(join(dirname(require.resolve('web-tree-sitter')), 'web-tree-sitter.wasm')), TREE_SITTER_START_PAGES, TREE_SITTER_RUNTIME_PAGES));
// ws's (through @google/genai) optional native helpers, require()d in a try: absent, it uses its own code.
const WS_OPTIONAL = new Set(['utf-8-validate', 'bufferutil']);
const vendorScriptFiles = {};
for (const [spec, name] of Object.entries(VENDOR_SCRIPTS)) {
  const file = `vendor-${name}.cjs`;
  const output = vendorScripts.metafile.outputs[relative(root, join(out, file)).split('\\').join('/')];
  if (!output) throw new Error(`scripts/bundle.mjs: no ${file} was built`);
  const outside = output.imports.filter((i) => i.kind !== 'require-call' || !(builtinModules.includes(i.path.replace(/^node:/, '')) || WS_OPTIONAL.has(i.path)));
  if (outside.length) throw new Error(`${file} imports ${outside.map((i) => `${i.path} (${i.kind})`).join(', ')}: it must be one CommonJS file that require()s only node's modules`);
  const code = readFileSync(join(out, file), 'utf8');
  const imports = dynamicImportsIn(code);
  if (imports.length) throw new Error(`${file} carries import() at ${imports.map((at) => `offset ${at}: ${code.slice(at, at + 40)}`).join('; ')}: on Node 20 an import() in a script compiled from cached data throws ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING`);
  vendorScriptFiles[spec] = [file, createHash('sha256').update(code).digest('hex').slice(0, 16)];
}
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/code-cache.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  logOverride: CJS_IMPORT_META,
  outfile: join(out, 'main-loader.cjs'),
  define: {
    __ASSIST_ONE_FILE_HASHES__: JSON.stringify({ main: mainHash, context: contextHash }),
    __ASSIST_VENDOR_FILES__: JSON.stringify(Object.fromEntries([...VENDOR_ES_ONLY].map((spec) => [spec, `vendor-${VENDOR[spec]}.js`]))),
    __ASSIST_VENDOR_SCRIPTS__: JSON.stringify(vendorScriptFiles),
  },
  logLevel: 'warning',
});

const fast = await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/fast.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  logOverride: CJS_IMPORT_META,
  outfile: join(out, 'fast.cjs'),
  external,
  // As the one-file CLIs: modules that make a `require` of their own (createRequire) need their URL.
  define: { 'import.meta.url': '__assistMetaUrl' },
  banner: { js: "var __assistMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  metafile: true,
  logLevel: 'warning',
});

// The language table and the schema generator, read from the sources through a throwaway bundle.
const scratch = mkdtempSync(join(tmpdir(), 'assist-bundle-'));
let data;
try {
  await build({
    absWorkingDir: root,
    stdin: {
      contents: "export { languages } from './src/context/languages.ts'; export { configJsonSchema } from './src/config/json-schema.ts'; export { packTable, readTable } from './src/context/o200k.ts';",
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: join(scratch, 'data.mjs'),
    external: ['web-tree-sitter', 'gpt-tokenizer'],
    logLevel: 'warning',
  });
  data = await import(pathToFileURL(join(scratch, 'data.mjs')).href);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const grammarsDir = join(dist, 'grammars');
rmSync(grammarsDir, { recursive: true, force: true });
mkdirSync(grammarsDir, { recursive: true });
const manifest = { grammars: {} };
const grammarPackages = new Map();
for (const spec of data.languages) {
  const dir = dirname(require.resolve(`${spec.pkg}/package.json`));
  const version = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
  copyFileSync(join(dir, spec.wasm), join(grammarsDir, spec.wasm));
  manifest.grammars[spec.wasm] = { package: spec.pkg, version };
  grammarPackages.set(spec.pkg, dir);
}
writeFileSync(join(grammarsDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);

// The tokenizer's ranks as a table ready to count with (src/context/o200k.ts), checked against
// the package's own counts on this build's sources and a few scripts.
{
  const { default: ranks } = await import('gpt-tokenizer/bpeRanks/o200k_base');
  const { countTokens } = await import('gpt-tokenizer/encoding/o200k_base');
  const { O200K_TOKEN_SPLIT_REGEX } = await import('gpt-tokenizer/encodingParams/constants');
  const table = data.packTable(ranks, O200K_TOKEN_SPLIT_REGEX);
  const counter = data.readTable(table);
  const samples = [readFileSync(join(root, 'src/context/repo-map.ts'), 'utf8'), readFileSync(join(root, 'README.md'), 'utf8'), 'naïve café — 東京 🚀 Ελληνικά हिन्दी', ' '.repeat(500)];
  for (const text of samples) if (counter?.countTokens(text) !== countTokens(text, { disallowedSpecial: new Set() })) throw new Error('the o200k table does not count as the package does');
  writeFileSync(join(out, 'o200k-table.bin'), table);
}

writeFileSync(join(dist, 'assist.schema.json'), `${JSON.stringify(data.configJsonSchema(), null, 2)}\n`);

// Notices: every package whose code is in the bundle, and every grammar copied.
const bundled = new Map();
for (const input of [...Object.keys(result.metafile.inputs), ...Object.keys(fast.metafile.inputs), ...Object.keys(vendorScripts.metafile.inputs)]) {
  const match = /^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(input);
  if (match) bundled.set(match[2], join(root, match[1]));
}
for (const [name, dir] of grammarPackages) bundled.set(name, dir);
const sections = [];
for (const name of [...bundled.keys()].sort()) {
  const dir = bundled.get(name);
  const meta = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const licenseFile = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
  const text = licenseFile ? readFileSync(join(dir, licenseFile), 'utf8').trim() : `${meta.license ?? 'see the package'} (no licence file in the package)`;
  sections.push(`## ${name}@${meta.version} (${meta.license ?? 'unknown'})\n\n\`\`\`\n${text}\n\`\`\``);
}
writeFileSync(
  join(dist, 'THIRD-PARTY-NOTICES.md'),
  `# Third-party notices\n\nassist's package carries code of these packages (bundled in dist/bundle/) and grammars of these (copied to dist/grammars/), under their licences:\n\n${sections.join('\n\n')}\n`,
);

// The library's declarations: those dist/index.d.ts reaches, nothing else (no dev dependency's types).
const typesDir = join(dist, 'types');
rmSync(typesDir, { recursive: true, force: true });
if (existsSync(join(dist, 'index.d.ts'))) {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const [, spec] of text.matchAll(/(?:from\s+|import\()['"]([^'"]+)['"]/g)) {
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.d.ts')));
      else if (!spec.startsWith('node:')) throw new Error(`${relative(root, file)}: the library's declarations reach '${spec}', which users may not have`);
    }
  };
  visit(join(dist, 'index.d.ts'));
  for (const file of seen) {
    const target = join(typesDir, relative(dist, file));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file, target);
  }
} else {
  console.warn('scripts/bundle.mjs: no dist/index.d.ts (run tsc -p tsconfig.build.json first): dist/types/ not written');
}
