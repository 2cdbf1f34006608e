import { createHash } from 'node:crypto';
import type { DirEntry, SummaryKind } from './store.js';

/** A file as the roll-ups see it: its id and the best summary kind stored for it (if any). */
export interface RollupFile {
  path: string;
  blob: string;
  kind: SummaryKind | undefined;
}

/** One directory of the listing, with what its roll-up is built from. */
export interface DirNode {
  /** `''` for the repository root, else `a/b` (no trailing slash). */
  dir: string;
  files: RollupFile[];
  subdirs: string[];
  /** Files in the whole subtree. */
  total: number;
  /** Extension -> files in the whole subtree. */
  extensions: Map<string, number>;
  /** Hash of the children's names, ids and summary kinds, and of the sub-directories' keys. */
  key: string;
}

const MAX_ENTRIES = 200;

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? '' : path.slice(0, slash);
}

function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function extensionOf(path: string): string {
  const name = nameOf(path);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot) : name;
}

/**
 * The directory tree of a listing with a key per directory, computed bottom-up like a git tree:
 * a directory's key changes exactly when a file below it changes content or summary kind, or when
 * a path is added or removed below it.
 */
export function buildTree(files: readonly RollupFile[]): Map<string, DirNode> {
  const nodes = new Map<string, DirNode>();
  const node = (dir: string): DirNode => {
    let n = nodes.get(dir);
    if (!n) {
      n = { dir, files: [], subdirs: [], total: 0, extensions: new Map(), key: '' };
      nodes.set(dir, n);
      if (dir !== '') node(parentOf(dir)).subdirs.push(dir);
    }
    return n;
  };
  node('');
  for (const file of files) node(parentOf(file.path)).files.push(file);
  // Deepest first, so each directory's children are done before it.
  const order = [...nodes.values()].sort((a, b) => depth(b.dir) - depth(a.dir));
  for (const n of order) {
    n.files.sort((a, b) => (a.path < b.path ? -1 : 1));
    n.subdirs.sort();
    const hash = createHash('sha1');
    n.total = n.files.length;
    for (const f of n.files) {
      hash.update(`f ${nameOf(f.path)}\0${f.blob}\0${f.kind ?? '-'}\n`);
      const ext = extensionOf(f.path);
      n.extensions.set(ext, (n.extensions.get(ext) ?? 0) + 1);
    }
    for (const sub of n.subdirs) {
      const s = nodes.get(sub)!;
      hash.update(`d ${nameOf(sub)}\0${s.key}\n`);
      n.total += s.total;
      for (const [ext, count] of s.extensions) n.extensions.set(ext, (n.extensions.get(ext) ?? 0) + count);
    }
    n.key = hash.digest('hex');
  }
  return nodes;
}

function depth(dir: string): number {
  if (dir === '') return 0;
  let d = 1;
  for (let i = dir.indexOf('/'); i !== -1; i = dir.indexOf('/', i + 1)) d++;
  return d;
}

/** The first line of a directory's roll-up: what its parent shows for it. */
export function dirHeadline(node: DirNode): string {
  const label = node.dir === '' ? 'repository' : `${node.dir}/`;
  const top = [...node.extensions]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, 3)
    .map(([ext, n]) => `${n} ${ext}`)
    .join(', ');
  const subdirs = node.subdirs.length;
  return `${label}: ${node.total} file${node.total === 1 ? '' : 's'}${subdirs > 0 ? `, ${subdirs} sub-director${subdirs === 1 ? 'y' : 'ies'}` : ''}${top ? ` (${top})` : ''}`;
}

/**
 * A directory's roll-up: its headline, then one line per sub-directory (its headline) and per
 * file (the first line of its summary), at most {@link MAX_ENTRIES} entries.
 */
export function renderRollup(node: DirNode, fileLine: (file: RollupFile) => string | undefined, subHeadline: (dir: string) => string): string {
  const lines = [dirHeadline(node)];
  const entries: string[] = [];
  for (const sub of node.subdirs) entries.push(`${nameOf(sub)}/ — ${subHeadline(sub).replace(/^[^:]*:\s*/, '')}`);
  for (const file of node.files) entries.push(`${nameOf(file.path)} — ${fileLine(file) ?? 'not summarised yet'}`);
  lines.push(...entries.slice(0, MAX_ENTRIES));
  if (entries.length > MAX_ENTRIES) lines.push(`… ${entries.length - MAX_ENTRIES} more entries`);
  return lines.join('\n');
}

/**
 * Brings the stored roll-ups up to date with the tree: directories whose key is unchanged keep
 * their text; the others are re-rendered (deepest first). `firstLines` gives the first summary
 * line of each file of a re-rendered directory. Directories no longer in the tree are dropped.
 */
export async function updateRollups(
  tree: Map<string, DirNode>,
  previous: Record<string, DirEntry>,
  firstLines: (files: RollupFile[]) => Promise<Map<string, string>>,
): Promise<{ dirs: Record<string, DirEntry>; rebuilt: number }> {
  const dirs: Record<string, DirEntry> = {};
  const stale = [...tree.values()].filter((n) => previous[n.dir]?.key !== n.key);
  const lines = await firstLines(stale.flatMap((n) => n.files));
  for (const n of tree.values()) {
    const old = previous[n.dir];
    if (old && old.key === n.key) dirs[n.dir] = old;
  }
  stale.sort((a, b) => depth(b.dir) - depth(a.dir));
  for (const n of stale) {
    const text = renderRollup(
      n,
      (f) => lines.get(f.path),
      (sub) => dirs[sub]?.text.split('\n')[0] ?? dirHeadline(tree.get(sub)!),
    );
    dirs[n.dir] = { key: n.key, text };
  }
  return { dirs, rebuilt: stale.length };
}
