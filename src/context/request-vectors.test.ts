import { describe, expect, it } from 'vitest';
import { EMBEDDING_MODEL, useFakeEmbeddings } from '../../test/helpers/fake-embeddings.js';
import { tempRepo, type TempRepo } from '../../test/helpers/git-repo.js';
import { resolveRepoPaths } from '../git/repo-paths.js';
import { planRequestVectors, startRequestVectors } from './request-vectors.js';
import { searchCode } from './search.js';
import type { SendAudit } from './vectors.js';

// Vectors on a request's path: the stored ones and the query's, never a file's; no request when
// nothing stored could be used; a wait bounded by the cap; one request for rankings side by side.

const files = {
  'src/http/retry.ts': '// When the server is busy, wait longer between attempts.\nexport function backoffDelay(attempt: number): number {\n  return 250 * 2 ** attempt;\n}\n',
  'src/cart.ts': 'export function applyDiscount(price: number, share: number): number {\n  return price * (1 - share);\n}\n',
};
const MODEL = EMBEDDING_MODEL;

describe('request vectors (fake embeddings server, real SDK, real git)', () => {
  const fake = useFakeEmbeddings(16);
  const embedderOf = (repo: TempRepo) => fake.embedder({ repo, maxAttempts: 2 });
  async function stored(repo: TempRepo): Promise<string> {
    const r = await searchCode({ cwd: repo.dir, env: repo.env, query: 'warm up the store', maxWorkers: 0, vectors: { embedder: embedderOf(repo), budget: 200_000 } });
    expect(r.vectors).toMatchObject({ used: true, files: 2 });
    fake.server.reset();
    return (await resolveRepoPaths(repo.dir, repo.env)).sharedAssistDir;
  }
  const recorder = (): SendAudit & { lines: string[] } => {
    const lines: string[] = [];
    return { lines, append: (e) => Promise.resolve(lines.push(`${e.op} ${e.path} ${e.reason}`)) };
  };

  it('nothing stored, or a weight of 0: lexical, and no request is sent', async () => {
    await using repo = tempRepo({ files });
    const { sharedAssistDir } = await resolveRepoPaths(repo.dir, repo.env);
    expect(await planRequestVectors(sharedAssistDir, { embedder: embedderOf(repo) })).toBeUndefined();
    const none = await searchCode({ cwd: repo.dir, env: repo.env, query: 'busy server attempts', maxWorkers: 0, requestVectors: { embedder: embedderOf(repo) } });
    expect(none.vectors).toBeUndefined();
    expect(none.hits[0]?.file).toBe('src/http/retry.ts');
    expect(fake.server.embeddingRequests).toHaveLength(0);

    await stored(repo);
    const zero = await searchCode({ cwd: repo.dir, env: repo.env, query: 'busy server attempts', maxWorkers: 0, requestVectors: { embedder: embedderOf(repo), weight: 0 } });
    expect(zero.vectors).toBeUndefined();
    expect(fake.server.embeddingRequests).toHaveLength(0);
    const used = await searchCode({ cwd: repo.dir, env: repo.env, query: 'busy server attempts', maxWorkers: 0, requestVectors: { embedder: embedderOf(repo) } });
    expect(used.vectors).toMatchObject({ used: true, files: 0, weight: 1, weightSource: 'default' });
    expect(used.hits[0]!.why.vector).toBeGreaterThan(0);
    expect(fake.server.embeddingRequests.flatMap((r) => r.embedInputs!)).toEqual(['busy server attempts']);
  });

  it('two rankings side by side share one request and one audit line; the embedded text is `text`, not the query', async () => {
    await using repo = tempRepo({ files });
    const shared = await stored(repo);
    const audit = recorder();
    const embedder = embedderOf(repo);
    const a = startRequestVectors(shared, { embedder, audit, text: 'price share off' }, 'recent requests\nprice share off');
    const b = startRequestVectors(shared, { embedder, audit, text: 'price share off' }, 'price share off');
    const [qa, qb] = await Promise.all([a.query, b.query]);
    expect(qa.vector).toBeDefined();
    expect(qb.vector).toBe(qa.vector);
    expect(fake.server.embeddingRequests.flatMap((r) => r.embedInputs!)).toEqual(['price share off']);
    expect(audit.lines).toEqual([`send . embedding by ${MODEL}: the request (query)`]);
  });

  it('an embedding past the cap: a notice, the ranking lexical, the request aborted; a failure: a notice too', async () => {
    await using repo = tempRepo({ files });
    await stored(repo);
    fake.server.enqueueEmbedding({ kind: 'hang' });
    const t0 = performance.now();
    const slow = await searchCode({ cwd: repo.dir, env: repo.env, query: 'server busy wait', maxWorkers: 0, requestVectors: { embedder: embedderOf(repo), capMs: 150 } });
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(slow.notice).toBe('embeddings failed (no answer within 150 ms); search is lexical only');
    expect(slow.vectors).toMatchObject({ used: false });
    expect(slow.hits[0]).toMatchObject({ file: 'src/http/retry.ts', why: expect.not.objectContaining({ vector: expect.anything() }) });
    expect(fake.server.embeddingRequests).toHaveLength(1);
    expect(await fake.server.embeddingRequests[0]!.settled).toBe('client-closed');

    fake.server.reset();
    fake.server.embeddingFailure = { kind: 'error', error: 'auth' };
    const failed = await searchCode({ cwd: repo.dir, env: repo.env, query: 'server busy wait', maxWorkers: 0, requestVectors: { embedder: embedderOf(repo), capMs: 5_000 } });
    expect(failed.notice).toMatch(/^embeddings failed \(.+\); search is lexical only$/);
    expect(failed.hits[0]?.file).toBe('src/http/retry.ts');
    // A failed query is not kept: the next ranking asks again.
    fake.server.embeddingFailure = undefined;
    const ok = await searchCode({ cwd: repo.dir, env: repo.env, query: 'server busy wait', maxWorkers: 0, requestVectors: { embedder: embedderOf(repo) } });
    expect(ok.notice).toBeUndefined();
    expect(ok.vectors).toMatchObject({ used: true });
  });
});
