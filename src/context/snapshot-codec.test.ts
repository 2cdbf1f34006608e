import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSnapshot, encodeSnapshot, readSnapshotFile, snapshotParts, splitList, writeSnapshotFile } from './snapshot-codec.js';

const MAGIC = 0x54455354;

describe('snapshot codec', () => {
  it('round-trips a header, u32 sections and byte sections, aligned or not', async () => {
    const words = [Uint32Array.from([0, 1, 0xffffffff]), new Uint32Array(0), Uint32Array.from([7])];
    const bytes = [Buffer.from('a\0bc'), Buffer.from('xyz'), new Uint8Array(0), Buffer.from('é')];
    const out = encodeSnapshot(MAGIC, { v: 1, note: 'ünï' }, words, bytes);
    const dir = mkdtempSync(join(tmpdir(), 'assist-codec-'));
    const path = join(dir, 'deep', 'file.bin');
    await writeSnapshotFile(path, out);
    const whole = (await readSnapshotFile(path))!;
    // One at an odd offset too: its sections are read from an aligned copy.
    const shifted = Buffer.concat([Buffer.from([1]), whole]).subarray(1);
    for (const buf of [whole, shifted]) {
      const decoded = decodeSnapshot<{ v: number; note: string }>(buf, MAGIC)!;
      expect(decoded.header).toEqual({ v: 1, note: 'ünï' });
      const s = decoded.sections;
      expect([...s.words(3)]).toEqual([0, 1, 0xffffffff]);
      expect([...s.words(0)]).toEqual([]);
      expect([...s.words(1)]).toEqual([7]);
      expect(s.done()).toBe(false);
      expect(Buffer.from(s.bytes(4)).toString()).toBe('a\0bc');
      expect(Buffer.from(s.bytes(3)).toString()).toBe('xyz');
      expect(s.bytes(0).length).toBe(0);
      expect(Buffer.from(s.bytes(2)).toString()).toBe('é');
      expect(s.done()).toBe(true);
      expect(() => s.words(1)).toThrow(/short/);
    }
    expect(await readSnapshotFile(join(dir, 'missing'))).toBeUndefined();
  });

  it('reads a wrong magic, a header past the end or a broken header as no snapshot', () => {
    const out = encodeSnapshot(MAGIC, { v: 1 }, [Uint32Array.from([1, 2])]);
    expect(decodeSnapshot(out, MAGIC + 1)).toBeUndefined();
    const long = Buffer.from(out);
    long.writeUInt32LE(1 << 30, 4);
    expect(decodeSnapshot(long, MAGIC)).toBeUndefined();
    const broken = Buffer.from(out);
    broken.write('}', 8);
    expect(decodeSnapshot(broken, MAGIC)).toBeUndefined();
    expect(decodeSnapshot(Buffer.from('ab'), MAGIC)).toBeUndefined();
    // Sections asked past the end throw, for the reader's catch.
    const short = decodeSnapshot(out.subarray(0, out.length - 4), MAGIC)!;
    expect(() => short.sections.words(2)).toThrow();
  });

  it('writes the pieces of a snapshot as the bytes encodeSnapshot gives, however many and however cut', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'assist-codec-'));
    // Views at odd places of a larger buffer, empty sections, and more pieces than one writev takes.
    const backing = new Uint32Array(4000).map((_, i) => i * 2654435761);
    const words = [backing.subarray(3, 10), new Uint32Array(0), ...Array.from({ length: 3000 }, (_, i) => backing.subarray(i, i + (i % 3)))];
    const bytes = [Buffer.from('abcde'), new Uint8Array(0), Buffer.from('xy'), Buffer.from('1234')];
    const header = { v: 2, note: 'pièces' };
    const parts = snapshotParts(MAGIC, header, words, bytes);
    expect(parts.length).toBeGreaterThan(1024);
    const path = join(dir, 'a', 'gathered.bin');
    await writeSnapshotFile(path, parts);
    const expected = encodeSnapshot(MAGIC, header, words, bytes);
    expect((await readSnapshotFile(path))!.equals(expected)).toBe(true);
    expect(Buffer.concat(parts).equals(expected)).toBe(true);
    // Written again over itself: the rename replaces it, no temp file is left beside it.
    await writeSnapshotFile(path, snapshotParts(MAGIC, { v: 3 }, [Uint32Array.from([9])]));
    expect(decodeSnapshot<{ v: number }>((await readSnapshotFile(path))!, MAGIC)!.header.v).toBe(3);
    expect(readdirSync(join(dir, 'a'))).toEqual(['gathered.bin']);
  });

  it('reads a file of megabytes whole into a buffer of its own; a folder or a missing file is no snapshot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'assist-codec-'));
    const big = Buffer.alloc(3 * 1024 * 1024 + 5);
    for (let i = 0; i < big.length; i += 4093) big[i] = (i >>> 12) & 0xff;
    writeFileSync(join(dir, 'big.bin'), big);
    const back = (await readSnapshotFile(join(dir, 'big.bin')))!;
    expect(back.equals(big)).toBe(true);
    // Its own ArrayBuffer from offset 0: the sections are 4-byte-aligned views of it.
    expect(back.byteOffset).toBe(0);
    expect(back.buffer.byteLength).toBe(big.length);
    mkdirSync(join(dir, 'folder'));
    expect(await readSnapshotFile(join(dir, 'folder'))).toBeUndefined();
    expect(await readSnapshotFile(join(dir, 'none', 'x.bin'))).toBeUndefined();
  });

  it('fails a write it cannot rename into place, leaving no temp file and the target as it was', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'assist-codec-'));
    // A folder where the file should go: the rename over it fails.
    mkdirSync(join(dir, 'taken.bin'));
    writeFileSync(join(dir, 'taken.bin', 'inside'), 'x');
    await expect(writeSnapshotFile(join(dir, 'taken.bin'), snapshotParts(MAGIC, { v: 1 }, [Uint32Array.from([1, 2, 3])]))).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['taken.bin']);
    expect(readdirSync(join(dir, 'taken.bin'))).toEqual(['inside']);
  });

  it('writes its header in UTF-8 whether it is ASCII (copied as latin1) or not', () => {
    for (const names of [['alpha', 'beta\u0000x', '"q"\\'], ['caf\u00e9', '\u4e2d\u6587', '\u{1f600}', 'plain'], ['\u00ff'], ['\u007f']]) {
      const header = { v: 1, names: names.join('\u0000') };
      const buf = encodeSnapshot(0x41534d31, header, [Uint32Array.from([7])]);
      const length = buf.readUInt32LE(4);
      expect(buf.subarray(8, 8 + length)).toEqual(Buffer.from(JSON.stringify(header), 'utf8'));
      expect(decodeSnapshot<typeof header>(buf, 0x41534d31)?.header).toEqual(header);
    }
  });

  it('splits joined lists only into their count', () => {
    expect(splitList('a\0b', 2)).toEqual(['a', 'b']);
    expect(splitList('', 0)).toEqual([]);
    expect(splitList('a\0b', 3)).toBeUndefined();
  });
});
