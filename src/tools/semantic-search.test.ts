import { describe, expect, it } from 'vitest';
import { startFakeLlm } from '../../test/fake-llm/index.js';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { toolContext } from '../../test/helpers/tool-context.js';
import { executeToolCall } from './execute.js';
import { allTools, readOnlyTools } from './registry.js';
import { semanticSearchTool } from './semantic-search.js';
import type { ToolOutcome } from './types.js';

function text(outcome: ToolOutcome): string {
  return outcome.kind === 'result' ? outcome.text : '';
}

const files = {
  'src/http/retry.ts': '// When the server is busy, wait longer between attempts.\nexport function backoffDelay(attempt: number): number {\n  return 250 * 2 ** attempt;\n}\n',
  'src/http/client.ts': "import { backoffDelay } from './retry';\n\nexport async function send(url: string, tries = 0): Promise<void> {\n  await sleep(backoffDelay(tries));\n}\n",
  'src/cart.ts': 'export function applyDiscount(price: number): number {\n  return price * 0.9;\n}\n',
};

describe('semantic_search', () => {
  it('returns the best chunks as path:start-end and score, then their text, a definition with the chunks that call it', async () => {
    await using repo = tempRepo({ files });
    const ctx = await toolContext(repo);
    const out = await executeToolCall({ id: 'c1', name: 'semantic_search', arguments: JSON.stringify({ query: 'wait longer between attempts when the server is busy' }) }, allTools(), ctx);
    expect(out).toMatchObject({ kind: 'result', ok: true, status: 'semantic_search "wait longer between attempts when the server is busy" → 1 chunk' });
    const lines = text(out).split('\n');
    expect(lines[0]).toMatch(/^src\/http\/retry\.ts:1-4 score \d\.\d{4} \(lexical #1, graph #\d+\)$/);
    expect(lines.slice(1, 5)).toEqual(files['src/http/retry.ts'].trimEnd().split('\n'));
    expect(lines[6]).toMatch(/^called from src\/http\/client\.ts:1-5 \(calls backoffDelay(, graph #\d)?\)$/);
    expect(lines.slice(7, 12)).toEqual(files['src/http/client.ts'].trimEnd().split('\n'));
    expect(ctx.auditRecords()).toEqual([expect.objectContaining({ op: 'read', path: '.', result: 'ok', reason: 'semantic_search wait longer between attempts when the server is busy' })]);
  });

  it('takes k and a folder, refuses a scope outside the repository, and says when nothing matches', async () => {
    await using repo = tempRepo({ files });
    const ctx = await toolContext(repo);
    const one = await semanticSearchTool.run({ query: 'price discount attempt', k: 1 }, ctx);
    expect(text(one).match(/^\S+:\d+-\d+ score/gm)).toHaveLength(1);
    const scoped = await semanticSearchTool.run({ query: 'price discount attempt', path: 'src/http' }, ctx);
    expect(text(scoped)).not.toContain('src/cart.ts');
    expect(text(scoped)).toContain('src/http/retry.ts');
    expect(await semanticSearchTool.run({ query: 'x', path: '../' }, ctx)).toMatchObject({ ok: false });
    expect(ctx.auditRecords().at(-1)).toMatchObject({ op: 'deny' });
    expect(await semanticSearchTool.run({ query: 'zebra giraffe' }, ctx)).toMatchObject({ ok: true, text: expect.stringMatching(/^no chunks match/) });
    expect(await semanticSearchTool.run({ query: '  ' }, ctx)).toMatchObject({ ok: false, status: 'semantic_search: empty query' });
  });

  it('is offered among the read-only tools, last, and caps its result', async () => {
    expect(readOnlyTools().at(-1)).toBe(semanticSearchTool);
    expect(allTools().at(-1)).toBe(semanticSearchTool);
    const big = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`src/m${i}.ts`, `export function retryHandler${i}(attempt: number): number {\n${'  attempt += 1; // retry the request again\n'.repeat(40)}  return attempt;\n}\n`]));
    await using repo = tempRepo({ files: big });
    const ctx = await toolContext(repo, { configure: (c) => void (c.tools.maxResultTokens = 600) });
    const out = await semanticSearchTool.run({ query: 'retry the request', k: 30 }, ctx);
    expect(text(out)).toMatch(/\[… [\d,]+ more lines cut: ask for fewer chunks \(k\) or a narrower path\]$/);
    expect(text(out).length).toBeLessThanOrEqual(600 * 3.7);
  });

  it('with context.embeddings, ranks by the stored vectors too and embeds only the query', async () => {
    await using server = await startFakeLlm();
    server.embeddingDimensions = 32;
    await using repo = tempRepo({ files });
    const env = { ...repo.env, ...server.env(), ASSIST_CONTEXT__EMBEDDINGS: 'true', ASSIST_CONTEXT__EMBEDDING_MODEL: 'ollama/nomic-embed-text' };
    const ctx = await toolContext(repo, { env });
    // No vectors stored yet: a tool step does not embed files, only the query.
    const before = await semanticSearchTool.run({ query: 'wait longer between attempts' }, ctx);
    expect(text(before)).not.toContain('vector #');
    expect(server.embeddingRequests.flatMap((r) => r.embedInputs)).toEqual(['wait longer between attempts']);
    const { refreshVectorsInBackground } = await import('../context/index.js');
    expect(await refreshVectorsInBackground({ root: repo.dir }, [], env)).toMatchObject({ files: 3 });
    server.reset();
    const after = await semanticSearchTool.run({ query: 'wait longer between attempts when busy' }, ctx);
    expect(text(after).split('\n')[0]).toMatch(/^src\/http\/retry\.ts:1-4 score \d\.\d{4} \(lexical #1, vector #\d+, graph #\d+\)$/);
    expect(server.embeddingRequests.flatMap((r) => r.embedInputs)).toEqual(['wait longer between attempts when busy']);
  });
});
