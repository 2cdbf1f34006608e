import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as FsPromises from 'node:fs/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TagsCache } from './tags-cache.js';

// The disk fills up while a compacted pack is being written: the write of the temp file fails
// part-way (it leaves a partial file, as a real ENOSPC does). Every other write goes through.
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof FsPromises>();
  return {
    ...real,
    writeFile: async (...args: Parameters<typeof real.writeFile>) => {
      const [file] = args;
      if (typeof file === 'string' && file.endsWith('.compacting')) {
        await real.writeFile(file, 'partial');
        throw Object.assign(new Error(`ENOSPC: no space left on device, write '${file}'`), { code: 'ENOSPC' });
      }
      return real.writeFile(...args);
    },
  };
});

describe('TagsCache compaction on a full disk', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves the pack exactly as it was and no temp file behind', async () => {
    dir = mkdtempSync(join(tmpdir(), 'assist-tags-'));
    const cache = new TagsCache(dir);
    for (const c of 'abc') cache.put('ts-v1', c.repeat(40), { defs: [], refs: { [c]: 1 }, bytes: 3 });
    await cache.flush();
    const path = join(dir, 'tags', 'ts-v1.jsonl');
    const before = readFileSync(path);

    expect(await cache.compact('ts-v1', new Set(['a'.repeat(40)]))).toBeUndefined();
    expect(readFileSync(path)).toEqual(before);
    expect(readdirSync(join(dir, 'tags'))).toEqual(['ts-v1.jsonl']);
    const reader = new TagsCache(dir);
    await reader.load('ts-v1');
    expect(reader.get('ts-v1', 'c'.repeat(40))!.refs).toEqual({ c: 1 });
  });
});
