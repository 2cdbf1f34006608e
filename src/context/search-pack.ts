import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chunkSource } from './chunks.js';
import { countTokensInto, FNV_OFFSET, FNV_PRIME, isWordChar, TermIds, TOKENIZER_VERSION } from './search-tokens.js';
import type { CachedDef } from './types.js';
import { findLastLine } from '../util/last-line.js';

/** Bump when chunks or the entry format change (with the tokenizer's version, it names the pack). */
export const SEARCH_ENTRY_VERSION = 1;

/** One chunk of a blob as the lexical index keeps it: its lines and its terms with their counts. */
export interface ChunkEntry {
  /** 1-based, inclusive. */
  start: number;
  end: number;
  /** Terms of the chunk's text (and its enclosing definitions' first lines) -> count. */
  text: Map<string, number>;
  /** Terms of the names the chunk defines -> count. */
  names: Map<string, number>;
}

/** The index entry of one blob: its chunks, in line order (none for a file that was not parsed). */
export type BlobEntry = ChunkEntry[];

/**
 * An entry as an index build makes it ({@link EntryMaker}): the same chunks and counts as a
 * {@link BlobEntry}, with terms as ids of the build's dictionary and no maps. Per chunk four
 * words in `chunks`: start, end, and how many text and name terms it has; their (id, count) pairs
 * follow each other in `pairs`, the text's in first-met order, then the names'.
 */
export interface PackedEntry {
  /** The dictionary of the thread that made the entry (shared by its entries, growing). */
  terms: readonly string[];
  chunks: Uint32Array;
  pairs: Uint32Array;
}

/** Either form of an entry (read from a pack: a {@link BlobEntry}; made by a build: packed). */
export type AnyEntry = BlobEntry | PackedEntry;

function isPacked(entry: AnyEntry): entry is PackedEntry {
  return !Array.isArray(entry);
}

/**
 * Cuts a blob into chunks along its cached definitions (no second parse) and counts the
 * terms of each. The entry depends on the content and the definitions only, never on the path.
 */
export function makeEntry(source: string, defs: readonly CachedDef[]): BlobEntry {
  const chunks = chunkSource('', source, defs);
  return chunks.map((chunk) => {
    const text = new Map<string, number>();
    for (const line of chunk.header) countTokensInto(line, text);
    countTokensInto(chunk.text, text);
    const names = new Map<string, number>();
    for (const name of chunk.names) countTokensInto(name, names);
    return { start: chunk.startLine, end: chunk.endLine, text, names };
  });
}

/**
 * Makes the entries of an index build: what {@link makeEntry} gives, as {@link PackedEntry}s.
 * The source is tokenized once per chunk's lines (never a chunk's joined text), each word found
 * in the build's table of words, and a chunk's terms counted by id in a typed array.
 */
export class EntryMaker {
  readonly ids = new TermIds();
  #counts = new Uint32Array(1 << 12);
  #order: number[] = [];
  #chunks: number[] = [];
  #terms: number[] = [];
  #bytes = new Uint8Array(1 << 16);

  make(source: string, defs: readonly CachedDef[]): PackedEntry {
    const chunks = chunkSource('', source, defs);
    const cw = this.#chunks;
    const tw = this.#terms;
    cw.length = 0;
    tw.length = 0;
    // Lines as chunkSource's `split('\n')` cuts them: `offset` is where line `line` (0-based)
    // starts; chunks come in line order, so one walk over the source finds them all.
    let line = 0;
    let offset = 0;
    const lineAt = (target: number): number => {
      if (target < line) {
        line = 0;
        offset = 0;
      }
      while (line < target) {
        const next = source.indexOf('\n', offset);
        if (next === -1) return source.length + 1;
        offset = next + 1;
        line++;
      }
      return offset;
    };
    for (const chunk of chunks) {
      // The text's terms: the enclosing definitions' first lines, then the chunk's lines.
      for (const header of chunk.header) this.#count(header, 0, header.length);
      const from = lineAt(chunk.startLine - 1);
      const to = Math.min(lineAt(chunk.endLine) - 1, source.length);
      this.#count(source, from, to);
      const nText = this.#drain(tw);
      for (const name of chunk.names) this.#count(name, 0, name.length);
      const nNames = this.#drain(tw);
      cw.push(chunk.startLine, chunk.endLine, nText, nNames);
    }
    // The constructor copies a plain array natively (`Uint32Array.from` iterates it).
    return { terms: this.ids.terms, chunks: new Uint32Array(cw), pairs: new Uint32Array(tw) };
  }

  /**
   * The stored form of an entry this maker made ({@link encodeEntry}'s text) as bytes, written
   * straight into a buffer: terms are `[a-z0-9]+`, so each char is its byte. A build stores
   * thousands; as strings they were ~100 ms of concatenation and the garbage of their pieces.
   */
  encode(entry: PackedEntry): Uint8Array {
    const { chunks, pairs } = entry;
    const terms = this.ids.terms;
    // Room for the longest form first (10 digits a number), so the writes below never check.
    let most = chunks.length * 6 + 2;
    for (let k = 0; k < pairs.length; k += 2) most += terms[pairs[k]!]!.length + 12;
    if (most > this.#bytes.length) this.#bytes = new Uint8Array(Math.max(most, this.#bytes.length * 2));
    const buf = this.#bytes;
    let at = 0;
    let p = 0;
    for (let c = 0; c < chunks.length; c += 4) {
      if (c > 0) buf[at++] = 124; // |
      at = writeNumber(buf, at, chunks[c]!);
      buf[at++] = 44; // ,
      at = writeNumber(buf, at, chunks[c + 1]!);
      for (let part = 2; part < 4; part++) {
        buf[at++] = 59; // ;
        const end = p + 2 * chunks[c + part]!;
        for (let k = p; k < end; k += 2) {
          if (k > p) buf[at++] = 32;
          const term = terms[pairs[k]!]!;
          for (let j = 0; j < term.length; j++) buf[at++] = term.charCodeAt(j);
          buf[at++] = 58; // :
          at = writeNumber(buf, at, pairs[k + 1]!);
        }
        p = end;
      }
    }
    return buf.slice(0, at);
  }

  /** Adds the terms of `text[from, to)` to the counts (words as forEachToken finds them). */
  #count(text: string, from: number, to: number): void {
    const ids = this.ids;
    const order = this.#order;
    let counts = this.#counts;
    let i = from;
    while (i < to) {
      let c = text.charCodeAt(i);
      if (!isWordChar(c)) {
        i++;
        continue;
      }
      const start = i;
      let hash = Math.imul(FNV_OFFSET ^ c, FNV_PRIME);
      while (++i < to && isWordChar((c = text.charCodeAt(i)))) hash = Math.imul(hash ^ c, FNV_PRIME);
      if (i - start === 1) continue;
      const word = ids.wordAt(text, start, i, hash);
      for (let k = 0; k < word.length; k++) {
        const id = word[k]!;
        if (id >= counts.length) {
          const grown = new Uint32Array(Math.max(counts.length * 2, id + 1));
          grown.set(counts);
          this.#counts = counts = grown;
        }
        if (counts[id] === 0) order.push(id);
        counts[id]!++;
      }
    }
  }

  /** Appends the counted (id, count) pairs in first-met order to `out`, clears the counts, returns how many. */
  #drain(out: number[]): number {
    const order = this.#order;
    const counts = this.#counts;
    const n = order.length;
    for (let k = 0; k < n; k++) {
      const id = order[k]!;
      out.push(id, counts[id]!);
      counts[id] = 0;
    }
    order.length = 0;
    return n;
  }
}

/** Writes the decimal digits of `n` (an unsigned 32-bit integer) at `at`; returns where they end. */
function writeNumber(buf: Uint8Array, at: number, n: number): number {
  let digits = 1;
  for (let m = n; m >= 10; m = (m / 10) >>> 0) digits++;
  for (let k = at + digits - 1, m = n; k >= at; k--, m = (m / 10) >>> 0) buf[k] = 48 + (m % 10);
  return at + digits;
}

// Line: `<blob>\t<chunk>|<chunk>...\n`, a chunk being `start,end;term:n term:n;term:n`. Terms
// are [a-z0-9]+ (search-tokens.ts), so the separators never occur inside one.
function termsText(terms: Map<string, number>): string {
  let out = '';
  for (const [term, n] of terms) out += out === '' ? `${term}:${n}` : ` ${term}:${n}`;
  return out;
}

/** The stored form of an entry (without the blob id and newline). */
export function encodeEntry(entry: AnyEntry): string {
  if (isPacked(entry)) return encodePacked(entry);
  return entry.map((c) => `${c.start},${c.end};${termsText(c.text)};${termsText(c.names)}`).join('|');
}

function encodePacked({ terms, chunks, pairs: tw }: PackedEntry): string {
  let out = '';
  let p = 0;
  for (let c = 0; c < chunks.length; c += 4) {
    out += c === 0 ? `${chunks[c]},${chunks[c + 1]};` : `|${chunks[c]},${chunks[c + 1]};`;
    for (let part = 2; part < 4; part++) {
      if (part === 3) out += ';';
      const end = p + 2 * chunks[c + part]!;
      for (let k = p; k < end; k += 2) out += k === p ? `${terms[tw[k]!]}:${tw[k + 1]}` : ` ${terms[tw[k]!]}:${tw[k + 1]}`;
      p = end;
    }
  }
  return out;
}

function parseTerms(text: string, into: Map<string, number>): boolean {
  if (text === '') return true;
  for (const pair of text.split(' ')) {
    const colon = pair.lastIndexOf(':');
    const n = Number(pair.slice(colon + 1));
    if (colon <= 0 || !Number.isInteger(n) || n <= 0) return false;
    into.set(pair.slice(0, colon), n);
  }
  return true;
}

/** An entry back from its stored form; undefined when it does not parse (a torn or foreign line). */
export function decodeEntry(text: string): BlobEntry | undefined {
  if (text === '') return [];
  const entry: BlobEntry = [];
  for (const part of text.split('|')) {
    const [lines = '', textTerms = '', nameTerms, extra] = part.split(';');
    if (nameTerms === undefined || extra !== undefined) return undefined;
    const comma = lines.indexOf(',');
    const start = Number(lines.slice(0, comma));
    const end = Number(lines.slice(comma + 1));
    if (comma <= 0 || !Number.isInteger(start) || !Number.isInteger(end) || start < 1 || end < start) return undefined;
    const chunk: ChunkEntry = { start, end, text: new Map(), names: new Map() };
    if (!parseTerms(textTerms, chunk.text) || !parseTerms(nameTerms, chunk.names)) return undefined;
    entry.push(chunk);
  }
  return entry;
}

/** Up to this many blobs, `loadSome` searches for each from the end; beyond, one pass over the pack. */
const FEW_BLOBS = 8;
/** Up to this many blobs, each is searched for in the file from its end ({@link findLastLine}), which is not read whole. */
const SEARCHED_FROM_END = 2;

/**
 * Index entries by blob id, one append-only pack per tags pack (language and its grammar/query
 * version) and index version, under `<sharedAssistDir>/search/`: an unchanged file is never
 * chunked or tokenized twice, across branches, sessions and worktrees. Concurrent writers append
 * whole lines; a torn or unparsable line is skipped on read (its blob is indexed again).
 */
export class SearchPack {
  readonly dir: string;
  #entries = new Map<string, Map<string, string | Uint8Array>>();
  #whole = new Set<string>();
  #pending = new Map<string, (string | Uint8Array)[]>();

  constructor(sharedAssistDir: string) {
    this.dir = join(sharedAssistDir, 'search');
  }

  /** The pack file of a tags pack. */
  fileOf(tagsPack: string): string {
    return join(this.dir, `${tagsPack}.t${TOKENIZER_VERSION}e${SEARCH_ENTRY_VERSION}.jsonl`);
  }

  #index(pack: string): Map<string, string | Uint8Array> {
    let index = this.#entries.get(pack);
    if (!index) this.#entries.set(pack, (index = new Map()));
    return index;
  }

  /** Loads the entries of `blobs` from a pack: a search per blob for a few, one pass for many. */
  async loadSome(pack: string, blobs: readonly string[]): Promise<void> {
    if (this.#whole.has(pack) || blobs.length === 0) return;
    const index = this.#index(pack);
    const wanted = blobs.filter((b) => !index.has(b));
    if (wanted.length === 0) return;
    if (wanted.length <= SEARCHED_FROM_END) {
      // One or two changed files: searched from the end in blocks, not read whole (3 MB on vitest).
      for (const blob of wanted) {
        const line = await findLastLine(this.fileOf(pack), `${blob}\t`);
        if (line) index.set(blob, line.rest.toString('latin1'));
      }
      return;
    }
    let buf: Buffer;
    try {
      buf = await readFile(this.fileOf(pack));
    } catch {
      return;
    }
    if (wanted.length > FEW_BLOBS) {
      const set = new Set(wanted);
      this.#lines(buf, (id, from, to) => {
        if (set.has(id)) index.set(id, buf.toString('latin1', from, to));
      });
      return;
    }
    for (const blob of wanted) {
      const needle = `${blob}\t`;
      for (let at = buf.lastIndexOf(needle); at !== -1; at = at === 0 ? -1 : buf.lastIndexOf(needle, at - 1)) {
        if (at > 0 && buf[at - 1] !== 10) continue;
        const end = buf.indexOf(10, at);
        if (end === -1) continue; // still being written
        index.set(blob, buf.toString('latin1', at + needle.length, end));
        break;
      }
    }
  }

  /** Loads a whole pack. */
  async load(pack: string): Promise<void> {
    if (this.#whole.has(pack)) return;
    this.#whole.add(pack);
    const index = this.#index(pack);
    let buf: Buffer;
    try {
      buf = await readFile(this.fileOf(pack));
    } catch {
      return;
    }
    this.#lines(buf, (id, from, to) => {
      if (!index.has(id)) index.set(id, buf.toString('latin1', from, to));
    });
  }

  /** The entry of a blob, or undefined (never stored, or corrupt). */
  get(pack: string, blob: string): BlobEntry | undefined {
    const raw = this.#entries.get(pack)?.get(blob);
    return raw === undefined ? undefined : decodeEntry(typeof raw === 'string' ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.length).toString('latin1'));
  }

  /** Remembers an entry to append with the next `flush()`. */
  put(pack: string, blob: string, entry: AnyEntry): void {
    this.putText(pack, blob, encodeEntry(entry));
  }

  /** Remembers an entry already in its stored form ({@link encodeEntry}, as the index worker sends it). */
  putText(pack: string, blob: string, text: string): void {
    this.#index(pack).set(blob, text);
    let lines = this.#pending.get(pack);
    if (!lines) this.#pending.set(pack, (lines = []));
    lines.push(`${blob}\t${text}\n`);
  }

  /** Remembers an entry already in its stored form as bytes ({@link EntryMaker.encode}). */
  putBytes(pack: string, blob: string, bytes: Uint8Array): void {
    this.#index(pack).set(blob, bytes);
    let lines = this.#pending.get(pack);
    if (!lines) this.#pending.set(pack, (lines = []));
    lines.push(`${blob}\t`, bytes, '\n');
  }

  /** Appends the pending entries, one write per pack. */
  async flush(): Promise<void> {
    if (this.#pending.size === 0) return;
    await mkdir(this.dir, { recursive: true });
    const writes = [...this.#pending].map(async ([pack, lines]) => {
      const handle = await open(this.fileOf(pack), 'a');
      try {
        // A leading newline ends a line torn by a killed writer, which would swallow the first
        // entry appended after it; an empty line reads as nothing.
        const pieces: Uint8Array[] = [];
        let run = '\n';
        for (const piece of lines) {
          if (typeof piece === 'string') run += piece;
          else {
            pieces.push(Buffer.from(run, 'utf8'), piece);
            run = '';
          }
        }
        pieces.push(Buffer.from(run, 'utf8'));
        await handle.write(pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces));
      } finally {
        await handle.close();
      }
    });
    this.#pending.clear();
    await Promise.all(writes);
  }

  /** Each complete line with a blob id: the id and where its entry is; the last line of a blob wins. */
  #lines(buf: Buffer, visit: (id: string, from: number, to: number) => void): void {
    const seen = new Map<string, [number, number]>();
    for (let start = 0; start < buf.length; ) {
      const end = buf.indexOf(10, start);
      if (end === -1) break;
      const tab = buf.indexOf(9, start);
      if (tab > start && tab < end && tab - start <= 64) seen.set(buf.toString('latin1', start, tab), [tab + 1, end]);
      start = end + 1;
    }
    for (const [id, [from, to]] of seen) visit(id, from, to);
  }
}
