import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';

/** How a summary was written: a structural outline from the tags, or by `weak_model`. */
export type SummaryKind = 'outline' | 'model';

/** One file summary as stored, keyed by the blob id of the content it describes. */
export interface StoredSummary {
  blob: string;
  kind: SummaryKind;
  /** The path it was made for (the same blob under another path shares it). */
  path: string;
  text: string;
  /** `provider/model` for model summaries. */
  model?: string;
  /** Tokens the model call used (input + output), for model summaries. */
  tokens?: number;
  /** ISO 8601. */
  at: string;
}

/** The newest summary written for a path: what a stale lookup falls back to. */
export interface PathEntry {
  blob: string;
  kind: SummaryKind;
}

/** A model call that failed for a file; retried at the next refresh. */
export interface FailureEntry {
  blob: string;
  error: string;
  at: string;
  attempts: number;
}

/** What one refresh did, kept for `summaries status`. */
export interface RunRecord {
  at: string;
  finishedAt: string;
  trigger: string;
  worktree: string;
  files: number;
  outlines: number;
  models: number;
  reused: number;
  failed: number;
  overBudget: number;
  skipped: number;
  tokens: number;
  ms: number;
}

/** `summaries/index.json`. */
export interface SummaryIndex {
  version: 1;
  paths: Record<string, PathEntry>;
  failures: Record<string, FailureEntry>;
  last: RunRecord | null;
}

/** One directory's roll-up: `key` hashes its children's ids and summary kinds. */
export interface DirEntry {
  key: string;
  text: string;
}

/** `summaries/dirs.json`: the roll-ups of the last refreshed listing (`''` is the repository). */
export interface DirIndex {
  version: 1;
  dirs: Record<string, DirEntry>;
}

// The outline format's version is part of the file name: a new format never reads old outlines.
export const OUTLINE_VERSION = 1;

function suffix(kind: SummaryKind): string {
  return kind === 'outline' ? `outline-v${OUTLINE_VERSION}` : 'model';
}

function isHexId(blob: string): boolean {
  return /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(blob);
}

async function writeAtomic(path: string, content: string): Promise<void> {
  await fs.mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, content);
}

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await fs.readFile(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

/**
 * Summaries under `<sharedAssistDir>/summaries/`, shared by every worktree:
 * `objects/<2 hex>/<rest of the blob id>.<kind>` (one small JSON file per blob and kind, written by
 * rename, so concurrent refreshers never tear one), `index.json` (path -> newest summary, failures,
 * last run) and `dirs.json` (directory roll-ups). Which blobs have summaries is answered by listing
 * the 256 shard directories, never by reading summaries.
 */
export class SummaryStore {
  readonly dir: string;

  constructor(sharedAssistDir: string) {
    this.dir = join(sharedAssistDir, 'summaries');
  }

  objectPath(blob: string, kind: SummaryKind): string {
    return join(this.dir, 'objects', blob.slice(0, 2), `${blob.slice(2)}.${suffix(kind)}`);
  }

  async read(blob: string, kind: SummaryKind): Promise<StoredSummary | null> {
    if (!isHexId(blob)) return null;
    const data = await readJson<StoredSummary>(this.objectPath(blob, kind));
    return data && data.blob === blob && typeof data.text === 'string' ? data : null;
  }

  async write(summary: StoredSummary): Promise<void> {
    if (!isHexId(summary.blob)) throw new Error(`not a blob id: ${summary.blob}`);
    await writeAtomic(this.objectPath(summary.blob, summary.kind), JSON.stringify(summary) + '\n');
  }

  /** Blob id -> kinds stored for it. */
  async list(): Promise<Map<string, Set<SummaryKind>>> {
    const found = new Map<string, Set<SummaryKind>>();
    const root = join(this.dir, 'objects');
    const shards = await fs.readdir(root).catch(() => [] as string[]);
    const outline = `.${suffix('outline')}`;
    await Promise.all(
      shards.map(async (shard) => {
        for (const name of await fs.readdir(join(root, shard)).catch(() => [] as string[])) {
          const dot = name.indexOf('.');
          if (dot <= 0) continue;
          const ext = name.slice(dot);
          const kind: SummaryKind | undefined = ext === outline ? 'outline' : ext === '.model' ? 'model' : undefined;
          if (!kind) continue;
          const blob = shard + name.slice(0, dot);
          let kinds = found.get(blob);
          if (!kinds) found.set(blob, (kinds = new Set()));
          kinds.add(kind);
        }
      }),
    );
    return found;
  }

  /** Kinds stored for a few blobs, by `stat` (cheaper than a listing for a handful). */
  async kindsOf(blobs: Iterable<string>): Promise<Map<string, Set<SummaryKind>>> {
    const found = new Map<string, Set<SummaryKind>>();
    await Promise.all(
      [...new Set(blobs)].map(async (blob) => {
        if (!isHexId(blob)) return;
        const kinds = new Set<SummaryKind>();
        for (const kind of ['outline', 'model'] as const) {
          if (await fs.stat(this.objectPath(blob, kind)).then(() => true, () => false)) kinds.add(kind);
        }
        if (kinds.size > 0) found.set(blob, kinds);
      }),
    );
    return found;
  }

  async readIndex(): Promise<SummaryIndex> {
    const data = await readJson<Partial<SummaryIndex>>(join(this.dir, 'index.json'));
    if (!data || data.version !== 1) return { version: 1, paths: {}, failures: {}, last: null };
    return { version: 1, paths: data.paths ?? {}, failures: data.failures ?? {}, last: data.last ?? null };
  }

  async writeIndex(index: SummaryIndex): Promise<void> {
    await writeAtomic(join(this.dir, 'index.json'), JSON.stringify(index) + '\n');
  }

  async readDirs(): Promise<DirIndex> {
    const data = await readJson<Partial<DirIndex>>(join(this.dir, 'dirs.json'));
    return data && data.version === 1 && data.dirs ? { version: 1, dirs: data.dirs } : { version: 1, dirs: {} };
  }

  async writeDirs(dirs: DirIndex): Promise<void> {
    await writeAtomic(join(this.dir, 'dirs.json'), JSON.stringify(dirs) + '\n');
  }

  get lockPath(): string {
    return join(this.dir, 'refresh.lock');
  }
}
