import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JournalStore, MoveJournalStore, parseJournalText, type Journal } from '../git/journal.js';
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

  it('never write through a fixed `<file>.tmp` name (two writers, or a leftover, would collide)', async () => {
    const d = dir();
    const store = new JournalStore(d);
    await store.begin(journal);
    // A leftover folder where the old fixed temp name was: the write must not depend on that name.
    mkdirSync(join(store.dir, 'batch.json.tmp'));
    store.save({ ...journal, id: 'j2' });
    expect(store.read()?.id).toBe('j2');

    const moves = new MoveJournalStore(d);
    mkdirSync(`${moves.file}.tmp`);
    const move = { v: 1, op: 'undo', session: 's', ref: 'HEAD', from: null, to: null, restoreSnapshots: [], resetSnapshots: [], updates: [], event: 'e' } as const;
    moves.begin({ ...move, restoreSnapshots: [], resetSnapshots: [], updates: [] });
    expect(moves.read()?.event).toBe('e');
  });

  it('keeps the batch journal in one file rewritten in place: emptied between batches, never renamed', async () => {
    const d = dir();
    const store = new JournalStore(d);
    await store.begin({ ...journal, id: 'a-long-first-journal-id', meta: { summary: 'x'.repeat(500), model: 'm', request: 'r' } });
    const file = join(store.dir, 'batch.json');
    const inode = statSync(file).ino;
    store.remove();
    expect(store.read()).toBeNull();
    expect(statSync(file).size).toBe(0);
    await store.begin({ ...journal, id: 'b' });
    // Same file (no new name to sync), and a shorter journal leaves none of the longer one behind.
    expect(statSync(file).ino).toBe(inode);
    expect(store.read()?.id).toBe('b');
    expect(readFileSync(file, 'utf8')).not.toContain('xxx');
    expect(readdirSync(store.dir)).toEqual(['batch.json']);
  });

  it('reads a torn journal (old and new bytes mixed by a crash mid-write) as none, and a whole one from an earlier version as it is', () => {
    const d = dir();
    const store = new JournalStore(d);
    store.save({ ...journal, id: 'first' });
    const file = join(store.dir, 'batch.json');
    const whole = readFileSync(file, 'utf8');
    expect(parseJournalText(whole)?.id).toBe('first');
    // The new JSON's first bytes over the old file's: parses as JSON, fails the checksum.
    const other = JSON.stringify({ ...journal, id: 'secnd' });
    writeFileSync(file, other.slice(0, 20) + whole.slice(20));
    expect(JSON.parse(readFileSync(file, 'utf8').split('\n')[0] ?? '').id).toBe('secnd');
    expect(store.read()).toBeNull();
    writeFileSync(file, whole.slice(0, whole.length - 10));
    expect(store.read()).toBeNull();
    // Written whole and renamed into place by an earlier version: plain JSON.
    writeFileSync(file, JSON.stringify({ ...journal, id: 'legacy' }));
    expect(store.read()?.id).toBe('legacy');
  });
});
