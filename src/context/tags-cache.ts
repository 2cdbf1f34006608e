import { appendFile, mkdir, readFile } from 'node:fs/promises';
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
  #pending = new Map<string, string[]>();
  #partial = new Map<string, Map<string, string>>();

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
    let text: string;
    try {
      text = await readFile(this.#packPath(pack), 'utf8');
    } catch {
      return;
    }
    let start = 0;
    while (start < text.length) {
      const end = text.indexOf('\n', start);
      if (end === -1) break; // a line still being written
      const tab = text.indexOf('\t', start);
      if (tab > start && tab < end) index.set(text.slice(start, tab), text.slice(tab + 1, end));
      start = end + 1;
    }
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
    // One pass over the line starts (a blob id, then a tab): a search per blob from the end
    // cost ~2 ms each on a 4 MB pack. The last complete line for a blob wins, as in `load`.
    for (let start = 0; start < buf.length; ) {
      const end = buf.indexOf(10, start);
      if (end === -1) break; // a line still being written
      const tab = buf.indexOf(9, start);
      if (tab > start && tab < end && tab - start <= 64) {
        const blob = buf.toString('latin1', start, tab);
        if (wanted.has(blob)) index.set(blob, buf.toString('utf8', tab + 1, end));
      }
      start = end + 1;
    }
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
    lines.push(`${blob}\t${line}\n`);
  }

  /** Appends pending entries, one write per pack. */
  async flush(): Promise<void> {
    if (this.#pending.size === 0) return;
    await mkdir(this.dir, { recursive: true });
    const writes = [...this.#pending].map(([pack, lines]) => appendFile(this.#packPath(pack), lines.join('')));
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
