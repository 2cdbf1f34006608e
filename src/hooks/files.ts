import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Writes a file by rename, so a hook running at that moment sees the old or the new text, never half. */
export async function writeAtomic(path: string, content: string, mode?: number): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.assist-${process.pid}-${Date.now().toString(36)}.tmp`);
  try {
    await fs.writeFile(tmp, content, { mode: mode ?? 0o644 });
    if (mode !== undefined) await fs.chmod(tmp, mode);
    await fs.rename(tmp, path);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw error;
  }
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
