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
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const out = join(dist, 'bundle');
const require = createRequire(join(root, 'package.json'));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
// web-tree-sitter loads its runtime .wasm from its own folder; it stays an installed dependency.
const external = Object.keys(pkg.dependencies ?? {});

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
    'token-worker': 'src/context/token-worker.ts',
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
  // CommonJS packages inside ES module chunks still call require().
  banner: { js: "import { createRequire as __assistCreateRequire } from 'node:module'; const require = __assistCreateRequire(import.meta.url);" },
});
writeFileSync(join(out, 'meta.json'), JSON.stringify(result.metafile));
const fast = await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/fast.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile: join(out, 'fast.cjs'),
  external,
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
      contents: "export { languages } from './src/context/languages.ts'; export { configJsonSchema } from './src/config/json-schema.ts'; export { packRanks, unpackRanks } from './src/context/o200k.ts';",
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

// The tokenizer's ranks packed for a quick load (src/context/o200k.ts), checked to unpack to the
// package's own table: every count stays the package's.
{
  const { default: ranks } = await import('gpt-tokenizer/bpeRanks/o200k_base');
  const packed = data.packRanks(ranks);
  const back = data.unpackRanks(packed);
  if (!back || back.length !== ranks.length || back.some((r, i) => JSON.stringify(r) !== JSON.stringify(ranks[i]))) throw new Error('the packed o200k ranks do not unpack to the package\'s table');
  writeFileSync(join(out, 'o200k-ranks.bin'), packed);
}

writeFileSync(join(dist, 'assist.schema.json'), `${JSON.stringify(data.configJsonSchema(), null, 2)}\n`);

// Notices: every package whose code is in the bundle, and every grammar copied.
const bundled = new Map();
for (const input of [...Object.keys(result.metafile.inputs), ...Object.keys(fast.metafile.inputs)]) {
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
