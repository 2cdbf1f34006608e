import { isEnvFileName } from '../sandbox/index.js';
import { objectSchema } from './args.js';
import { capHead, formatCount } from './cap.js';
import { denied, failure, resolveScope, result } from './common.js';
import type { Tool, ToolContext, ToolOutcome } from './types.js';

export const DEFAULT_SEMANTIC_K = 10;
export const MAX_SEMANTIC_K = 50;

async function run(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolOutcome> {
  const query = (args['query'] as string).trim();
  const shown = JSON.stringify(query.length > 60 ? `${query.slice(0, 59)}…` : query);
  if (query === '') return failure('The query is empty; describe the code you are looking for, in words or identifiers.', 'semantic_search: empty query');
  const k = Math.min(MAX_SEMANTIC_K, Math.max(1, (args['k'] as number | undefined) ?? DEFAULT_SEMANTIC_K));
  const scope = await resolveScope(ctx, args['path'] as string | undefined);
  if (!scope.ok) return denied(ctx, 'search', scope.denial);
  const { searchCode, describeHit, vectorSetup } = await import('../context/index.js');
  // Vectors (context.embeddings): the stored ones and the query's; embedding files is the
  // background refresher's work, not a tool step's (budget 0). Without them the search is lexical.
  const vectors = ctx.config.context.embeddings
    ? await (async () => {
        const { resolveRepoPaths } = await import('../git/repo-paths.js');
        return vectorSetup(ctx.config, ctx.env, await resolveRepoPaths(ctx.root, ctx.env), 'tool');
      })().catch(() => undefined)
    : undefined;
  const found = await searchCode({
    ...(vectors ? { vectors: { embedder: vectors.embedder, budget: 0, ...(vectors.weight !== undefined ? { weight: vectors.weight } : {}) } } : {}),
    cwd: ctx.root,
    env: ctx.env,
    query,
    k,
    maxFileBytes: ctx.config.context.maxFileBytes,
    ...(scope.rel !== '' ? { path: scope.rel } : {}),
  });
  // `.env` files may hold secrets: never shown unless the person added the file by name.
  const allowed = (h: { file: string }): boolean => !isEnvFileName(h.file.slice(h.file.lastIndexOf('/') + 1)) || ctx.addedByName.has(h.file);
  const hits = found.hits.filter(allowed);
  await ctx.audit.append({ op: 'read', path: scope.rel === '' ? '.' : scope.rel, result: 'ok', reason: `semantic_search ${query}`, requestId: ctx.requestId });
  const status = `semantic_search ${shown} → ${formatCount(hits.length)} chunk${hits.length === 1 ? '' : 's'}`;
  if (hits.length === 0) return result(true, 'no chunks match; try other words, the names of what you are looking for, or `search` with a pattern', status);
  const blocks = hits.map((h) => {
    const callers = (h.callers ?? []).filter(allowed).map((c) => `called from ${c.file}:${c.start}-${c.end} (${describeHit(c)})\n${c.text.replace(/\s+$/, '')}\n`);
    return [`${h.file}:${h.start}-${h.end} score ${h.score.toFixed(4)} (${describeHit(h)})\n${h.text.replace(/\s+$/, '')}\n`, ...callers].join('\n');
  });
  const text = capHead(blocks.join('\n'), ctx.config.tools.maxResultTokens, 'ask for fewer chunks (k) or a narrower path');
  return result(true, text, status);
}

/** `semantic_search`: the best chunks of code for a description (DESIGN §6 "Search"). */
export const semanticSearchTool: Tool = {
  kind: 'read',
  spec: {
    name: 'semantic_search',
    description:
      'Find code by what it does, described in words: the best chunks (functions, classes, methods) as `path:start-end score`, then their text; ' +
      'a definition comes with chunks that call it. `k`: how many (default 10); `path`: a folder or file.',
    parameters: objectSchema(
      {
        query: { type: 'string', description: 'what the code does' },
        k: { type: 'integer', description: `1-${MAX_SEMANTIC_K}` },
        path: { type: 'string', description: 'repo-relative folder or file' },
      },
      ['query'],
    ),
  },
  run,
};
