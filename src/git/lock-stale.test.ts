import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireLock } from './lock.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'assist-lock-'));
  dirs.push(d);
  return d;
}

describe('a lock file nobody can read', () => {
  it('is taken over once it is older than a few seconds (a writer killed between create and write, or a full disk)', async () => {
    const d = dir();
    writeFileSync(join(d, 'lock'), '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(d, 'lock'), old, old);
    const lock = await acquireLock(d, { command: 'test', waitMs: 200 });
    expect(lock.holder.pid).toBe(process.pid);
    lock.release();
  });

  it('is respected while fresh: it may be a writer between its create and its write', async () => {
    const d = dir();
    writeFileSync(join(d, 'lock'), '');
    await expect(acquireLock(d, { command: 'test', waitMs: 100 })).rejects.toMatchObject({ code: 'git.locked' });
  });
});
