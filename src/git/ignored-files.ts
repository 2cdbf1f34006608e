import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../util/atomic-write.js';
import { join } from 'node:path';
import { hashObject } from './objects.js';
import type { StoreCore } from './store-core.js';

export function ignoredDir(core: StoreCore): string {
  return join(core.repo.paths.worktreeAssistDir, 'ignored');
}

/** Keeps the content of a git-ignored file (by its blob id, never in the object store) for undo and redo. */
export function keepIgnored(core: StoreCore, content: Buffer): string {
  const oid = hashObject(core.repo.objects.format, 'blob', content);
  const file = join(ignoredDir(core), oid);
  if (!existsSync(file)) {
    mkdirSync(ignoredDir(core), { recursive: true, mode: 0o700 });
    writeFileAtomicSync(file, content, { mode: 0o600 });
  }
  return oid;
}

export function keptIgnored(core: StoreCore, oid: string): Buffer | null {
  try {
    return readFileSync(join(ignoredDir(core), oid));
  } catch {
    return null;
  }
}
