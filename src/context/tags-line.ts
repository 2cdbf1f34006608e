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
 * A file's tags as a line of a tags pack, without its blob id: `<graph JSON>\t<render JSON>`.
 * Parse workers send this form (one string per file: cheap to pass between threads, written to
 * the pack as it is), so the calling thread neither copies nor encodes their definitions.
 */
export function encodeTags(tags: FileTags): string {
  const graph: GraphPart = { n: tags.defs.map((d) => d.name), r: tags.refs, b: tags.bytes };
  if (tags.skipped !== undefined) graph.s = tags.skipped;
  const render: RenderPart = tags.defs.map((d) => [d.kind, d.line, d.endLine, d.scope, d.signature]);
  return `${JSON.stringify(graph)}\t${JSON.stringify(render)}`;
}

/** The tags of an encoded line (the render part decoded on first use), or undefined when corrupt. */
export function decodeTags(raw: string): CachedTags | undefined {
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

/** What a line that cannot be decoded stands for (never written: workers encode what they parsed). */
export const UNREADABLE: CachedTags = { defNames: [], refs: {}, skipped: 'unreadable', bytes: 0, defs: () => [] };
