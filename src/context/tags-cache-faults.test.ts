import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import type * as FsPromises from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TagsCache } from './tags-cache.js';

// What happens while a compacted pack is written: the disk fills up (the write fails part-way,
// leaving a partial file as a real ENOSPC does), or another process appends to the old pack.
const during = vi.hoisted(() => ({ compactWrite: undefined as ((temp: string) => void) | 'enospc' | undefined }));

// The compacted pack is written through util/atomic-write.ts: a temp file beside the pack, opened with `open`.
const isCompactTemp = (file: unknown): file is string => typeof file === 'string' && /\/\.ts-v1\.jsonl\.[^/]*\.tmp$/.test(file);

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof FsPromises>();
  return {
    ...real,
    open: async (...args: Parameters<typeof real.open>) => {
      const handle = await real.open(...args);
      const [file] = args;
      if (!isCompactTemp(file) || during.compactWrite === undefined) return handle;
      const hook = during.compactWrite;
      const writeFile = handle.writeFile.bind(handle);
      handle.writeFile = async (...data: Parameters<typeof handle.writeFile>) => {
        if (hook === 'enospc') {
          await writeFile('partial');
          throw Object.assign(new Error(`ENOSPC: no space left on device, write '${file}'`), { code: 'ENOSPC' });
        }
        hook(file);
        return writeFile(...data);
      };
      return handle;
    },
  };
});

describe('TagsCache compaction under interference', () => {
  let dir: string;
  afterEach(() => {
    during.compactWrite = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function packOf(blobs: string): Promise<{ cache: TagsCache; path: string }> {
    dir = mkdtempSync(join(tmpdir(), 'assist-tags-'));
    const cache = new TagsCache(dir);
    for (const c of blobs) cache.put('ts-v1', c.repeat(40), { defs: [], refs: { [c]: 1 }, bytes: 3 });
    await cache.flush();
    return { cache, path: join(dir, 'tags', 'ts-v1.jsonl') };
  }

  it('on a full disk leaves the pack exactly as it was and no temp file behind', async () => {
    const { cache, path } = await packOf('abc');
    const before = readFileSync(path);
    during.compactWrite = 'enospc';
    expect(await cache.compact('ts-v1', new Set(['a'.repeat(40)]))).toBeUndefined();
    expect(readFileSync(path)).toEqual(before);
    expect(readdirSync(join(dir, 'tags'))).toEqual(['ts-v1.jsonl']);
    const reader = new TagsCache(dir);
    await reader.load('ts-v1');
    expect(reader.get('ts-v1', 'c'.repeat(40))!.refs).toEqual({ c: 1 });
  });

  it('carries over a line another process appended to the old pack meanwhile', async () => {
    const { cache, path } = await packOf('abcdefgh');
    const other = new TagsCache(dir);
    during.compactWrite = () => {
      // The other writer's append lands in the old file, after this one read it.
      appendFileSync(path, `${'z'.repeat(40)}\t{"n":["Late"],"r":{},"b":4}\t[["function",1,1,-1,"late()"]]\n`);
    };
    const places = (await cache.compact('ts-v1', new Set(['a'.repeat(40)])))!;
    expect(places.has('z'.repeat(40))).toBe(false);
    const text = readFileSync(path, 'utf8');
    // a (live), h (the newest other that fits the spare bytes), then the late line.
    expect(text.split('\n').filter(Boolean).map((l) => l[0])).toEqual(['a', 'h', 'z']);
    expect(text.endsWith(`${'z'.repeat(40)}\t{"n":["Late"],"r":{},"b":4}\t[["function",1,1,-1,"late()"]]\n`)).toBe(true);
    await other.loadSome('ts-v1', ['z'.repeat(40)]);
    expect(other.get('ts-v1', 'z'.repeat(40))!.defs()[0]!.signature).toBe('late()');
  });
});
