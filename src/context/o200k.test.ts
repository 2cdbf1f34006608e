import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as packageEncoder from 'gpt-tokenizer/encoding/o200k_base';
import { default as packageRanks } from 'gpt-tokenizer/bpeRanks/o200k_base';
import { loadO200k, packRanks, unpackRanks, type Rank } from './o200k.js';

const dir = mkdtempSync(join(tmpdir(), 'assist-o200k-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const packed = packRanks(packageRanks as readonly Rank[]);

/** Texts whose counts must not move: this folder's sources, and the kinds of text BPE treats apart. */
const corpus = [
  ...readdirSync(import.meta.dirname)
    .filter((f) => f.endsWith('.ts'))
    .slice(0, 25)
    .map((f) => readFileSync(join(import.meta.dirname, f), 'utf8')),
  'naïve café — Grüße, 東京 and 🚀🚀 emoji, Ελληνικά, עברית, हिन्दी',
  '\u0000\u0001 control \t\t tabs   spaces\r\n\r\nCRLF',
  "don't won't I'll they've 1234567890 3.14159 0xdeadbeef",
];

describe('the packed o200k ranks', () => {
  it('unpack to the package table, rank for rank (text and byte ranks alike)', () => {
    const back = unpackRanks(packed);
    expect(back).toBeDefined();
    expect(back!.length).toBe(packageRanks.length);
    expect(back!.some((r) => typeof r !== 'string')).toBe(true);
    for (let i = 0; i < back!.length; i++) if (JSON.stringify(back![i]) !== JSON.stringify(packageRanks[i])) expect.fail(`rank ${i} differs`);
  });

  it('build an encoder that counts exactly as the package does', async () => {
    const file = join(dir, 'o200k-ranks.bin');
    writeFileSync(file, packed);
    const encoder = await loadO200k(pathToFileURL(file));
    // Built from the ranks, not the package's module (whose namespace says "Module").
    expect(Object.prototype.toString.call(encoder)).not.toBe('[object Module]');
    for (const text of corpus) {
      expect(encoder.countTokens(text)).toBe(packageEncoder.countTokens(text));
      const n = packageEncoder.countTokens(text);
      expect(encoder.isWithinTokenLimit(text, n)).toBe(n);
      if (n > 1) expect(encoder.isWithinTokenLimit(text, n - 1)).toBe(false);
    }
  });

  it('that are missing, damaged or of another version leave the package module in charge', async () => {
    const bad: Buffer[] = [Buffer.alloc(0), packed.subarray(0, 1000), Buffer.concat([Buffer.from([1, 2, 3, 4]), packed.subarray(4)])];
    const otherVersion = Buffer.from(packed);
    otherVersion.writeUInt32LE(99, 4);
    bad.push(otherVersion);
    // A lengths table that no longer adds up to the text.
    const shifted = Buffer.from(packed);
    shifted.writeUInt16LE(shifted.readUInt16LE(16) + 1, 16);
    bad.push(shifted);
    for (const buffer of bad) expect(unpackRanks(buffer)).toBeUndefined();
    const file = join(dir, 'damaged.bin');
    writeFileSync(file, packed.subarray(0, 5000));
    const fromDamaged = await loadO200k(pathToFileURL(file));
    expect(Object.prototype.toString.call(fromDamaged)).toBe('[object Module]');
    const fromMissing = await loadO200k(pathToFileURL(join(dir, 'missing.bin')));
    expect(fromMissing.countTokens(corpus[0]!)).toBe(packageEncoder.countTokens(corpus[0]!));
  });
});
