/** A definition as the outline needs it (a subset of the context engine's `Tag`). */
export interface OutlineDef {
  name: string;
  line: number;
  defKind: string;
  signature?: string;
}

const LANGUAGE_NAMES: Record<string, string> = {
  typescript: 'TypeScript',
  tsx: 'TSX',
  javascript: 'JavaScript',
  python: 'Python',
  go: 'Go',
  rust: 'Rust',
  java: 'Java',
  c: 'C',
  cpp: 'C++',
  ruby: 'Ruby',
  elixir: 'Elixir',
  csharp: 'C#',
  php: 'PHP',
};

const MAX_DEF_LINES = 60;
const MAX_EXPORTS_NAMED = 8;
const MAX_LINE = 160;

/** Lines of a text, counting a last line without a newline. */
export function lineCount(text: string): number {
  if (text === '') return 0;
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return text.endsWith('\n') ? n : n + 1;
}

/** A NUL in the first 8,000 bytes: git's own test for binary content. */
export function looksBinary(content: Buffer): boolean {
  return content.subarray(0, 8000).includes(0);
}

function cut(text: string, max = MAX_LINE): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** One line of a signature: its lines joined, runs of spaces collapsed, an opening brace or colon dropped. */
function signatureLine(def: OutlineDef): { indent: number; text: string } {
  const raw = def.signature ?? def.name;
  const indent = /^[ \t]*/.exec(raw)?.[0].replace(/\t/g, '  ').length ?? 0;
  let text = raw.trim().replace(/\s+/g, ' ');
  text = text.replace(/\s*(\{|=>\s*\{|:|\bdo)$/, '');
  return { indent, text: cut(text) };
}

/** Whether a top-level definition is part of the file's public face, by the language's convention. */
function isExported(lang: string, def: OutlineDef, indent: number): boolean {
  if (indent > 0) return false;
  const sig = (def.signature ?? '').trimStart();
  switch (lang) {
    case 'typescript':
    case 'tsx':
    case 'javascript':
      return /^export\b/.test(sig);
    case 'python':
      return !def.name.startsWith('_');
    case 'go':
      return /^[A-Z]/.test(def.name);
    case 'rust':
      return /^pub\b/.test(sig);
    case 'java':
    case 'csharp':
      return /\bpublic\b/.test(sig);
    case 'elixir':
      return !/^defp\b/.test(sig);
    case 'c':
    case 'cpp':
      return !/^static\b/.test(sig);
    default:
      return !def.name.startsWith('_');
  }
}

/**
 * The structural outline of a source file: a first line saying what it is and what it exports,
 * then one line per definition (`line: signature`, nested as in the source), at most
 * {@link MAX_DEF_LINES} of them.
 */
export function outlineSource(lang: string, text: string, defs: readonly OutlineDef[]): string {
  const name = LANGUAGE_NAMES[lang] ?? lang;
  const sorted = [...defs].sort((a, b) => a.line - b.line);
  // An indented `const x = ...` is a local of a function body, not part of the file's structure.
  const rows = sorted.map((def) => ({ def, ...signatureLine(def) })).filter((r) => !(r.indent > 0 && /^(const|let|var)\s/.test(r.text)));
  const exported = rows.filter((r) => isExported(lang, r.def, r.indent)).map((r) => r.def.name);
  const lines = lineCount(text);
  let head = `${name}, ${lines} line${lines === 1 ? '' : 's'}`;
  const named = (list: string[]): string =>
    list.length <= MAX_EXPORTS_NAMED ? list.join(', ') : `${list.slice(0, MAX_EXPORTS_NAMED).join(', ')} and ${list.length - MAX_EXPORTS_NAMED} more`;
  if (exported.length > 0) head += `; exports ${named([...new Set(exported)])}`;
  else if (rows.length > 0) head += `; defines ${named([...new Set(rows.filter((r) => r.indent === 0).map((r) => r.def.name))])}`;
  else head += '; no definitions found';
  const out = [head];
  const minIndent = rows.reduce((m, r) => Math.min(m, r.indent), Number.POSITIVE_INFINITY);
  for (const row of rows.slice(0, MAX_DEF_LINES)) out.push(`${row.def.line}: ${' '.repeat(Math.max(0, row.indent - minIndent))}${row.text}`);
  if (rows.length > MAX_DEF_LINES) out.push(`… ${rows.length - MAX_DEF_LINES} more definitions`);
  return out.join('\n');
}

const KIND_BY_EXTENSION: Record<string, string> = {
  md: 'Markdown',
  markdown: 'Markdown',
  json: 'JSON',
  yml: 'YAML',
  yaml: 'YAML',
  toml: 'TOML',
  sh: 'shell script',
  txt: 'text',
  html: 'HTML',
  css: 'CSS',
  sql: 'SQL',
};

function kindOfPath(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  const ext = dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
  return KIND_BY_EXTENSION[ext] ?? (ext === '' ? 'text' : `.${ext} file`);
}

/**
 * The outline of a file the tags do not cover: Markdown headings, a JSON object's top-level keys,
 * else the first non-empty line; binary and oversized files by their size only.
 */
export function outlineOther(path: string, content: Buffer, maxBytes: number): string {
  const kind = kindOfPath(path);
  if (content.length > maxBytes) return `${kind}, ${content.length} bytes (too large to outline)`;
  if (looksBinary(content)) return `binary file, ${content.length} bytes`;
  const text = content.toString('utf8');
  const lines = lineCount(text);
  const head = `${kind}, ${lines} line${lines === 1 ? '' : 's'}`;
  if (kind === 'Markdown') {
    const headings: string[] = [];
    let fenced = false;
    text.split('\n').forEach((line, i) => {
      if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
      else if (!fenced && /^#{1,6}\s/.test(line)) headings.push(`${i + 1}: ${cut(line.trimEnd())}`);
    });
    const title = headings[0]?.replace(/^\d+: #+\s*/, '');
    return [title ? `${head}: ${title}` : head, ...headings.slice(0, MAX_DEF_LINES)].join('\n');
  }
  if (kind === 'JSON') {
    try {
      const data: unknown = JSON.parse(text);
      if (data && typeof data === 'object' && !Array.isArray(data)) {
        const keys = Object.keys(data);
        return `${head}; keys ${cut(keys.slice(0, 20).join(', ') + (keys.length > 20 ? ` and ${keys.length - 20} more` : ''))}`;
      }
    } catch {
      // Not valid JSON: fall through to the first line.
    }
  }
  const first = text.split('\n').find((l) => l.trim() !== '');
  return first === undefined ? `${head}, empty` : `${head}: ${cut(first.trim())}`;
}

/** The first line of a summary: what a directory roll-up shows for the file. */
export function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return cut(line.trim());
}
