import { closeSync, fstatSync, mkdirSync, openSync, read, rename, unlinkSync, writev } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { tempPathFor, writeGathered } from '../util/atomic-write.js';

const readAsync = promisify(read);
const writevAsync = promisify(writev);
const renameAsync = promisify(rename);

/*
 * The one binary layout of the context's snapshot files (the map's ranking snapshot, the search
 * index): `[magic u32][header length u32][header JSON][pad to 4][u32 sections][byte sections,
 * each padded to 4]`, little-endian. The header says how long each section is; a reader takes
 * them in the order they were written and checks that nothing is left over.
 */

/** Separator of the string lists stored joined (paths, keys, names, terms): no path or identifier holds it. */
export const LIST_SEP = '\0';

/** Splits a joined list; undefined when it does not hold `count` items (a separator inside one). */
export function splitList(joined: string, count: number): string[] | undefined {
  const list = count === 0 ? [] : joined.split(LIST_SEP);
  return list.length === count ? list : undefined;
}

/** The file's bytes: `[magic][header length][header][pad][words][bytes, each padded]`. */
export function encodeSnapshot(magic: number, header: unknown, words: readonly Uint32Array[], bytes: readonly Uint8Array[] = []): Buffer {
  return Buffer.concat(snapshotParts(magic, header, words, bytes));
}

const PADDING = new Uint8Array(3);
// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * The file's bytes as pieces in order ({@link encodeSnapshot}'s, concatenated): the head (magic,
 * header, its padding), then each section as a view of its own array, with the padding it needs.
 * A writer gathers them ({@link writeSnapshotFile}) instead of copying 3 MB into one buffer
 * first: a fresh process pays for every new page it fills, and on this VM a page's first touch is
 * the dearer part of such a copy. The arrays must not change until the write has settled.
 */
export function snapshotParts(magic: number, header: unknown, words: readonly Uint32Array[], bytes: readonly Uint8Array[] = []): Uint8Array[] {
  const json = JSON.stringify(header);
  // An ASCII header (most are: paths, keys and names in ASCII) is its own UTF-8: latin1's copy
  // instead of UTF-8's encoding, ~2 ms less for vitest's 420 KB header in a fresh process.
  const headerBytes = Buffer.from(json, NON_ASCII.test(json) ? 'utf8' : 'latin1');
  const start = (8 + headerBytes.length + 3) & ~3;
  const head = Buffer.alloc(start);
  head.writeUInt32LE(magic, 0);
  head.writeUInt32LE(headerBytes.length, 4);
  headerBytes.copy(head, 8);
  const parts: Uint8Array[] = [head];
  for (const a of [...words, ...bytes]) {
    if (a.byteLength === 0) continue;
    parts.push(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    const pad = ((a.byteLength + 3) & ~3) - a.byteLength;
    if (pad > 0) parts.push(PADDING.subarray(0, pad));
  }
  return parts;
}

/** Sections of a snapshot file, taken in the order they were written. */
export interface SnapshotSections {
  /** The next `count` u32 words (a view, not a copy); throws past the end. */
  words(count: number): Uint32Array;
  /** The next `length` bytes (a view), then the padding to 4; throws past the end. */
  bytes(length: number): Uint8Array;
  /** Whether every section was taken. */
  done(): boolean;
}

/**
 * The header and sections of a snapshot file; undefined when the magic or the header is wrong.
 * The sections are views of the file's buffer when it is 4-byte aligned (a file read whole has
 * its own ArrayBuffer), else of one aligned copy.
 */
export function decodeSnapshot<H>(buf: Buffer, magic: number): { header: H; sections: SnapshotSections } | undefined {
  if (buf.length < 8 || buf.readUInt32LE(0) !== magic) return undefined;
  const headerLength = buf.readUInt32LE(4);
  if (8 + headerLength > buf.length) return undefined;
  let header: H;
  try {
    header = JSON.parse(buf.toString('utf8', 8, 8 + headerLength)) as H;
  } catch {
    return undefined;
  }
  if (typeof header !== 'object' || header === null) return undefined;
  const start = (8 + headerLength + 3) & ~3;
  const length = Math.max(0, buf.length - start) & ~3;
  const body = (buf.byteOffset + start) % 4 === 0 ? new Uint8Array(buf.buffer, buf.byteOffset + start, length) : new Uint8Array(buf.subarray(start, start + length));
  let at = 0;
  const sections: SnapshotSections = {
    words(count) {
      if (!Number.isSafeInteger(count) || count < 0 || at + count * 4 > body.length) throw new Error('short snapshot');
      const part = new Uint32Array(body.buffer, body.byteOffset + at, count);
      at += count * 4;
      return part;
    },
    bytes(size) {
      if (!Number.isSafeInteger(size) || size < 0 || at + size > body.length) throw new Error('short snapshot');
      const part = body.subarray(at, at + size);
      at += (size + 3) & ~3;
      return part;
    },
    done: () => at === body.length,
  };
  return { header, sections };
}

/**
 * The whole file, or undefined when it cannot be read. Opened and sized on the calling thread
 * (microseconds), then read by one request to libuv's pool: the copy and the first touch of the
 * buffer's pages (~850 of them for vitest's search index, ~11 µs each on a virtual machine) happen
 * on that pool's thread, and the caller's thread, busy with the rest of a search, takes the result
 * in one turn of its loop instead of one per 512 KB block (`readFile`'s way), each of which waited
 * behind its work (docs/search.md "Seventeenth session").
 */
export async function readSnapshotFile(path: string): Promise<Buffer | undefined> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const size = fstatSync(fd).size;
    // Its own ArrayBuffer (not the pool's slab): the sections are 4-byte-aligned views of it.
    const buf = Buffer.allocUnsafeSlow(size);
    let got = 0;
    while (got < size) {
      const { bytesRead: n } = await readAsync(fd, buf, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    return got === size ? buf : buf.subarray(0, got);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a snapshot file atomically (temp file, rename), its folder made when missing: one buffer,
 * or the pieces of {@link snapshotParts}, gathered by the write itself. The folder, the temp file's
 * open and its close are done on the calling thread (microseconds each); the write and the rename go
 * to libuv's pool, one request each, so they run while the caller ranks and end in a turn of its
 * loop each (`writeFileAtomic`'s FileHandle waited a turn for its open and its close too). A rename
 * over a file makes ext4 allocate the new file's blocks at once, up to ~2 ms. Not synced: the
 * snapshots are caches, rebuilt when torn.
 */
export async function writeSnapshotFile(path: string, data: Uint8Array | readonly Uint8Array[]): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const temp = tempPathFor(path);
  const fd = openSync(temp, 'wx', 0o644);
  let closed = false;
  try {
    await writeGathered((batch) => writevAsync(fd, batch), data instanceof Uint8Array ? [data] : data);
    closeSync(fd);
    closed = true;
    await renameAsync(temp, path);
  } catch (error) {
    if (!closed) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // never made, or renamed
    }
    throw error;
  }
}
