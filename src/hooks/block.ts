/** The marked block assist puts in a hook file, and the pure text operations on it. */

export const BLOCK_BEGIN = '# >>> assist >>>';
export const BLOCK_END = '# <<< assist <<<';
const CREATED_MARK = '# assist created this file';
const NEW_FILE_SHEBANG = '#!/bin/sh';

/** The git hooks assist installs. */
export const HOOK_NAMES = ['post-commit', 'post-checkout', 'post-merge', 'post-rewrite'] as const;
export type HookName = (typeof HOOK_NAMES)[number];

/** Quotes a string for POSIX sh: single quotes, with `'` written as `'\''`. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export interface BodyFields {
  /** Absolute path of the node binary recorded at install time. */
  node: string;
  /** Absolute path of this install's `bin/assist.js`. */
  entry: string;
  /** Shell expression for the hook name: a quoted name, or `"${1:-}"` in the stand-alone runner. */
  hookExpr: string;
}

/** Fills the placeholders of `hooks/assist-hook.sh` and drops its leading comment header. */
export function renderBody(template: string, fields: BodyFields): string {
  const lines = template.replace(/\r\n/g, '\n').split('\n');
  let start = 0;
  while (start < lines.length && (lines[start] ?? '').startsWith('#')) start++;
  const body = lines
    .slice(start)
    .join('\n')
    .replace('@ASSIST_NODE@', () => shellQuote(fields.node))
    .replace('@ASSIST_ENTRY@', () => shellQuote(fields.entry))
    .replace('@ASSIST_HOOK@', () => fields.hookExpr);
  if (/@ASSIST_[A-Z]+@/.test(body)) throw new Error('hook template has an unfilled placeholder');
  return body.replace(/\n*$/, '\n');
}

/** The whole block for one hook file, markers included, ending with a newline. */
export function renderBlock(body: string, createdFile: boolean): string {
  return [
    BLOCK_BEGIN,
    '# Added by `assist hooks install`, removed by `assist hooks uninstall`. It marks the repository',
    "# changed and starts assist's background refresher; it prints nothing and changes nothing else.",
    ...(createdFile ? [CREATED_MARK] : []),
    body.replace(/\n$/, ''),
    BLOCK_END,
    '',
  ].join('\n');
}

/** Where a block sits in a hook's text, by line index (end inclusive). */
export interface BlockSpan {
  start: number;
  end: number;
  text: string;
  createdFile: boolean;
}

export type FindResult = { kind: 'none' } | { kind: 'found'; spans: BlockSpan[] } | { kind: 'broken'; line: number };

/** Finds every assist block; a begin marker without its end (or the reverse) is `broken`. */
export function findBlocks(text: string): FindResult {
  const lines = text.split('\n');
  const spans: BlockSpan[] = [];
  let open = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trimEnd();
    if (line === BLOCK_BEGIN) {
      if (open !== -1) return { kind: 'broken', line: i + 1 };
      open = i;
    } else if (line === BLOCK_END) {
      if (open === -1) return { kind: 'broken', line: i + 1 };
      const blockLines = lines.slice(open, i + 1);
      spans.push({ start: open, end: i, text: blockLines.join('\n') + '\n', createdFile: blockLines.some((l) => l.trimEnd() === CREATED_MARK) });
      open = -1;
    }
  }
  if (open !== -1) return { kind: 'broken', line: open + 1 };
  return spans.length === 0 ? { kind: 'none' } : { kind: 'found', spans };
}

/** The text without any assist block; `onlyShebang` when nothing but a `#!/bin/sh` line and blank lines is left. */
export function removeBlocks(text: string): { text: string; createdFile: boolean; onlyShebang: boolean } {
  const found = findBlocks(text);
  if (found.kind !== 'found') return { text, createdFile: false, onlyShebang: false };
  const lines = text.split('\n');
  const drop = new Set<number>();
  for (const span of found.spans) for (let i = span.start; i <= span.end; i++) drop.add(i);
  const kept = lines.filter((_, i) => !drop.has(i)).join('\n');
  const meaningful = kept.split('\n').filter((l) => l.trim() !== '');
  return {
    text: kept,
    createdFile: found.spans.some((s) => s.createdFile),
    onlyShebang: meaningful.length === 0 || (meaningful.length === 1 && meaningful[0]?.trim() === NEW_FILE_SHEBANG),
  };
}

/**
 * Puts the block at the top, right after the shebang: a hook that ends with `exit 0` or `exec ...`
 * would never reach a block at its end, and the block neither exits nor touches `$?` or stdin, so
 * the hook's own lines, output and exit status stay as they were.
 */
export function insertBlock(text: string, block: string): string {
  if (text === '') return `${NEW_FILE_SHEBANG}\n${block}`;
  if (text.startsWith('#!')) {
    const nl = text.indexOf('\n');
    if (nl === -1) return `${text}\n${block}`;
    return text.slice(0, nl + 1) + block + text.slice(nl + 1);
  }
  return block + text;
}

/** Replaces the first block with `block` and drops any others; `null` when there is none. */
export function replaceBlock(text: string, block: string): string | null {
  const found = findBlocks(text);
  if (found.kind !== 'found') return null;
  const lines = text.split('\n');
  const first = found.spans[0] as BlockSpan;
  const drop = new Set<number>();
  for (const span of found.spans.slice(1)) for (let i = span.start; i <= span.end; i++) drop.add(i);
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (i === first.start) {
      out.push(block.replace(/\n$/, ''));
      i = first.end;
      continue;
    }
    if (!drop.has(i)) out.push(lines[i] ?? '');
  }
  return out.join('\n');
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'ksh', 'mksh', 'zsh', 'ash', 'busybox']);

/**
 * The interpreter a hook runs under, when it is not a POSIX-ish shell: assist only adds its
 * block to shell scripts. No shebang means git runs it with sh.
 */
export function foreignInterpreter(text: string): string | null {
  if (!text.startsWith('#!')) return null;
  const first = (text.split('\n')[0] ?? '').slice(2).trim();
  const words = first.split(/\s+/).filter((w) => w !== '');
  let program = words[0] ?? '';
  if (program.endsWith('/env')) program = words.slice(1).find((w) => !w.startsWith('-') && !w.includes('=')) ?? '';
  const base = program.slice(program.lastIndexOf('/') + 1);
  return SHELLS.has(base) ? null : base || first;
}

/** The paths a block records, read back from its text. */
export function recordedPaths(blockText: string): { node: string; entry: string } | null {
  const node = /^__assist_node=(.*)$/m.exec(blockText)?.[1];
  const entry = /^__assist_entry=(.*)$/m.exec(blockText)?.[1];
  if (node === undefined || entry === undefined) return null;
  return { node: shellUnquote(node), entry: shellUnquote(entry) };
}

function shellUnquote(value: string): string {
  const v = value.trim();
  if (v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1).replace(/'\\''/g, "'");
  return v;
}

/** The line to add to a hook managed by someone else (core.hooksPath): calls the stand-alone runner, silent when it is gone. */
export function lineToAdd(runnerPath: string, hook: HookName): string {
  const q = shellQuote(runnerPath);
  return `if [ -f ${q} ]; then sh ${q} ${hook}; fi  # assist`;
}
