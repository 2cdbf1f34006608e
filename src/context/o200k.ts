import { readFileSync } from 'node:fs';
import { fnv1a } from '../util/fnv.js';

/** What counting needs of an o200k_base encoder. */
export interface O200kEncoder {
  countTokens(text: string): number;
  /** The count, or false as soon as it is over `limit` (cheaper than a full count). */
  isWithinTokenLimit(text: string, limit: number): number | false;
}

/** One rank of the package's table: its text, or its bytes when they are not UTF-8. */
export type Rank = string | readonly number[];

const MAGIC = 0x5442_3230; // "02BT"
const VERSION = 2;
const HEADER_BYTES = 24;

/**
 * The o200k_base ranks as a table that is ready the moment it is read: counting looks token bytes
 * up in it directly, so no map of 200,000 strings is built on each load (gpt-tokenizer's encoder
 * spends ~0.2 s of CPU building its maps; with this table a load is one file read).
 *
 * Layout, little-endian: a 24-byte header (magic, version, rank count, log2 of the slot count,
 * byte length of the token bytes, byte length of the split pattern), a u32 offset per rank plus
 * one (where each rank's bytes start in the bytes section), a u32 per slot of an open-addressing
 * hash table (rank + 1, 0 for empty; FNV-1a of the bytes, linear probing, at most half full),
 * every rank's bytes concatenated, then the pattern that splits text into pieces (UTF-8). The
 * build writes it beside the bundle (scripts/bundle.mjs) from gpt-tokenizer's own ranks and
 * pattern, so each count is the package's, and counting never loads the package.
 */
export function packTable(ranks: readonly Rank[], split: RegExp): Buffer {
  const encoder = new TextEncoder();
  const bytesOf = ranks.map((r) => (typeof r === 'string' ? encoder.encode(r) : Uint8Array.from(r)));
  const total = bytesOf.reduce((n, b) => n + b.length, 0);
  let slotBits = 1;
  while (1 << slotBits < ranks.length * 2) slotBits++;
  const offsets = new Uint32Array(ranks.length + 1);
  const slots = new Uint32Array(1 << slotBits);
  const bytes = new Uint8Array(total);
  const mask = slots.length - 1;
  let at = 0;
  bytesOf.forEach((b, rank) => {
    offsets[rank] = at;
    bytes.set(b, at);
    at += b.length;
    let slot = fnv1a(b, 0, b.length) & mask;
    while (slots[slot] !== 0) {
      if (sameBytes(bytes, offsets[slots[slot]! - 1]!, offsets[slots[slot]!]! - offsets[slots[slot]! - 1]!, b, 0, b.length)) throw new Error(`rank ${rank} repeats rank ${slots[slot]! - 1}`);
      slot = (slot + 1) & mask;
    }
    slots[slot] = rank + 1;
  });
  offsets[ranks.length] = at;
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt32LE(VERSION, 4);
  header.writeUInt32LE(ranks.length, 8);
  header.writeUInt32LE(slotBits, 12);
  header.writeUInt32LE(total, 16);
  const pattern = Buffer.from(split.source, 'utf8');
  header.writeUInt32LE(pattern.length, 20);
  return Buffer.concat([header, Buffer.from(offsets.buffer), Buffer.from(slots.buffer), Buffer.from(bytes.buffer), pattern]);
}

function sameBytes(a: Uint8Array, aStart: number, length: number, b: Uint8Array, bStart: number, bLength: number): boolean {
  if (length !== bLength) return false;
  for (let i = 0; i < length; i++) if (a[aStart + i] !== b[bStart + i]) return false;
  return true;
}

/** A {@link packTable} table, read; undefined when the buffer is not one (magic, version, sizes). */
export function readTable(buffer: Buffer): BpeCounter | undefined {
  if (buffer.length < HEADER_BYTES || buffer.readUInt32LE(0) !== MAGIC || buffer.readUInt32LE(4) !== VERSION) return undefined;
  const count = buffer.readUInt32LE(8);
  const slotBits = buffer.readUInt32LE(12);
  const total = buffer.readUInt32LE(16);
  const patternBytes = buffer.readUInt32LE(20);
  if (slotBits > 30 || 1 << slotBits < count) return undefined;
  const slotsAt = HEADER_BYTES + (count + 1) * 4;
  const bytesAt = slotsAt + (1 << slotBits) * 4;
  if (buffer.length !== bytesAt + total + patternBytes) return undefined;
  let split: RegExp;
  try {
    split = new RegExp(buffer.toString('utf8', bytesAt + total), 'gu');
  } catch {
    return undefined;
  }
  // The u32 views need a 4-byte aligned offset: a file read has its own buffer at offset 0, a
  // slice of a pooled one may not.
  const aligned = buffer.byteOffset % 4 === 0 ? buffer : Buffer.from(buffer);
  const offsets = new Uint32Array(aligned.buffer, aligned.byteOffset + HEADER_BYTES, count + 1);
  if (offsets[count] !== total) return undefined;
  return new BpeCounter(offsets, new Uint32Array(aligned.buffer, aligned.byteOffset + slotsAt, 1 << slotBits), new Uint8Array(aligned.buffer, aligned.byteOffset + bytesAt, total), split);
}

/** Merge results of recent pieces: source code repeats its identifiers and runs of spaces. */
const PIECE_CACHE_SIZE = 50_000;
/** Above this many bytes, a piece's merges use a heap rather than a scan per merge. */
const LONG_PIECE = 128;
/** A surrogate without its other half (a pair, as in an emoji, is not one). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Counts o200k_base tokens as gpt-tokenizer does (its split pattern, then byte-pair merges, lowest
 * rank first and the leftmost of equal ranks), with two differences on purpose: text that spells a
 * special token (`<|endoftext|>`) is counted as the ordinary text it is, which is how a model's API
 * reads it in a message, where the package would throw; and U+FEFF is looked up by its bytes, a
 * rank of the table, which the package's decoder drops (it counts 2 where this counts 1).
 */
export class BpeCounter implements O200kEncoder {
  readonly #offsets: Uint32Array;
  readonly #slots: Uint32Array;
  readonly #bytes: Uint8Array;
  readonly #mask: number;
  readonly #split: RegExp;
  readonly #utf8 = new TextEncoder();
  readonly #pieces = new Map<string, number>();
  #scratch = new Uint8Array(1024);

  /** `split`: the pattern that cuts text into pieces, global and unicode-aware. */
  constructor(offsets: Uint32Array, slots: Uint32Array, bytes: Uint8Array, split: RegExp) {
    this.#split = split;
    this.#offsets = offsets;
    this.#slots = slots;
    this.#bytes = bytes;
    this.#mask = slots.length - 1;
  }

  countTokens(text: string): number {
    return this.#count(text, Number.POSITIVE_INFINITY);
  }

  isWithinTokenLimit(text: string, limit: number): number | false {
    const n = this.#count(text, limit);
    return n > limit ? false : n;
  }

  /** The count, or a number over `limit` as soon as it passes it. */
  #count(text: string, limit: number): number {
    const split = this.#split;
    split.lastIndex = 0;
    let n = 0;
    for (let m = split.exec(text); m !== null; m = split.exec(text)) {
      n += this.#piece(m[0]);
      if (n > limit) return n;
    }
    return n;
  }

  #piece(piece: string): number {
    const cached = this.#pieces.get(piece);
    if (cached !== undefined) return cached;
    const length = this.#encode(piece);
    // The package looks a whole piece up as text first, which a piece with a lone surrogate
    // never matches (its bytes, U+FFFD's, might).
    const whole = LONE_SURROGATE.test(piece) ? -1 : this.#rank(0, length);
    const n = whole >= 0 ? 1 : length <= LONG_PIECE ? this.#mergeShort(length) : this.#mergeLong(length);
    if (this.#pieces.size >= PIECE_CACHE_SIZE) this.#pieces.clear();
    this.#pieces.set(piece, n);
    return n;
  }

  /** Writes the piece's UTF-8 into the scratch buffer; returns its byte length. */
  #encode(piece: string): number {
    if (this.#scratch.length < piece.length * 3) this.#scratch = new Uint8Array(piece.length * 3);
    const scratch = this.#scratch;
    for (let i = 0; i < piece.length; i++) {
      const c = piece.charCodeAt(i);
      if (c >= 0x80) return this.#utf8.encodeInto(piece, scratch).written;
      scratch[i] = c;
    }
    return piece.length;
  }

  /** The rank of the scratch bytes [start, end), or -1. */
  #rank(start: number, end: number): number {
    const scratch = this.#scratch;
    const offsets = this.#offsets;
    const bytes = this.#bytes;
    const length = end - start;
    let slot = fnv1a(scratch, start, end) & this.#mask;
    for (;;) {
      const entry = this.#slots[slot]!;
      if (entry === 0) return -1;
      const at = offsets[entry - 1]!;
      if (offsets[entry]! - at === length) {
        let i = 0;
        while (i < length && bytes[at + i] === scratch[start + i]) i++;
        if (i === length) return entry - 1;
      }
      slot = (slot + 1) & this.#mask;
    }
  }

  /** Tokens of a piece of `length` scratch bytes: merges by a scan for the lowest rank, as the package does. */
  #mergeShort(length: number): number {
    const starts: number[] = [];
    const ranks: number[] = [];
    for (let i = 0; i <= length; i++) {
      starts.push(i);
      ranks.push(i < length - 1 ? this.#pairRank(i, i + 2) : Infinity);
    }
    while (starts.length > 1) {
      let lowest = Infinity;
      let at = -1;
      for (let i = 0; i < ranks.length - 1; i++) {
        if (ranks[i]! < lowest) {
          lowest = ranks[i]!;
          at = i;
        }
      }
      if (at === -1) break;
      starts.splice(at + 1, 1);
      ranks.splice(at, 1);
      ranks[at] = at + 2 < starts.length ? this.#pairRank(starts[at]!, starts[at + 2]!) : Infinity;
      if (at > 0) ranks[at - 1] = this.#pairRank(starts[at - 1]!, starts[at + 1]!);
    }
    return starts.length - 1;
  }

  /**
   * The same merges for a long piece (a run of spaces, a minified line), where a scan per merge
   * would be quadratic: parts in a linked list, candidate pairs in a heap keyed by rank then start
   * (so equal ranks go leftmost first, as in the scan); a popped pair whose parts have changed
   * since (its start merged away, or its rank no longer the pair's there) is skipped.
   */
  #mergeLong(length: number): number {
    const next = new Int32Array(length + 1);
    const prev = new Int32Array(length + 1);
    const alive = new Uint8Array(length + 1).fill(1);
    for (let i = 0; i <= length; i++) {
      next[i] = i + 1;
      prev[i] = i - 1;
    }
    const heap = new KeyHeap(length * 3 + 1);
    for (let i = 0; i + 2 <= length; i++) {
      const r = this.#rank(i, i + 2);
      if (r >= 0) heap.push(r * START_SPAN + i);
    }
    let parts = length;
    while (heap.size > 0) {
      const key = heap.pop();
      const rank = Math.floor(key / START_SPAN);
      const start = key - rank * START_SPAN;
      if (!alive[start]) continue;
      const middle = next[start]!;
      if (middle >= length) continue;
      const end = next[middle]!;
      if (this.#rank(start, end) !== rank) continue;
      alive[middle] = 0;
      next[start] = end;
      prev[end] = start;
      parts--;
      const before = prev[start]!;
      if (before >= 0) {
        const r = this.#rank(before, end);
        if (r >= 0) heap.push(r * START_SPAN + before);
      }
      if (end < length) {
        const r = this.#rank(start, next[end]!);
        if (r >= 0) heap.push(r * START_SPAN + start);
      }
    }
    return parts;
  }

  #pairRank(start: number, end: number): number {
    const r = this.#rank(start, end);
    return r < 0 ? Infinity : r;
  }
}

/** A heap key is rank × START_SPAN + start: exact in a double for any rank below 2^21. */
const START_SPAN = 2 ** 32;

/** A binary min-heap of numbers in a preallocated array. */
class KeyHeap {
  readonly #keys: Float64Array;
  size = 0;

  constructor(capacity: number) {
    this.#keys = new Float64Array(capacity);
  }

  push(key: number): void {
    const keys = this.#keys;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (keys[parent]! <= key) break;
      keys[i] = keys[parent]!;
      i = parent;
    }
    keys[i] = key;
  }

  pop(): number {
    const keys = this.#keys;
    const top = keys[0]!;
    const last = keys[--this.size]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.size) break;
      const m = l + 1 < this.size && keys[l + 1]! < keys[l]! ? l + 1 : l;
      if (keys[m]! >= last) break;
      keys[i] = keys[m]!;
      i = m;
    }
    keys[i] = last;
    return top;
  }
}

/** Where the build puts the table: beside the bundle's chunks. */
export const tableUrl = new URL('./o200k-table.bin', import.meta.url);

/**
 * The o200k_base counter: from the built table when it is there (the built CLI), else built from
 * the package's ranks (running from the sources, or a damaged install: ~0.5 s).
 */
export async function loadO200k(table: URL = tableUrl): Promise<O200kEncoder> {
  // A blocking read (~2-4 ms from the page cache): an asynchronous one goes in 512 KB rounds, each
  // waiting for this thread, which is busy ranking or fitting just then.
  let counter: BpeCounter | undefined;
  try {
    counter = readTable(readFileSync(table));
  } catch {
    counter = undefined;
  }
  if (counter) return counter;
  const [{ default: ranks }, { O200K_TOKEN_SPLIT_REGEX }] = await Promise.all([import('gpt-tokenizer/bpeRanks/o200k_base') as Promise<{ default: readonly Rank[] }>, import('gpt-tokenizer/encodingParams/constants')]);
  return readTable(packTable(ranks, O200K_TOKEN_SPLIT_REGEX))!;
}
