import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EMBEDDING_MODEL, useFakeEmbeddings } from '../../test/helpers/fake-embeddings.js';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { resolveRepoPaths } from '../git/repo-paths.js';
import { openIndex } from './search-index.js';
import { searchCode } from './search.js';
import { refreshVectorsInBackground } from './vector-config.js';
import { decodeVectors, dequantise, encodeVectors, quantise, VectorStore } from './vector-store.js';

const files = {
  'src/cart.ts': [
    '/** Money off a price, as a share. */',
    'export function applyDiscount(price: number, share: number): number {',
    '  return price * (1 - share);',
    '}',
    '',
    'export class Cart {',
    '  items: number[] = [];',
    '  total(): number {',
    '    return this.items.reduce((a, b) => a + b, 0);',
    '  }',
    '}',
    '',
  ].join('\n'),
  'src/http/retry.ts': ['// When the server is busy, wait longer between attempts.', 'export function backoffDelay(attempt: number): number {', '  return Math.min(30_000, 250 * 2 ** attempt);', '}', ''].join('\n'),
  'src/reporters/summary.ts': ['export function summaryHeader(title: string): string {', '  return `## ${title}`;', '}', ''].join('\n'),
};

describe('quantisation', () => {
  it('int8 with a per-vector scale: the round trip errs by at most half a step, and keeps cosines', () => {
    const v = Array.from({ length: 256 }, (_, i) => Math.sin(i * 0.37) * (i % 5 === 0 ? 3 : 0.2));
    const q = new Int8Array(256);
    const scale = quantise(v, q);
    const back = dequantise(q, scale, 0, 256);
    for (let i = 0; i < 256; i++) expect(Math.abs(back[i]! - v[i]!)).toBeLessThanOrEqual(scale / 2 + 1e-6);
    expect(Math.max(...Array.from(q, Math.abs))).toBe(127);
    const zero = new Int8Array(4);
    expect(quantise([0, 0, 0, 0], zero)).toBe(1);
    expect([...zero]).toEqual([0, 0, 0, 0]);
  });

  it('a stored file decodes to what was written; another model, version or a flipped byte is refused', () => {
    const chunks = [
      { start: 1, end: 4 },
      { start: 6, end: 11 },
    ];
    const vectors = [Float32Array.from([0.5, -0.25, 0.125]), Float32Array.from([-1, 0, 1])];
    const buf = Buffer.from(encodeVectors('openai/text-embedding-3-small', chunks, vectors));
    expect(buf.length).toBe(20 + 'openai/text-embedding-3-small'.length + 2 * (12 + 3));
    const back = decodeVectors(buf, 'openai/text-embedding-3-small')!;
    expect([...back.starts, ...back.ends]).toEqual([1, 6, 4, 11]);
    expect(dequantise(back.data, back.scales[1]!, 3, 3)).toEqual(Float32Array.from([-1, 0, 1]));
    expect(decodeVectors(buf, 'google/gemini-embedding-001')).toBeUndefined();
    const flipped = Buffer.from(buf);
    flipped[flipped.length - 1] = flipped[flipped.length - 1]! ^ 0x40;
    expect(decodeVectors(flipped, 'openai/text-embedding-3-small')).toBeUndefined();
    const version = Buffer.from(buf);
    version[4] = 99;
    expect(decodeVectors(version, 'openai/text-embedding-3-small')).toBeUndefined();
    expect(decodeVectors(buf.subarray(0, 30), 'openai/text-embedding-3-small')).toBeUndefined();
  });
});

describe('vectors in the search index (fake embeddings server, real SDKs, real git)', () => {
  const fake = useFakeEmbeddings(64);
  const MODEL = EMBEDDING_MODEL;
  const search = fake.search;
  const auditLines = (shared: string): Array<{ op: string; path: string; reason: string }> =>
    readFileSync(`${shared}/audit.jsonl`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { op: string; path: string; reason: string });

  it('embeds each file once, ranks by vectors too, and a second search sends only the query', async () => {
    // A source file named like an env file is indexed lexically but never sent.
    await using repo = tempRepo({ files: { ...files, 'src/.env.local.ts': 'export const SECRET_TOKEN = "abc";\n' } });
    const first = await search(repo, 'wait longer between attempts');
    expect(first.notice).toBeUndefined();
    expect(first.vectors).toMatchObject({ used: true, files: 3, withheld: 1, pending: 0 });
    expect(first.hits[0]).toMatchObject({ file: 'src/http/retry.ts', why: expect.objectContaining({ vector: 1, lexical: 1 }) });
    const sent = fake.server.embeddingRequests.flatMap((r) => r.embedInputs!);
    // Three files' chunks, then the query.
    expect(sent.at(-1)).toBe('wait longer between attempts');
    expect(sent.filter((t) => t.startsWith('src/cart.ts\n')).length).toBeGreaterThanOrEqual(1);
    expect(sent.some((t) => t.includes('SECRET'))).toBe(false);
    expect((await search(repo, 'secret token')).hits.map((h) => h.file)).toContain('src/.env.local.ts');
    const { sharedAssistDir } = await resolveRepoPaths(repo.dir, repo.env);
    const audit = auditLines(sharedAssistDir).filter((l) => l.op === 'send');
    expect(audit.map((l) => l.path).sort()).toEqual(['src/cart.ts', 'src/http/retry.ts', 'src/reporters/summary.ts']);
    expect(audit[0]!.reason).toBe(`embedding by ${MODEL}`);

    fake.server.reset();
    const again = await search(repo, 'the header of the summary');
    expect(again.vectors).toMatchObject({ used: true, files: 0 });
    expect(fake.server.embeddingRequests.flatMap((r) => r.embedInputs!)).toEqual(['the header of the summary']);
    // The query vector is kept in-process: the same search sends nothing.
    fake.server.reset();
    await search(repo, 'the header of the summary');
    expect(fake.server.embeddingRequests).toHaveLength(0);

    // Another worktree shares the store: nothing embedded again.
    repo.git('worktree', 'add', '-q', `${repo.home}/other`);
    fake.server.reset();
    const other = await searchCode({ cwd: `${repo.home}/other`, env: fake.env(repo), query: 'price share discount', maxWorkers: 0, vectors: { embedder: fake.embedder({ repo, maxAttempts: 3 }), budget: 1000 } });
    expect(other.vectors).toMatchObject({ used: true, files: 0 });
    expect(fake.server.embeddingRequests.flatMap((r) => r.embedInputs!)).toEqual(['price share discount']);
  });

  it('after a change only the changed file is embedded again (the background refresh, changed first)', async () => {
    await using repo = tempRepo({ files });
    await search(repo, 'warm up');
    repo.write('src/cart.ts', `${files['src/cart.ts']}export const FREE_SHIPPING_OVER = 50;\n`);
    repo.commitAll('free shipping');
    fake.server.reset();
    const env = { ...fake.env(repo), ASSIST_CONTEXT__EMBEDDINGS: 'true', ASSIST_CONTEXT__EMBEDDING_MODEL: MODEL };
    await openIndex({ cwd: repo.dir, env, maxWorkers: 0 });
    const stats = await refreshVectorsInBackground({ root: repo.dir }, ['src/cart.ts'], env);
    expect(stats).toMatchObject({ files: 1, pending: 0 });
    const sent = fake.server.embeddingRequests.flatMap((r) => r.embedInputs!);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((t) => t.startsWith('src/cart.ts\n'))).toBe(true);
  });

  it('keeps within the budget: files over it stay pending for the next refresh', async () => {
    await using repo = tempRepo({ files });
    const r = await search(repo, 'backoff delay', { budget: 60 });
    expect(r.vectors!.files).toBeGreaterThanOrEqual(1);
    expect(r.vectors!.pending).toBeGreaterThanOrEqual(1);
    expect(r.vectors!.files + r.vectors!.pending).toBe(3);
    expect(r.hits[0]!.file).toBe('src/http/retry.ts');
  });

  it('a 429 is retried; an API that keeps failing leaves search lexical with one notice', async () => {
    await using repo = tempRepo({ files });
    fake.server.enqueueEmbedding({ kind: 'error', error: 'rate_limit', retryAfter: 0.01 });
    const retried = await search(repo, 'backoff delay');
    expect(retried.notice).toBeUndefined();
    expect(fake.server.embeddingRequests[0]!.outcome).toBe('error-reply');
    expect(retried.vectors).toMatchObject({ used: true, files: 3 });

    await using fresh = tempRepo({ files });
    fake.server.reset();
    fake.server.embeddingFailure = { kind: 'error', error: 'server', message: 'embeddings are down' };
    const down = await search(fresh, 'wait longer between attempts');
    expect(down.notice).toMatch(/^embeddings failed \(.*embeddings are down.*\); search is lexical only$/);
    expect(down.notice!.split('\n')).toHaveLength(1);
    expect(down.vectors).toMatchObject({ used: false });
    expect(down.hits[0]!.file).toBe('src/http/retry.ts');
    expect(down.hits[0]!.why.vector).toBeUndefined();
  });

  it('a corrupt or foreign vector file is embedded again, never a crash', async () => {
    await using repo = tempRepo({ files });
    await search(repo, 'warm up');
    const { sharedAssistDir } = await resolveRepoPaths(repo.dir, repo.env);
    const blob = repo.git('rev-parse', 'HEAD:src/http/retry.ts').trim();
    const store = new VectorStore(sharedAssistDir, MODEL);
    const path = store.pathOf(blob);
    const bytes = readFileSync(path);
    bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 0xff;
    writeFileSync(path, bytes);
    // The packed table of this listing still holds the good vectors: nothing is sent. A damaged
    // table is gathered again from the per-blob files, where the damaged one is embedded again.
    fake.server.reset();
    expect((await search(repo, 'backoff')).vectors).toMatchObject({ used: true, files: 0 });
    expect(fake.server.embeddingRequests.flatMap((x) => x.embedInputs!)).toEqual(['backoff']);
    const table = `${store.dir}/table.bin`;
    writeFileSync(table, readFileSync(table).subarray(0, 100));
    fake.server.reset();
    const r = await search(repo, 'backoff delay');
    expect(r.notice).toBeUndefined();
    expect(r.vectors).toMatchObject({ used: true, files: 1 });
    expect(fake.server.embeddingRequests.flatMap((x) => x.embedInputs!).filter((t) => t.startsWith('src/http/retry.ts\n')).length).toBeGreaterThan(0);
    expect(await store.read(blob)).toBeDefined();
    writeFileSync(path, 'garbage');
    writeFileSync(table, 'garbage');
    fake.server.reset();
    expect((await search(repo, 'backoff again')).vectors).toMatchObject({ files: 1 });
  });
});
