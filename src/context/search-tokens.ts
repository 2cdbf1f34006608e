/**
 * Tokens of the lexical search index: identifiers split at camelCase, snake_case, kebab-case and
 * digit boundaries, lower-cased and lightly stemmed, so `GitHubActionsReporter`,
 * `github-actions.ts` and "GitHub Actions reporters" share `github`, `action`, `reporter`.
 * A compound identifier also yields itself whole (`githubactionsreporter`), so a request that
 * names it exactly matches it more strongly than its parts scattered over a chunk.
 */

/** Bump when tokens change: the per-blob index entries made with another version are not read. */
export const TOKENIZER_VERSION = 3;

// Words that carry no meaning in a request or that every chunk of code holds.
const STOP = new Set([
  'a', 'an', 'and', 'are', 'as', 'at', 'be', 'been', 'but', 'by', 'can', 'do', 'does', 'for', 'from', 'has', 'have', 'how', 'i', 'if', 'in', 'into',
  'is', 'it', 'its', 'not', 'of', 'on', 'or', 'so', 'that', 'the', 'their', 'then', 'there', 'these', 'this', 'to', 'was', 'we', 'were', 'what',
  'when', 'where', 'which', 'while', 'who', 'why', 'will', 'with', 'would', 'you', 'your', 'should', 'could', 'also', 'all', 'any', 'some',
  'const', 'let', 'var', 'return', 'else', 'import', 'export', 'default', 'void', 'self',
]);

/** A light English stemmer: plurals and the common verb endings, never below 3 letters. */
export function stem(word: string): string {
  const n = word.length;
  if (n <= 3 || /\d/.test(word)) return word;
  if (word.endsWith('ies') && n > 4) return `${word.slice(0, -3)}y`;
  if (word.endsWith('sses')) return word.slice(0, -2);
  if (/(?:ches|shes|xes|zes)$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('s') && !/(?:ss|us|is|ys)$/.test(word)) word = word.slice(0, -1);
  const m = word.length;
  if (m > 5 && word.endsWith('ing')) return undouble(word.slice(0, -3));
  if (m > 4 && word.endsWith('ed') && !word.endsWith('eed')) return undouble(word.endsWith('ied') ? `${word.slice(0, -3)}y` : word.slice(0, -2));
  return word;
}

// `mapped` → `mapp` → `map`; `called` → `call` (ll stays: `call`, `fill`).
function undouble(word: string): string {
  const n = word.length;
  if (n >= 4 && word[n - 1] === word[n - 2] && !/[lsz]/.test(word[n - 1]!)) return word.slice(0, -1);
  return word;
}

// Boundaries inside an identifier: lower→Upper, ACRONYMWord, letter↔digit.
const PARTS = /[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+/g;

/**
 * Calls `emit` with each token of `text`, in order, repeats included. Parts of one character
 * and pure stop words are left out; numbers are kept (`v8`, `http2`).
 */
export function forEachToken(text: string, emit: (token: string) => void): void {
  // A scan of char codes rather than `matchAll(/[A-Za-z0-9_$]+/g)`, and the words remembered in a
  // table found by a hash taken during the scan: an index build tokenizes megabytes, mostly words
  // seen before, and a match object, a substring and a string hash per word were most of its time
  // and of its garbage.
  const n = text.length;
  let i = 0;
  while (i < n) {
    let c = text.charCodeAt(i);
    if (!isWordChar(c)) {
      i++;
      continue;
    }
    const start = i;
    let hash = Math.imul(FNV_OFFSET ^ c, FNV_PRIME);
    while (++i < n && isWordChar((c = text.charCodeAt(i)))) hash = Math.imul(hash ^ c, FNV_PRIME);
    if (i - start === 1) continue;
    const tokens = wordTokensAt(text, start, i, hash);
    for (let k = 0; k < tokens.length; k++) emit(tokens[k]!);
  }
}

/** `[A-Za-z0-9_$]`: the characters of a word. */
export function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36;
}

export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

// Code repeats its identifiers: each word is split and stemmed once per process. The words seen,
// in an open-addressing table of their indices (-1: empty) keyed by the hash of the scan, kept at
// most half full (it starts small: a request has a few words, an index build ~100,000); all
// forgotten at once when it holds MAX_REMEMBERED_WORDS.
const MAX_REMEMBERED_WORDS = 200_000;
let slots = new Int32Array(1 << 10).fill(-1);
const seenWords: string[] = [];
const seenHashes: number[] = [];
const seenTokens: (readonly string[])[] = [];

/** The tokens of the word `text[start, end)`, whose scan hash is `hash`: split once, then remembered. */
function wordTokensAt(text: string, start: number, end: number, hash: number): readonly string[] {
  const length = end - start;
  let mask = slots.length - 1;
  let slot = hash & mask;
  for (let at = slots[slot]!; at !== -1; at = slots[slot]!) {
    if (seenHashes[at] === hash) {
      const word = seenWords[at]!;
      if (word.length === length) {
        let k = 0;
        while (k < length && word.charCodeAt(k) === text.charCodeAt(start + k)) k++;
        if (k === length) return seenTokens[at]!;
      }
    }
    slot = (slot + 1) & mask;
  }
  if (seenWords.length >= MAX_REMEMBERED_WORDS) {
    slots = new Int32Array(1 << 10).fill(-1);
    seenWords.length = 0;
    seenHashes.length = 0;
    seenTokens.length = 0;
    mask = slots.length - 1;
    slot = hash & mask;
  } else if ((seenWords.length + 1) * 2 > slots.length) {
    slots = new Int32Array(slots.length * 2).fill(-1);
    mask = slots.length - 1;
    for (let at = 0; at < seenWords.length; at++) {
      let free = seenHashes[at]! & mask;
      while (slots[free] !== -1) free = (free + 1) & mask;
      slots[free] = at;
    }
    slot = hash & mask;
    while (slots[slot] !== -1) slot = (slot + 1) & mask;
  }
  const word = text.slice(start, end);
  const tokens = splitWord(word);
  slots[slot] = seenWords.length;
  seenWords.push(word);
  seenHashes.push(hash);
  seenTokens.push(tokens);
  return tokens;
}

/** The tokens of one identifier-like word, in order. */
function splitWord(word: string): readonly string[] {
  const out: string[] = [];
  const parts = word.match(PARTS);
  if (!parts) return out;
  if (parts.length === 1) {
    const lower = parts[0]!.toLowerCase();
    if (lower.length > 1 && !STOP.has(lower)) out.push(stem(lower));
    return out;
  }
  let last = '';
  for (const part of parts) {
    const lower = part.toLowerCase();
    if (lower.length < 2 && !/\d/.test(lower)) continue;
    if (STOP.has(lower)) continue;
    last = stem(lower);
    out.push(last);
  }
  // The whole identifier as well: an exact mention beats its parts apart (`v8` is not `8`).
  const whole = word.replace(/[_$]/g, '').toLowerCase();
  if (whole.length >= 2 && whole !== last && !STOP.has(whole)) out.push(whole);
  return out;
}

/**
 * The terms of one index build as numbers: each term an id in first-met order (`terms[id]`), each
 * word of the text split, stemmed and turned into its terms' ids once. A build counts a chunk's
 * terms in typed arrays by id instead of a map of strings per chunk (tokenizing was most of a
 * build's CPU, and its maps most of its garbage). The tokens are {@link forEachToken}'s.
 */
export class TermIds {
  /** Term of each id. */
  readonly terms: string[] = [];
  #ids = new Map<string, number>();
  // Open addressing over the words seen, two ints a slot: the word's index (-1: empty) and its
  // hash beside it, so a probe reads one place; kept at most half full.
  #slots = new Int32Array(2 << 12).fill(-1);
  #words: string[] = [];
  #hashes: number[] = [];
  #wordIds: (readonly number[])[] = [];

  /** The id of a term, made when new. */
  idOf(term: string): number {
    let id = this.#ids.get(term);
    if (id === undefined) {
      this.#ids.set(term, (id = this.terms.length));
      this.terms.push(term);
    }
    return id;
  }

  /** The term ids of the word `text[start, end)`, whose scan hash is `hash` (as in {@link forEachToken}). */
  wordAt(text: string, start: number, end: number, hash: number): readonly number[] {
    const length = end - start;
    let slots = this.#slots;
    let mask = (slots.length >>> 1) - 1;
    let slot = hash & mask;
    for (let at = slots[2 * slot]!; at !== -1; at = slots[2 * slot]!) {
      if (slots[2 * slot + 1] === hash) {
        const word = this.#words[at]!;
        if (word.length === length && text.startsWith(word, start)) return this.#wordIds[at]!;
      }
      slot = (slot + 1) & mask;
    }
    if ((this.#words.length + 1) * 4 > slots.length) {
      slots = new Int32Array(slots.length * 2).fill(-1);
      mask = (slots.length >>> 1) - 1;
      for (let at = 0; at < this.#words.length; at++) {
        let free = this.#hashes[at]! & mask;
        while (slots[2 * free] !== -1) free = (free + 1) & mask;
        slots[2 * free] = at;
        slots[2 * free + 1] = this.#hashes[at]!;
      }
      this.#slots = slots;
      slot = hash & mask;
      while (slots[2 * slot] !== -1) slot = (slot + 1) & mask;
    }
    const word = text.slice(start, end);
    const ids = splitWord(word).map((t) => this.idOf(t));
    slots[2 * slot] = this.#words.length;
    slots[2 * slot + 1] = hash;
    this.#words.push(word);
    this.#hashes.push(hash);
    this.#wordIds.push(ids);
    return ids;
  }
}

/** The tokens of `text`, repeats included. */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  forEachToken(text, (t) => out.push(t));
  return out;
}

/** Counts of each token of `text`, added into `counts`. */
export function countTokensInto(text: string, counts: Map<string, number>): void {
  forEachToken(text, (t) => counts.set(t, (counts.get(t) ?? 0) + 1));
}

/** Tokens of a repository path: its folders and file name, the extension left out. */
export function pathTokens(path: string): string[] {
  const dot = path.lastIndexOf('.');
  const slash = path.lastIndexOf('/');
  return tokenize(dot > slash + 1 ? path.slice(0, dot) : path);
}

/**
 * The one term that stands for an identifier as a whole: the joined lower-case form of a
 * compound (`applyDiscount` → `applydiscount`), the stemmed word of a simple one. A chunk
 * whose text holds this term mentions the identifier (how callers are found).
 */
export function identifierTerm(name: string): string | undefined {
  const tokens = tokenize(name);
  return tokens.length === 0 ? undefined : tokens[tokens.length - 1];
}
