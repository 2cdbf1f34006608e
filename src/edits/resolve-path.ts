import { editDistance } from './similarity.js';
import type { EditBlock, FailedEdit, PathResolution, ResolvedEditBlock } from './types.js';

/** What a written path can resolve to; all paths repository-relative and `/`-separated. */
export interface PathContext {
  /** Files the person added to the chat: they win every tie. */
  chatFiles: readonly string[];
  /** Every tracked file of the repository. */
  trackedFiles: readonly string[];
}

const basename = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

/** `.\src\a.ts` and `./src//a.ts` to `src/a.ts`; nothing else (the sandbox judges safety). */
export function normalizeWrittenPath(written: string): string {
  let p = written.trim().replace(/\\/g, '/').replace(/\/{2,}/g, '/');
  while (p.startsWith('./')) p = p.slice(2);
  return p;
}

function unique(list: readonly string[]): string | undefined {
  return list.length === 1 ? list[0] : undefined;
}

interface TrackedIndex {
  tracked: string[];
  trackedSet: Set<string>;
  byBase: Map<string, string[]>;
}

/**
 * Build a resolver over one set of files (indexes built once). Order: files in the chat
 * (exact, then a path ending in the written one), the exact tracked path, a tracked path
 * ending in the written one, the basename (chat first), then close spelling (chat first).
 * A block with an empty SEARCH (`isCreate`) takes the path literally: it creates or appends.
 */
export function createPathResolver(ctx: PathContext): (written: string, isCreate: boolean) => PathResolution {
  const chat = [...new Set(ctx.chatFiles.map(normalizeWrittenPath))];
  // The indexes over every tracked file are built on the first question that needs them: a reply
  // usually names a file exactly as the listing does (git's paths are already normalized), and
  // normalizing 2,000 listed paths took a warm turn's edit check ~10 ms under load.
  let index: TrackedIndex | null = null;
  const indexes = (): TrackedIndex => {
    if (index !== null) return index;
    const tracked = [...new Set(ctx.trackedFiles.map(normalizeWrittenPath))];
    const byBase = new Map<string, string[]>();
    for (const f of tracked) {
      const b = basename(f);
      const list = byBase.get(b);
      if (list) list.push(f);
      else byBase.set(b, [f]);
    }
    index = { tracked, trackedSet: new Set(tracked), byBase };
    return index;
  };
  // A path listed exactly as written (and that normalizing leaves as it is) is tracked without the
  // indexes; "no" needs them (a listed path may only match once normalized).
  const isTracked = (p: string): boolean => (ctx.trackedFiles.includes(p) && normalizeWrittenPath(p) === p) || indexes().trackedSet.has(p);

  return (written, isCreate) => {
    const p = normalizeWrittenPath(written);
    if (isCreate || p === '') return { ok: true, file: p, by: 'literal', known: chat.includes(p) || isTracked(p) };
    if (chat.includes(p)) return { ok: true, file: p, by: 'chat', known: true };
    const chatSuffix = unique(chat.filter((f) => f.endsWith(`/${p}`)));
    if (chatSuffix !== undefined) return { ok: true, file: chatSuffix, by: 'chat', known: true };
    if (isTracked(p)) return { ok: true, file: p, by: 'exact', known: true };
    const { tracked, byBase } = indexes();
    if (p.includes('/')) {
      const suffix = tracked.filter((f) => f.endsWith(`/${p}`));
      if (suffix.length === 1) return { ok: true, file: suffix[0]!, by: 'suffix', known: true };
      if (suffix.length > 1) return { ok: false, reason: 'ambiguous', candidates: suffix.slice(0, 10) };
    }
    const base = basename(p);
    const chatBase = chat.filter((f) => basename(f) === base);
    if (chatBase.length === 1) return { ok: true, file: chatBase[0]!, by: 'basename', known: true };
    const trackedBase = byBase.get(base) ?? [];
    if (chatBase.length === 0 && trackedBase.length === 1) {
      return { ok: true, file: trackedBase[0]!, by: 'basename', known: true };
    }
    if (chatBase.length > 1 || trackedBase.length > 1) {
      return { ok: false, reason: 'ambiguous', candidates: (chatBase.length > 1 ? chatBase : trackedBase).slice(0, 10) };
    }
    // Close spelling: a few typos, never more than a fifth of the path.
    const max = Math.min(3, Math.floor(p.length / 5));
    const lower = p.toLowerCase();
    for (const pool of [chat, tracked]) {
      let best = max + 1;
      let hits: string[] = [];
      for (const f of pool) {
        const d = editDistance(lower, f.toLowerCase(), best);
        if (d < best) {
          best = d;
          hits = [f];
        } else if (d === best) hits.push(f);
      }
      if (best <= max && hits.length === 1) return { ok: true, file: hits[0]!, by: 'spelling', known: true };
      if (best <= max && hits.length > 1) return { ok: false, reason: 'ambiguous', candidates: hits.slice(0, 10) };
    }
    const near = tracked
      .map((f) => ({ f, d: editDistance(base.toLowerCase(), basename(f).toLowerCase(), 4) }))
      .filter((x) => x.d <= 4)
      .sort((a, b) => a.d - b.d)
      .slice(0, 5)
      .map((x) => x.f);
    return { ok: false, reason: 'not-found', candidates: near };
  };
}

/** Resolve one written path; use `createPathResolver` for many. */
export function resolveEditPath(written: string, isCreate: boolean, ctx: PathContext): PathResolution {
  return createPathResolver(ctx)(written, isCreate);
}

/**
 * Resolve every block's path. Blocks that resolve get `file`; the others come back as
 * failures ready for the model's feedback.
 */
export function resolveBlocks(
  blocks: readonly EditBlock[],
  ctx: PathContext,
): { blocks: ResolvedEditBlock[]; failed: FailedEdit[] } {
  const resolve = createPathResolver(ctx);
  const out: ResolvedEditBlock[] = [];
  const failed: FailedEdit[] = [];
  for (const block of blocks) {
    const r = resolve(block.path, block.search === '');
    if (r.ok) {
      out.push({ ...block, file: r.file, resolvedBy: r.by });
      continue;
    }
    const list = r.candidates.length > 0 ? ` Did you mean: ${r.candidates.join(', ')}?` : '';
    failed.push(
      r.reason === 'ambiguous'
        ? {
            block,
            file: block.path,
            reason: 'path-ambiguous',
            message: `The path ${block.path} could mean several files; write the full path from the repository root.${list}`,
            candidatePaths: r.candidates,
          }
        : {
            block,
            file: block.path,
            reason: 'file-not-found',
            message: `There is no file ${block.path} in the repository. To create a file, use an empty SEARCH section.${list}`,
            candidatePaths: r.candidates,
          },
    );
  }
  return { blocks: out, failed };
}
