import { readFile } from 'node:fs/promises';
import type { GptEncoding } from 'gpt-tokenizer/GptEncoding';

/** What counting needs of an o200k_base encoder (the package's module and a built encoding both have it). */
export interface O200kEncoder {
  countTokens(text: string): number;
  isWithinTokenLimit(text: string, limit: number): number | false;
}

/** One rank of the table: its text, or its bytes when they are not UTF-8. */
export type Rank = string | readonly number[];

const MAGIC = 0x4f32304b; // "O20K"
const VERSION = 1;
/** A rank's length slot saying "bytes, in the JSON list at the end". */
const BYTES = 0xffff;
const HEADER_BYTES = 16;

/**
 * The o200k_base ranks in a form that loads in a fraction of the package's: the package ships them
 * as a 2.4 MB JavaScript array literal, which V8 must parse and compile on every load (~40% of the
 * tokenizer's ~0.5 s). Layout: a 16-byte header (magic, version, rank count, byte length of the
 * text), a u16 per rank (its length in UTF-16 units, or {@link BYTES}), the ranks' text
 * concatenated as UTF-8, then a JSON list of `[rank, bytes]` for the ranks that are not text.
 * The build writes it beside the bundle (scripts/bundle.mjs); the table is the package's, so
 * every count is the same.
 */
export function packRanks(ranks: readonly Rank[]): Buffer {
  if (ranks.length >= 2 ** 31) throw new Error('too many ranks');
  const lengths = new Uint16Array(ranks.length + (ranks.length % 2));
  const texts: string[] = [];
  const bytes: [number, readonly number[]][] = [];
  ranks.forEach((rank, i) => {
    if (typeof rank === 'string') {
      if (rank.length >= BYTES) throw new Error(`rank ${i} is too long to pack`);
      lengths[i] = rank.length;
      texts.push(rank);
    } else {
      lengths[i] = BYTES;
      bytes.push([i, rank]);
    }
  });
  const text = Buffer.from(texts.join(''), 'utf8');
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt32LE(VERSION, 4);
  header.writeUInt32LE(ranks.length, 8);
  header.writeUInt32LE(text.length, 12);
  return Buffer.concat([header, Buffer.from(lengths.buffer, lengths.byteOffset, lengths.byteLength), text, Buffer.from(JSON.stringify(bytes), 'utf8')]);
}

/** The ranks of a {@link packRanks} buffer; undefined when it is not one (wrong magic or version, cut short, inconsistent). */
export function unpackRanks(buffer: Buffer): Rank[] | undefined {
  if (buffer.length < HEADER_BYTES || buffer.readUInt32LE(0) !== MAGIC || buffer.readUInt32LE(4) !== VERSION) return undefined;
  const count = buffer.readUInt32LE(8);
  const textBytes = buffer.readUInt32LE(12);
  const lengthBytes = (count + (count % 2)) * 2;
  const textStart = HEADER_BYTES + lengthBytes;
  if (buffer.length < textStart + textBytes) return undefined;
  try {
    // Copied so that the u16 view is aligned whatever the buffer's offset in its pool.
    const lengths = new Uint16Array(buffer.buffer.slice(buffer.byteOffset + HEADER_BYTES, buffer.byteOffset + textStart));
    const text = buffer.toString('utf8', textStart, textStart + textBytes);
    const bytes = new Map(JSON.parse(buffer.toString('utf8', textStart + textBytes)) as [number, number[]][]);
    const ranks = new Array<Rank>(count);
    let at = 0;
    for (let i = 0; i < count; i++) {
      const length = lengths[i]!;
      if (length === BYTES) {
        const b = bytes.get(i);
        if (!Array.isArray(b)) return undefined;
        ranks[i] = b;
      } else {
        ranks[i] = text.slice(at, at + length);
        at += length;
      }
    }
    return at === text.length ? ranks : undefined;
  } catch {
    return undefined;
  }
}

/** Where the build puts the packed ranks: beside the bundle's chunks. */
export const packedRanksUrl = new URL('./o200k-ranks.bin', import.meta.url);

/**
 * The o200k_base encoder: built from the packed ranks when they are there (the built CLI), else the
 * package's own module (running from the sources, or a damaged install).
 */
export async function loadO200k(packed: URL = packedRanksUrl): Promise<O200kEncoder> {
  const ranks = await readFile(packed).then(unpackRanks, () => undefined);
  if (ranks) {
    const { GptEncoding: Encoding } = (await import('gpt-tokenizer/GptEncoding')) as { GptEncoding: typeof GptEncoding };
    return Encoding.getEncodingApi('o200k_base', () => ranks);
  }
  return import('gpt-tokenizer/encoding/o200k_base');
}
