import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JournalStore, MoveJournalStore, type Journal } from '../git/journal.js';
import { tempPathFor, writeFileAtomic, writeFileAtomicSync } from './atomic-write.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'assist-atomic-'));
  dirs.push(d);
  return d;
}

describe('writeFileAtomic', () => {
  it('replaces the file and leaves no temp file, sync and async', async () => {
    const d = dir();
    const file = join(d, 'f.json');
    writeFileSync(file, 'old');
    writeFileAtomicSync(file, 'new', { mode: 0o600 });
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await writeFileAtomic(file, Buffer.from('newer'), { fsyncDir: true });
    expect(readFileSync(file, 'utf8')).toBe('newer');
    expect(readdirSync(d)).toEqual(['f.json']);
  });

  it('sets an exact mode when asked, whatever the umask', async () => {
    const d = dir();
    const old = process.umask(0o077);
    try {
      await writeFileAtomic(join(d, 'hook'), '#!/bin/sh\n', { mode: 0o755, exactMode: true });
      writeFileAtomicSync(join(d, 'plain'), 'x', { mode: 0o755 });
    } finally {
      process.umask(old);
    }
    expect(statSync(join(d, 'hook')).mode & 0o777).toBe(0o755);
    expect(statSync(join(d, 'plain')).mode & 0o777).toBe(0o700);
  });

  it('many writers at once never share a temp file: the result is one whole write', async () => {
    const d = dir();
    const file = join(d, 'f');
    const texts = Array.from({ length: 40 }, (_, i) => String(i).repeat(20_000));
    await Promise.all(texts.map((t) => writeFileAtomic(file, t, { fsync: false })));
    expect(texts).toContain(readFileSync(file, 'utf8'));
    expect(readdirSync(d)).toEqual(['f']);
    expect(new Set(Array.from({ length: 100 }, () => tempPathFor(file))).size).toBe(100);
  });

  it('removes its temp file when the rename fails, and throws', async () => {
    const d = dir();
    const target = join(d, 'target');
    mkdirSync(join(target, 'inside'), { recursive: true });
    expect(() => writeFileAtomicSync(target, 'x')).toThrow();
    await expect(writeFileAtomic(target, 'x')).rejects.toThrow();
    expect(readdirSync(d)).toEqual(['target']);
  });

  it('falls back beside the target when the temp folder is on another device', () => {
    const shm = '/dev/shm';
    let other: string;
    try {
      other = mkdtempSync(join(shm, 'assist-atomic-'));
    } catch {
      return; // no second device here
    }
    dirs.push(other);
    const d = dir();
    writeFileAtomicSync(join(d, 'f'), 'x', { tempDir: other });
    expect(readFileSync(join(d, 'f'), 'utf8')).toBe('x');
    expect(readdirSync(other)).toEqual([]);
    expect(readdirSync(d)).toEqual(['f']);
  });
});

describe('the crash journals', () => {
  const journal: Journal = { v: 1, id: 'j', session: 's', ref: 'HEAD', parent: null, snapshot: null, files: [], meta: { summary: 's', model: 'm', request: 'r' } };

  it('never write through a fixed `<file>.tmp` name (two writers, or a leftover, would collide)', () => {
    const d = dir();
    const store = new JournalStore(d);
    store.begin(journal, [Buffer.from('content')]);
    // A leftover folder where the old fixed temp name was: the write must not depend on that name.
    mkdirSync(join(store.dir, 'batch.json.tmp'));
    store.save({ ...journal, id: 'j2' });
    expect(store.read()?.id).toBe('j2');
    expect(store.newContent(0)?.toString()).toBe('content');

    const moves = new MoveJournalStore(d);
    mkdirSync(`${moves.file}.tmp`);
    const move = { v: 1, op: 'undo', session: 's', ref: 'HEAD', from: null, to: null, restoreSnapshots: [], resetSnapshots: [], updates: [], event: 'e' } as const;
    moves.begin({ ...move, restoreSnapshots: [], resetSnapshots: [], updates: [] });
    expect(moves.read()?.event).toBe('e');
  });
});
