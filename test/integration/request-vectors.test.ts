import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveRepoPaths } from '../../src/git/repo-paths.js';
import { reply, startFakeLlm, type FakeLlmServer } from '../fake-llm/index.js';
import { tempRepo, type TempRepo } from '../helpers/git-repo.js';
import { runCli } from '../helpers/run-cli.js';

// Vectors on a request's path (context.embeddings): `map --query`, a turn's map and its hybrid
// chunks use the stored vectors and embed only the request. The built CLI, the real openai SDK,
// the fake server with a vector rule of this test's own: the request sits next to one file it
// shares no word with, every other text is orthogonal to both.

const FILES = {
  'src/core/ids.ts': 'export function makeId(prefix: string): string {\n  return `${prefix}-${Date.now()}`;\n}\n',
  'src/orders.ts': "import { makeId } from './core/ids.js';\n\nexport function newOrder(): string {\n  return makeId('order');\n}\n",
  'src/users.ts': "import { makeId } from './core/ids.js';\n\nexport function newUser(): string {\n  return makeId('user');\n}\n",
  'src/sky/forecast.ts': 'export function predictRain(humidity: number): boolean {\n  return humidity > 0.8;\n}\n',
};
const TARGET = 'src/sky/forecast.ts';
const QUERY = 'will it be wet tomorrow';
const BODY = 'return humidity > 0.8;';

let server: FakeLlmServer;
beforeAll(async () => {
  server = await startFakeLlm();
  server.embeddingDimensions = 8;
  server.embeddingVector = (text, dim) => {
    const v = new Array<number>(dim).fill(0);
    v[text === QUERY || text.startsWith(`${TARGET}\n`) ? 0 : 1] = 1;
    return v;
  };
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.reset();
  server.embeddingFailure = undefined;
});

const lexicalEnv = (repo: TempRepo): NodeJS.ProcessEnv => ({ ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '1024' });
const vectorEnv = (repo: TempRepo): NodeJS.ProcessEnv => ({ ...lexicalEnv(repo), ASSIST_CONTEXT__EMBEDDINGS: 'true', ASSIST_CONTEXT__EMBEDDING_MODEL: 'openai/text-embedding-3-small' });
const inputs = (): string[] => server.embeddingRequests.flatMap((r) => r.embedInputs ?? []);

interface MapJson {
  files: string[];
  stats: { reused: boolean; vectors?: { used: boolean; model: string; weight: number; source: string } };
}

/** A repository whose files have stored vectors (`assist search` embeds them), the requests forgotten. */
async function embedded(repo: TempRepo): Promise<void> {
  const r = await runCli(['search', 'warm up'], { cwd: repo.dir, env: vectorEnv(repo) });
  expect(r.code, r.stderr).toBe(0);
  expect(inputs().some((t) => t.startsWith(`${TARGET}\n`))).toBe(true);
  server.reset();
}

async function mapFor(repo: TempRepo, env: NodeJS.ProcessEnv, query = QUERY): Promise<{ map: MapJson; stderr: string }> {
  const r = await runCli(['map', '--query', query, '--json', '--stats'], { cwd: repo.dir, env });
  expect(r.code, r.stderr).toBe(0);
  return { map: JSON.parse(r.stdout) as MapJson, stderr: r.stderr };
}

describe('map --query with context.embeddings', () => {
  it('lifts a file only the vectors find, embedding the query alone; a lexical map is never taken for it', async () => {
    await using repo = tempRepo({ files: FILES });
    await embedded(repo);

    const first = await mapFor(repo, vectorEnv(repo));
    expect(first.stderr).toBe('');
    expect(first.map.files[0]).toBe(TARGET);
    expect(first.map.stats).toMatchObject({ reused: false, vectors: { used: true, model: 'openai/text-embedding-3-small', weight: 1, source: 'default' } });
    // No file's content goes: the only text embedded is the request.
    expect(inputs()).toEqual([QUERY]);
    const { sharedAssistDir } = await resolveRepoPaths(repo.dir, repo.env);
    const audit = readFileSync(join(sharedAssistDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { session: string; op: string; path: string; reason?: string });
    expect(audit.filter((a) => a.session === 'map')).toEqual([expect.objectContaining({ op: 'send', path: '.', reason: 'embedding by openai/text-embedding-3-small: the request (query)' })]);

    // The same request again: the stored vector map, without a request.
    const again = await mapFor(repo, vectorEnv(repo));
    expect(again.map).toMatchObject({ files: first.map.files, stats: { reused: true, vectors: { used: true } } });
    expect(inputs()).toEqual([QUERY]);

    // Without embeddings the query shares no word with the file: not lifted, and not the stored vector map.
    const lexical = await mapFor(repo, lexicalEnv(repo));
    expect(lexical.map.stats.reused).toBe(false);
    expect(lexical.map.stats.vectors).toBeUndefined();
    expect(lexical.map.files[0]).not.toBe(TARGET);
    expect(inputs()).toEqual([QUERY]);
  });

  it('a failing embeddings endpoint: a lexical map and one warning line; the next map tries the vectors again', async () => {
    await using repo = tempRepo({ files: FILES });
    await embedded(repo);
    server.embeddingFailure = { kind: 'error', error: 'auth' };
    const failed = await mapFor(repo, vectorEnv(repo));
    expect(failed.stderr).toMatch(/^warning: embeddings failed \(.+\); the map is lexical only\n$/);
    expect(failed.stderr).not.toContain('sk-fake-openai-key');
    expect(failed.map.files[0]).not.toBe(TARGET);
    expect(failed.map.stats.vectors).toMatchObject({ used: false });

    server.embeddingFailure = undefined;
    const ok = await mapFor(repo, vectorEnv(repo));
    expect(ok.stderr).toBe('');
    expect(ok.map.stats.reused).toBe(false);
    expect(ok.map.files[0]).toBe(TARGET);
  });

  it('no stored vectors: the map is lexical and sends nothing', async () => {
    await using repo = tempRepo({ files: FILES });
    const r = await mapFor(repo, vectorEnv(repo));
    expect(r.stderr).toBe('');
    expect(r.map.stats.vectors).toBeUndefined();
    expect(server.requests).toHaveLength(0);
  });
});

describe('a hybrid turn with context.embeddings', () => {
  const chatBody = (): string => JSON.stringify(server.requests.find((r) => r.embedInputs === undefined)?.body);

  it("carries a chunk only the vectors find; the request is embedded once for the map and the chunks, no file's content", async () => {
    await using repo = tempRepo({ files: FILES });
    await embedded(repo);
    server.enqueue(reply.text('It is predictRain.'));
    const r = await runCli(['run', '-m', QUERY], { cwd: repo.dir, env: vectorEnv(repo) });
    expect(r.code, r.stderr).toBe(5);
    expect(chatBody()).toContain('Relevant parts of other files');
    expect(chatBody()).toContain(BODY);
    expect(inputs()).toEqual([QUERY]);

    // The same turn without embeddings: the lexical search finds nothing for these words.
    server.reset();
    server.enqueue(reply.text('No idea.'));
    const lexical = await runCli(['run', '-m', QUERY], { cwd: repo.dir, env: lexicalEnv(repo) });
    expect(lexical.code, lexical.stderr).toBe(5);
    expect(chatBody()).not.toContain(BODY);
    expect(server.embeddingRequests).toHaveLength(0);
  });

  it('a failing embeddings endpoint: the turn succeeds, lexical, with one log line and nothing on the terminal', async () => {
    await using repo = tempRepo({ files: FILES });
    await embedded(repo);
    server.embeddingFailure = { kind: 'error', error: 'auth' };
    server.enqueue(reply.text('No idea.'));
    const log = join(repo.home, 'turn.log');
    const r = await runCli(['run', '-m', QUERY, '--log-file', log], { cwd: repo.dir, env: vectorEnv(repo) });
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).not.toContain('embeddings failed');
    expect(chatBody()).not.toContain(BODY);
    const events = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: string; event: string; error?: string });
    const warned = events.filter((e) => e.event === 'context.vectors-unavailable');
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ level: 'warn', error: expect.stringMatching(/^embeddings failed \(.+\); the map and the hybrid chunks are lexical only$/) });
  });
});
