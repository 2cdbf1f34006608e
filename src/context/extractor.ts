import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type * as WebTreeSitterModule from 'web-tree-sitter';
import type { Language as TsLanguage, Node as TsNode, Parser as TsParser, Query as TsQuery } from 'web-tree-sitter';
import { grammarPath, languageSpec, type LanguageId } from './languages.js';
import { elixirKeywords } from './queries/elixir.js';
import type { CachedDef, DefKind, FileTags } from './types.js';
import { markPhase } from '../obs/phases.js';
import { v8 } from '../util/lazy-builtins.js';

type WebTreeSitter = typeof WebTreeSitterModule;

/** Limits that decide which files are parsed at all. */
export interface ExtractLimits {
  maxFileBytes: number;
}

/** A reference with its line, before it is folded into counts for the cache. */
export interface RefTag {
  name: string;
  /** 1-based line of the identifier. */
  line: number;
  kind: string;
}

/** Full extraction result of one file: cached-form definitions plus located references. */
export interface Extracted {
  defs: CachedDef[];
  /** 1-based lines of each definition's name, parallel to `defs`. */
  nameLines: number[];
  refs: RefTag[];
  skipped?: string;
  bytes: number;
}

const defKinds = new Set<DefKind>([
  'function', 'method', 'class', 'interface', 'type', 'enum', 'struct', 'module', 'constant', 'variable', 'field',
  'property', 'constructor', 'macro', 'impl',
]);
// When two patterns tag the same name, the more specific kind wins (a top-level
// `const f = () => {}` is a function, not a constant).
const kindPriority = new Map<DefKind, number>([
  ['constant', -2],
  ['variable', -2],
  ['field', -1],
  ['property', -1],
  ['impl', -3],
]);
const containerKinds = new Set<DefKind>(['class', 'interface', 'struct', 'impl', 'enum']);

const MAX_SIGNATURE_LINES = 4;
const MAX_LINE_CHARS = 200;

let modulePromise: Promise<WebTreeSitter> | undefined;

/** Loads web-tree-sitter once per thread (lazily: it is a heavy module). */
function loadTreeSitter(baseline: boolean): Promise<WebTreeSitter> {
  modulePromise ??= import('web-tree-sitter').then(async (mod) => {
    await (baseline ? baselineCompiled(() => mod.Parser.init()) : mod.Parser.init());
    return mod;
  });
  return modulePromise;
}

let baselineDepth = 0;

/** Whether the entry point runs the whole process with `--liftoff-only` (bin/assist.js marks it; or Node's own options). */
function processRunsLiftoffOnly(): boolean {
  const marked = (globalThis as Record<symbol, unknown>)[Symbol.for('assist.liftoffOnly')] === true;
  return marked || process.execArgv.includes('--liftoff-only') || /(^|\s)--liftoff-only(\s|$)/.test(process.env['NODE_OPTIONS'] ?? '');
}

/**
 * Runs `load` (which compiles wasm: the runtime, a grammar, a query) with V8's baseline compiler
 * only. For a few files that is much quicker (TypeScript grammar, Node 20, 2 cores: the first
 * file parsed and queried in 66 ms instead of 171 ms); for a cold build of 1,577 files in
 * workers it is 15-25% slower, so only the extractor of the calling thread, which parses the few
 * files a warm map lacks, asks for it. V8 flags are per process: the count keeps two loads at
 * once from ending it early, and the flag is on only while this thread compiles (a worker that
 * compiles in that window gets baseline code too: slower for long runs, never wrong).
 */
async function baselineCompiled<T>(load: () => Promise<T>): Promise<T> {
  // The entry point set it for the whole process (a warm turn, bin/assist.js): it stays. Turned
  // off here, it would be off for the rest of the turn, and V8's flags would not be those the turn
  // started with: a code cache is keyed by them, and the one-file CLI's cache written after such a
  // turn was refused by the next one (`--no-liftoff-only` does not bring them back: measured).
  if (processRunsLiftoffOnly()) return load();
  if (baselineDepth++ === 0) {
    // The one-file CLI's loader writes its code caches now, under the flags the run started with
    // (src/cli/code-cache.ts): made after this, they would be refused by the next run.
    ((globalThis as Record<symbol, unknown>)[Symbol.for('assist.beforeV8Flags')] as (() => void) | undefined)?.();
    v8().setFlagsFromString('--liftoff-only');
  }
  try {
    return await load();
  } finally {
    // Only the flag itself: the two it turned off by implication (--wasm-tier-up,
    // --wasm-dynamic-tiering) stay off, so V8 never recompiles the grammar's hot functions with
    // TurboFan in this short process. Turned back on, that recompile cost a map after one changed
    // file 200-300 ms more CPU (twelfth session). The price: V8's flags stay changed, so Node modules
    // loaded afterwards, and worker threads started afterwards, compile from source instead of
    // taking the code in Node's binary (a few ms on the map's and search's paths, which load
    // nothing heavy after the parse; a worker starts in ~90 ms instead of ~45).
    if (--baselineDepth === 0) v8().setFlagsFromString('--no-liftoff-only');
  }
}

interface Loaded {
  parser: TsParser;
  query: TsQuery;
  language: TsLanguage;
}

/** Why a file's content is not worth parsing, or undefined when it is. */
export function skipReason(content: Buffer, limits: ExtractLimits): string | undefined {
  if (content.length > limits.maxFileBytes) return 'too-large';
  if (content.subarray(0, 8000).includes(0)) return 'binary';
  if (content.length > 1000) {
    // Minified or generated: long lines on average, or most bytes in very long lines
    // (one long embedded string does not make a file minified).
    let lines = 1;
    let inLongLines = 0;
    let start = 0;
    for (let i = content.indexOf(10); i !== -1; i = content.indexOf(10, i + 1)) {
      lines++;
      if (i - start > 1000) inLongLines += i - start;
      start = i + 1;
    }
    if (content.length - start > 1000) inLongLines += content.length - start;
    if (inLongLines > content.length / 2 || content.length / lines > 200) return 'minified';
  }
  return undefined;
}

/** Parses source files into tags; one per thread, grammars and queries loaded on first use. */
export class TagExtractor {
  #loaded = new Map<LanguageId, Promise<Loaded>>();

  /** `baseline`: compile the wasm for a quick start rather than for long runs (see {@link baselineCompiled}). */
  constructor(private readonly options: { baseline?: boolean } = {}) {}

  #load(id: LanguageId): Promise<Loaded> {
    let loaded = this.#loaded.get(id);
    if (!loaded) {
      loaded = (async () => {
        const baseline = this.options.baseline === true;
        const ts = await loadTreeSitter(baseline);
        markPhase('parser.runtime');
        const spec = languageSpec(id);
        const load = async (): Promise<Loaded> => {
          const language = await ts.Language.load(grammarPath(spec));
          const parser = new ts.Parser();
          parser.setLanguage(language);
          markPhase('parser.grammar');
          return { parser, language, query: new ts.Query(language, spec.query) };
        };
        return baseline ? baselineCompiled(load) : load();
      })();
      this.#loaded.set(id, loaded);
    }
    return loaded;
  }

  /**
   * Starts loading a language's grammar and query (and tree-sitter's runtime) now, for a file of
   * it that will most likely be parsed soon: the load's file reads and wasm compiles then run
   * while the caller waits on other work. A failure shows when a file is parsed, as before.
   */
  prepare(lang: LanguageId): void {
    this.#load(lang).catch(() => undefined);
  }

  /**
   * Reads and extracts one file from disk. `readSync`: read it blocking, for a worker thread
   * that has nothing else to do meanwhile (no trip through the event loop per file).
   */
  async extractFile(lang: LanguageId, absPath: string, limits: ExtractLimits, readSync = false): Promise<Extracted> {
    let content: Buffer;
    try {
      content = readSync ? readFileSync(absPath) : await readFile(absPath);
    } catch {
      return { defs: [], nameLines: [], refs: [], skipped: 'unreadable', bytes: 0 };
    }
    return this.extractBuffer(lang, content, limits);
  }

  async extractBuffer(lang: LanguageId, content: Buffer, limits: ExtractLimits): Promise<Extracted> {
    const reason = skipReason(content, limits);
    if (reason) return { defs: [], nameLines: [], refs: [], skipped: reason, bytes: content.length };
    // `.h` is C or C++; C++ headers parse badly as C.
    if (lang === 'c' && looksLikeCpp(content)) lang = 'cpp';
    const loaded = await this.#load(lang);
    try {
      return { ...extractFromSource(loaded, lang, content.toString('utf8')), bytes: content.length };
    } catch (error) {
      return { defs: [], nameLines: [], refs: [], skipped: `parse-error: ${String(error)}`, bytes: content.length };
    }
  }
}

const cppMarkers = /^\s*(class|namespace|template\s*<|public:|private:|protected:|using\s+namespace)\b|\w::\w/m;

/** A C file (by extension) whose content is C++: classes, namespaces, templates, `::`. */
export function looksLikeCpp(content: Buffer): boolean {
  return cppMarkers.test(content.subarray(0, 64 * 1024).toString('latin1'));
}

interface RawDef {
  name: string;
  kind: DefKind;
  node: TsNode;
  /** `node.endIndex`, read once: every read is a call into the wasm (the sort and the nesting read it often). */
  end: number;
  nameStart: number;
  nameRow: number;
}

/** What a capture name of a tags query stands for, worked out once per name instead of per match. */
interface CaptureRole {
  def: boolean;
  /** The definition's kind, or the reference's kind after `reference.`. */
  kind: string;
}

const captureRoles = new Map<string, CaptureRole | null>();

function captureRole(name: string): CaptureRole | null {
  let role = captureRoles.get(name);
  if (role === undefined) {
    if (name.startsWith('definition.')) {
      const raw = name.slice('definition.'.length) as DefKind;
      role = { def: true, kind: defKinds.has(raw) ? raw : 'other' };
    } else if (name.startsWith('reference.')) role = { def: false, kind: name.slice('reference.'.length) };
    else role = null;
    captureRoles.set(name, role);
  }
  return role;
}

function extractFromSource(loaded: Loaded, lang: LanguageId, source: string): Omit<Extracted, 'bytes'> {
  const tree = loaded.parser.parse(source);
  if (!tree) return { defs: [], nameLines: [], refs: [], skipped: 'parse-error' };
  try {
    const matches = loaded.query.matches(tree.rootNode);
    const defsByName = new Map<number, RawDef>();
    const refs: { name: string; start: number; row: number; kind: string }[] = [];
    const namesOf = languageSpec(lang).namesOf;
    const addTag = (nameNode: TsNode, tagNode: TsNode, role: CaptureRole): void => {
      // What `nameNode.text` gives, without its trip through the tree's text callback (a slice of
      // the rest of the file, then of that): node indices count UTF-16 code units, as JS strings do.
      const name = source.slice(nameNode.startIndex, nameNode.endIndex);
      if (name === '') return;
      if (role.def) {
        const kind = role.kind as DefKind;
        const existing = defsByName.get(nameNode.startIndex);
        if (existing && (kindPriority.get(existing.kind) ?? 0) >= (kindPriority.get(kind) ?? 0)) return;
        defsByName.set(nameNode.startIndex, { name, kind, node: tagNode, end: tagNode.endIndex, nameStart: nameNode.startIndex, nameRow: nameNode.startPosition.row });
      } else {
        if (lang === 'elixir' && elixirKeywords.has(name)) return;
        refs.push({ name, start: nameNode.startIndex, row: nameNode.startPosition.row, kind: role.kind });
      }
    };
    for (const match of matches) {
      let nameNode: TsNode | undefined;
      let tagNode: TsNode | undefined;
      let tagRole: CaptureRole | undefined;
      let tagName: string | undefined;
      for (const capture of match.captures) {
        if (capture.name === 'name') {
          nameNode ??= capture.node;
          continue;
        }
        const role = captureRole(capture.name);
        if (role) {
          tagNode = capture.node;
          tagRole = role;
          tagName = capture.name;
        }
      }
      if (!tagNode || !tagRole || !tagName) continue;
      if (nameNode) addTag(nameNode, tagNode, tagRole);
      else if (namesOf) for (const found of namesOf(tagNode, tagName)) addTag(found, tagNode, tagRole);
    }

    const raws = [...defsByName.values()].sort((a, b) => a.node.startIndex - b.node.startIndex || b.end - a.end);
    const lines = raws.length > 0 ? source.split('\n') : [];
    const defs: CachedDef[] = [];
    const nameLines: number[] = [];
    const stack: { index: number; end: number }[] = [];
    for (const raw of raws) {
      while (stack.length > 0 && stack[stack.length - 1]!.end < raw.end) stack.pop();
      const top = stack[stack.length - 1];
      const scope = top === undefined ? -1 : top.index;
      let kind = raw.kind;
      if (kind === 'function' && scope >= 0 && containerKinds.has(defs[scope]!.kind)) kind = 'method';
      defs.push({
        name: raw.name,
        kind,
        line: raw.node.startPosition.row + 1,
        endLine: raw.node.endPosition.row + 1,
        scope,
        signature: signatureOf(raw, lines, lang),
      });
      nameLines.push(raw.nameRow + 1);
      stack.push({ index: defs.length - 1, end: raw.end });
    }

    const located: RefTag[] = [];
    for (const ref of refs) {
      if (defsByName.has(ref.start)) continue;
      located.push({ name: ref.name, line: ref.row + 1, kind: ref.kind });
    }
    return { defs, nameLines, refs: located };
  } finally {
    tree.delete();
  }
}

function signatureOf(raw: RawDef, lines: string[], lang: LanguageId): string {
  const startRow = raw.node.startPosition.row;
  // The declaration runs to where its body opens; without a body, to the name unless the
  // name comes late (a C typedef names its type after the whole struct).
  let lastRow = raw.nameRow <= startRow + 1 ? raw.nameRow : startRow;
  const body = raw.node.childForFieldName('body');
  if (body && body.startPosition.row > startRow) {
    // Python's body is the indented block: the signature ends the line before it.
    if (body.firstChild?.type === '{') lastRow = Math.max(lastRow, body.startPosition.row);
    else if (lang === 'python') lastRow = Math.max(lastRow, body.startPosition.row - 1);
  }
  lastRow = Math.min(Math.max(lastRow, startRow), startRow + MAX_SIGNATURE_LINES - 1);
  const out: string[] = [];
  for (let row = startRow; row <= lastRow; row++) {
    out.push(clip(lines[row] ?? ''));
  }
  if (raw.nameRow > lastRow) out.push('⋮', clip(lines[raw.nameRow] ?? ''));
  return out.join('\n');
}

function clip(line: string): string {
  const trimmed = line.trimEnd();
  return trimmed.length > MAX_LINE_CHARS ? `${trimmed.slice(0, MAX_LINE_CHARS - 1)}…` : trimmed;
}

/** Folds located references into the per-identifier counts the cache keeps. */
export function toFileTags(extracted: Extracted): FileTags {
  const refs: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const ref of extracted.refs) refs[ref.name] = (refs[ref.name] ?? 0) + 1;
  const tags: FileTags = { defs: extracted.defs, refs, bytes: extracted.bytes };
  if (extracted.skipped !== undefined) tags.skipped = extracted.skipped;
  return tags;
}
