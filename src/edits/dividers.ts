import type { EditReading } from './types.js';

/**
 * Blocks whose body (the lines between the SEARCH and REPLACE markers) holds more than one
 * `=======` line. Models often close the replacement with a second divider (then repeat the
 * SEARCH, or nothing, before `>>>>>>> REPLACE`); a file's text may also hold such lines: a
 * reST/Markdown heading underline, or a merge-conflict divider in a fixture. See docs/edits.md.
 */

/** What the target file already holds, which makes a `=======` line in a block likelier to be its text. */
export interface FileSignals {
  /** A line of `=` directly under a line of text. */
  underlines: boolean;
  /** `<<<<<<<`, `=======` and `>>>>>>>` lines. */
  conflicts: boolean;
}

/** The file signals, and whether the file is prose (Markdown, reST, text), where headings are common. */
interface Context extends FileSignals {
  prose: boolean;
}

const PROSE = /(?:^|\/)(?:[^/.]+|.*\.(?:md|markdown|mdx|rst|rest|txt|text|adoc|asciidoc|asc|textile|org|rdoc|wiki))$/i;
const EQ_LINE = /^\s*=+\s*$/;
const CONFLICT_OPEN = /^\s*<{7}(?!<)/;
const CONFLICT_CLOSE = /^\s*>{7}(?!>)/;
const CONFLICT_DIVIDER = /^\s*={7}\s*$/;
const FENCE = /^\s*(?:`{3,}|~{3,})/;
/** Headings sit at the margin (Markdown allows 3 spaces; more is a code block). */
const HEADING_INDENT = /^ {0,3}\S/;

/** A line a heading underline can sit under: text at the margin, not code (no `=`, `;`, brackets, no `:` or `,` at the end). */
function isTitle(line: string | undefined): boolean {
  if (line === undefined || !HEADING_INDENT.test(line)) return false;
  const t = line.trim();
  if (t === '' || FENCE.test(t) || /[=;{}()[\]<>]/.test(t)) return false;
  return /[\p{L}\p{N}]/u.test(t) && !/[,:\\]$/.test(t);
}

const width = (line: string): number => line.trim().length;

/** Whether the `=` line at `d` sits between a conflict's `<<<<<<<` and its `>>>>>>>`, within `[lo, hi)`. */
function insideConflict(body: readonly string[], d: number, lo: number, hi: number): boolean {
  let open = false;
  for (let i = d - 1; i >= lo; i--) {
    if (CONFLICT_OPEN.test(body[i]!)) {
      open = true;
      break;
    }
    if (CONFLICT_CLOSE.test(body[i]!)) return false;
  }
  if (!open) return false;
  for (let i = d + 1; i < hi; i++) {
    if (CONFLICT_CLOSE.test(body[i]!)) return true;
    if (CONFLICT_OPEN.test(body[i]!)) return false;
  }
  return false;
}

/**
 * Whether the `=` line at `d` reads as the file's text within `[lo, hi)`: a conflict divider
 * between `<<<<<<<` and `>>>>>>>`; in a file with `=` underlines, an underline under any line of
 * text; in a prose file, an underline of its title's width or the over- or underline of an
 * overlined title.
 */
function isText(body: readonly string[], d: number, lo: number, hi: number, ctx: Context): boolean {
  if (insideConflict(body, d, lo, hi)) return true;
  if (!ctx.underlines && !ctx.prose) return false;
  const line = body[d]!;
  const above = d - 1 >= lo ? body[d - 1] : undefined;
  if (isTitle(above) && (ctx.underlines || width(above!) === width(line))) return true;
  if (d + 2 < hi && isTitle(body[d + 1]) && EQ_LINE.test(body[d + 2]!) && width(body[d + 2]!) === width(line)) return true;
  return d - 2 >= lo && EQ_LINE.test(body[d - 2]!) && isTitle(above) && width(body[d - 2]!) === width(line);
}

const nonBlank = (lines: readonly string[]): string[] => lines.map((l) => l.trim()).filter((l) => l !== '');

function sameText(a: readonly string[], b: readonly string[]): boolean {
  const x = nonBlank(a);
  const y = nonBlank(b);
  return x.length > 0 && x.length === y.length && x.every((l, i) => l === y[i]);
}

/**
 * The divider after `r` that closes the replacement, if any: one followed by a repeat of the
 * SEARCH (or of the replacement) always closes it; else one that does not read as text does.
 */
function closingDivider(body: readonly string[], dividers: readonly number[], r: number, ctx: Context): number | undefined {
  const search = body.slice(0, r);
  for (const e of dividers) {
    if (e <= r) continue;
    const tail = body.slice(e + 1);
    if (sameText(tail, search) || sameText(tail, body.slice(r + 1, e))) return e;
    if (isText(body, e, r + 1, body.length, ctx)) continue;
    // A file with conflict markers: a lone `=======` with more text after it is one of them.
    if (ctx.conflicts && CONFLICT_DIVIDER.test(body[e]!) && nonBlank(tail).length > 0) continue;
    return e;
  }
  return undefined;
}

interface Reading {
  search: string[];
  replace: string[];
}

function readFrom(body: readonly string[], dividers: readonly number[], r: number, ctx: Context): Reading {
  const end = closingDivider(body, dividers, r, ctx);
  return { search: body.slice(0, r), replace: body.slice(r + 1, end ?? body.length) };
}

/** The block's divider: the first `=======` that does not read as text of the SEARCH side. */
function read(body: readonly string[], dividers: readonly number[], ctx: Context): Reading {
  const r = dividers.find((d) => !isText(body, d, 0, body.length, ctx)) ?? dividers[0]!;
  return readFrom(body, dividers, r, ctx);
}

const joinLines = (lines: readonly string[]): string => lines.map((l) => `${l}\n`).join('');

/**
 * Read a block body with divider lines at `dividers` (two or more): the parser's choice, then
 * the readings to prefer for files with underlines or conflict markers, then the other places
 * the divider could be (tried only when the first choice does not match the file).
 */
export function readDividedBody(
  body: readonly string[],
  dividers: readonly number[],
  path: string,
): { search: string; replace: string; alternatives: EditReading[] } {
  const prose = PROSE.test(path.replace(/\\/g, '/'));
  const none: Context = { prose, underlines: false, conflicts: false };
  const primary = read(body, dividers, none);
  const seen = new Set<string>();
  const keyOf = (r: Reading): string => JSON.stringify([r.search, r.replace]);
  seen.add(keyOf(primary));
  const alternatives: EditReading[] = [];
  const add = (r: Reading, when?: EditReading['when']): void => {
    const k = keyOf(r);
    if (seen.has(k)) return;
    seen.add(k);
    alternatives.push({ search: joinLines(r.search), replace: joinLines(r.replace), ...(when ? { when } : {}) });
  };
  add(read(body, dividers, { prose, underlines: true, conflicts: false }), 'file-has-underlines');
  add(read(body, dividers, { prose, underlines: false, conflicts: true }), 'file-has-conflict-markers');
  for (const r of dividers) add(readFrom(body, dividers, r, none));
  // The plain reading: the first divider, the replacement up to the second.
  add({ search: body.slice(0, dividers[0]!), replace: body.slice(dividers[0]! + 1, dividers[1]!) });
  return { search: joinLines(primary.search), replace: joinLines(primary.replace), alternatives };
}

/** What the file already holds that bears on reading `=======` lines. */
export function fileSignals(lines: readonly string[]): FileSignals {
  let underlines = false;
  // A 7-character one under text may be a conflict divider rather than an underline.
  let underline7 = false;
  let open = false;
  let close = false;
  let divider = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const c = l.trimStart()[0];
    if (c === '=') {
      const seven = CONFLICT_DIVIDER.test(l);
      if (/^\s*={3,}\s*$/.test(l) && isTitle(lines[i - 1])) {
        if (seven) underline7 = true;
        else underlines = true;
      }
      if (seven) divider = true;
    } else if (c === '<') {
      if (CONFLICT_OPEN.test(l)) open = true;
    } else if (c === '>') {
      if (CONFLICT_CLOSE.test(l)) close = true;
    }
  }
  const conflicts = open && close && divider;
  return { underlines: underlines || (underline7 && !conflicts), conflicts };
}
