import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { queryTerms, scoreChunks } from './bm25.js';
import type { BlobEntry } from './search-pack.js';
import { decodesWhole, encodeSearchSnapshot, matchSearchSnapshot, readSearchSnapshot, sameListing, termId, updateSearchSnapshot, writeSearchSnapshot, type SearchSnapshot } from './search-snapshot.js';

function entry(...chunks: [start: number, end: number, text: string, names?: string][]): BlobEntry {
  const count = (words: string): Map<string, number> => {
    const m = new Map<string, number>();
    for (const w of words.split(' ').filter(Boolean)) m.set(w, (m.get(w) ?? 0) + 1);
    return m;
  };
  return chunks.map(([start, end, text, names]) => ({ start, end, text: count(text), names: count(names ?? '') }));
}

const original: Record<string, BlobEntry> = {
  'src/cart.ts': entry([1, 10, 'price discount price total', 'apply discount applydiscount'], [11, 20, 'total sum item', 'cart total']),
  'src/http/retry.ts': entry([1, 30, 'retry backoff delay header after', 'retry policy']),
  'test/cart.test.ts': entry([1, 5, 'discount test expect']),
};

let files: Record<string, BlobEntry> = { ...original };

function build(paths: string[], keys: string[], base?: SearchSnapshot): SearchSnapshot {
  const from = matchSearchSnapshot(base, paths, keys, 100);
  return updateSearchSnapshot(base, from, paths, keys, 100, (i) => files[paths[i]!] ?? []).snapshot;
}

/** Scores per chunk, keyed by file and start line, for comparing snapshots built differently. */
function scores(s: SearchSnapshot, query: string): Record<string, number> {
  const out: Record<string, number> = {};
  scoreChunks(s, queryTerms(s, query)).scores.forEach((v, c) => {
    if (v > 0) out[`${s.paths[s.chunkFile[c]!]}:${s.chunkStart[c]}`] = Number(v.toFixed(9));
  });
  return out;
}

describe('search snapshot', () => {
  beforeEach(() => {
    files = { ...original };
  });

  it('ranks by BM25 over text, names and path, the path and names weighted', () => {
    const s = build(Object.keys(files), ['k1', 'k2', 'k3']);
    const found = scores(s, 'discount the cart');
    // The definition named after the request beats a chunk that only says it; the path counts.
    expect(Object.keys(found).sort((a, b) => found[b]! - found[a]!)).toEqual(['src/cart.ts:1', 'test/cart.test.ts:1', 'src/cart.ts:11']);
    expect(scores(s, 'retry')).toHaveProperty(['src/http/retry.ts:1']);
    expect(scores(s, 'http')).toHaveProperty(['src/http/retry.ts:1']); // from the path alone
    expect(scores(s, 'nothing here')).toEqual({});
  });

  it('updated after changes, reads the same as built from scratch', () => {
    const paths = Object.keys(files);
    const first = build(paths, ['k1', 'k2', 'k3']);
    // One file's content changed, one removed, one added.
    files['src/cart.ts'] = entry([1, 12, 'price coupon total', 'apply coupon applycoupon']);
    files['src/new.ts'] = entry([1, 3, 'coupon code', 'parse coupon']);
    const later = ['src/cart.ts', 'src/http/retry.ts', 'src/new.ts'];
    const incremental = build(later, ['k1b', 'k2', 'k4'], first);
    const scratch = build(later, ['k1b', 'k2', 'k4']);
    for (const query of ['coupon', 'discount', 'retry backoff', 'price total', 'cart']) expect(scores(incremental, query)).toEqual(scores(scratch, query));
    expect(incremental.chunkFile.length).toBe(scratch.chunkFile.length);
    expect(scores(incremental, 'discount')).toEqual({});
  });

  it('an update of a snapshot read from its file writes the bytes of one made in this process, its dictionary extended', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'assist-snap-'));
    const path = join(dir, 'snapshot.bin');
    const paths = Object.keys(files);
    const first = build(paths, ['k1', 'k2', 'k3']);
    await writeSearchSnapshot(path, first);
    // A change that adds three terms keeps the term table's size; one that adds forty needs a larger one.
    for (const added of [['coupon', 'naïve', 'price'], Array.from({ length: 40 }, (_, k) => `term${k}`)]) {
      files['src/cart.ts'] = entry([1, 12, `price ${added.join(' ')} total`, 'apply coupon'], [13, 14, 'sum']);
      files['src/new.ts'] = entry([1, 3, 'coupon code', 'parse coupon']);
      const later = ['src/cart.ts', 'src/http/retry.ts', 'src/new.ts', 'test/cart.test.ts'];
      const keys = ['k1b', 'k2', 'k5', 'k3'];
      const read = (await readSearchSnapshot(path))!;
      const fromRead = build(later, keys, read);
      const inProcess = build(later, keys, first);
      expect(encodeSearchSnapshot(fromRead).equals(encodeSearchSnapshot(inProcess))).toBe(true);
      expect(fromRead.terms).toEqual(inProcess.terms);
      for (const [k, term] of inProcess.terms.entries()) expect(termId(fromRead, term), term).toBe(k);
      expect(sameListing(fromRead, later, keys)).toBe(true);
      for (const query of ['coupon naïve', 'discount', 'retry backoff', 'price total term7']) expect(scores(fromRead, query)).toEqual(scores(inProcess, query));
      // Written and read back, then updated again from that: still the in-process bytes.
      await writeSearchSnapshot(join(dir, 'again.bin'), fromRead);
      const again = build(paths, ['k1', 'k2', 'k3'], (await readSearchSnapshot(join(dir, 'again.bin')))!);
      expect(encodeSearchSnapshot(again).equals(encodeSearchSnapshot(build(paths, ['k1', 'k2', 'k3'], inProcess)))).toBe(true);
      files = { ...original };
    }
  });

  it('round-trips through its file; a damaged, truncated or foreign-version file reads as missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'assist-snap-'));
    const path = join(dir, 'search', 'snapshot.bin');
    const s = build(Object.keys(files), ['k1', 'k2', 'k3']);
    await writeSearchSnapshot(path, s);
    const back = await readSearchSnapshot(path);
    expect(back && scores(back, 'retry total')).toEqual(scores(s, 'retry total'));
    expect(back?.keys).toEqual(['k1', 'k2', 'k3']);

    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length - 8));
    expect(await readSearchSnapshot(path)).toBeUndefined();
    const foreign = Buffer.from(bytes);
    foreign.write('{"v":99', 8, 'utf8');
    writeFileSync(path, foreign);
    expect(await readSearchSnapshot(path)).toBeUndefined();
    writeFileSync(path, 'garbage');
    expect(await readSearchSnapshot(path)).toBeUndefined();
    // A term range that goes backwards: refused rather than read out of range.
    const broken = Buffer.from(bytes);
    const header = bytes.readUInt32LE(4);
    const arrays = (8 + header + 3) & ~3;
    broken.writeUInt32LE(0xffffff, arrays + 4); // fileChunkStart[1]
    writeFileSync(path, broken);
    expect(await readSearchSnapshot(path)).toBeUndefined();
    expect(await readSearchSnapshot(join(dir, 'missing.bin'))).toBeUndefined();
  });

  it('is read once while its file stays the same, and anew once a write replaces it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'assist-snap-'));
    const path = join(dir, 'snapshot.bin');
    await writeSearchSnapshot(path, build(Object.keys(files), ['k1', 'k2', 'k3']));
    const [a, b] = await Promise.all([readSearchSnapshot(path), readSearchSnapshot(path)]);
    expect(a).toBeDefined();
    expect(b).toBe(a);
    expect(await readSearchSnapshot(path)).toBe(a);
    await writeSearchSnapshot(path, build(Object.keys(files), ['k1', 'k2', 'k9']));
    const after = await readSearchSnapshot(path);
    expect(after).not.toBe(a);
    expect(after?.keys).toEqual(['k1', 'k2', 'k9']);
    rmSync(path);
    expect(await readSearchSnapshot(path)).toBeUndefined();
  });

  it('finds terms in the stored dictionary and compares listings without decoding them; a damaged dictionary or term range is caught', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'assist-snap-'));
    const path = join(dir, 'snapshot.bin');
    files['src/naïve.ts'] = entry([1, 2, 'café naïve', 'naïve']);
    const paths = Object.keys(files);
    const s = build(paths, ['k1', 'k2', 'k3', 'k4']);
    await writeSearchSnapshot(path, s);
    const back = (await readSearchSnapshot(path))!;
    for (const [k, term] of s.terms.entries()) expect(termId(back, term), term).toBe(k);
    expect(termId(back, 'nowhere')).toBe(-1);
    expect(termId(back, 'disc')).toBe(-1); // a prefix of a term is not the term
    expect(sameListing(back, paths, ['k1', 'k2', 'k3', 'k4'])).toBe(true);
    expect(sameListing(back, paths, ['k1', 'k2', 'k3', 'k5'])).toBe(false);
    expect(sameListing(back, paths.slice(1), ['k2', 'k3', 'k4'])).toBe(false);
    expect(back.paths).toEqual(paths);
    expect(back.terms).toEqual(s.terms);
    expect(scores(back, 'naïve café discount')).toEqual(scores(s, 'naïve café discount'));
    // Stamped with its listing and written again from its stored bytes (nothing decoded): the same index.
    const fresh = (await readSearchSnapshot(path))!;
    fresh.listing = { fingerprint: 'f1', packs: { typescript: 'typescript-1' } };
    await writeSearchSnapshot(join(dir, 'stamped.bin'), fresh);
    const stamped = (await readSearchSnapshot(join(dir, 'stamped.bin')))!;
    expect(stamped.listing).toEqual({ fingerprint: 'f1', packs: { typescript: 'typescript-1' } });
    expect(readFileSync(join(dir, 'stamped.bin')).length).toBeGreaterThan(readFileSync(path).length);
    for (const [k, term] of s.terms.entries()) expect(termId(stamped, term), term).toBe(k);
    expect(stamped.paths).toEqual(paths);
    expect(scores(stamped, 'naïve café discount')).toEqual(scores(s, 'naïve café discount'));
    expect((await readSearchSnapshot(path))!.listing).toBeUndefined();

    const bytes = readFileSync(path);
    // The dictionary ends the file: a NUL of it overwritten no longer matches its offsets.
    const dictionary = Buffer.from(bytes);
    dictionary[dictionary.lastIndexOf(0, dictionary.length - 6)] = 0x41;
    writeFileSync(path, dictionary);
    const split = (await readSearchSnapshot(path))!;
    expect(decodesWhole(split)).toBe(false);
    expect(decodesWhole(back)).toBe(true);
    // A term's range running past the postings: that term scores nothing, the others still do.
    const ranged = Buffer.from(bytes);
    const header = JSON.parse(bytes.toString('utf8', 8, 8 + bytes.readUInt32LE(4))) as { n: number; chunks: number };
    const termStartAt = ((8 + bytes.readUInt32LE(4) + 3) & ~3) + 4 * (header.n + 1 + 5 * header.chunks);
    const retry = s.terms.indexOf('retry');
    ranged.writeUInt32LE(0xfffffff, termStartAt + 4 * (retry + 1));
    writeFileSync(path, ranged);
    const damaged = (await readSearchSnapshot(path))!;
    expect(scores(damaged, 'retry')).toEqual({});
    expect(Object.keys(scores(damaged, 'discount')).length).toBeGreaterThan(0);
  });
});
