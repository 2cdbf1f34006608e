import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { Node } from 'web-tree-sitter';
import { cFamilyNames, cppQuery, cQuery } from './queries/c-family.js';
import { csharpNames, csharpQuery } from './queries/csharp.js';
import { ecmaNames, javascriptQuery, tsxQuery, typescriptQuery } from './queries/ecma.js';
import { elixirNames, elixirQuery } from './queries/elixir.js';
import { goQuery } from './queries/go.js';
import { javaQuery } from './queries/java.js';
import { phpNames, phpQuery } from './queries/php.js';
import { pythonQuery } from './queries/python.js';
import { rubyNames, rubyQuery } from './queries/ruby.js';
import { rustQuery } from './queries/rust.js';

export type LanguageId =
  | 'typescript'
  | 'tsx'
  | 'javascript'
  | 'python'
  | 'go'
  | 'rust'
  | 'java'
  | 'c'
  | 'cpp'
  | 'ruby'
  | 'elixir'
  | 'csharp'
  | 'php';

/** A language the repo map understands: its grammar package and our tags query. */
export interface LanguageSpec {
  id: LanguageId;
  /** npm package shipping the grammar's .wasm. */
  pkg: string;
  /** .wasm file inside the package. */
  wasm: string;
  query: string;
  /**
   * The names of a node the query captured as `@definition.*` / `@reference.*` without a
   * `@name`, for that tag (patterns kept flat because nesting them makes the query slow to build).
   */
  namesOf?: (node: Node, tag: string) => Node[];
  extensions: readonly string[];
}

/** Bump when the extractor's output changes for the same query and grammar (`namesOf` included). */
const EXTRACTOR_VERSION = 3;

export const languages: readonly LanguageSpec[] = [
  { id: 'typescript', namesOf: ecmaNames, pkg: 'tree-sitter-typescript', wasm: 'tree-sitter-typescript.wasm', query: typescriptQuery, extensions: ['.ts', '.mts', '.cts'] },
  { id: 'tsx', namesOf: ecmaNames, pkg: 'tree-sitter-typescript', wasm: 'tree-sitter-tsx.wasm', query: tsxQuery, extensions: ['.tsx'] },
  { id: 'javascript', namesOf: ecmaNames, pkg: 'tree-sitter-javascript', wasm: 'tree-sitter-javascript.wasm', query: javascriptQuery, extensions: ['.js', '.mjs', '.cjs', '.jsx'] },
  { id: 'python', pkg: 'tree-sitter-python', wasm: 'tree-sitter-python.wasm', query: pythonQuery, extensions: ['.py', '.pyi'] },
  { id: 'go', pkg: 'tree-sitter-go', wasm: 'tree-sitter-go.wasm', query: goQuery, extensions: ['.go'] },
  { id: 'rust', pkg: 'tree-sitter-rust', wasm: 'tree-sitter-rust.wasm', query: rustQuery, extensions: ['.rs'] },
  { id: 'java', pkg: 'tree-sitter-java', wasm: 'tree-sitter-java.wasm', query: javaQuery, extensions: ['.java'] },
  { id: 'c', namesOf: cFamilyNames, pkg: 'tree-sitter-c', wasm: 'tree-sitter-c.wasm', query: cQuery, extensions: ['.c', '.h'] },
  { id: 'cpp', namesOf: cFamilyNames, pkg: 'tree-sitter-cpp', wasm: 'tree-sitter-cpp.wasm', query: cppQuery, extensions: ['.cc', '.cpp', '.cxx', '.c++', '.hh', '.hpp', '.hxx', '.h++', '.ipp'] },
  { id: 'ruby', namesOf: rubyNames, pkg: 'tree-sitter-ruby', wasm: 'tree-sitter-ruby.wasm', query: rubyQuery, extensions: ['.rb', '.rake', '.gemspec'] },
  { id: 'elixir', namesOf: elixirNames, pkg: 'tree-sitter-elixir', wasm: 'tree-sitter-elixir.wasm', query: elixirQuery, extensions: ['.ex', '.exs'] },
  { id: 'csharp', namesOf: csharpNames, pkg: 'tree-sitter-c-sharp', wasm: 'tree-sitter-c_sharp.wasm', query: csharpQuery, extensions: ['.cs'] },
  { id: 'php', namesOf: phpNames, pkg: 'tree-sitter-php', wasm: 'tree-sitter-php.wasm', query: phpQuery, extensions: ['.php'] },
];

const byId = new Map(languages.map((l) => [l.id, l]));
const byExtension = new Map<string, LanguageSpec>();
for (const lang of languages) for (const ext of lang.extensions) byExtension.set(ext, lang);

/** Each language with the extensions it takes (a listing's fingerprint covers this table). */
export function languageTable(): Array<[LanguageId, readonly string[]]> {
  return languages.map((l) => [l.id, l.extensions]);
}

export function languageSpec(id: LanguageId): LanguageSpec {
  const spec = byId.get(id);
  if (!spec) throw new Error(`unknown language ${id}`);
  return spec;
}

/** The language of a path by its extension, or undefined when the map does not parse it. */
export function languageForPath(path: string): LanguageSpec | undefined {
  const slash = path.lastIndexOf('/');
  const dot = path.lastIndexOf('.');
  if (dot <= slash + 1) return undefined;
  if (path.endsWith('.d.ts')) return byId.get('typescript');
  return byExtension.get(path.slice(dot).toLowerCase());
}

const require = createRequire(import.meta.url);

/**
 * What the build copied into `dist/grammars/` (scripts/bundle.mjs): each grammar's .wasm, with the
 * package and version it came from. An installed assist has only these (the grammar packages are
 * dev dependencies); a checkout run from source has none and reads the packages instead.
 */
export interface GrammarManifest {
  grammars: Record<string, { package: string; version: string }>;
}

/** `dist/grammars/`: one level up from the module, in the bundle (`dist/bundle/`) and in tsc's output (`dist/context/`) alike. */
const bundledDir = fileURLToPath(new URL('../grammars/', import.meta.url));
let manifest: GrammarManifest | null | undefined;

function bundledGrammars(): GrammarManifest | null {
  if (manifest === undefined) {
    try {
      manifest = JSON.parse(readFileSync(join(bundledDir, 'manifest.json'), 'utf8')) as GrammarManifest;
    } catch {
      manifest = null;
    }
  }
  return manifest;
}

const packageDirs = new Map<string, string>();

function packageDir(pkg: string): string {
  let dir = packageDirs.get(pkg);
  if (dir === undefined) {
    dir = dirname(require.resolve(`${pkg}/package.json`));
    packageDirs.set(pkg, dir);
  }
  return dir;
}

/** Where a language's grammar comes from: the .wasm's path, and the grammar package's name and version. */
export interface GrammarSource {
  path: string;
  pkg: string;
  version: string;
}

const sources = new Map<LanguageId, GrammarSource>();

/** The grammar of a language: the copy shipped in `dist/grammars/`, else (from source) its package. */
export function grammarSource(spec: LanguageSpec): GrammarSource {
  let source = sources.get(spec.id);
  if (source === undefined) {
    const shipped = bundledGrammars();
    if (shipped) {
      const entry = shipped.grammars[spec.wasm];
      if (!entry) throw new Error(`${spec.wasm} is missing from ${join(bundledDir, 'manifest.json')}: rebuild or reinstall assist`);
      source = { path: join(bundledDir, spec.wasm), pkg: entry.package, version: entry.version };
    } else {
      const version = (require(`${spec.pkg}/package.json`) as { version: string }).version;
      source = { path: join(packageDir(spec.pkg), spec.wasm), pkg: spec.pkg, version };
    }
    sources.set(spec.id, source);
  }
  return source;
}

/** Absolute path of a language's grammar .wasm. */
export function grammarPath(spec: LanguageSpec): string {
  return grammarSource(spec).path;
}

const versions = new Map<LanguageId, string>();

/**
 * The cache version of a language: a hash of the query text, the grammar package and
 * version, the .wasm name and the extractor version. Tags made under another version are
 * never read.
 */
export function languageVersion(spec: LanguageSpec): string {
  let version = versions.get(spec.id);
  if (version === undefined) {
    const source = grammarSource(spec);
    // C files may be parsed as C++ (headers), so C's version covers C++'s grammar and query too.
    const extra = spec.id === 'c' ? `\0${languageVersion(languageSpec('cpp'))}` : '';
    version = createHash('sha1')
      .update(`${EXTRACTOR_VERSION}\0${source.pkg}@${source.version}\0${spec.wasm}\0${spec.query}${extra}`)
      .digest('hex')
      .slice(0, 12);
    versions.set(spec.id, version);
  }
  return version;
}

const packNames = new Map<LanguageId, string>();

/** The tags pack a language's entries go in: its id and cache version (`typescript-59532c06b198`). */
export function packName(spec: LanguageSpec): string {
  // One string per language: an index names the pack of each of its files (2,300 on vitest).
  let name = packNames.get(spec.id);
  if (name === undefined) packNames.set(spec.id, (name = `${spec.id}-${languageVersion(spec)}`));
  return name;
}

/**
 * True when every language of a stored result still has the version it was stored with, as
 * `versionOf` names it (`packName` for the search index's packs, `languageVersion` for the map).
 * A language this build no longer knows is a mismatch, never a throw.
 */
export function sameLanguageVersions(stored: Record<string, string>, versionOf: (spec: LanguageSpec) => string): boolean {
  try {
    for (const [id, version] of Object.entries(stored)) if (versionOf(languageSpec(id as LanguageId)) !== version) return false;
    return true;
  } catch {
    return false; // a language this version no longer has
  }
}
