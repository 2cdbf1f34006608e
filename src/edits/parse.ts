import type { EditBlock, EditParseError, ParseResult } from './types.js';

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
  return KNOWN_NAMES.has(s.toLowerCase());
}

function pathFromLine(line: string | undefined): string | undefined {
  if (line === undefined || fenceInfo(line) !== undefined) return undefined;
  if (isSearchMarker(line) || isDivider(line) || isReplace(line)) return undefined;
  const s = cleanPathLine(line);
  return looksLikePath(s) ? s : undefined;
}

function pathFromFenceInfo(info: string): string | undefined {
  if (info === '') return undefined;
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
 * fence, or wrapped in a fence of its own. One blank line is tolerated at each step.
 */
function findPath(lines: readonly string[], s: number): string | undefined {
  let j = s - 1;
  if (isBlank(lines[j])) j--;
  const direct = pathFromLine(lines[j]);
  if (direct !== undefined) return direct;
  const info = lines[j] === undefined ? undefined : fenceInfo(lines[j]!);
  if (info === undefined) return undefined;
  const fromInfo = pathFromFenceInfo(info);
  if (fromInfo !== undefined) return fromInfo;
  let k = j - 1;
  if (isBlank(lines[k])) k--;
  const before = pathFromLine(lines[k]);
  if (before !== undefined) return before;
  // ```\npath\n```\n```lang\n<<<<<<< SEARCH
  if (lines[k] !== undefined && fenceInfo(lines[k]!) === '') {
    const wrapped = pathFromLine(lines[k - 1]);
    if (wrapped !== undefined && lines[k - 2] !== undefined && fenceInfo(lines[k - 2]!) !== undefined) return wrapped;
  }
  return undefined;
}

const joinLines = (lines: readonly string[]): string => lines.map((l) => `${l}\n`).join('');

/**
 * Parse every SEARCH/REPLACE block in a model reply. Never throws: blocks it cannot read
 * come back as `errors`, and parsing goes on with the next block.
 */
export function parseEditBlocks(reply: string): ParseResult {
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
    const own = findPath(lines, start);
    const path = own ?? previousPath;
    const search: string[] = [];
    i++;
    while (i < lines.length && !isDivider(lines[i]!) && !isSearchMarker(lines[i]!) && !isReplace(lines[i]!)) {
      search.push(lines[i]!);
      i++;
    }
    if (i >= lines.length || !isDivider(lines[i]!)) {
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
    i++;
    const replace: string[] = [];
    while (i < lines.length && !isReplace(lines[i]!) && !isSearchMarker(lines[i]!)) {
      replace.push(lines[i]!);
      i++;
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
    blocks.push({
      index: index++,
      path,
      pathInherited: own === undefined,
      search: joinLines(search),
      replace: joinLines(replace),
      line: start + 1,
    });
  }
  return { blocks, errors };
}
