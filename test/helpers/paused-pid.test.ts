import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { announcePid } from '../../src/git/pause.js';
import { pausedPid } from './paused-pid.js';

describe('pausedPid', () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'assist-pid-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('waits past a file that exists but is not written yet (an empty read would be pid 0: the whole group)', async () => {
    const file = join(tempDir(), 'pid');
    writeFileSync(file, '');
    const waiting = pausedPid(file, 5_000);
    setTimeout(() => writeFileSync(file, '4242\n'), 100);
    expect(await waiting).toBe(4242);
  });

  it('never accepts 0, a sign or a partial line', async () => {
    const file = join(tempDir(), 'pid');
    writeFileSync(file, '0\n');
    await expect(pausedPid(file, 400)).rejects.toThrow(/no pid was announced/);
    writeFileSync(file, '-1\n');
    await expect(pausedPid(file, 400)).rejects.toThrow(/no pid was announced/);
    writeFileSync(file, '12');
    await expect(pausedPid(file, 400)).rejects.toThrow(/no pid was announced/);
  });

  it('reads what announcePid writes, which leaves no partial file behind', async () => {
    const dir = tempDir();
    announcePid(join(dir, 'pid'));
    expect(await pausedPid(join(dir, 'pid'), 1_000)).toBe(process.pid);
    expect(readdirSync(dir)).toEqual(['pid']);
  });
});
