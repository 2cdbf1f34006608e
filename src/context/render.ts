import type { RankedDef } from './rank.js';
import type { TokenCounter } from './tokens.js';
import type { CachedDef } from './types.js';

/** A definition shown in the map. */
export interface MapDefinition {
  file: string;
  line: number;
  kind: string;
  name: string;
  score: number;
}

export interface Rendered {
  text: string;
  /** `text` cut per file: each is `<file>:` up to its closing `⋮` line, newline included. */
  sections: string[];
  files: string[];
  definitions: MapDefinition[];
}

interface Block {
  line: number;
  lines: string[];
  /** The signature has an elision inside, so the next line never follows on. */
  broken: boolean;
}

/** A file's definitions (all of them, for scope lookups). */
export type DefsOf = (file: string) => readonly CachedDef[];

/**
 * Renders the first `count` ranked definitions: grouped by file (files in order of their
 * best definition), each definition's signature under its enclosing scopes' first lines,
 * in line order, with `⋮` where lines are left out.
 */
export function renderMap(ranked: readonly RankedDef[], count: number, defsOf: DefsOf): Rendered {
  const chosen = ranked.slice(0, count);
  const order: string[] = [];
  const perFile = new Map<string, Set<number>>();
  for (const r of chosen) {
    let set = perFile.get(r.file);
    if (!set) {
      perFile.set(r.file, (set = new Set()));
      order.push(r.file);
    }
    set.add(r.index);
  }

  const sections: string[] = [];
  for (const file of order) {
    const out: string[] = [];
    const defs = defsOf(file);
    const shown = new Map<number, Block>();
    for (const index of perFile.get(file)!) {
      const def = defs[index];
      if (!def) continue;
      const sig = def.signature.split('\n');
      shown.set(def.line * 1e6 + index, { line: def.line, lines: sig, broken: sig.includes('⋮') });
      for (let s = def.scope, guard = 0; s >= 0 && guard < 64; s = defs[s]?.scope ?? -1, guard++) {
        const scope = defs[s];
        if (!scope) break;
        const key = scope.line * 1e6 + s;
        if (!perFile.get(file)!.has(s) && !shown.has(key)) {
          shown.set(key, { line: scope.line, lines: [scope.signature.split('\n')[0]!], broken: false });
        }
      }
    }
    out.push(`${file}:`);
    let nextLine = 1;
    const blocks = [...shown.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b);
    for (const block of blocks) {
      if (block.line < nextLine) continue; // same line as a block already shown (one-line nesting)
      if (block.line > nextLine) out.push('⋮');
      out.push(...block.lines);
      nextLine = block.broken ? Number.POSITIVE_INFINITY : block.line + block.lines.length;
    }
    out.push('⋮');
    sections.push(`${out.join('\n')}\n`);
  }
  return {
    text: sections.join(''),
    sections,
    files: order,
    definitions: chosen.map((r) => {
      const def = defsOf(r.file)[r.index];
      return { file: r.file, line: def?.line ?? 0, kind: def?.kind ?? 'other', name: r.name, score: r.score };
    }),
  };
}

/**
 * Exact token counts of map sections seen before, by the section's text. A rendering made
 * only of known sections is counted by adding them up, without the tokenizer: o200k_base
 * splits text into pieces before merging, and a section ends with `⋮\n`, a piece that
 * ends there as long as the next section starts with none of `\r \n /` or whitespace (a
 * repository path never does; `additive` checks), so a count of the whole is the sum of
 * its sections' counts. `render.test.ts` checks this against the tokenizer.
 */
export interface SectionCounts {
  get(section: string): number | undefined;
  set(section: string, tokens: number): void;
}

/**
 * Whether `sections` may be counted as the sum of their counts (see `SectionCounts`): each ends
 * with `ending` (a piece o200k_base closes there: `⋮\n` for the map's sections, a blank line for
 * chunks) and none after the first starts with whitespace or `/`, which such a piece could take in.
 */
export function additive(sections: readonly string[], ending = '\n⋮\n'): boolean {
  for (let k = 0; k < sections.length; k++) {
    const s = sections[k]!;
    if (!s.endsWith(ending)) return false;
    if (k > 0 && /^[\s/]/.test(s)) return false;
  }
  return true;
}

/**
 * The largest prefix of the ranking whose rendering fits `budget` tokens, found by binary
 * search on the number of definitions. `count(text, limit)` returns the exact count, or
 * undefined when over the limit. The result never exceeds the budget: only renderings that
 * were counted (exactly, or as a sum of exact section counts from `known`) and fit are
 * kept. With `known`, sections are counted one by one and remembered there, so a later
 * build that renders the same sections needs no tokenizer.
 */
export async function fitToBudget(
  ranked: readonly RankedDef[],
  defsOf: DefsOf,
  budget: number,
  count: TokenCounter,
  known?: SectionCounts,
  hint?: number,
): Promise<Rendered & { tokens: number; renders: number; exactCounts: number }> {
  let best: Rendered & { tokens: number } = { text: '', sections: [], files: [], definitions: [], tokens: 0 };
  let renders = 0;
  let exactCounts = 0;
  if (budget <= 0 || ranked.length === 0) return { ...best, renders, exactCounts };
  // With `known`, a rendering is counted per section (exactly, each counted once ever) and
  // summed; otherwise, or when a path breaks additivity, as a whole.
  const measure = async (rendered: Rendered): Promise<number | undefined> => {
    if (!known || !additive(rendered.sections)) {
      exactCounts++;
      return count(rendered.text, budget);
    }
    // A negative entry -(L + 1) records "more than L tokens" (the count stopped at L).
    const unknown: string[] = [];
    for (const section of rendered.sections) {
      const c = known.get(section);
      if (c !== undefined && c < 0 && -c - 1 >= budget) return undefined;
      if (c === undefined || c < 0) unknown.push(section);
    }
    // Sections never counted go to the tokenizer all at once: one after the other, each waited
    // for a round trip to its worker (a cold build counts a few hundred).
    const counts = await Promise.all(unknown.map((section) => count(section, budget)));
    exactCounts += unknown.length;
    unknown.forEach((section, i) => known.set(section, counts[i] ?? -budget - 1));
    let sum = 0;
    for (const section of rendered.sections) {
      const c = known.get(section)!;
      if (c < 0) return undefined;
      sum += c;
      if (sum > budget) return undefined;
    }
    return sum;
  };
  // Every definition adds at least one token, so more than `budget` never fit. The answer
  // lies in [lo, hi]: everything below lo fits, everything above hi does not.
  let lo = 1;
  let hi = Math.min(ranked.length, budget);
  const fits = async (k: number): Promise<boolean> => {
    const rendered = renderMap(ranked, k, defsOf);
    renders++;
    const tokens = await measure(rendered);
    if (tokens === undefined || tokens > budget) return false;
    if (k >= best.definitions.length) best = { ...rendered, tokens };
    return true;
  };
  // The count that fitted last time (`hint`) is usually right or close: gallop out from it, so
  // a rebuild after a small change renders 2-4 times instead of log2(budget) times.
  if (hint !== undefined && hint >= lo && hint <= hi) {
    if (await fits(hint)) {
      lo = hint + 1;
      for (let step = 1; lo <= hi; step *= 2) {
        const probe = Math.min(hint + step, hi);
        if (!(await fits(probe))) {
          hi = probe - 1;
          break;
        }
        lo = probe + 1;
      }
    } else {
      hi = hint - 1;
      for (let step = 1; lo <= hi; step *= 2) {
        const probe = Math.max(hint - step, lo);
        if (await fits(probe)) {
          lo = probe + 1;
          break;
        }
        hi = probe - 1;
      }
    }
  }
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (await fits(mid)) lo = mid + 1;
    else hi = mid - 1;
  }
  return { ...best, renders, exactCounts };
}
