import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEAD_PACK_AGE_MS, PRUNE_EVERY_MS, TagsCache } from './tags-cache.js';
import type { FileTags } from './types.js';

const tags: FileTags = {
  defs: [{ name: 'Box', kind: 'class', line: 2, endLine: 9, scope: -1, signature: 'export class Box {' }],
  refs: { Lid: 2 },
  bytes: 120,
};

describe('TagsCache', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips tags through an append-only pack, render details parsed on demand', async () => {
    dir = mkdtempSync(join(tmpdir(), 'assist-tags-'));
    const writer = new TagsCache(dir);
    await writer.load('typescript-v1');
    writer.put('typescript-v1', 'a'.repeat(40), tags);
    writer.put('typescript-v1', 'b'.repeat(40), { defs: [], refs: {}, bytes: 5, skipped: 'binary' });
    await writer.flush();

    const reader = new TagsCache(dir);
    await reader.load('typescript-v1');
    const hit = reader.get('typescript-v1', 'a'.repeat(40))!;
    expect(hit.defNames).toEqual(['Box']);
    expect(hit.refs).toEqual({ Lid: 2 });
    expect(hit.defs()).toEqual(tags.defs);
    expect(reader.get('typescript-v1', 'b'.repeat(40))!.skipped).toBe('binary');
    expect(reader.get('typescript-v1', 'c'.repeat(40))).toBeUndefined();
    expect(reader.get('python-v1', 'a'.repeat(40))).toBeUndefined();
  });

  it('reads entries at the places it saw them, and gives back the places that moved', async () => {
    dir = mkdtempSync(join(tmpdir(), 'assist-tags-'));
    const writer = new TagsCache(dir);
    writer.put('ts-v1', 'a'.repeat(40), tags);
    writer.put('ts-v1', 'b'.repeat(40), { ...tags, defs: [{ ...tags.defs[0]!, name: 'Crate', signature: 'class Crate { // ü' }] });
    await writer.flush();
    const placeA = writer.locate('ts-v1', 'a'.repeat(40))!;
    const placeB = writer.locate('ts-v1', 'b'.repeat(40))!;
    expect(placeB[0]).toBe(placeA[0] + placeA[1]);

    const reader = new TagsCache(dir);
    expect(reader.loadAt('ts-v1', [['b'.repeat(40), placeB]])).toEqual([]);
    expect(reader.get('ts-v1', 'b'.repeat(40))!.defs()[0]!.signature).toBe('class Crate { // ü');
    // A place holding another blob's line, or past the end, is not trusted.
    expect(reader.loadAt('ts-v1', [['a'.repeat(40), placeB], ['c'.repeat(40), [placeB[0] + 5000, 20]]])).toEqual(['a'.repeat(40), 'c'.repeat(40)]);
    expect(reader.get('ts-v1', 'a'.repeat(40))).toBeUndefined();

    // A search or a scan notes places too.
    const searcher = new TagsCache(dir);
    await searcher.loadSome('ts-v1', ['a'.repeat(40)]);
    expect(searcher.locate('ts-v1', 'a'.repeat(40))).toEqual(placeA);
    const scanner = new TagsCache(dir);
    await scanner.load('ts-v1');
    expect(scanner.locate('ts-v1', 'b'.repeat(40))).toEqual(placeB);
  });

  it('finds the last complete line of a few blobs, and of many, the same way', async () => {
    dir = mkdtempSync(join(tmpdir(), 'assist-tags-'));
    const writer = new TagsCache(dir);
    const ids = ['1', '2', '3', '4', '5', '6'].map((c) => c.repeat(40));
    for (const id of ids) writer.put('go-v1', id, tags);
    writer.put('go-v1', ids[0]!, { ...tags, bytes: 999 }); // a later line for the same blob wins
    await writer.flush();
    // A torn copy of the first blob's line at the end, and an id inside another line's text.
    appendFileSync(join(dir, 'tags', 'go-v1.jsonl'), `x${ids[1]}\t{}\t[]\n${ids[0]}\t{"n":[`);
    for (const wanted of [ids.slice(0, 2), ids]) {
      const reader = new TagsCache(dir);
      await reader.loadSome('go-v1', wanted);
      expect(reader.get('go-v1', ids[0]!)!.bytes).toBe(999);
      expect(reader.get('go-v1', ids[1]!)!.defNames).toEqual(['Box']);
      expect(reader.get('go-v1', '7'.repeat(40))).toBeUndefined();
    }
  });

  it('skips a torn last line and a corrupt entry', async () => {
    dir = mkdtempSync(join(tmpdir(), 'assist-tags-'));
    const writer = new TagsCache(dir);
    await writer.load('go-v1');
    writer.put('go-v1', 'a'.repeat(40), tags);
    await writer.flush();
    const pack = join(dir, 'tags', 'go-v1.jsonl');
    appendFileSync(pack, `${'c'.repeat(40)}\t{not json\t[]\n${'d'.repeat(40)}\t{"n":[`);
    const reader = new TagsCache(dir);
    await reader.load('go-v1');
    expect(reader.get('go-v1', 'a'.repeat(40))!.defNames).toEqual(['Box']);
    expect(reader.get('go-v1', 'c'.repeat(40))).toBeUndefined();
    expect(reader.get('go-v1', 'd'.repeat(40))).toBeUndefined();
    expect(readFileSync(pack, 'utf8').split('\n')).toHaveLength(3);
  });

  it('compacts a pack to its live entries plus as many bytes of the newest others, at new places it reads back', async () => {
    dir = mkdtempSync(join(tmpdir(), 'assist-tags-'));
    const writer = new TagsCache(dir);
    const blob = (c: string): string => c.repeat(40);
    const sized = (name: string): FileTags => ({ ...tags, defs: [{ ...tags.defs[0]!, name }] });
    for (const c of 'abcdefgh') writer.put('ts-v1', blob(c), sized(`Old${c}`));
    await writer.flush();
    // A newer line for `b` wins over its older one, as every reader takes it.
    writer.put('ts-v1', blob('b'), sized('NewB'));
    const sizes = await writer.flush();
    const path = join(dir, 'tags', 'ts-v1.jsonl');
    expect(sizes.get('ts-v1')).toBe(statSync(path).size);
    appendFileSync(path, `${blob('z')}\t{"n":[`); // a torn line is dropped

    const places = (await writer.compact('ts-v1', new Set([blob('a'), blob('b')])))!;
    // Live: a and b. Spare bytes as many again: the two newest others, h and g (one line each is ~as long).
    expect([...places.keys()]).toEqual([blob('a'), blob('g'), blob('h'), blob('b')]);
    const text = readFileSync(path, 'utf8');
    expect(text.split('\n').filter(Boolean).map((l) => l.slice(0, 1))).toEqual(['a', 'g', 'h', 'b']);
    expect(readdirSync(join(dir, 'tags'))).toEqual(['ts-v1.jsonl']);

    const reader = new TagsCache(dir);
    expect(reader.loadAt('ts-v1', [...places].map(([id, where]) => [id, where] as const))).toEqual([]);
    expect(reader.get('ts-v1', blob('b'))!.defNames).toEqual(['NewB']);
    expect(reader.get('ts-v1', blob('h'))!.defNames).toEqual(['Oldh']);
    expect(writer.locate('ts-v1', blob('b'))).toEqual(places.get(blob('b')));
    await reader.load('ts-v1');
    expect(reader.get('ts-v1', blob('c'))).toBeUndefined();
    expect(await writer.compact('missing-v1', new Set())).toBeUndefined();
  });

  it('deletes packs of other versions a week after their last write, and temp files of dead compactions', async () => {
    dir = mkdtempSync(join(tmpdir(), 'assist-tags-'));
    const tagsDir = join(dir, 'tags');
    const cache = new TagsCache(dir);
    cache.put('typescript-aaaaaaaaaaaa', 'a'.repeat(40), tags);
    cache.put('typescript-bbbbbbbbbbbb', 'a'.repeat(40), tags);
    cache.put('python-cccccccccccc', 'a'.repeat(40), tags);
    await cache.flush();
    writeFileSync(join(tagsDir, 'typescript-aaaaaaaaaaaa.jsonl.123.beef.compacting'), 'x');
    writeFileSync(join(tagsDir, 'notes.txt'), 'not ours');
    const old = (Date.now() - DEAD_PACK_AGE_MS - 60_000) / 1000;
    utimesSync(join(tagsDir, 'typescript-bbbbbbbbbbbb.jsonl'), old, old);
    utimesSync(join(tagsDir, 'typescript-aaaaaaaaaaaa.jsonl.123.beef.compacting'), old, old);

    let asked = 0;
    const current = (): Set<string> => {
      asked++;
      return new Set(['typescript-aaaaaaaaaaaa']);
    };
    expect(await cache.pruneDead(current)).toEqual(['typescript-aaaaaaaaaaaa.jsonl.123.beef.compacting', 'typescript-bbbbbbbbbbbb.jsonl']);
    // python's pack is of another version too, but was written lately: an older assist may still use it.
    expect(readdirSync(tagsDir).sort()).toEqual(['.last-prune', 'notes.txt', 'python-cccccccccccc.jsonl', 'typescript-aaaaaaaaaaaa.jsonl']);
    // Within a day it does not look again (nor hash the languages' queries).
    const later = Date.now() + DEAD_PACK_AGE_MS + 60_000;
    expect(await cache.pruneDead(current, Date.now() + PRUNE_EVERY_MS - 60_000)).toEqual([]);
    expect(asked).toBe(1);
    expect(await cache.pruneDead(current, later)).toEqual(['python-cccccccccccc.jsonl']);
    expect(asked).toBe(2);
    expect(await new TagsCache(join(dir, 'none')).pruneDead(current)).toEqual([]);
  });
});
