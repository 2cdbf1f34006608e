import { selectRanked, unreferencedScore, type RankedDef } from './rank.js';
import type { RankSnapshot, StoredRanks } from './rank-snapshot.js';

/** At most this many changed files are checked for a reusable ranking; more go to a full ranking. */
const MAX_CHANGED = 8;

/** A ranking carried over from the last build. */
export interface ReusedRanking {
  ranked: RankedDef[];
  fileRanks: Float64Array;
  scores: Float64Array;
}

/**
 * The last build's ranking carried over to a snapshot in which a few files changed in place,
 * when the change cannot move it: PageRank and every definition's score depend only on the
 * links between files (which file references which identifier how often, which files define
 * it), the file count and the request. A change that keeps every link is one where each changed
 * file
 * - references the identifiers that some file defines exactly as often as before, and
 * - defines, or stops defining, only identifiers no file references at all
 *
 * (an edit inside a body that keeps its identifiers, a new function nothing calls yet, a
 * comment). Then the file ranks are the stored ones, the unchanged files' definitions keep
 * their stored scores, and each changed file's definitions take the score of the same
 * identifier in the same file before, or, when new (unreferenced), a share of the file's rank
 * as `rankGraph` gives it. Undefined when anything else changed: rank afresh.
 *
 * Only for a request without a query (the query's mentions depend on every defined name), with
 * stored ranks of the same request over `base` that carry definition scores, and when `next`
 * kept `base`'s identifier ids (`updateSnapshot`'s `sameIds`).
 */
export function reuseRanking(
  base: RankSnapshot | undefined,
  next: RankSnapshot,
  from: Int32Array,
  stored: StoredRanks | undefined,
  request: { key: string; focus: ReadonlySet<number>; limit: number },
): ReusedRanking | undefined {
  if (!base || !stored?.scores || stored.gen === '' || stored.gen !== base.gen || stored.request !== request.key) return undefined;
  const old = base.graph;
  const g = next.graph;
  const n = g.paths.length;
  if (old.paths.length !== n || stored.ranks.length !== n || stored.scores.length !== old.defStart[n]) return undefined;
  const changed: number[] = [];
  for (let i = 0; i < n; i++) {
    if (from[i] === i) continue;
    if (from[i] !== -1 || old.paths[i] !== g.paths[i] || changed.length === MAX_CHANGED) return undefined;
    changed.push(i);
  }
  if (changed.length === 0) return undefined;

  // Which identifiers the unchanged files define and reference (ids of both graphs agree).
  const ids = g.names.length;
  const isChanged = new Uint8Array(n);
  for (const i of changed) isChanged[i] = 1;
  const definedElsewhere = new Uint8Array(ids);
  const referencedElsewhere = new Uint8Array(ids);
  for (let i = 0; i < n; i++) {
    if (isChanged[i] === 1) continue;
    for (let d = g.defStart[i]!; d < g.defStart[i + 1]!; d++) definedElsewhere[g.defIds[d]!] = 1;
    for (let r = g.refStart[i]!; r < g.refStart[i + 1]!; r++) referencedElsewhere[g.refIds[r]!] = 1;
  }
  // Identifiers the changed files define or reference, before or after the change.
  const definedByChanged = new Set<number>();
  const referencedByChanged = new Set<number>();
  for (const i of changed) {
    for (const graph of [old, g]) {
      for (let d = graph.defStart[i]!; d < graph.defStart[i + 1]!; d++) definedByChanged.add(graph.defIds[d]!);
      for (let r = graph.refStart[i]!; r < graph.refStart[i + 1]!; r++) referencedByChanged.add(graph.refIds[r]!);
    }
  }
  for (const i of changed) {
    // References to an identifier some file defines (before or after): the same counts.
    const refsBefore = new Map<number, number>();
    const refsAfter = new Map<number, number>();
    for (let r = old.refStart[i]!; r < old.refStart[i + 1]!; r++) refsBefore.set(old.refIds[r]!, old.refCounts[r]!);
    for (let r = g.refStart[i]!; r < g.refStart[i + 1]!; r++) refsAfter.set(g.refIds[r]!, g.refCounts[r]!);
    const defined = (id: number): boolean => definedElsewhere[id] === 1 || definedByChanged.has(id);
    for (const [id, count] of refsBefore) if (defined(id) && refsAfter.get(id) !== count) return undefined;
    for (const [id, count] of refsAfter) if (defined(id) && refsBefore.get(id) !== count) return undefined;
    // A definition gained or lost: of an identifier nobody references.
    const defsBefore = new Set<number>();
    const defsAfter = new Set<number>();
    for (let d = old.defStart[i]!; d < old.defStart[i + 1]!; d++) defsBefore.add(old.defIds[d]!);
    for (let d = g.defStart[i]!; d < g.defStart[i + 1]!; d++) defsAfter.add(g.defIds[d]!);
    for (const [one, other] of [[defsBefore, defsAfter], [defsAfter, defsBefore]] as const) {
      for (const id of one) if (!other.has(id) && (referencedElsewhere[id] === 1 || referencedByChanged.has(id))) return undefined;
    }
  }

  // The links are the same: the stored ranks hold; scores carry over or are a share of the rank.
  const scores = new Float64Array(g.defStart[n]!);
  for (let i = 0; i < n; i++) {
    if (isChanged[i] === 0) {
      // The unchanged files up to the next changed one: one copy (their ranges follow each other in both graphs).
      let end = i + 1;
      while (end < n && isChanged[end] === 0) end++;
      scores.set(stored.scores.subarray(old.defStart[i]!, old.defStart[end]!), g.defStart[i]!);
      i = end - 1;
      continue;
    }
    const before = new Map<number, number>();
    for (let d = old.defStart[i]!; d < old.defStart[i + 1]!; d++) before.set(old.defIds[d]!, stored.scores[d]!);
    for (let d = g.defStart[i]!; d < g.defStart[i + 1]!; d++) {
      const id = g.defIds[d]!;
      scores[d] = before.get(id) ?? unreferencedScore(stored.ranks[i]!, g.flags[id]!, request.focus.has(i));
    }
  }
  const fileRanks = stored.ranks.slice();
  return { ranked: selectRanked(g, scores, request.limit), fileRanks, scores };
}
