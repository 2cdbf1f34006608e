import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as packageEncoder from 'gpt-tokenizer/encoding/o200k_base';
import { default as packageRanks } from 'gpt-tokenizer/bpeRanks/o200k_base';
import { O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import { BpeCounter, loadO200k, packTable, readTable, type Rank } from './o200k.js';

const dir = mkdtempSync(join(tmpdir(), 'assist-o200k-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const table = packTable(packageRanks as readonly Rank[], O200K_TOKEN_SPLIT_REGEX);
const counter = readTable(table)!;

/** The package's count with special-token text read as text, as this counter reads it. */
const packageCount = (text: string): number => packageEncoder.countTokens(text, { disallowedSpecial: new Set() });

/** Texts whose counts must not move: this folder's sources, and the kinds of text BPE treats apart. */
const corpus = [
  ...readdirSync(import.meta.dirname)
    .filter((f) => f.endsWith('.ts'))
    .slice(0, 40)
    .map((f) => readFileSync(join(import.meta.dirname, f), 'utf8')),
  'naïve café — Grüße, 東京 and 🚀🚀 emoji 👍🏽, Ελληνικά, עברית, हिन्दी, العربية, 한국어',
  '\u0000\u0001 control \t\t tabs   spaces\r\n\r\nCRLF\n\n\n   \n',
  "don't won't I'll they've WE'RE 1234567890 3.14159 0xdeadbeef",
  'lone \uD83D surrogates \uDC00 and a cut pair \uD83D',
  ' '.repeat(3000),
  'abcdefghij'.repeat(400),
  '=-'.repeat(1500),
  'ünïcödé'.repeat(300),
];

/** Random strings over the classes the split pattern tells apart, from a fixed seed. */
function fuzz(count: number): string[] {
  let seed = 0x2f6b1d;
  const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const pools = [' \t\n\r', 'abcXYZ_', '0123456789', '.,;:!?()[]{}<>/\\\'"-=+*&^%$#@~`|', 'éüñçß', '東京日本語中文', 'ΑβγδЖзи', '🚀😀👍🏽', '\u0301\u0308\u200d', '\uD800\uDC00\uDFFF\uD83D', 'ـاللهعربي', 'हिन्दी', '\u0000\u0007\u007f'];
  const texts: string[] = [];
  for (let k = 0; k < count; k++) {
    let s = '';
    const length = 1 + Math.floor(next() * (k % 10 === 0 ? 400 : 40));
    for (let i = 0; i < length; i++) {
      const pool = pools[Math.floor(next() * pools.length)]!;
      s += pool[Math.floor(next() * pool.length)]!.repeat(1 + Math.floor(next() * 3));
    }
    texts.push(s);
  }
  return texts;
}

describe('the o200k table', () => {
  it('counts as gpt-tokenizer does: sources, scripts, lone surrogates, long runs, and 3,000 random strings', () => {
    for (const text of [...corpus, ...fuzz(3000)]) {
      const n = packageCount(text);
      if (counter.countTokens(text) !== n) expect.fail(`count differs for ${JSON.stringify(text.slice(0, 80))}: ${counter.countTokens(text)} against ${n}`);
    }
  });

  it('answers within a limit with the count, and false past it', () => {
    for (const text of corpus.slice(0, 5)) {
      const n = packageCount(text);
      expect(counter.isWithinTokenLimit(text, n)).toBe(n);
      expect(counter.isWithinTokenLimit(text, n - 1)).toBe(false);
    }
    expect(counter.isWithinTokenLimit('', 0)).toBe(0);
  });

  it('counts text that spells a special token as ordinary text, where the package throws', () => {
    const text = 'const EOT = "<|endoftext|>"; // <|im_start|>';
    expect(() => packageEncoder.countTokens(text)).toThrow(/special token/);
    expect(counter.countTokens(text)).toBe(packageCount(text));
    expect(counter.countTokens(text)).toBeGreaterThan(10);
  });

  it("reads U+FEFF by its bytes, one token, where the package's decoder drops it and counts two", () => {
    // The ranks hold EF BB BF (U+FEFF's UTF-8) as a token of its own.
    expect((packageRanks as readonly Rank[]).some((r) => Array.isArray(r) && r.join() === '239,187,191')).toBe(true);
    expect(counter.countTokens('\uFEFF')).toBe(1);
    expect(packageEncoder.countTokens('\uFEFF')).toBe(2);
  });

  it('merges a piece of a megabyte without going quadratic', () => {
    const started = performance.now();
    expect(counter.countTokens('x'.repeat(1 << 20))).toBeGreaterThan(1000);
    expect(counter.countTokens('!?'.repeat(1 << 19))).toBeGreaterThan(1000);
    // A scan per merge would take minutes here.
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('that is damaged, cut short or of another version is refused, and the package ranks take over', async () => {
    const otherVersion = Buffer.from(table);
    otherVersion.writeUInt32LE(1, 4);
    const wrongTotal = Buffer.from(table);
    wrongTotal.writeUInt32LE(wrongTotal.readUInt32LE(16) + 1, 16);
    // A pattern that is no regular expression.
    const badPattern = Buffer.concat([table, Buffer.from('(')]);
    badPattern.writeUInt32LE(badPattern.readUInt32LE(20) + 1, 20);
    const bad = [Buffer.alloc(0), table.subarray(0, 1000), Buffer.concat([Buffer.from([1, 2, 3, 4]), table.subarray(4)]), otherVersion, wrongTotal, badPattern, Buffer.concat([table, Buffer.alloc(4)])];
    for (const buffer of bad) expect(readTable(buffer)).toBeUndefined();
    const damaged = join(dir, 'damaged.bin');
    writeFileSync(damaged, table.subarray(0, 5000));
    const fromDamaged = await loadO200k(pathToFileURL(damaged));
    const fromMissing = await loadO200k(pathToFileURL(join(dir, 'missing.bin')));
    for (const encoder of [fromDamaged, fromMissing]) expect(encoder.countTokens(corpus[0]!)).toBe(packageCount(corpus[0]!));
  });

  it('loads from the file the build writes', async () => {
    const file = join(dir, 'o200k-table.bin');
    writeFileSync(file, table);
    const loaded = await loadO200k(pathToFileURL(file));
    expect(loaded).toBeInstanceOf(BpeCounter);
    expect(loaded.countTokens(corpus[1]!)).toBe(packageCount(corpus[1]!));
  });
});
