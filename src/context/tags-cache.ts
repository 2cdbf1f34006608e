import { closeSync, openSync, readSync } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CachedDef, DefKind, FileTags } from './types.js';

/**
 * A cache entry: what ranking needs (definition names, reference counts) parsed at once,
 * the definitions' render details (lines, scopes, signatures) parsed on first use.
 */
export interface CachedTags {
  defNames: string[];
  refs: Record<string, number>;
  skipped?: string;
  bytes: number;
  defs(): CachedDef[];
}

interface GraphPart {
  n: string[];
  r: Record<string, number>;
  s?: string;
  b: number;
}
type RenderPart = [kind: DefKind, line: number, endLine: number, scope: number, signature: string][];

/** Up to this many blobs, `loadSome` searches for each; beyond, it makes one pass over the pack. */
const FEW_BLOBS = 4;

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
    for (let start = 0; start < buf.length; ) {
      const end = buf.indexOf(10, start);
      if (end === -1) break;
      const tab = buf.indexOf(9, start);
      if (tab > start && tab < end && tab - start <= 64) {
        const id = buf.toString('latin1', start, tab);
        where.set(id, [start, end + 1 - start]);
        visit({ id, entry: () => buf.toString('utf8', tab + 1, end) });
      }
      start = end + 1;
    }
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

  /** The cached tags of a blob, or undefined (also for a corrupt entry). */
  get(pack: string, blob: string): CachedTags | undefined {
    const raw = this.#packs.get(pack)?.get(blob) ?? this.#partial.get(pack)?.get(blob);
    if (raw === undefined) return undefined;
    const tab = raw.indexOf('\t');
    if (tab === -1) return undefined;
    let graph: GraphPart;
    try {
      graph = JSON.parse(raw.slice(0, tab)) as GraphPart;
    } catch {
      return undefined;
    }
    let defs: CachedDef[] | undefined;
    const names = graph.n;
    const entry: CachedTags = {
      defNames: names,
      refs: graph.r,
      bytes: graph.b,
      defs: () => {
        if (!defs) {
          let rows: RenderPart = [];
          try {
            rows = JSON.parse(raw.slice(tab + 1)) as RenderPart;
          } catch {
            // A corrupt render part shows no definitions rather than failing the map.
          }
          defs = rows.map(([kind, line, endLine, scope, signature], i) => ({ name: names[i] ?? '', kind, line, endLine, scope, signature }));
        }
        return defs;
      },
    };
    if (graph.s !== undefined) entry.skipped = graph.s;
    return entry;
  }

  /** Remembers tags to write with the next `flush()`. */
  put(pack: string, blob: string, tags: FileTags): void {
    const graph: GraphPart = { n: tags.defs.map((d) => d.name), r: tags.refs, b: tags.bytes };
    if (tags.skipped !== undefined) graph.s = tags.skipped;
    const render: RenderPart = tags.defs.map((d) => [d.kind, d.line, d.endLine, d.scope, d.signature]);
    const line = `${JSON.stringify(graph)}\t${JSON.stringify(render)}`;
    this.#packs.get(pack)?.set(blob, line);
    let lines = this.#pending.get(pack);
    if (!lines) this.#pending.set(pack, (lines = []));
    lines.push([blob, `${blob}\t${line}\n`]);
  }

  /**
   * Appends pending entries, one write per pack, noting where they land: the pack's size
   * before the write, unless another process appended at the same moment, which a later
   * `loadAt` finds out and survives.
   */
  async flush(): Promise<void> {
    if (this.#pending.size === 0) return;
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
    });
    this.#pending.clear();
    await Promise.all(writes);
  }
}

/** The same view over freshly parsed tags. */
export function viewOf(tags: FileTags): CachedTags {
  const view: CachedTags = { defNames: tags.defs.map((d) => d.name), refs: tags.refs, bytes: tags.bytes, defs: () => tags.defs };
  if (tags.skipped !== undefined) view.skipped = tags.skipped;
  return view;
}
