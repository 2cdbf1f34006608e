import { estimateTextTokens } from '../llm/estimate.js';
import { objectSchema } from './args.js';
import { capHead, formatCount } from './cap.js';
import { failure, result } from './common.js';
import type { Tool, ToolContext, ToolOutcome } from './types.js';

export const MIN_MAP_TOKENS = 256;
export const MAX_MAP_TOKENS = 8192;

async function run(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolOutcome> {
  if (ctx.repoMap === undefined) return failure('The repo map is not available in this session; use list_files and search.', 'map: not available');
  const query = args['query'] as string | undefined;
  const files = args['files'] as string[] | undefined;
  const asked = (args['tokens'] as number | undefined) ?? ctx.config.context.mapTokens;
  const tokens = Math.min(MAX_MAP_TOKENS, Math.max(MIN_MAP_TOKENS, asked));
  const map = await ctx.repoMap({
    ...(query !== undefined && query !== '' ? { query } : {}),
    ...(files !== undefined && files.length > 0 ? { files } : {}),
    tokens,
  });
  const text = capHead(map.trim() === '' ? '(the repo map is empty: no source files it can parse)' : map, ctx.config.tools.maxResultTokens, 'ask for fewer tokens or a narrower query');
  return result(true, text, `map (${formatCount(estimateTextTokens(text))} tokens)`);
}

/** `repo_map`: the ranked map of definitions, as `assist map --query` renders it. */
export const repoMapTool: Tool = {
  kind: 'read',
  spec: {
    name: 'repo_map',
    description:
      'Show the repository map: the most relevant files with their key definitions (classes, functions, methods), ranked by how the code references them. ' +
      '`query` (words or identifiers) and `files` (repo-relative paths) steer the ranking toward what you are working on. ' +
      `\`tokens\` is the size of the map (${MIN_MAP_TOKENS} to ${MAX_MAP_TOKENS}; default from config). Use it to find where things are defined before reading files.`,
    parameters: objectSchema({
      query: { type: 'string', description: 'identifiers or words to rank the map toward' },
      files: { type: 'array', items: { type: 'string' }, description: 'repo-relative files you are working on' },
      tokens: { type: 'integer', description: `map size in tokens (${MIN_MAP_TOKENS}-${MAX_MAP_TOKENS})` },
    }),
  },
  run,
};
