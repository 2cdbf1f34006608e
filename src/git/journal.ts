import { createHash } from 'node:crypto';
import { closeSync, fdatasyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, rmSync, truncateSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fsyncDirectory, syncAll, writeFileAtomicSync } from '../util/atomic-write.js';

/** One file of a journaled batch. */
export interface JournalFile {
  path: string;
  /** What the file held before (a blob already in the object store), or null: it did not exist. */
  old: { oid: string; mode: string } | null;
  /** sha256 of the bytes assist writes, or null when the batch deletes the file. */
  newSha256: string | null;
  /**
   * A git-ignored, untracked file (added to the chat by name): written, never committed, never in
   * the object store. Its old content is kept under `<gitDir>/assist/ignored/<oid>` instead.
   */
  ignored?: true;
}

/** The crash journal of one edit batch (`<gitDir>/assist/journal/batch.json`). */
export interface Journal {
  v: 1;
  id: string;
  session: string;
  /** Ref the commit goes to (`refs/heads/...`, or `HEAD` when detached). */
  ref: string;
  /** Tip of `ref` when the batch began (null: unborn). */
  parent: string | null;
  /** Snapshot commit of the user's uncommitted changes to these files, made before writing. */
  snapshot: { commit: string; index: { path: string; entry: { mode: string; oid: string } | null }[] } | null;
  files: JournalFile[];
  meta: BatchMeta;
  /**
   * Set when a hook (or signing: `hook` is `signing`) rejected the commit: the files are written,
   * the commit is not.
   */
  pending?: { hook: string; output: string };
}

/** What the commit and the note of a batch say. */
export interface BatchMeta {
  summary: string;
  body?: string;
  model: string;
  request: string;
  /** `review`: the batch's review as plain text (impact, breaking changes, risks), for the note. */
  exchange?: { message: string; reply: string; usage?: { input_tokens: number; output_tokens: number; estimated?: boolean }; review?: string };
  /**
   * Set when the batch commits the user's own changes (`/commit`): the index entries the user had
   * for its files. The edit then records its own commit as its snapshot, so undo gives the
   * changes back as uncommitted, staged as they were.
   */
  userIndex?: { path: string; entry: { mode: string; oid: string } | null }[];
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The batch journal's text: the JSON, then a line with its sha256. The file is rewritten in place
 * (see {@link JournalStore.save}), so a crash during a write can leave old and new bytes mixed;
 * the checksum makes such a file read as no journal rather than as a wrong one.
 */
function journalText(journal: Journal): string {
  const json = JSON.stringify(journal);
  return `${json}\n${createHash('sha256').update(json).digest('hex')}\n`;
}

/** The journal a file holds, or null: empty (removed), torn, or not a journal. */
export function parseJournalText(text: string): Journal | null {
  const m = /^(.*)\n([0-9a-f]{64})\n$/s.exec(text);
  try {
    if (m) return createHash('sha256').update(m[1] ?? '').digest('hex') === m[2] ? (JSON.parse(m[1] ?? '') as Journal) : null;
    // Written whole and renamed into place by an earlier version: a torn file never parses.
    return text.trim() === '' ? null : (JSON.parse(text) as Journal);
  } catch {
    return null;
  }
}

/**
 * The crash journal of edit batches, one file per worktree. Its bytes are synced before any work
 * tree file is touched, with one `fdatasync` per batch: the file stays between batches (emptied
 * when one ends), so its name, and its folder's, are synced only when they are created.
 */
export class JournalStore {
  readonly dir: string;

  constructor(worktreeAssistDir: string) {
    this.dir = join(worktreeAssistDir, 'journal');
  }

  private get file(): string {
    return join(this.dir, 'batch.json');
  }

  read(): Journal | null {
    try {
      return parseJournalText(readFileSync(this.file, 'utf8'));
    } catch {
      return null;
    }
  }

  /**
   * Starts a batch: durable once it resolves. The journal's `fdatasync` and those of `alongside`
   * (the batch's temp files, open) run at once in the thread pool: one wait for all of them.
   */
  async begin(journal: Journal, alongside: readonly number[] = []): Promise<void> {
    const { fd, created, firstDir } = this.writeUnsynced(journal);
    try {
      await syncAll(alongside, [fd]);
    } finally {
      closeSync(fd);
    }
    if (created) this.syncCreated(firstDir);
  }

  /**
   * Durable once it returns. The file is overwritten in place and fdatasynced, so no new name is
   * made (no folder sync); only its first creation syncs its folder (and the folders made for it).
   */
  save(journal: Journal): void {
    const { fd, created, firstDir } = this.writeUnsynced(journal);
    try {
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (created) this.syncCreated(firstDir);
  }

  /** The journal's bytes over the file's (page cache only), the file left open for its sync. */
  private writeUnsynced(journal: Journal): { fd: number; created: boolean; firstDir: string | undefined } {
    const data = Buffer.from(journalText(journal), 'utf8');
    let fd: number;
    let created = false;
    let firstDir: string | undefined;
    try {
      fd = openSync(this.file, 'r+');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      firstDir = mkdirSync(this.dir, { recursive: true });
      fd = openSync(this.file, 'w', 0o644);
      created = true;
    }
    try {
      for (let at = 0; at < data.byteLength; ) at += writeSync(fd, data, at, data.byteLength - at, at);
      ftruncateSync(fd, data.byteLength);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    return { fd, created, firstDir };
  }

  /** The file's new name in its folder, then each folder made for it (from `firstDir` down) in its parent. */
  private syncCreated(firstDir: string | undefined): void {
    fsyncDirectory(this.dir);
    if (firstDir === undefined) return;
    for (let dir = this.dir; dir !== dirname(dir); dir = dirname(dir)) {
      fsyncDirectory(dirname(dir));
      if (dir === firstDir) break;
    }
  }

  /**
   * Ends the batch: the file is emptied, not removed (the next batch writes it in place). Not
   * synced: a crash that loses the emptying leaves a finished batch's journal, which recovery
   * recognises by the chain's edit event and clears.
   */
  remove(): void {
    try {
      truncateSync(this.file, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

/**
 * The journal of a move of HEAD's branch (undo, redo, checkpoint restore, finish): everything
 * needed to finish it, written before the index and work tree move, so a crash between that
 * move and the ref transaction is rolled forward on the next start (`<gitDir>/assist/move.json`).
 */
export interface MoveJournal {
  v: 1;
  op: 'undo' | 'redo' | 'restore' | 'finish';
  session: string;
  /** HEAD's ref when the move began (`refs/heads/...`, or `HEAD` when detached). */
  ref: string;
  /** Commits the index and work tree move between (null: the empty tree). */
  from: string | null;
  to: string | null;
  /** Edit events whose snapshots come back as uncommitted changes (undo, restore). */
  restoreSnapshots: string[];
  /** Edit events whose restored snapshots go back to HEAD first (redo). */
  resetSnapshots: string[];
  /** The ref transaction that completes the move. */
  updates: { ref: string; value: string | null; old?: string | null; noDeref?: boolean }[];
  /** The event commit the transaction puts on the chain: once the chain holds it, the refs are done. */
  event: string;
  /** finish: where HEAD goes (a branch, or a detached commit), and the config section removed after. */
  headTo?: { symbolic: string } | { detach: string };
  unsetSection?: string;
}

export class MoveJournalStore {
  readonly file: string;

  constructor(worktreeAssistDir: string) {
    this.file = join(worktreeAssistDir, 'move.json');
  }

  read(): MoveJournal | null {
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as MoveJournal;
    } catch {
      return null;
    }
  }

  begin(journal: MoveJournal): void {
    mkdirSync(join(this.file, '..'), { recursive: true });
    writeFileAtomicSync(this.file, JSON.stringify(journal), { fsyncDir: true });
  }

  remove(): void {
    rmSync(this.file, { force: true });
  }
}
