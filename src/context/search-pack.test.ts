import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeEntry, encodeEntry, EntryMaker, makeEntry, SearchPack, type AnyEntry } from './search-pack.js';
import { encodeSearchSnapshot, updateSearchSnapshot } from './search-snapshot.js';
import type { CachedDef } from './types.js';

const defs: CachedDef[] = [
  { name: 'applyDiscount', kind: 'function', line: 1, endLine: 3, scope: -1, signature: 'export function applyDiscount(price: number): number {' },
  { name: 'CartTotals', kind: 'class', line: 5, endLine: 7, scope: -1, signature: 'export class CartTotals {' },
];
const source = 'export function applyDiscount(price: number): number {\n  return price * 0.9;\n}\n\nexport class CartTotals {\n  total = 0;\n}\n';

describe('search pack', () => {
  it('makes an entry of chunks along the cached definitions, with text and name terms counted', () => {
    const entry = makeEntry(source, defs);
    expect(entry).toHaveLength(1); // both fit one chunk of 400 tokens
    expect(entry[0]).toMatchObject({ start: 1, end: 7 });
    expect(entry[0]!.names).toEqual(new Map([['apply', 1], ['discount', 1], ['applydiscount', 1], ['cart', 1], ['total', 1], ['carttotals', 1]]));
    expect(entry[0]!.text.get('price')).toBe(2);
    expect(entry[0]!.text.get('total')).toBe(2);
    expect(decodeEntry(encodeEntry(entry))).toEqual(entry);
    expect(decodeEntry('')).toEqual([]);
  });

  it('refuses a damaged entry instead of reading it wrong', () => {
    expect(decodeEntry('1,2;a:1')).toBeUndefined(); // torn: the name part is missing
    expect(decodeEntry('3,1;a:1;')).toBeUndefined(); // end before start
    expect(decodeEntry('1,2;a:x;')).toBeUndefined();
    expect(decodeEntry('1,2;a:1;;extra')).toBeUndefined();
  });

  it('stores entries by blob id, reads them back from another instance, and skips torn or unparsable lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'assist-pack-'));
    const a = new SearchPack(dir);
    const entry = makeEntry(source, defs);
    a.put('typescript-v1', 'b'.repeat(40), entry);
    a.put('typescript-v1', 'c'.repeat(40), []);
    await a.flush();
    const file = a.fileOf('typescript-v1');
    // A writer killed mid-line, then a line that is not an entry.
    appendFileSync(file, `${'d'.repeat(40)}\t1,2;pri`);
    const b = new SearchPack(dir);
    await b.loadSome('typescript-v1', ['b'.repeat(40), 'c'.repeat(40), 'd'.repeat(40)]);
    expect(b.get('typescript-v1', 'b'.repeat(40))).toEqual(entry);
    expect(b.get('typescript-v1', 'c'.repeat(40))).toEqual([]);
    expect(b.get('typescript-v1', 'd'.repeat(40))).toBeUndefined();
    // One or two blobs are searched for from the file's end (the file not read whole): the same answers.
    for (const blobs of [['b'.repeat(40)], ['c'.repeat(40), 'd'.repeat(40)]]) {
      const one = new SearchPack(dir);
      await one.loadSome('typescript-v1', blobs);
      for (const blob of ['b', 'c', 'd'].map((x) => x.repeat(40))) expect(one.get('typescript-v1', blob)).toEqual(blobs.includes(blob) ? b.get('typescript-v1', blob) : undefined);
    }
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n${'e'.repeat(40)}\tnot an entry\n`);
    const c = new SearchPack(dir);
    await c.load('typescript-v1');
    expect(c.get('typescript-v1', 'e'.repeat(40))).toBeUndefined();
    expect(c.get('typescript-v1', 'b'.repeat(40))).toEqual(entry);
    // Another version's pack is another file: nothing of it is read.
    mkdirSync(join(dir, 'search'), { recursive: true });
    expect(new SearchPack(dir).fileOf('typescript-v2')).not.toBe(file);
  });

  it('makes, packed by term ids, the very entries and snapshot the maps give', () => {
    // Sources that exercise the edges: enclosing definitions' headers, names also in the text and
    // names it lacks, one-letter words, digits, CRLF, non-ASCII, no final newline, a chunk of
    // blank lines dropped, runs of lines without definitions, and words met again across files.
    const many = Array.from({ length: 60 }, (_, k) => `  step${k}(value_${k % 7}: number): number { return helperFor${k % 5}(value_${k % 7}) + ${k}; }`);
    const cases: [string, CachedDef[]][] = [
      [source, defs],
      [`${source}\n\n\n`, defs],
      [source.replace(/\n/g, '\r\n'), defs],
      ['// café: naïve façade, x y z\nexport const v8Flags = 1;', []],
      [
        ['export class BigReporter {', ...many, '}', '', 'function tail_fn() { return BigReporter; }'].join('\n'),
        [
          { name: 'BigReporter', kind: 'class', line: 1, endLine: 62, scope: -1, signature: 'export class BigReporter {' },
          ...many.map((_, k): CachedDef => ({ name: `step${k}`, kind: 'method', line: k + 2, endLine: k + 2, scope: 0, signature: many[k]!.trim() })),
          { name: 'tail_fn', kind: 'function', line: 64, endLine: 64, scope: -1, signature: 'function tail_fn() { return BigReporter; }' },
          { name: 'notInTheTextAtAll', kind: 'function', line: 64, endLine: 64, scope: -1, signature: 'function notInTheTextAtAll()' },
        ],
      ],
      ['', []],
      ['\n\n  \n', []],
    ];
    const maker = new EntryMaker();
    const packed: AnyEntry[] = [];
    const maps: AnyEntry[] = [];
    for (const [text, d] of [...cases, ...cases]) {
      const entry = maker.make(text, d);
      const expected = makeEntry(text, d);
      expect(encodeEntry(entry)).toBe(encodeEntry(expected));
      expect(Buffer.from(maker.encode(entry)).toString('latin1')).toBe(encodeEntry(expected));
      expect(decodeEntry(encodeEntry(entry))).toEqual(expected);
      packed.push(entry);
      maps.push(expected);
    }
    expect(packed.some((e) => encodeEntry(e).includes('|'))).toBe(true); // more than one chunk somewhere
    const paths = packed.map((_, k) => `src/dir${k % 3}/file-${k}.ts`);
    const keys = paths.map((_, k) => `ts:${k}`);
    const none = new Int32Array(paths.length).fill(-1);
    const a = updateSearchSnapshot(undefined, none, paths, keys, 1 << 20, (i) => packed[i]!).snapshot;
    const b = updateSearchSnapshot(undefined, none, paths, keys, 1 << 20, (i) => maps[i]!).snapshot;
    expect(encodeSearchSnapshot(a).equals(encodeSearchSnapshot(b))).toBe(true);
    // Either form mixed in one update (entries from the packs beside fresh ones) gives the same too.
    const c = updateSearchSnapshot(undefined, none, paths, keys, 1 << 20, (i) => (i % 2 === 0 ? packed[i]! : maps[i]!)).snapshot;
    expect(encodeSearchSnapshot(c).equals(encodeSearchSnapshot(b))).toBe(true);
  });

  it('writes entries stored as bytes as it writes them stored as text', async () => {
    const maker = new EntryMaker();
    const entries = [maker.make(source, defs), maker.make('', []), maker.make('const abc = 1;\n', [])];
    const files: string[] = [];
    for (const bytes of [false, true]) {
      const dir = mkdtempSync(join(tmpdir(), 'assist-pack-bytes-'));
      const pack = new SearchPack(dir);
      entries.forEach((entry, k) => (bytes ? pack.putBytes('typescript-v1', `${k}`.repeat(40), maker.encode(entry)) : pack.put('typescript-v1', `${k}`.repeat(40), entry)));
      expect(pack.get('typescript-v1', '0'.repeat(40))).toEqual(makeEntry(source, defs));
      await pack.flush();
      files.push(readFileSync(pack.fileOf('typescript-v1'), 'utf8'));
      const again = new SearchPack(dir);
      await again.load('typescript-v1');
      expect(again.get('typescript-v1', '2'.repeat(40))).toEqual(makeEntry('const abc = 1;\n', []));
    }
    expect(files[1]).toBe(files[0]);
  });
});
