/** A file's tags as the ranker sees them. */
export interface RankInput {
  path: string;
  /** Names of the file's definitions, in the file's definition order. */
  defNames: readonly string[];
  /** Referenced identifier -> count. */
  refs: Readonly<Record<string, number>>;
}

export interface RankOptions {
  /** Paths (repository-relative) the ranking is personalised to: files in the chat or `--focus`. */
  focusFiles?: readonly string[];
  /** Free text of the request: its identifiers and paths personalise the ranking too. */
  query?: string;
  /** Return only the best `limit` definitions (the rest cost time and memory for nothing). */
  limit?: number;
  /**
   * File ranks to start PageRank from (per file of the graph; zeros for files not known): the
   * last build's, for the same request. After one changed file it converges in ~3 iterations
   * instead of ~19, and (measured on playwright) no further from the exact ranking than a
   * start from scratch: the same best 300 definitions, fewer of them out of order.
   */
  start?: Float64Array;
  /**
   * Extra personalisation per file of the graph (index order), e.g. the files a retrieval found
   * for the request: added to the focus files' and mentions' weights before normalising.
   */
  personalWeights?: Float64Array;
  /**
   * Bonus per file (index order, 0..1) for the file's best definitions: they are placed after the
   * definitions the query names and before everything else, in bonus order, so the files a
   * retrieval found are shown even when the request names no identifier.
   */
  fileBonus?: Float64Array;
  /** Only the file ranks are wanted: definitions are not scored (`ranked` is empty). */
  filesOnly?: boolean;
  /** Upper bound of PageRank iterations (default 50; it stops sooner once converged). */
  maxIterations?: number;
}

/** A definition with its score; best first in `rankDefinitions`'s output. */
export interface RankedDef {
  file: string;
  /** Index into that file's definitions. */
  index: number;
  name: string;
  score: number;
}

/** What `rankGraph` computes. */
export interface RankOutcome {
  /** The best definitions (up to `limit`), best first. */
  ranked: RankedDef[];
  mentions: Mentions;
  /** PageRank of each file of the graph. */
  fileRanks: Float64Array;
  /** Score of every definition (one per entry of `graph.defIds`); empty with `filesOnly`. */
  scores: Float64Array;
}

/** What the query text mentions, matched against the repository. */
export interface Mentions {
  identifiers: Set<string>;
  files: Set<string>;
}

const WORD = /[A-Za-z_$][\w$]*/g;
const DOTTED = /[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+/g;
const PATHISH = /[\w.\-/]+/g;

function stem(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.indexOf('.');
  return (dot > 0 ? base.slice(0, dot) : base).toLowerCase();
}

/**
 * Identifiers and paths a request mentions: words and dotted names that are defined identifiers
 * (exactly, or case-insensitively when 4+ characters), and tokens that end a repository path or equal a
 * file's name without extension.
 */
export function findMentions(query: string, inputs: readonly { path: string }[], defined: ReadonlyMap<string, unknown>): Mentions {
  const identifiers = new Set<string>();
  const files = new Set<string>();
  if (query.trim() === '') return { identifiers, files };
  const words = new Set(query.match(WORD) ?? []);
  // Dotted names (an Elixir module `Plug.Conn`, `os.path`): every run of two or more of their parts.
  for (const dotted of query.match(DOTTED) ?? []) {
    const parts = dotted.split('.');
    for (let from = 0; from < parts.length - 1; from++) for (let to = from + 2; to <= parts.length; to++) words.add(parts.slice(from, to).join('.'));
  }
  const lowerWords = new Set([...words].filter((w) => w.length >= 4).map((w) => w.toLowerCase()));
  for (const name of defined.keys()) {
    if (words.has(name) || (name.length >= 4 && lowerWords.has(name.toLowerCase()))) identifiers.add(name);
  }
  const tokens = (query.match(PATHISH) ?? []).map((t) => t.replace(/^[./]+|[.]+$/g, '')).filter((t) => t.length >= 3);
  const pathTokens = tokens.filter((t) => t.includes('/') || t.includes('.'));
  const stems = new Set(tokens.map((t) => t.toLowerCase()));
  for (const { path } of inputs) {
    if (stems.has(stem(path))) files.add(path);
    else for (const token of pathTokens) if (path === token || path.endsWith(`/${token}`)) files.add(path);
  }
  return { identifiers, files };
}

const LONG_STRUCTURED = 1;
const SHORT = 2;
const PRIVATE = 4;

/**
 * What the weight of an identifier needs from its text, as bits: long and structured
 * (camelCase, snake_case, ACRONYMWord), short (3 characters or fewer), private (`_x`, `#x`).
 * Kept per name in the graph, so ranking touches no string.
 */
export function nameFlags(name: string): number {
  let flags = 0;
  if (name.length >= 8 && /[a-z][A-Z]|_[a-zA-Z]|[A-Z]{2}[a-z]/.test(name)) flags |= LONG_STRUCTURED;
  else if (name.length <= 3) flags |= SHORT;
  const first = name.charCodeAt(0);
  if (first === 95 || first === 35) flags |= PRIVATE;
  return flags;
}

/** Weight of an identifier as a link: rare, long and mentioned names count more, private ones less. */
function identifierWeight(flags: number, definers: number, referrers: number, fileCount: number, mentioned: boolean): number {
  let w = Math.log(1 + fileCount / referrers);
  if (definers > 1) w /= definers;
  if (flags & LONG_STRUCTURED) w *= 2;
  else if (flags & SHORT) w *= 0.3;
  if (flags & PRIVATE) w *= 0.1;
  if (mentioned) w *= 10;
  return w;
}

/**
 * The ranking inputs in compact form: identifiers interned to ids, per file the ids of its
 * definitions (in definition order) and of its references with their counts, as ranges of
 * flat typed arrays (`defStart[i]..defStart[i+1]`). What the snapshot stores and updates.
 */
export interface RankGraph {
  paths: readonly string[];
  /** Identifier id -> name (may hold names no file uses any more). */
  names: readonly string[];
  /** Identifier id -> `nameFlags` of its name. */
  flags: Uint8Array;
  defStart: Uint32Array;
  defIds: Uint32Array;
  refStart: Uint32Array;
  refIds: Uint32Array;
  refCounts: Uint32Array;
}

/** The compact form of `inputs` (interns every name). */
export function graphOf(inputs: readonly RankInput[]): RankGraph {
  const ids = new Map<string, number>();
  const names: string[] = [];
  const intern = (name: string): number => {
    let id = ids.get(name);
    if (id === undefined) {
      ids.set(name, (id = names.length));
      names.push(name);
    }
    return id;
  };
  const n = inputs.length;
  const defStart = new Uint32Array(n + 1);
  const refStart = new Uint32Array(n + 1);
  const defIds: number[] = [];
  const refIds: number[] = [];
  const refCounts: number[] = [];
  inputs.forEach((input, i) => {
    defStart[i] = defIds.length;
    refStart[i] = refIds.length;
    for (const name of input.defNames) defIds.push(intern(name));
    for (const name in input.refs) {
      refIds.push(intern(name));
      refCounts.push(input.refs[name]!);
    }
  });
  defStart[n] = defIds.length;
  refStart[n] = refIds.length;
  const flags = Uint8Array.from(names, nameFlags);
  return { paths: inputs.map((i) => i.path), names, flags, defStart, defIds: Uint32Array.from(defIds), refStart, refIds: Uint32Array.from(refIds), refCounts: Uint32Array.from(refCounts) };
}

/** Ranks every definition of `inputs`; see `rankGraph`. */
export function rankDefinitions(inputs: readonly RankInput[], options: RankOptions = {}): RankOutcome {
  return rankGraph(graphOf(inputs), options);
}

/**
 * Ranks every definition: a graph of files (an edge from a file that references an
 * identifier to each other file that defines it), PageRank personalised to the focus files
 * and to what the query mentions, then each file's rank shared out along its edges to the
 * definitions it reaches. Definitions the query names get a bonus above everything else.
 *
 * Edges are never materialised: all edges of one reference share a weight, so each
 * iteration sums the flow per identifier and hands it to the identifier's definers,
 * O(references + definitions) instead of O(references x definers). Everything is in typed
 * arrays indexed by identifier id: no string is hashed per build except for the query.
 */
export function rankGraph(graph: RankGraph, options: RankOptions = {}): RankOutcome {
  const { paths, names, flags, defStart, defIds, refStart, refIds, refCounts } = graph;
  const n = paths.length;
  const ids = names.length;

  // Per identifier, the files defining it (ascending, unique), as ranges of `definerList`.
  const definerCount = new Uint32Array(ids);
  const lastDefiner = new Int32Array(ids).fill(-1);
  for (let i = 0; i < n; i++) {
    for (let d = defStart[i]!; d < defStart[i + 1]!; d++) {
      const id = defIds[d]!;
      if (lastDefiner[id] !== i) {
        lastDefiner[id] = i;
        definerCount[id]!++;
      }
    }
  }
  const definerStart = new Uint32Array(ids + 1);
  for (let id = 0; id < ids; id++) definerStart[id + 1] = definerStart[id]! + definerCount[id]!;
  const definerList = new Uint32Array(definerStart[ids]!);
  const fill = new Uint32Array(ids);
  lastDefiner.fill(-1);
  for (let i = 0; i < n; i++) {
    for (let d = defStart[i]!; d < defStart[i + 1]!; d++) {
      const id = defIds[d]!;
      if (lastDefiner[id] !== i) {
        lastDefiner[id] = i;
        definerList[definerStart[id]! + fill[id]!++] = i;
      }
    }
  }

  // Name -> id of defined identifiers: only a query needs it (tens of thousands of entries).
  const defined = new Map<string, number>();
  const hasQuery = options.query !== undefined && options.query.trim() !== '';
  if (hasQuery) for (let id = 0; id < ids; id++) if (definerCount[id]! > 0) defined.set(names[id]!, id);
  const mentions = hasQuery ? findMentions(options.query!, paths.map((path) => ({ path })), defined) : { identifiers: new Set<string>(), files: new Set<string>() };
  const fileIndex = new Map<string, number>();
  const focus = new Set<number>();
  if ((options.focusFiles?.length ?? 0) > 0 || mentions.files.size > 0) paths.forEach((p, i) => fileIndex.set(p, i));
  for (const path of options.focusFiles ?? []) {
    const i = fileIndex.get(path);
    if (i !== undefined) focus.add(i);
  }
  const mentionedIdent = new Uint8Array(ids);
  for (const name of mentions.identifiers) mentionedIdent[defined.get(name)!] = 1;

  // Reference entries (file, identifier, count) for identifiers defined somewhere; `self`
  // when the referencing file is one of several definers (it does not send to itself).
  const totalRefs = refStart[n]!;
  const eSrc = new Uint32Array(totalRefs);
  const eIdent = new Uint32Array(totalRefs);
  const eCount = new Uint32Array(totalRefs);
  const eSelf = new Uint8Array(totalRefs);
  const referrers = new Uint32Array(ids);
  const eStart = new Uint32Array(n + 1); // each file's entries are contiguous
  let m = 0;
  lastDefiner.fill(-1); // now: the last file seen defining each identifier, for O(1) self checks
  for (let i = 0; i < n; i++) {
    eStart[i] = m;
    for (let d = defStart[i]!; d < defStart[i + 1]!; d++) lastDefiner[defIds[d]!] = i;
    for (let r = refStart[i]!; r < refStart[i + 1]!; r++) {
      const id = refIds[r]!;
      const count = definerCount[id]!;
      if (count === 0) continue;
      const self = lastDefiner[id] === i;
      if (self && count === 1) continue; // only a self-loop
      eSrc[m] = i;
      eIdent[m] = id;
      eCount[m] = refCounts[r]!;
      eSelf[m] = self ? 1 : 0;
      referrers[id]!++;
      m++;
    }
  }
  eStart[n] = m;

  const identBase = new Float64Array(ids);
  for (let id = 0; id < ids; id++) {
    if (referrers[id] === 0) continue;
    identBase[id] = identifierWeight(flags[id]!, definerCount[id]!, referrers[id]!, n, mentionedIdent[id] === 1);
  }
  // Weight of each single edge of an entry, before its file's out-weight divides it. The
  // division is folded into the rank a file sends (`sent` below): one pass fewer over the
  // edges, which in a fresh process run before the JIT has compiled anything.
  const focusMark = new Uint8Array(n);
  for (const i of focus) focusMark[i] = 1;
  const refWeight = new Float64Array(m);
  const outWeight = new Float64Array(n);
  for (let e = 0; e < m; e++) {
    const src = eSrc[e]!;
    const id = eIdent[e]!;
    const count = eCount[e]!;
    const w = identBase[id]! * (count === 1 ? 1 : Math.sqrt(count)) * (focusMark[src] === 1 ? 10 : 1);
    refWeight[e] = w;
    outWeight[src] = outWeight[src]! + w * (definerCount[id]! - eSelf[e]!);
  }

  // Personalisation: focus files, mentioned files, and files defining mentioned identifiers.
  const personal = new Float64Array(n);
  let personalSum = 0;
  const bump = (i: number, v: number): void => {
    personal[i] = personal[i]! + v;
    personalSum += v;
  };
  for (const i of focus) bump(i, 1);
  for (const path of mentions.files) bump(fileIndex.get(path)!, 1);
  for (const name of mentions.identifiers) {
    const id = defined.get(name)!;
    const count = definerCount[id]!;
    for (let k = definerStart[id]!; k < definerStart[id]! + count; k++) bump(definerList[k]!, 1 / count);
  }
  const extra = options.personalWeights;
  if (extra && extra.length === n) for (let i = 0; i < n; i++) if (extra[i]! > 0) bump(i, extra[i]!);
  if (personalSum === 0) personal.fill(1 / Math.max(n, 1));
  else for (let i = 0; i < n; i++) personal[i] = personal[i]! / personalSum;

  // Flow of one iteration: per identifier, the sum over referencing files; a file that
  // also defines the identifier does not send to itself.
  const flow = new Float64Array(ids);
  const sent = new Float64Array(n); // per file: its rank over its out-weight
  const spread = (rank: Float64Array, into: Float64Array, scale: number): void => {
    flow.fill(0);
    for (let i = 0; i < n; i++) sent[i] = outWeight[i] === 0 ? 0 : (scale * rank[i]!) / outWeight[i]!;
    for (let e = 0; e < m; e++) {
      const src = eSrc[e]!;
      const amount = sent[src]! * refWeight[e]!;
      flow[eIdent[e]!] = flow[eIdent[e]!]! + amount;
      if (eSelf[e] === 1) into[src] = into[src]! - amount;
    }
    for (let id = 0; id < ids; id++) {
      const f = flow[id]!;
      if (f === 0) continue;
      for (let k = definerStart[id]!; k < definerStart[id + 1]!; k++) into[definerList[k]!] = into[definerList[k]!]! + f;
    }
  };

  let rank = startingRanks(options.start, personal);
  let next = new Float64Array(n);
  const damping = 0.85;
  // Converged when the L1 change is below n x 1e-6: networkx's pagerank criterion (what Aider's
  // map uses). On playwright that is ~19 iterations against the 40 a fixed 1e-9 always ran,
  // with the same best 300 definitions.
  const tolerance = n * 1e-6;
  for (let it = 0; it < (options.maxIterations ?? 50); it++) {
    let dangling = 0;
    for (let i = 0; i < n; i++) if (outWeight[i] === 0) dangling += rank[i]!;
    for (let i = 0; i < n; i++) next[i] = (1 - damping + damping * dangling) * personal[i]!;
    spread(rank, next, damping);
    let delta = 0;
    for (let i = 0; i < n; i++) delta += Math.abs(next[i]! - rank[i]!);
    [rank, next] = [next, rank];
    if (delta < tolerance) break;
  }

  if (options.filesOnly) return { ranked: [], mentions, fileRanks: rank, scores: new Float64Array(0) };

  // A definition's score: the rank flowing to its identifier, less what its own file sent.
  next.fill(0);
  spread(rank, next, 1);
  const identFlow = flow;
  const selfFlow = new Float64Array(ids); // per file in turn: what it sent itself, per identifier
  let top = 0;
  for (let id = 0; id < ids; id++) if (identFlow[id]! > top) top = identFlow[id]!;

  // Scores of all definitions in a flat array; only the best `limit` become objects.
  const total = defStart[n]!;
  const scores = new Float64Array(total);
  for (let i = 0; i < n; i++) {
    const fileRank = rank[i]!;
    const boosted = focusMark[i] === 1 || (mentions.files.size > 0 && mentions.files.has(paths[i]!));
    const fileSent = outWeight[i] === 0 ? 0 : fileRank / outWeight[i]!;
    for (let e = eStart[i]!; e < eStart[i + 1]!; e++) if (eSelf[e] === 1) selfFlow[eIdent[e]!] = fileSent * refWeight[e]!;
    for (let d = defStart[i]!; d < defStart[i + 1]!; d++) {
      const id = defIds[d]!;
      const received = identFlow[id]! - selfFlow[id]!;
      // Unreferenced definitions still order by their file's rank, below referenced ones.
      let score = received > 0 ? received : fileRank * 1e-3;
      if (flags[id]! & PRIVATE) score *= 0.5;
      if (mentionedIdent[id] === 1) score += top + fileRank + 1;
      else if (boosted) score += fileRank * 0.05;
      scores[d] = score;
    }
    for (let e = eStart[i]!; e < eStart[i + 1]!; e++) selfFlow[eIdent[e]!] = 0;
  }
  if (options.fileBonus && options.fileBonus.length === n) applyFileBonus(scores, defStart, defIds, mentionedIdent, options.fileBonus, top);
  return { ranked: selectRanked(graph, scores, options.limit), mentions, fileRanks: rank, scores };
}

/** Score of a definition no file references: a share of its file's rank (as `rankGraph` gives it). */
export function unreferencedScore(fileRank: number, flags: number, focused: boolean): number {
  let score = fileRank * 1e-3;
  if (flags & PRIVATE) score *= 0.5;
  if (focused) score += fileRank * 0.05;
  return score;
}

/** The best `limit` definitions by score (one per entry of `graph.defIds`), best first; ties by path, then definition order. */
export function selectRanked(graph: RankGraph, scores: Float64Array, limit?: number): RankedDef[] {
  const { paths, names, defStart, defIds } = graph;
  const n = paths.length;
  const total = defStart[n] ?? 0;
  const take = Math.min(limit ?? total, total);
  // Ascending, by the typed array's native sort: the k-th largest score, and the order of the
  // selected ones without a comparator called per pair (~10,000 calls for 1,024 definitions, run
  // by V8's interpreter in a fresh process: 7-12 ms against ~1 for this).
  const sorted = scores.slice(0, total).sort();
  const threshold = take >= total ? Number.NEGATIVE_INFINITY : sorted[total - take]!;
  // NaN (never made by the ranking) has no place in a numeric order: the comparator's order then.
  if (total > 0 && Number.isNaN(sorted[total - 1]!)) return selectByComparator(graph, scores, take, threshold);
  // The selected definitions in listing order, chained per score (`first`, then `next`): each
  // score's definitions in listing order, as a stable sort would leave them.
  const defs: number[] = [];
  const files: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let d = defStart[i]!; d < defStart[i + 1]!; d++) {
      if (scores[d]! < threshold) continue;
      defs.push(d);
      files.push(i);
    }
  }
  const first = new Map<number, number>();
  const next = new Int32Array(defs.length);
  for (let k = defs.length - 1; k >= 0; k--) {
    const score = scores[defs[k]!]!;
    next[k] = first.get(score) ?? -1;
    first.set(score, k);
  }
  const ranked: RankedDef[] = [];
  const push = (k: number): void => {
    const d = defs[k]!;
    const i = files[k]!;
    ranked.push({ file: paths[i]!, index: d - defStart[i]!, name: names[defIds[d]!]!, score: scores[d]! });
  };
  let last = Number.NaN;
  for (let p = total - 1; p >= 0 && ranked.length < take; p--) {
    const score = sorted[p]!;
    if (score < threshold) break;
    // Equal scores (0 and -0 too) are one group, taken at their first place.
    if (score === last) continue;
    last = score;
    const at = ranked.length;
    for (let k = first.get(score)!; k !== -1; k = next[k]!) push(k);
    // A tie: by path (listing order need not be the order of `<`), then definition order.
    if (ranked.length - at > 1) {
      const tied = ranked.splice(at).sort(byPathThenIndex);
      for (const r of tied) ranked.push(r);
    }
  }
  if (ranked.length > take) ranked.length = take;
  return ranked;
}

const byPathThenIndex = (a: RankedDef, b: RankedDef): number => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.index - b.index);

/** {@link selectRanked} by a comparator over every selected definition: for scores a numeric order cannot place. */
function selectByComparator(graph: RankGraph, scores: Float64Array, take: number, threshold: number): RankedDef[] {
  const { paths, names, defStart, defIds } = graph;
  const ranked: RankedDef[] = [];
  for (let i = 0; i < paths.length; i++) {
    for (let d = defStart[i]!; d < defStart[i + 1]!; d++) {
      if (scores[d]! < threshold) continue;
      ranked.push({ file: paths[i]!, index: d - defStart[i]!, name: names[defIds[d]!]!, score: scores[d]! });
    }
  }
  ranked.sort((a, b) => b.score - a.score || byPathThenIndex(a, b));
  if (ranked.length > take) ranked.length = take;
  return ranked;
}

/** Definitions a file bonus lifts: the file's best few, those the query names first. */
const BONUS_DEFS = 3;

/**
 * Lifts each bonus file's best {@link BONUS_DEFS} definitions above everything else, in bonus
 * order: above the definitions the query names (≤ `top` + 2, see `rankGraph`), which a request
 * in words names by accident (`test`, `name`, `display` are defined somewhere), while the
 * retrieval that set the bonus read the whole request.
 */
function applyFileBonus(scores: Float64Array, defStart: Uint32Array, defIds: Uint32Array, mentioned: Uint8Array, bonus: Float64Array, top: number): void {
  for (let i = 0; i < bonus.length; i++) {
    const b = bonus[i]!;
    if (!(b > 0)) continue;
    const defs: number[] = [];
    for (let d = defStart[i]!; d < defStart[i + 1]!; d++) defs.push(d);
    defs.sort((x, y) => mentioned[defIds[y]!]! - mentioned[defIds[x]!]! || scores[y]! - scores[x]! || x - y);
    defs.slice(0, BONUS_DEFS).forEach((d, j) => {
      scores[d] = top + 3 + Math.min(b, 1) * (1 - 0.1 * j);
    });
  }
}

/** `start` scaled to sum 1, or the personalisation when there is no usable start. */
function startingRanks(start: Float64Array | undefined, personal: Float64Array): Float64Array<ArrayBuffer> {
  if (start === undefined || start.length !== personal.length) return Float64Array.from(personal);
  let sum = 0;
  for (const v of start) sum += v >= 0 && Number.isFinite(v) ? v : Number.NaN;
  if (!(sum > 0)) return Float64Array.from(personal);
  return Float64Array.from(start, (v) => v / sum);
}

/**
 * The k-th largest value (1-based) of `values`, from a sorted copy: the typed array's native sort
 * runs compiled from the first call, where a selection in JS runs in V8's interpreter in the fresh
 * process of a command (~9,000 scores: 1-2 ms against 3-5 ms).
 */
export function kthLargest(values: Float64Array, k: number): number {
  const sorted = values.slice().sort();
  return sorted[sorted.length - k]!;
}
