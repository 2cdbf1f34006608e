import { promises as fs } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-write.js';

/** Writes a file by rename, so a hook running at that moment sees the old or the new text, never half. */
export async function writeAtomic(path: string, content: string, mode?: number): Promise<void> {
  await writeFileAtomic(path, content, mode === undefined ? {} : { mode, exactMode: true });
}

export async function exists(path: string): Promise<boolean> {
  try {
    await fs.lstat(path);
    return true;
  } catch {
    return false;
  }
}

export async function readOrNull(path: string): Promise<string | null> {
  try {
    return await fs.readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
