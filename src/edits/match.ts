import { isElisionLine } from './parse.js';
import { lcsPairs } from './lcs.js';
import type { Line } from './text.js';
import type { MatchRule } from './types.js';

/** One replacement of lines `[start, end)` (0-based) by `texts`. */
export interface Splice {
  start: number;
  end: number;
  texts: string[];
}

export type MatchOutcome =
  | { ok: true; rule: MatchRule; splices: Splice[] }
  | { ok: false; reason: 'no-match' | 'ambiguous' | 'elision-mismatch'; message: string; candidates?: number[] };

const TAB_COLS = 4;

const indentOf = (s: string): string => /^[ \t]*/.exec(s)![0];
const isBlank = (s: string): boolean => s.trim() === '';
const cols = (indent: string): number => {
  let n = 0;
  for (const ch of indent) n += ch === '\t' ? TAB_COLS : 1;
  return n;
};

/** Starts of every run of `keys` equal to `pattern`, from `from` on. */
function findAll(keys: readonly string[], pattern: readonly string[], from = 0, limit = Infinity): number[] {
  const out: number[] = [];
  const n = pattern.length;
  if (n === 0) return out;
  const first = pattern[0];
  outer: for (let i = from; i + n <= keys.length; i++) {
    if (keys[i] !== first) continue;
    for (let k = 1; k < n; k++) if (keys[i + k] !== pattern[k]) continue outer;
    out.push(i);
    if (out.length >= limit) break;
  }
  return out;
}

function findExact(lines: readonly Line[], search: readonly string[]): number {
  const n = search.length;
  if (n === 0) return -1;
  const first = search[0];
  outer: for (let i = 0; i + n <= lines.length; i++) {
    if (lines[i]!.text !== first) continue;
    for (let k = 1; k < n; k++) if (lines[i + k]!.text !== search[k]) continue outer;
    return i;
  }
  return -1;
}

/**
 * Maps the indentation of model-written lines to the file's: an indent seen on a matched
 * line maps to that line's real indent; others follow a linear fit of the matched pairs,
 * so a block written at 1 space lands at 4, and 4-space writing lands on tabs.
 */
function makeReindenter(
  pairs: ReadonlyArray<readonly [string, string]>,
  tabs: boolean,
  keepTrailing: boolean,
): (line: string) => string {
  const map = new Map<string, string>();
  for (const [s, f] of pairs) if (!map.has(s)) map.set(s, f);
  let a = 1;
  let b = 0;
  if (pairs.length > 0) {
    const pts = pairs.map(([s, f]) => [cols(s), cols(f)] as const);
    const deltas = new Set(pts.map(([s, f]) => f - s));
    if (deltas.size === 1) {
      b = [...deltas][0]!;
    } else {
      const lo = pts.reduce((x, y) => (y[0] < x[0] ? y : x));
      const hi = pts.reduce((x, y) => (y[0] > x[0] ? y : x));
      if (hi[0] !== lo[0]) a = (hi[1] - lo[1]) / (hi[0] - lo[0]);
      b = pts.reduce((sum, [s, f]) => sum + (f - a * s), 0) / pts.length;
    }
  }
  return (line) => {
    if (isBlank(line)) return '';
    const ind = indentOf(line);
    const rest = line.slice(ind.length);
    const body = keepTrailing ? rest : rest.trimEnd();
    const known = map.get(ind);
    if (known !== undefined) return known + body;
    const c = Math.max(0, Math.round(a * cols(ind) + b));
    const prefix = tabs ? '\t'.repeat(Math.floor(c / TAB_COLS)) + ' '.repeat(c % TAB_COLS) : ' '.repeat(c);
    return prefix + body;
  };
}

function usesTabs(lines: readonly string[]): boolean | undefined {
  let t = 0;
  let s = 0;
  for (const l of lines) {
    if (l.startsWith('\t')) t++;
    else if (l.startsWith(' ')) s++;
  }
  return t === 0 && s === 0 ? undefined : t > s;
}

/**
 * New lines for a region found by a tolerant rule: lines the model kept (per a diff of
 * SEARCH against REPLACE) are copied from the file untouched, new lines are re-indented
 * to the file, and file lines the SEARCH skipped (blank lines) are kept unless they sit
 * inside a deleted run.
 */
function rebuild(
  region: readonly string[],
  align: readonly number[],
  search: readonly string[],
  replace: readonly string[],
  fileTabs: boolean,
): string[] {
  const indentPairs: Array<[string, string]> = [];
  for (let i = 0; i < search.length; i++) {
    const f = align[i]!;
    if (f >= 0 && !isBlank(search[i]!)) indentPairs.push([indentOf(search[i]!), indentOf(region[f]!)]);
  }
  const tabs = usesTabs(indentPairs.map(([, f]) => f)) ?? fileTabs;
  // The model's trailing whitespace is trusted on new lines only when its SEARCH copied the
  // file's exactly (a Markdown hard break is two trailing spaces); else new lines lose it.
  const trailing = (l: string): string => l.slice(l.trimEnd().length);
  let keepTrailing = true;
  for (let i = 0; i < search.length && keepTrailing; i++) {
    const f = align[i]!;
    if (f >= 0 && !isBlank(search[i]!) && trailing(search[i]!) !== trailing(region[f]!)) keepTrailing = false;
  }
  const reindent = makeReindenter(indentPairs, tabs, keepTrailing);
  const pairs = lcsPairs(
    search.map((s) => s.trimEnd()),
    replace.map((r) => r.trimEnd()),
  );
  pairs.push([search.length, replace.length]);
  const out: string[] = [];
  let fPos = 0;
  let sPrev = -1;
  let rPrev = -1;
  for (const [si, ri] of pairs) {
    const kept = si < search.length ? align[si]! : region.length;
    const fEnd = kept >= 0 ? kept : fPos;
    let lo = Infinity;
    let hi = -Infinity;
    for (let s = sPrev + 1; s < si; s++) {
      const f = align[s]!;
      if (f >= 0) {
        lo = Math.min(lo, f);
        hi = Math.max(hi, f);
      }
    }
    const inserted = replace.slice(rPrev + 1, ri).map(reindent);
    if (lo === Infinity) {
      out.push(...inserted, ...region.slice(fPos, fEnd));
    } else {
      out.push(...region.slice(fPos, lo), ...inserted, ...region.slice(hi + 1, fEnd));
    }
    if (si < search.length) {
      if (kept >= 0) {
        out.push(region[kept]!);
        fPos = kept + 1;
      } else {
        out.push(replace[ri]!);
        fPos = fEnd;
      }
    }
    sPrev = si;
    rPrev = ri;
  }
  return out;
}

/** Drop blank lines at both ends of SEARCH, and as many at the same ends of REPLACE. */
function trimBlankEdges(search: readonly string[], replace: readonly string[]): [string[], string[]] {
  let s0 = 0;
  while (s0 < search.length && isBlank(search[s0]!)) s0++;
  let s1 = search.length;
  while (s1 > s0 && isBlank(search[s1 - 1]!)) s1--;
  let r0 = 0;
  while (r0 < Math.min(s0, replace.length) && isBlank(replace[r0]!)) r0++;
  let r1 = replace.length;
  while (replace.length - r1 < search.length - s1 && r1 > r0 && isBlank(replace[r1 - 1]!)) r1--;
  return [search.slice(s0, s1), replace.slice(r0, r1)];
}

interface Found {
  rule: MatchRule;
  splice: Splice;
}

type PieceOutcome = { found: Found } | { ambiguous: number[] } | undefined;

/**
 * Find `search` among the lines by the exact rule (first occurrence wins when `exactFirst`,
 * else it must be unique), then ignoring leading and trailing whitespace (unique).
 */
function matchPiece(
  texts: readonly string[],
  norms: readonly string[],
  search: readonly string[],
  replace: readonly string[],
  exactRule: MatchRule,
  wsRule: MatchRule,
  exactFirst: boolean,
  fileTabs: boolean,
): PieceOutcome {
  const exact = findAll(texts, search, 0, exactFirst ? 1 : 2);
  if (exact.length === 1 || (exactFirst && exact.length > 0)) {
    const start = exact[0]!;
    return { found: { rule: exactRule, splice: { start, end: start + search.length, texts: [...replace] } } };
  }
  if (exact.length > 1) return { ambiguous: exact };
  const ws = findAll(
    norms,
    search.map((s) => s.trim()),
    0,
    20,
  );
  if (ws.length === 1) {
    const start = ws[0]!;
    const region = texts.slice(start, start + search.length);
    const align = search.map((_, k) => k);
    return {
      found: {
        rule: wsRule,
        splice: { start, end: start + search.length, texts: rebuild(region, align, search, replace, fileTabs) },
      },
    };
  }
  if (ws.length > 1) return { ambiguous: ws };
  return undefined;
}

function ambiguousOutcome(rule: string, starts: readonly number[]): MatchOutcome {
  const lines = starts.map((s) => s + 1);
  return {
    ok: false,
    reason: 'ambiguous',
    candidates: lines,
    message: `The SEARCH text matches only approximately (${rule}), and at ${lines.length > 19 ? 'many' : lines.length} places: lines ${lines.slice(0, 10).join(', ')}. Add lines around it so it matches one place exactly.`,
  };
}

/**
 * Find where a SEARCH goes in the file and what replaces it. Rules in order: exact (first
 * occurrence), whitespace, leading-blank, elision, blank-lines; each tolerant rule must
 * find one place only.
 */
export function matchEdit(lines: readonly Line[], search: readonly string[], replace: readonly string[]): MatchOutcome {
  const start = findExact(lines, search);
  if (start >= 0) {
    return { ok: true, rule: 'exact', splices: [{ start, end: start + search.length, texts: [...replace] }] };
  }
  const texts = lines.map((l) => l.text);
  if (search.every(isBlank)) {
    return { ok: false, reason: 'no-match', message: 'The SEARCH section holds only blank lines that are not in the file.' };
  }
  const norms = texts.map((t) => t.trim());
  const fileTabs = usesTabs(texts) ?? false;

  const ws = matchPiece(texts, norms, search, replace, 'whitespace', 'whitespace', false, fileTabs);
  if (ws && 'found' in ws) return { ok: true, rule: ws.found.rule, splices: [ws.found.splice] };
  if (ws && 'ambiguous' in ws) return ambiguousOutcome('ignoring indentation', ws.ambiguous);

  const [s2, r2] = trimBlankEdges(search, replace);
  if (s2.length !== search.length) {
    const lb = matchPiece(texts, norms, s2, r2, 'leading-blank', 'leading-blank', false, fileTabs);
    if (lb && 'found' in lb) return { ok: true, rule: lb.found.rule, splices: [lb.found.splice] };
    if (lb && 'ambiguous' in lb) return ambiguousOutcome('without its leading blank line', lb.ambiguous);
  }

  if (s2.some(isElisionLine)) {
    const el = matchElision(texts, norms, s2, r2, fileTabs);
    if (el !== undefined) return el;
  }

  return matchIgnoringBlankLines(texts, norms, s2, r2, fileTabs);
}

function splitOnElision(lines: readonly string[]): string[][] {
  const pieces: string[][] = [[]];
  for (const l of lines) {
    if (isElisionLine(l)) pieces.push([]);
    else pieces[pieces.length - 1]!.push(l);
  }
  return pieces;
}

function matchElision(
  texts: readonly string[],
  norms: readonly string[],
  search: readonly string[],
  replace: readonly string[],
  fileTabs: boolean,
): MatchOutcome | undefined {
  const sp = splitOnElision(search);
  const rp = splitOnElision(replace);
  if (sp.length !== rp.length) {
    return {
      ok: false,
      reason: 'elision-mismatch',
      message: `The SEARCH section leaves code out with ${sp.length - 1} \`...\` line(s) but the REPLACE section has ${rp.length - 1}; they must line up one for one.`,
    };
  }
  const splices: Splice[] = [];
  for (let k = 0; k < sp.length; k++) {
    const [s, r] = trimBlankEdges(sp[k]!, rp[k]!);
    if (s.length === 0) {
      if (r.length === 0) continue;
      return {
        ok: false,
        reason: 'elision-mismatch',
        message: 'A REPLACE piece between `...` lines has no SEARCH piece to anchor it; include the lines it goes next to.',
      };
    }
    const m = matchPiece(texts, norms, s, r, 'elision', 'elision', false, fileTabs);
    if (m === undefined) return undefined;
    if ('ambiguous' in m) return ambiguousOutcome(`piece ${k + 1} between \`...\` lines`, m.ambiguous);
    const prev = splices[splices.length - 1];
    if (prev !== undefined && m.found.splice.start < prev.end) {
      return {
        ok: false,
        reason: 'no-match',
        message: 'The pieces between `...` lines were found, but not in the order written.',
      };
    }
    splices.push(m.found.splice);
  }
  if (splices.length === 0) return undefined;
  return { ok: true, rule: 'elision', splices };
}

function matchIgnoringBlankLines(
  texts: readonly string[],
  norms: readonly string[],
  search: readonly string[],
  replace: readonly string[],
  fileTabs: boolean,
): MatchOutcome {
  const none: MatchOutcome = {
    ok: false,
    reason: 'no-match',
    message: 'The SEARCH section does not match any lines of the file.',
  };
  const sIdx: number[] = [];
  for (let i = 0; i < search.length; i++) if (!isBlank(search[i]!)) sIdx.push(i);
  if (sIdx.length === 0) return none;
  const fIdx: number[] = [];
  for (let i = 0; i < norms.length; i++) if (norms[i] !== '') fIdx.push(i);
  const keys = fIdx.map((i) => norms[i]!);
  const hits = findAll(
    keys,
    sIdx.map((i) => search[i]!.trim()),
    0,
    20,
  );
  if (hits.length > 1) return ambiguousOutcome('ignoring blank lines', hits.map((h) => fIdx[h]!));
  if (hits.length === 0) return none;
  const p = hits[0]!;
  const start = fIdx[p]!;
  const end = fIdx[p + sIdx.length - 1]! + 1;
  const align = search.map(() => -1);
  sIdx.forEach((si, q) => {
    align[si] = fIdx[p + q]! - start;
  });
  // Pair the SEARCH's blank lines with the file's blank lines in the same gap, so a kept
  // blank line is not written twice.
  for (let q = 0; q + 1 < sIdx.length; q++) {
    const fFrom = fIdx[p + q]! - start + 1;
    const fTo = fIdx[p + q + 1]! - start;
    let f = fFrom;
    for (let s = sIdx[q]! + 1; s < sIdx[q + 1]! && f < fTo; s++, f++) align[s] = f;
  }
  return {
    ok: true,
    rule: 'blank-lines',
    splices: [{ start, end, texts: rebuild(texts.slice(start, end), align, search, replace, fileTabs) }],
  };
}
