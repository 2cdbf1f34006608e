import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fsyncDirectory, writeFileAtomicSync } from '../util/atomic-write.js';

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

export class JournalStore {
  readonly dir: string;

  constructor(worktreeAssistDir: string) {
    this.dir = join(worktreeAssistDir, 'journal');
  }

  private get file(): string {
    return join(this.dir, 'batch.json');
  }

  contentFile(index: number): string {
    return join(this.dir, `new-${index}`);
  }

  read(): Journal | null {
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as Journal;
    } catch {
      return null;
    }
  }

  /** Writes the new contents, then the journal itself (renamed into place, so it is whole or absent). */
  begin(journal: Journal, contents: readonly (Buffer | null)[]): void {
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
    fsyncDirectory(dirname(this.dir));
    // Fsynced before the journal that names them; the journal's folder sync then covers their names too.
    contents.forEach((content, i) => {
      if (content !== null) writeFileAtomicSync(this.contentFile(i), content);
    });
    this.save(journal);
  }

  /** Durable once it returns: the file and its folder are fsynced, so a power loss cannot leave it empty. */
  save(journal: Journal): void {
    writeFileAtomicSync(this.file, JSON.stringify(journal), { fsyncDir: true });
  }

  newContent(index: number): Buffer | null {
    try {
      return readFileSync(this.contentFile(index));
    } catch {
      return null;
    }
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
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
