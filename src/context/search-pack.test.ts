import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeEntry, encodeEntry, makeEntry, SearchPack } from './search-pack.js';
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
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n${'e'.repeat(40)}\tnot an entry\n`);
    const c = new SearchPack(dir);
    await c.load('typescript-v1');
    expect(c.get('typescript-v1', 'e'.repeat(40))).toBeUndefined();
    expect(c.get('typescript-v1', 'b'.repeat(40))).toEqual(entry);
    // Another version's pack is another file: nothing of it is read.
    mkdirSync(join(dir, 'search'), { recursive: true });
    expect(new SearchPack(dir).fileOf('typescript-v2')).not.toBe(file);
  });
});
