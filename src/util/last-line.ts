import { open, type FileHandle } from 'node:fs/promises';

/** A line found by {@link findLastLine}: where it starts, its length with its newline, and what follows the prefix. */
export interface FoundLine {
  at: number;
  length: number;
  /** The line's bytes after the prefix, without the newline. */
  rest: Buffer;
}

/** Bytes read at a time from the end: a search touches this much new memory, not the file's size. */
const BLOCK = 1 << 19;

/**
 * The last complete line of an append-only file that starts with `prefix` (ASCII; a line starts
 * at the file's start or after a newline), searched from the end in blocks read into one buffer.
 * A line with no newline yet (still being written) is passed over for an earlier one. Undefined
 * when there is none or the file cannot be read. The packs this searches hold megabytes, and a
 * change looks up one blob in them: reading each whole costs its size in fresh pages, which a
 * fresh process on a virtual machine pays dearly for (~10 ms a megabyte when loaded).
 */
export async function findLastLine(path: string, prefix: string, block = BLOCK): Promise<FoundLine | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const size = (await handle.stat()).size;
    const needle = Buffer.from(`\n${prefix}`, 'latin1');
    const buf = Buffer.allocUnsafe(Math.min(size, block + needle.length - 1));
    // Lines starting with the prefix whose newline before it is in [lo, hi): the read goes on past
    // `hi` by the needle's length less one, so a match across the blocks' border is whole in one.
    for (let hi = size; hi > 0; ) {
      const lo = Math.max(0, hi - block);
      const view = buf.subarray(0, await readAt(handle, buf, lo, Math.min(size, hi + needle.length - 1) - lo));
      for (let k = view.lastIndexOf(needle, hi - lo - 1); k !== -1; k = k === 0 ? -1 : view.lastIndexOf(needle, k - 1)) {
        const line = await lineAt(handle, lo + k + 1, prefix.length);
        if (line) return line;
      }
      if (lo === 0 && view.length >= prefix.length && view.toString('latin1', 0, prefix.length) === prefix) return await lineAt(handle, 0, prefix.length);
      hi = lo;
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Reads `length` bytes at `position` into the start of `buf` (fewer at the end of the file): how many. */
async function readAt(handle: FileHandle, buf: Buffer, position: number, length: number): Promise<number> {
  let got = 0;
  while (got < length) {
    const { bytesRead } = await handle.read(buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

/** The line starting at `at` if it ends with a newline. */
async function lineAt(handle: FileHandle, at: number, skip: number): Promise<FoundLine | undefined> {
  const pieces: Buffer[] = [];
  let total = 0;
  for (let size = 1 << 16; ; size = Math.min(size * 2, BLOCK)) {
    const piece = Buffer.allocUnsafe(size);
    const got = await readAt(handle, piece, at + total, size);
    const newline = piece.subarray(0, got).indexOf(10);
    if (newline !== -1) {
      pieces.push(piece.subarray(0, newline));
      const line = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
      return { at, length: total + newline + 1, rest: line.subarray(skip) };
    }
    if (got < size) return undefined;
    pieces.push(piece);
    total += got;
  }
}
