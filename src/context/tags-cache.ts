import { closeSync, openSync, readSync } from 'node:fs';
import { appendFile, mkdir, open, readFile, readdir, rm, stat, utimes, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeTags, encodeTags, type CachedTags } from './tags-line.js';
import type { FileTags } from './types.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { findLastLine } from '../util/last-line.js';

export type { CachedTags } from './tags-line.js';

/** Up to this many blobs, `loadSome` searches for each; beyond, it makes one pass over the pack. */
const FEW_BLOBS = 4;
/** Up to this many, each is searched for from the pack's end in blocks ({@link findLastLine}), the pack not read whole. */
const SEARCHED_FROM_END = 2;

/** A pack is compacted once it holds this many times the bytes of the entries in use... */
export const COMPACT_RATIO = 3;
/** ...and is at least this large: small packs are not worth a rewrite. */
export const MIN_COMPACT_BYTES = 1 << 20;
/** A pack of another language version is deleted once nothing has written to it for this long. */
export const DEAD_PACK_AGE_MS = 7 * 24 * 3600 * 1000;
/** Dead packs are looked for at most this often, noted by the time of {@link PRUNE_MARKER}. */
export const PRUNE_EVERY_MS = 24 * 3600 * 1000;
const PRUNE_MARKER = '.last-prune';
/** A compaction's temp file this old was left by a process that died. */
const STALE_TEMP_AGE_MS = 3600 * 1000;
const PACK_FILE = /^[a-z]+-[0-9a-f]+\.jsonl$/;
const TEMP_FILE = /^[a-z]+-[0-9a-f]+\.jsonl\.\d+\.[0-9a-f]+\.compacting$/;

/** Where a blob's line is in its pack: byte offset and length (newline included). */
export type EntryLocation = readonly [offset: number, length: number];

/**
 * Tags by blob id, one append-only pack per language version under
 * `<sharedAssistDir>/tags/<lang>-<version>.jsonl`: a line is
 * `<blob id>\t<graph JSON>\t<render JSON>`. A blob's tags never change for a version, so
 * entries are never rewritten; a new grammar or query gets a new pack. Concurrent writers
 * append whole lines; a torn line is skipped on read.
 */
export class TagsCache {
  readonly dir: string;
  #packs = new Map<string, Map<string, string>>();
  #pending = new Map<string, [blob: string, line: string][]>();
  #partial = new Map<string, Map<string, string>>();
  #locations = new Map<string, Map<string, EntryLocation>>();

  constructor(sharedAssistDir: string) {
    this.dir = join(sharedAssistDir, 'tags');
  }

  #packPath(pack: string): string {
    return join(this.dir, `${pack}.jsonl`);
  }

  /** Loads a pack's index (blob id -> unparsed entry) once; missing packs are empty. */
  async load(pack: string): Promise<void> {
    if (this.#packs.has(pack)) return;
    const index = new Map<string, string>();
    this.#packs.set(pack, index);
    let buf: Buffer;
    try {
      buf = await readFile(this.#packPath(pack));
    } catch {
      return;
    }
    this.#scan(pack, buf, (blob) => {
      index.set(blob.id, blob.entry());
    });
  }

  /**
   * Loads only the entries of `blobs` from a pack (a byte search, no decoding of the rest):
   * for builds that need a few files' tags. A pack already loaded is left as it is.
   */
  async loadSome(pack: string, blobs: Iterable<string>): Promise<void> {
    if (this.#packs.has(pack)) return;
    const few = [...blobs];
    if (few.length <= SEARCHED_FROM_END) {
      // One or two changed files: searched from the end in blocks, the pack not read whole.
      let index = this.#partial.get(pack);
      if (!index) this.#partial.set(pack, (index = new Map()));
      let where = this.#locations.get(pack);
      if (!where) this.#locations.set(pack, (where = new Map()));
      for (const blob of few) {
        if (index.has(blob)) continue;
        const line = await findLastLine(this.#packPath(pack), `${blob}\t`);
        if (!line) continue;
        where.set(blob, [line.at, line.length]);
        index.set(blob, line.rest.toString('utf8'));
      }
      return;
    }
    blobs = few;
    let buf: Buffer;
    try {
      buf = await readFile(this.#packPath(pack));
    } catch {
      return;
    }
    let index = this.#partial.get(pack);
    if (!index) this.#partial.set(pack, (index = new Map()));
    const wanted = new Set<string>();
    for (const blob of blobs) if (!index.has(blob)) wanted.add(blob);
    if (wanted.size === 0) return;
    if (wanted.size > FEW_BLOBS) {
      this.#scan(pack, buf, (blob) => {
        if (wanted.has(blob.id)) index.set(blob.id, blob.entry());
      });
      return;
    }
    // A few blobs (the files changed since the last build): a native search from the end per
    // blob beats a pass over every line (~1 ms against ~5 ms on a 4 MB pack).
    let where = this.#locations.get(pack);
    if (!where) this.#locations.set(pack, (where = new Map()));
    for (const blob of wanted) {
      const needle = `${blob}\t`;
      for (let at = buf.lastIndexOf(needle); at !== -1; at = at === 0 ? -1 : buf.lastIndexOf(needle, at - 1)) {
        if (at > 0 && buf[at - 1] !== 10) continue; // not at a line start
        const end = buf.indexOf(10, at);
        if (end === -1) continue; // a line still being written
        where.set(blob, [at, end + 1 - at]);
        index.set(blob, buf.toString('utf8', at + needle.length, end));
        break;
      }
    }
  }

  /**
   * One pass over a pack's lines (a blob id, a tab, the entry), noting where each line is.
   * The last complete line for a blob wins; a line still being written is left out. The
   * blob ids are ASCII, so only the entries asked for are decoded as UTF-8.
   */
  #scan(pack: string, buf: Buffer, visit: (line: { id: string; entry: () => string }) => void): void {
    let where = this.#locations.get(pack);
    if (!where) this.#locations.set(pack, (where = new Map()));
    this.#lines(buf, (id, start, end) => {
      where.set(id, [start, end + 1 - start]);
      visit({ id, entry: () => buf.toString('utf8', start + id.length + 1, end) });
    });
  }

  /** Where a blob's entry was seen in its pack (by a load, a scan or a flush), if it was. */
  locate(pack: string, blob: string): EntryLocation | undefined {
    return this.#locations.get(pack)?.get(blob);
  }

  /**
   * Reads the entries of blobs whose place in the pack is known (from the rank snapshot),
   * one positioned read each instead of a pass over the pack. A place that no longer holds
   * that blob's line is not trusted: those blobs are returned, for `loadSome`. The reads are
   * blocking: a few dozen small reads cost ~0.5 ms that way and ~10 ms through the thread
   * pool in a fresh process.
   */
  loadAt(pack: string, wanted: readonly (readonly [blob: string, where: EntryLocation])[]): string[] {
    if (this.#packs.has(pack) || wanted.length === 0) return [];
    let index = this.#partial.get(pack);
    if (!index) this.#partial.set(pack, (index = new Map()));
    let fd: number;
    try {
      fd = openSync(this.#packPath(pack), 'r');
    } catch {
      return wanted.map(([blob]) => blob);
    }
    const misses: string[] = [];
    try {
      for (const [blob, [offset, length]] of wanted) {
        const buf = Buffer.allocUnsafe(length);
        const bytesRead = readSync(fd, buf, 0, length, offset);
        const prefix = blob.length + 1;
        if (bytesRead === length && length > prefix && buf[length - 1] === 10 && buf[blob.length] === 9 && buf.toString('latin1', 0, blob.length) === blob) {
          index.set(blob, buf.toString('utf8', prefix, length - 1));
        } else misses.push(blob);
      }
    } finally {
      closeSync(fd);
    }
    return misses;
  }

  /** A blob's entry as stored (`decodeTags` reads it), or undefined: a cheap string to hand to another thread. */
  raw(pack: string, blob: string): string | undefined {
    return this.#packs.get(pack)?.get(blob) ?? this.#partial.get(pack)?.get(blob);
  }

  /** The cached tags of a blob, or undefined (also for a corrupt entry). */
  get(pack: string, blob: string): CachedTags | undefined {
    const raw = this.#packs.get(pack)?.get(blob) ?? this.#partial.get(pack)?.get(blob);
    return raw === undefined ? undefined : decodeTags(raw);
  }

  /** Remembers tags to write with the next `flush()`. */
  put(pack: string, blob: string, tags: FileTags): void {
    this.putLine(pack, blob, encodeTags(tags));
  }

  /** Remembers tags already encoded (`encodeTags`, as parse workers send them) to write with the next `flush()`. */
  putLine(pack: string, blob: string, line: string): void {
    this.#packs.get(pack)?.set(blob, line);
    let lines = this.#pending.get(pack);
    if (!lines) this.#pending.set(pack, (lines = []));
    lines.push([blob, `${blob}\t${line}\n`]);
  }

  /**
   * Appends pending entries, one write per pack, noting where they land: the pack's size
   * before the write, unless another process appended at the same moment, which a later
   * `loadAt` finds out and survives. Returns each written pack's size after the write.
   */
  async flush(): Promise<Map<string, number>> {
    const sizes = new Map<string, number>();
    if (this.#pending.size === 0) return sizes;
    await mkdir(this.dir, { recursive: true });
    const writes = [...this.#pending].map(async ([pack, lines]) => {
      const data = Buffer.from(lines.map(([, line]) => line).join(''), 'utf8');
      const handle = await open(this.#packPath(pack), 'a');
      let offset: number;
      try {
        offset = (await handle.stat()).size;
        await handle.write(data);
      } finally {
        await handle.close();
      }
      let where = this.#locations.get(pack);
      if (!where) this.#locations.set(pack, (where = new Map()));
      for (const [blob, line] of lines) {
        const length = Buffer.byteLength(line);
        where.set(blob, [offset, length]);
        offset += length;
      }
      sizes.set(pack, offset);
    });
    this.#pending.clear();
    await Promise.all(writes);
    return sizes;
  }

  /**
   * Rewrites a pack with the entries of the `live` blobs and, newest first, other entries up to
   * as many bytes again (contents other branches and worktrees had lately), in pack order, and
   * returns where each kept entry now is. The new pack replaces the old by rename: a reader sees
   * one or the other. Lines another process appends between the read and the rename are lost,
   * which costs a parse later, never a wrong entry (places are checked when read). Undefined
   * when the pack is missing or could not be rewritten (it is then left as it was).
   */
  async compact(pack: string, live: ReadonlySet<string>): Promise<Map<string, EntryLocation> | undefined> {
    const path = this.#packPath(pack);
    let old: FileHandle;
    try {
      old = await open(path, 'r');
    } catch {
      return undefined;
    }
    try {
      return await this.#compactFrom(pack, path, old, live);
    } finally {
      await old.close();
    }
  }

  async #compactFrom(pack: string, path: string, old: FileHandle, live: ReadonlySet<string>): Promise<Map<string, EntryLocation> | undefined> {
    let buf: Buffer;
    try {
      buf = await old.readFile();
    } catch {
      return undefined;
    }
    // The last complete line of each blob, as every reader takes it.
    const last = new Map<string, EntryLocation>();
    this.#lines(buf, (id, start, end) => {
      last.delete(id); // re-inserted, so the map's order is the order of the lines kept
      last.set(id, [start, end + 1 - start]);
    });
    let liveBytes = 0;
    for (const [id, [, length]] of last) if (live.has(id)) liveBytes += length;
    const keep = new Set<string>();
    let spare = liveBytes;
    for (const [id, [, length]] of [...last].reverse()) {
      if (live.has(id)) keep.add(id);
      else if (length <= spare) {
        keep.add(id);
        spare -= length;
      }
    }
    const parts: Buffer[] = [];
    const places = new Map<string, EntryLocation>();
    let offset = 0;
    for (const [id, [start, length]] of last) {
      if (!keep.has(id)) continue;
      parts.push(buf.subarray(start, start + length));
      places.set(id, [offset, length]);
      offset += length;
    }
    try {
      await writeFileAtomic(path, Buffer.concat(parts, offset), { fsync: false });
    } catch {
      return undefined;
    }
    // Lines another process appended to the old file while this one was reading and writing are
    // carried over (their writers noted places in the old file: a read there falls back to a search).
    try {
      const grown = (await old.stat()).size;
      if (grown > buf.length) {
        // From the start of a line that was still being written when this one read the pack.
        const from = buf.lastIndexOf(10) + 1;
        const tail = Buffer.alloc(grown - from);
        const { bytesRead } = await old.read(tail, 0, tail.length, from);
        await appendFile(path, tail.subarray(0, bytesRead));
      }
    } catch {
      // Those lines are parsed again when next needed.
    }
    this.#locations.set(pack, new Map(places));
    return places;
  }

  /**
   * Deletes packs that are not in `current()` (another grammar or query version) and that nothing
   * wrote to for {@link DEAD_PACK_AGE_MS}: an older assist still in use keeps its pack alive.
   * Also deletes temp files of compactions that died. Looks at most once per
   * {@link PRUNE_EVERY_MS} (a marker file's time), since `current()` hashes every language's
   * query. Returns the names deleted.
   */
  async pruneDead(current: () => ReadonlySet<string>, now = Date.now()): Promise<string[]> {
    const marker = join(this.dir, PRUNE_MARKER);
    try {
      if (now - (await stat(marker)).mtimeMs < PRUNE_EVERY_MS) return [];
    } catch {
      // Never looked yet.
    }
    let names: string[];
    try {
      names = await readdir(this.dir);
      await writeFile(marker, '');
      const seconds = now / 1000;
      await utimes(marker, seconds, seconds);
    } catch {
      return [];
    }
    const packs = current();
    const deleted: string[] = [];
    await Promise.all(
      names.map(async (name) => {
        const isDeadPack = PACK_FILE.test(name) && !packs.has(name.slice(0, -'.jsonl'.length));
        if (!isDeadPack && !TEMP_FILE.test(name)) return;
        const file = join(this.dir, name);
        try {
          const age = now - (await stat(file)).mtimeMs;
          if (age < (isDeadPack ? DEAD_PACK_AGE_MS : STALE_TEMP_AGE_MS)) return;
          await rm(file, { force: true });
          deleted.push(name);
        } catch {
          // Gone already, or not ours to delete: a cache, so nothing to report.
        }
      }),
    );
    return deleted.sort();
  }

  /** Each complete line of a pack with a blob id: its id, where it starts and where its newline is. */
  #lines(buf: Buffer, visit: (id: string, start: number, end: number) => void): void {
    for (let start = 0; start < buf.length; ) {
      const end = buf.indexOf(10, start);
      if (end === -1) break;
      const tab = buf.indexOf(9, start);
      if (tab > start && tab < end && tab - start <= 64) visit(buf.toString('latin1', start, tab), start, end);
      start = end + 1;
    }
  }
}
