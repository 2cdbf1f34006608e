import type { ReviewDef } from './types.js';

/** The language families whose visibility rules differ. */
export type Family = 'ecma' | 'python' | 'go' | 'rust' | 'java' | 'csharp' | 'c' | 'ruby' | 'elixir' | 'php' | 'other';

const FAMILY_BY_EXT: Record<string, Family> = {
  ts: 'ecma', mts: 'ecma', cts: 'ecma', tsx: 'ecma', js: 'ecma', mjs: 'ecma', cjs: 'ecma', jsx: 'ecma',
  py: 'python', pyi: 'python',
  go: 'go',
  rs: 'rust',
  java: 'java',
  cs: 'csharp',
  c: 'c', h: 'c', cc: 'c', cpp: 'c', cxx: 'c', hh: 'c', hpp: 'c', hxx: 'c',
  rb: 'ruby', rake: 'ruby',
  ex: 'elixir', exs: 'elixir',
  php: 'php',
};

export function familyOf(path: string): Family {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? 'other' : (FAMILY_BY_EXT[base.slice(dot + 1).toLowerCase()] ?? 'other');
}

const CONTAINERS = new Set(['class', 'interface', 'struct', 'impl', 'enum', 'module', 'type']);

/** Names a file exports through `export { a, b as c }` lists (ECMAScript): those definitions are public too. */
export function exportListNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/\bexport\s*(?:type\s*)?\{([^}]*)\}/g)) {
    for (const part of (m[1] ?? '').split(',')) {
      const local = part.trim().split(/\s+as\s+/)[0]?.replace(/^type\s+/, '').trim();
      if (local) names.add(local);
    }
  }
  return names;
}

/**
 * Whether a definition can be used from other files, by the rules of its language: `export` (or an
 * export list) in ECMAScript, no leading `_` in Python, a capital in Go, `pub` in Rust, `public` or
 * `protected` in Java, C# and PHP, not `static` in C, `def` (not `defp`) in Elixir, anything in Ruby.
 * A member is visible when its container is and the member itself is not private.
 */
export function isExported(defs: readonly ReviewDef[], index: number, family: Family, exportList: ReadonlySet<string>): boolean {
  const def = defs[index];
  if (!def) return false;
  const sig = def.signature.trimStart();
  const parent = def.scope >= 0 ? defs[def.scope] : undefined;
  if (parent && !CONTAINERS.has(parent.kind)) return false; // a local of a function body
  const parentVisible = parent === undefined || isExported(defs, def.scope, family, exportList);
  switch (family) {
    case 'ecma':
      if (!parent) return /^(?:@\S+\s+)*export\b/.test(sig) || exportList.has(def.name) || /^declare\b/.test(sig);
      return parentVisible && !/^(?:private|#)|^\w[\w\s]*\bprivate\s/.test(sig) && !def.name.startsWith('#');
    case 'python':
      if (def.name.startsWith('_') && !(def.name.startsWith('__') && def.name.endsWith('__'))) return false;
      return parentVisible;
    case 'go':
      return /^[A-Z]/.test(def.name);
    case 'rust':
      // Trait items are as public as their trait.
      return /^pub\b/.test(sig) || (parent?.kind === 'interface' && parentVisible);
    case 'java':
    case 'csharp':
      return parentVisible && /\b(?:public|protected)\b/.test(sig);
    case 'php':
      return parentVisible && !/\bprivate\b/.test(sig);
    case 'c':
      return !parent ? !/^static\b/.test(sig) : parentVisible && !/\bprivate\b/.test(sig);
    case 'elixir':
      return !/^defp\b|^defmacrop\b/.test(sig);
    case 'ruby':
      return parentVisible;
    case 'other':
      return parent === undefined;
  }
}

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Index of the `)` that closes the `(` at `open`, or -1. */
function closeParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return i;
  }
  return -1;
}

interface Parsed {
  /** The declaration without its body: what callers depend on. */
  head: string;
  /** The parameter list's inside, when there is one. */
  params?: string;
}

/** Splits a declaration's first lines into its head (no body) and its parameter list. */
export function parseSignature(signature: string, name: string): Parsed {
  const text = collapse(signature.replace(/\n⋮\n/g, ' '));
  let at = text.indexOf(name);
  // Go methods: `func (s *S) Method(x int)`: the parameters follow the name, not the receiver.
  while (at !== -1 && /\w/.test(text[at + name.length] ?? '')) at = text.indexOf(name, at + 1);
  const open = at === -1 ? -1 : text.indexOf('(', at + name.length);
  const between = open === -1 ? '' : text.slice(at + name.length, open);
  if (open !== -1 && /^[\s<>\w,.[\]?:=|&'"]*$/.test(between) && !between.includes('{')) {
    const close = closeParen(text, open);
    if (close !== -1) {
      const rest = text.slice(close + 1);
      const stop = rest.search(/\{|=>|;|\bwhere\b|\bdo\b\s*$|:\s*$/);
      const tail = (stop === -1 ? rest : rest.slice(0, stop)).replace(/\s*->\s*$/, '').trim();
      return { head: `${text.slice(0, close + 1)}${tail === '' ? '' : ` ${tail}`}`.trim(), params: text.slice(open + 1, close) };
    }
  }
  const stop = text.search(/\{|;\s*$|:\s*$/);
  return { head: (stop === -1 ? text : text.slice(0, stop)).trim() };
}

/** Splits on commas outside brackets and strings. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote && text[i - 1] !== '\\') quote = '';
      continue;
    }
    if (ch === '"' || ch === "'" || ch === '`') quote = ch;
    else if ('([{<'.includes(ch)) depth++;
    else if (')]}>'.includes(ch) && !(ch === '>' && text[i - 1] === '=')) depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** The name of one parameter as written in `family`'s syntax. */
function paramName(param: string, family: Family): string | undefined {
  let p = param.replace(/\s*=[^=>][\s\S]*$/, '').trim(); // default value
  if (p.startsWith('{')) return '{…}';
  if (p.startsWith('[')) return '[…]';
  p = p.replace(/^(?:@\S+\s+)*(?:public|private|protected|readonly|override|final|mut|const|ref|out|in|params|this)\s+/g, '');
  if (/^&?\s*(?:mut\s+)?self$|^self$|^cls$|^this$|^\$this$/.test(p)) return undefined;
  if (family === 'go') return p.split(/\s+/)[0];
  const colon = p.search(/\??\s*:(?!:)/);
  if (colon > 0 && family !== 'c' && family !== 'java' && family !== 'csharp' && family !== 'php') return p.slice(0, colon).replace(/^[*&]+/, '').trim();
  const words = p.match(/[$\w.]+(?=\s*(?:\[\])?\s*$)/);
  return (words?.[0] ?? p).replace(/^\.\.\./, '...');
}

/** `applyDiscount(price, pct)`: the name and its parameter names, or the head when there are no parameters to show. */
export function shortForm(def: ReviewDef, family: Family): string {
  const parsed = parseSignature(def.signature, def.name);
  if (parsed.params === undefined) return parsed.head;
  const names = splitTopLevel(parsed.params).map((p) => paramName(p, family)).filter((n): n is string => n !== undefined);
  return `${def.name}(${names.join(', ')})`;
}

/** The declaration's head, whitespace-collapsed, for comparing before and after. */
export function headOf(def: ReviewDef): string {
  return parseSignature(def.signature, def.name).head;
}

/** A head as shown when the short forms are the same (types or visibility changed): without `export`/`pub`. */
export function shownHead(def: ReviewDef): string {
  return headOf(def).replace(/^(?:export\s+(?:default\s+)?|pub(?:\([^)]*\))?\s+)/, '');
}
