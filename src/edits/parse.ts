import { readDividedBody } from './dividers.js';
import type { EditBlock, EditParseError, ParseOptions, ParseResult } from './types.js';

const SEARCH_RE = /^\s*<{5,9}\s*SEARCH\s*>?\s*$/i;
const DIVIDER_RE = /^\s*={5,9}\s*$/;
const REPLACE_RE = /^\s*>{5,9}\s*REPLACE\s*<?\s*$/i;
const FENCE_RE = /^\s*(`{3,}|~{3,})\s*(.*?)\s*$/;

/** Extensionless names that are still clearly file names. */
const KNOWN_NAMES = new Set([
  'makefile',
  'dockerfile',
  'containerfile',
  'rakefile',
  'gemfile',
  'procfile',
  'justfile',
  'jenkinsfile',
  'vagrantfile',
  'brewfile',
  'podfile',
  'license',
  'readme',
  'changelog',
  'codeowners',
  'cmakelists.txt',
  'version',
  'notice',
  'authors',
  'contributors',
  'maintainers',
  'owners',
  'copying',
  'patents',
]);

const firstChar = (line: string): string => {
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c !== ' ' && c !== '\t') return c;
  }
  return '';
};

export function isSearchMarker(line: string): boolean {
  return firstChar(line) === '<' && SEARCH_RE.test(line);
}
const isDivider = (line: string): boolean => firstChar(line) === '=' && DIVIDER_RE.test(line);
const isReplace = (line: string): boolean => firstChar(line) === '>' && REPLACE_RE.test(line);

/** True for the lines a model writes between pieces of code it left out. */
export function isElisionLine(line: string): boolean {
  const t = line.trim();
  if (t === '...' || t === '…') return true;
  return /^(?:\/\/|#|--|;+|\/\*|<!--|\*)\s*(?:\.\.\.|…)/.test(t);
}

function fenceInfo(line: string): string | undefined {
  const m = FENCE_RE.exec(line);
  return m ? (m[2] ?? '') : undefined;
}

/** Strip what models put around a path: `#`, `*`, backticks, `File:`, a trailing `:`. */
export function cleanPathLine(line: string): string {
  let s = line.trim().replace(/^#+\s*/, '');
  for (;;) {
    const before = s;
    s = s
      .replace(/^(?:file(?:name)?|path)\s*:\s*/i, '')
      .replace(/^[*`]+/, '')
      .replace(/[*`]+$/, '')
      .replace(/:+$/, '')
      .trim();
    if (s === before) return s;
  }
}

/** Whether a cleaned line looks like a file path rather than prose or code. */
export function looksLikePath(s: string): boolean {
  if (s.length === 0 || s.length > 1024) return false;
  if (/[\s<>{};=,"'!|?*:]/.test(s)) return false;
  if (!/[A-Za-z0-9]/.test(s)) return false;
  if (s.includes('/') || s.includes('\\')) return true;
  if (/\.[A-Za-z0-9_+-]{1,12}$/.test(s) && /^[\w@.+-]/.test(s)) return true;
  // Dotfiles (`.prettierignore`, `.python-version`) and `Makefile`-like names (`Snakefile`, `Tiltfile`).
  if (/^\.[A-Za-z0-9_][\w.+-]*$/.test(s) || /^[A-Z][a-z]*file$/.test(s)) return true;
  return KNOWN_NAMES.has(s.toLowerCase());
}

/**
 * Whether a line that is not a clean path still names a file (a name with spaces or quotes, or
 * prose ending in one: `config copy.txt`, `Now update main.ts`): such a line is never skipped
 * over to reuse the previous block's path, since it may mean another file.
 */
function mentionsFile(s: string): boolean {
  if (s.length === 0 || s.length > 256 || /[<>{};=|*\t]/.test(s)) return false;
  const base = s.slice(Math.max(s.lastIndexOf('/'), s.lastIndexOf('\\')) + 1);
  return /\.[A-Za-z][A-Za-z0-9_+-]{0,15}$/.test(base) || /^\.[A-Za-z0-9_]/.test(base);
}

/** A path line: `path` when it names a file, `unclear` when it seems to name one that cannot be read for sure. */
type PathLine = { path: string } | { unclear: string };

function unquote(s: string): string | undefined {
  const m = /^(["'])(.+)\1$/.exec(s);
  return m ? m[2] : undefined;
}

/** `./a/b` and `a\b` as the repository-relative `a/b` a known-paths set holds. */
function normalizeForLookup(s: string): string {
  let p = s.replace(/\\/g, '/');
  while (p.startsWith('./')) p = p.slice(2);
  return p;
}

function readPathLine(line: string | undefined, known: ReadonlySet<string> | undefined): PathLine | undefined {
  if (line === undefined || fenceInfo(line) !== undefined) return undefined;
  if (isSearchMarker(line) || isDivider(line) || isReplace(line)) return undefined;
  const s = cleanPathLine(line);
  const inner = unquote(s);
  if (known) {
    for (const candidate of [s, inner]) {
      if (candidate === undefined) continue;
      const p = normalizeForLookup(candidate);
      if (known.has(p)) return { path: p };
    }
  }
  if (looksLikePath(s)) return { path: s };
  // A name the model set apart on purpose, in quotes or backticks, may hold spaces and quotes.
  const setApart = inner ?? (/^\s*(?:#+\s*)?(?:(?:file(?:name)?|path)\s*:\s*)?`[^`]+`:?\s*$/i.test(line) ? s : undefined);
  if (setApart !== undefined && mentionsFile(setApart)) return { path: setApart };
  return mentionsFile(s) ? { unclear: line.trim() } : undefined;
}

function pathFromFenceInfo(info: string, known: ReadonlySet<string> | undefined): string | undefined {
  if (info === '') return undefined;
  if (known?.has(normalizeForLookup(info.trim()))) return normalizeForLookup(info.trim());
  // `python:src/a.py`, `ts src/a.ts` and the bare `src/a.ts`
  for (const part of info.split(/[\s:]+/).reverse()) {
    const s = cleanPathLine(part);
    if (looksLikePath(s)) return s;
  }
  return undefined;
}

const isBlank = (line: string | undefined): boolean => line !== undefined && line.trim() === '';

/**
 * The path of the block whose SEARCH marker is at `s`: on the line just before the marker
 * (no fence, or the fence's first line), in the fence's info string, on the line before the
 * fence, or wrapped in a fence of its own. One blank line is tolerated at each step. A line
 * there that seems to name a file but is not a usable path comes back `unclear`.
 */
function findPath(lines: readonly string[], s: number, known: ReadonlySet<string> | undefined): PathLine | undefined {
  let j = s - 1;
  if (isBlank(lines[j])) j--;
  const direct = readPathLine(lines[j], known);
  if (direct !== undefined) return direct;
  const info = lines[j] === undefined ? undefined : fenceInfo(lines[j]!);
  if (info === undefined) return undefined;
  const fromInfo = pathFromFenceInfo(info, known);
  if (fromInfo !== undefined) return { path: fromInfo };
  let k = j - 1;
  if (isBlank(lines[k])) k--;
  const before = readPathLine(lines[k], known);
  if (before !== undefined) return before;
  // ```\npath\n```\n```lang\n<<<<<<< SEARCH
  if (lines[k] !== undefined && fenceInfo(lines[k]!) === '') {
    const wrapped = readPathLine(lines[k - 1], known);
    if (wrapped !== undefined && lines[k - 2] !== undefined && fenceInfo(lines[k - 2]!) !== undefined) return wrapped;
  }
  return undefined;
}

const joinLines = (lines: readonly string[]): string => lines.map((l) => `${l}\n`).join('');

/**
 * Parse every SEARCH/REPLACE block in a model reply. Never throws: blocks it cannot read
 * come back as `errors`, and parsing goes on with the next block. A block takes the previous
 * block's path only when nothing before it names a file; a line that seems to name one but
 * is not a path it can read (nor one of `knownPaths`) makes the block an error, never a guess.
 */
export function parseEditBlocks(reply: string, options: ParseOptions = {}): ParseResult {
  const lines = reply.split(/\r?\n/);
  const blocks: EditBlock[] = [];
  const errors: EditParseError[] = [];
  let previousPath: string | undefined;
  let index = 0;
  let i = 0;
  while (i < lines.length) {
    if (!isSearchMarker(lines[i]!)) {
      i++;
      continue;
    }
    const start = i;
    const found = findPath(lines, start, options.knownPaths);
    const own = found && 'path' in found ? found.path : undefined;
    const unclear = found && 'unclear' in found ? found.unclear : undefined;
    const path = unclear !== undefined ? undefined : (own ?? previousPath);
    // The body runs to the REPLACE marker; it may hold more than one divider line.
    const body: string[] = [];
    const dividers: number[] = [];
    i++;
    while (i < lines.length && !isSearchMarker(lines[i]!) && !isReplace(lines[i]!)) {
      if (isDivider(lines[i]!)) dividers.push(body.length);
      body.push(lines[i]!);
      i++;
    }
    if (dividers.length === 0) {
      const found = i >= lines.length ? 'the end of the reply' : `\`${lines[i]!.trim()}\` on line ${i + 1}`;
      errors.push({
        index: index++,
        code: 'missing-divider',
        line: start + 1,
        message: `The block that starts on line ${start + 1} has no \`=======\` line: expected \`=======\` after the SEARCH lines, found ${found}.`,
        text: lines.slice(start, i).join('\n'),
      });
      // A stray REPLACE marker closes the broken block; a SEARCH marker starts the next one.
      if (i < lines.length && isReplace(lines[i]!)) i++;
      continue;
    }
    if (i >= lines.length || !isReplace(lines[i]!)) {
      const found = i >= lines.length ? 'the end of the reply' : `a new \`<<<<<<< SEARCH\` on line ${i + 1}`;
      errors.push({
        index: index++,
        code: 'missing-replace',
        line: start + 1,
        message: `The block that starts on line ${start + 1} is not closed: expected \`>>>>>>> REPLACE\` after the REPLACE lines, found ${found}.`,
        text: lines.slice(start, i).join('\n'),
      });
      continue;
    }
    i++;
    if (unclear !== undefined) {
      errors.push({
        index: index++,
        code: 'unclear-path',
        line: start + 1,
        message: `The line \`${unclear}\` before this block does not name a file I can find, so I did not apply the block. Put the file's path alone on the line before the opening fence (\`\`\`); wrap a path with spaces or quotes in backticks.`,
        text: lines.slice(start, i).join('\n'),
      });
      continue;
    }
    if (path === undefined) {
      errors.push({
        index: index++,
        code: 'missing-path',
        line: start + 1,
        message:
          'This block has no file path. Put the path alone on the line before the opening fence (```), with nothing else on that line.',
        text: lines.slice(start, i).join('\n'),
      });
      continue;
    }
    previousPath = path;
    const d = dividers[0]!;
    const read =
      dividers.length === 1
        ? { search: joinLines(body.slice(0, d)), replace: joinLines(body.slice(d + 1)) }
        : readDividedBody(body, dividers, path);
    blocks.push({ index: index++, path, pathInherited: own === undefined, line: start + 1, ...read });
  }
  return { blocks, errors };
}
