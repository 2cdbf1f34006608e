/* global performance */
// Where a cold parse's time goes, per file, on one thread (issue 17 item 2):
//
//   npm run build && node bench/map/profile.mjs --repo DIR [--rounds 3] [--limit N] [--root CHECKOUT]
//
// For every file the map covers (the map's own listing), one thread runs the steps a parse
// worker runs and times each: read the file, `parser.parse` (tree-sitter's own parse, the
// floor), the tags query (`query.matches` alone, and `query.captures` for comparison), the
// rest of the extraction (tag objects, names through the node API, signatures), encoding the
// pack line. Then the same files through the extractor as the workers call it (the total a
// worker pays per file), and `ctags -L` over the same list on one core for the comparison the
// issue makes. Round 1 includes V8's tier-up of the wasm; the figures of the last round decide.
// `--root`: another built checkout's extractor (an A/B against a base build).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1];
};
const root = opt('--root', new URL('../..', import.meta.url).pathname);
const repo = opt('--repo', undefined);
const rounds = Number(opt('--rounds', '3'));
const limit = Number(opt('--limit', '0'));
if (!repo) {
  console.error('usage: node bench/map/profile.mjs --repo DIR [--rounds 3]');
  process.exit(2);
}
const dist = (p) => import(pathToFileURL(join(root, 'dist', p)).href);
const { listSourceFiles } = await dist('context/git-files.js');
const { languageSpec, grammarPath } = await dist('context/languages.js');
const { TagExtractor, toFileTags } = await dist('context/extractor.js');
const { encodeTags } = await dist('context/tags-line.js');
const ts = await import(pathToFileURL(join(root, 'node_modules', 'web-tree-sitter', 'web-tree-sitter.js')).href);
await ts.Parser.init();

const listing = await listSourceFiles(repo);
let files = listing.files.map((f) => ({ path: f.path, lang: f.lang, abs: join(repo, f.path) }));
if (limit > 0) files = files.slice(0, limit);
const byLang = new Map();
for (const f of files) byLang.set(f.lang, (byLang.get(f.lang) ?? 0) + 1);
const bytes = files.reduce((n, f) => n + readFileSync(f.abs).length, 0);
console.log(`# ${files.length} files (${[...byLang].map(([l, n]) => `${l} ${n}`).join(', ')}), ${(bytes / 1e6).toFixed(1)} MB; node ${process.version}`);

const loaded = new Map();
async function load(lang) {
  let l = loaded.get(lang);
  if (!l) {
    const spec = languageSpec(lang);
    const language = await ts.Language.load(grammarPath(spec));
    const parser = new ts.Parser();
    parser.setLanguage(language);
    l = { parser, query: new ts.Query(language, spec.query) };
    loaded.set(lang, l);
  }
  return l;
}
for (const lang of byLang.keys()) await load(lang);

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const extractor = new TagExtractor();
const limits = { maxFileBytes: 1 << 20 };
const steps = ['read', 'parse', 'matches', 'captures', 'extract', 'encode'];
for (let round = 1; round <= rounds; round++) {
  // Per step: wall ms and CPU ms (user+sys of this process: load disturbs it less).
  const wall = Object.fromEntries(steps.map((s) => [s, 0]));
  const used = Object.fromEntries(steps.map((s) => [s, 0]));
  const step = (name, fn) => {
    const c0 = cpu();
    const t0 = performance.now();
    const out = fn();
    wall[name] += performance.now() - t0;
    used[name] += cpu() - c0;
    return out;
  };
  let captureCount = 0;
  let matchCount = 0;
  for (const f of files) {
    const { parser, query } = await load(f.lang);
    const content = step('read', () => readFileSync(f.abs));
    const source = content.toString('utf8');
    const tree = step('parse', () => parser.parse(source));
    matchCount += step('matches', () => query.matches(tree.rootNode)).length;
    captureCount += step('captures', () => query.captures(tree.rootNode)).length;
    tree.delete();
    // The extractor as a worker calls it on the same content: parse, matches, tags.
    const c0 = cpu();
    const t0 = performance.now();
    const extracted = await extractor.extractBuffer(f.lang, content, limits);
    wall.extract += performance.now() - t0;
    used.extract += cpu() - c0;
    step('encode', () => encodeTags(toFileTags(extracted)));
  }
  const fmt = (s) => `${wall[s].toFixed(0)}/${used[s].toFixed(0)}`;
  const restWall = wall.extract - wall.parse - wall.matches;
  const restCpu = used.extract - used.parse - used.matches;
  console.log(
    `round ${round} (wall/CPU ms): read ${fmt('read')}, parse ${fmt('parse')}, query.matches ${fmt('matches')} (${matchCount} matches), ` +
      `[query.captures ${fmt('captures')}, ${captureCount} captures], extractor ${fmt('extract')} = parse + matches + tags ${restWall.toFixed(0)}/${restCpu.toFixed(0)}, encode ${fmt('encode')}`,
  );
}

const list = join(tmpdir(), `assist-profile-list-${process.pid}`);
writeFileSync(list, files.map((f) => f.abs).join('\n') + '\n');
// ctags' wall and CPU time (user+sys, from /usr/bin/time), three runs each.
const timed = (argv, cwd) => {
  const out = join(tmpdir(), `assist-profile-time-${process.pid}`);
  const t0 = performance.now();
  execFileSync('/usr/bin/time', ['-f', '%U %S', '-o', out, ...argv], { cwd, stdio: 'ignore' });
  const wall = performance.now() - t0;
  const [u, s] = readFileSync(out, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
  return `${wall.toFixed(0)}/${((u + s) * 1000).toFixed(0)}`;
};
const tagsOut = join(tmpdir(), `assist-profile-tags-${process.pid}`);
const ctL = [0, 1, 2].map(() => timed(['ctags', '-L', list, '-f', tagsOut], repo));
const ctR = [0, 1, 2].map(() => timed(['ctags', '-R', '--languages=TypeScript,JavaScript', '-f', tagsOut, '--exclude=.git', '--exclude=node_modules', '.'], repo));
console.log(`ctags -L over the same files (wall/CPU ms): ${ctL.join(', ')}; ctags -R --languages=TypeScript,JavaScript: ${ctR.join(', ')}`);
