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
}

/** A definition with its score; best first in `rankDefinitions`'s output. */
export interface RankedDef {
  file: string;
  /** Index into that file's definitions. */
  index: number;
  name: string;
  score: number;
}

/** What the query text mentions, matched against the repository. */
export interface Mentions {
  identifiers: Set<string>;
  files: Set<string>;
}

const WORD = /[A-Za-z_$][\w$]*/g;
const PATHISH = /[\w.\-/]+/g;

function stem(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.indexOf('.');
  return (dot > 0 ? base.slice(0, dot) : base).toLowerCase();
}

/**
 * Identifiers and paths a request mentions: words that are defined identifiers (exactly, or
 * case-insensitively when 4+ characters), and tokens that end a repository path or equal a
 * file's name without extension.
 */
export function findMentions(query: string, inputs: readonly RankInput[], defined: ReadonlyMap<string, unknown>): Mentions {
  const identifiers = new Set<string>();
  const files = new Set<string>();
  if (query.trim() === '') return { identifiers, files };
  const words = new Set(query.match(WORD) ?? []);
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

function isPrivate(name: string): boolean {
  return name.startsWith('_') || name.startsWith('#');
}

/** Weight of an identifier as a link: rare, long and mentioned names count more, private ones less. */
function identifierWeight(name: string, definers: number, referrers: number, fileCount: number, mentioned: boolean): number {
  let w = Math.log(1 + fileCount / referrers);
  if (definers > 1) w /= definers;
  const structured = /[a-z][A-Z]|_[a-zA-Z]|[A-Z]{2}[a-z]/.test(name);
  if (name.length >= 8 && structured) w *= 2;
  else if (name.length <= 3) w *= 0.3;
  if (isPrivate(name)) w *= 0.1;
  if (mentioned) w *= 10;
  return w;
}

/**
 * Ranks every definition: a graph of files (an edge from a file that references an
 * identifier to each other file that defines it), PageRank personalised to the focus files
 * and to what the query mentions, then each file's rank shared out along its edges to the
 * definitions it reaches. Definitions the query names get a bonus above everything else.
 *
 * Edges are never materialised: all edges of one reference share a weight, so each
 * iteration sums the flow per identifier and hands it to the identifier's definers,
 * O(references + definitions) instead of O(references x definers).
 */
export function rankDefinitions(inputs: readonly RankInput[], options: RankOptions = {}): { ranked: RankedDef[]; mentions: Mentions } {
  const n = inputs.length;
  const fileIndex = new Map<string, number>();
  inputs.forEach((input, i) => fileIndex.set(input.path, i));

  // Identifier ids and, per identifier, the files defining it (ascending, unique).
  const identId = new Map<string, number>();
  const definers: number[][] = [];
  inputs.forEach((input, i) => {
    for (const name of input.defNames) {
      let id = identId.get(name);
      if (id === undefined) {
        identId.set(name, (id = definers.length));
        definers.push([i]);
      } else {
        const list = definers[id]!;
        if (list[list.length - 1] !== i) list.push(i);
      }
    }
  });

  const mentions = findMentions(options.query ?? '', inputs, identId);
  const focus = new Set<number>();
  for (const path of options.focusFiles ?? []) {
    const i = fileIndex.get(path);
    if (i !== undefined) focus.add(i);
  }

  // Reference entries (file, identifier, count) for identifiers defined somewhere.
  const refSrc: number[] = [];
  const refIdent: number[] = [];
  const refCount: number[] = [];
  const refSelf: boolean[] = [];
  const referrers = new Uint32Array(definers.length);
  inputs.forEach((input, i) => {
    const refs = input.refs;
    let own: Set<string> | undefined;
    for (const name in refs) {
      const id = identId.get(name);
      if (id === undefined) continue;
      const list = definers[id]!;
      let self = false;
      if (list.length === 1) self = list[0] === i;
      else if (list.includes(i)) self = (own ??= new Set(input.defNames)).has(name);
      if (self && list.length === 1) continue; // only a self-loop
      refSrc.push(i);
      refIdent.push(id);
      refCount.push(refs[name]!);
      refSelf.push(self);
      referrers[id]!++;
    }
  });

  const identNames = [...identId.keys()];
  const identBase = new Float64Array(definers.length);
  for (let id = 0; id < definers.length; id++) {
    if (referrers[id] === 0) continue;
    const name = identNames[id]!;
    identBase[id] = identifierWeight(name, definers[id]!.length, Math.max(referrers[id]!, 1), n, mentions.identifiers.has(name));
  }
  const m = refSrc.length;
  const refWeight = new Float64Array(m); // weight of each single edge of the entry
  const outWeight = new Float64Array(n);
  for (let e = 0; e < m; e++) {
    const src = refSrc[e]!;
    const id = refIdent[e]!;
    const w = identBase[id]! * Math.sqrt(refCount[e]!) * (focus.has(src) ? 10 : 1);
    refWeight[e] = w;
    const targets = definers[id]!.length - (refSelf[e] ? 1 : 0);
    outWeight[src] = outWeight[src]! + w * targets;
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
    const list = definers[identId.get(name)!]!;
    for (const i of list) bump(i, 1 / list.length);
  }
  if (personalSum === 0) personal.fill(1 / Math.max(n, 1));
  else for (let i = 0; i < n; i++) personal[i] = personal[i]! / personalSum;

  // Flow of one iteration: per identifier, the sum over referencing files; a file that
  // also defines the identifier does not send to itself.
  const flow = new Float64Array(definers.length);
  const spread = (rank: Float64Array, into: Float64Array, scale: number, perIdent?: Float64Array): void => {
    flow.fill(0);
    for (let e = 0; e < m; e++) {
      const src = refSrc[e]!;
      const amount = (scale * rank[src]! * refWeight[e]!) / outWeight[src]!;
      flow[refIdent[e]!] = flow[refIdent[e]!]! + amount;
      if (refSelf[e]) into[src] = into[src]! - amount;
    }
    for (let id = 0; id < definers.length; id++) {
      const f = flow[id]!;
      if (f === 0) continue;
      for (const t of definers[id]!) into[t] = into[t]! + f;
      if (perIdent) perIdent[id] = f;
    }
  };

  let rank = Float64Array.from(personal);
  let next = new Float64Array(n);
  const damping = 0.85;
  for (let it = 0; it < 40; it++) {
    let dangling = 0;
    for (let i = 0; i < n; i++) if (outWeight[i] === 0) dangling += rank[i]!;
    for (let i = 0; i < n; i++) next[i] = (1 - damping + damping * dangling) * personal[i]!;
    spread(rank, next, damping);
    let delta = 0;
    for (let i = 0; i < n; i++) delta += Math.abs(next[i]! - rank[i]!);
    [rank, next] = [next, rank];
    if (delta < 1e-9) break;
  }

  // A definition's score: the rank flowing to its identifier, less what its own file sent.
  const identFlow = new Float64Array(definers.length);
  const selfFlow = new Map<number, number>(); // file * ids + ident -> what the file sent itself
  const ids = definers.length;
  next.fill(0);
  spread(rank, next, 1, identFlow);
  for (let e = 0; e < m; e++) {
    if (!refSelf[e]) continue;
    const src = refSrc[e]!;
    selfFlow.set(src * ids + refIdent[e]!, (rank[src]! * refWeight[e]!) / outWeight[src]!);
  }
  let top = 0;
  for (let id = 0; id < ids; id++) if (identFlow[id]! > top) top = identFlow[id]!;

  // Scores of all definitions in flat arrays; only the best `limit` become objects.
  let total = 0;
  for (const input of inputs) total += input.defNames.length;
  const scores = new Float64Array(total);
  const owner = new Uint32Array(total);
  let k = 0;
  inputs.forEach((input, i) => {
    const fileRank = rank[i]!;
    const boosted = mentions.files.has(input.path) || focus.has(i);
    for (const name of input.defNames) {
      const id = identId.get(name)!;
      const received = identFlow[id]! - (selfFlow.get(i * ids + id) ?? 0);
      // Unreferenced definitions still order by their file's rank, below referenced ones.
      let score = received > 0 ? received : fileRank * 1e-3;
      if (isPrivate(name)) score *= 0.5;
      if (mentions.identifiers.has(name)) score += top + fileRank + 1;
      else if (boosted) score += fileRank * 0.05;
      scores[k] = score;
      owner[k++] = i;
    }
  });
  const limit = Math.min(options.limit ?? total, total);
  const threshold = limit >= total ? Number.NEGATIVE_INFINITY : kthLargest(scores, limit);
  const ranked: RankedDef[] = [];
  const firstDef = new Uint32Array(n);
  for (let i = 1; i < n; i++) firstDef[i] = firstDef[i - 1]! + inputs[i - 1]!.defNames.length;
  for (let d = 0; d < total; d++) {
    if (scores[d]! < threshold) continue;
    const i = owner[d]!;
    const index = d - firstDef[i]!;
    ranked.push({ file: inputs[i]!.path, index, name: inputs[i]!.defNames[index]!, score: scores[d]! });
  }
  ranked.sort((a, b) => b.score - a.score || (a.file < b.file ? -1 : a.file > b.file ? 1 : a.index - b.index));
  if (ranked.length > limit) ranked.length = limit;
  return { ranked, mentions };
}

/** The k-th largest value (1-based) of `values`, by quickselect on a copy. */
export function kthLargest(values: Float64Array, k: number): number {
  const a = Float64Array.from(values);
  let lo = 0;
  let hi = a.length - 1;
  const target = k - 1; // index in descending order
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! > pivot) i++;
      while (a[j]! < pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  return a[target]!;
}
