import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveRepoPaths } from '../../src/git/repo-paths.js';
import { waitForRefresher } from '../../src/hooks/index.js';
import { startFakeLlm, type FakeLlmServer } from '../fake-llm/index.js';
import { tempRepo, type TempRepo } from '../helpers/git-repo.js';
import { runCli } from '../helpers/run-cli.js';

// `assist search` with context.embeddings = true, through the built CLI, the real openai SDK and
// the fake server; the hooks' background refresher after a commit by hand.

const FILES = {
  'src/reporters/github-actions.ts': 'export class GithubActionsReporter {\n  summaryHeader(title: string): string {\n    return `## ${title}`;\n  }\n}\n',
  'src/http/retry.ts': '// Wait longer between attempts when the server is busy.\nexport function backoffDelay(attempt: number): number {\n  return 250 * 2 ** attempt;\n}\n',
  'src/cart.ts': 'export function applyDiscount(price: number, share: number): number {\n  return price * (1 - share);\n}\n',
};

let server: FakeLlmServer;
beforeAll(async () => {
  server = await startFakeLlm();
  server.embeddingDimensions = 32;
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.reset();
  server.embeddingFailure = undefined;
});

function envOf(repo: TempRepo): NodeJS.ProcessEnv {
  return { ...repo.env, ...server.env(), ASSIST_CONTEXT__EMBEDDINGS: 'true', ASSIST_CONTEXT__EMBEDDING_MODEL: 'openai/text-embedding-3-small' };
}

const inputs = (): string[] => server.embeddingRequests.flatMap((r) => r.embedInputs ?? []);
const sentFiles = (): string[] => [...new Set(inputs().filter((t) => t.includes('\n')).map((t) => t.slice(0, t.indexOf('\n'))))].sort();

interface Hit {
  file: string;
  why: { lexical?: number; vector?: number; graph?: number };
}

describe('assist search with context.embeddings', () => {
  it('embeds once: a second search sends only its query; --json why has vector; one audit line per file', async () => {
    await using repo = tempRepo({ files: FILES });
    const env = envOf(repo);
    const first = await runCli(['search', '--json', 'wait longer between attempts'], { cwd: repo.dir, env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toBe('');
    const hits = JSON.parse(first.stdout) as Hit[];
    expect(hits[0]).toMatchObject({ file: 'src/http/retry.ts', why: expect.objectContaining({ vector: expect.any(Number), lexical: 1 }) });
    expect(sentFiles()).toEqual(Object.keys(FILES).sort());
    const { sharedAssistDir } = await resolveRepoPaths(repo.dir, repo.env);
    const audit = readFileSync(`${sharedAssistDir}/audit.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { op: string; path: string; reason: string });
    expect(audit.filter((a) => a.op === 'send').map((a) => a.path).sort()).toEqual(Object.keys(FILES).sort());
    expect(readFileSync(`${sharedAssistDir}/audit.jsonl`, 'utf8')).not.toContain('sk-fake-openai-key');

    server.reset();
    const second = await runCli(['search', 'the summary header'], { cwd: repo.dir, env });
    expect(second.code, second.stderr).toBe(0);
    expect(inputs()).toEqual(['the summary header']);
    expect(second.stdout).toMatch(/^src\/reporters\/github-actions\.ts:1-5 {2}\d\.\d{4} {2}\(lexical #1, vector #\d+, graph #\d\)/);
  });

  it('after a commit with the hooks installed, the refresher embeds only the changed file', async () => {
    await using repo = tempRepo({ files: FILES });
    const env = envOf(repo);
    expect((await runCli(['hooks', 'install'], { cwd: repo.dir, env })).code).toBe(0);
    expect((await runCli(['search', 'warm up'], { cwd: repo.dir, env })).code).toBe(0);
    const paths = await resolveRepoPaths(repo.dir, repo.env);
    await waitForRefresher(paths, 20_000);
    server.reset();
    repo.write('src/cart.ts', `${FILES['src/cart.ts']}export const FREE_SHIPPING_OVER = 50;\n`);
    const commit = spawnSync('git', ['commit', '-q', '-am', 'free shipping'], { cwd: repo.dir, env, encoding: 'utf8' });
    expect(commit.status, commit.stderr).toBe(0);
    const deadline = Date.now() + 20_000;
    while (sentFiles().length === 0 && Date.now() < deadline) await waitForRefresher(paths, 2_000);
    await waitForRefresher(paths, 20_000);
    expect(sentFiles()).toEqual(['src/cart.ts']);

    server.reset();
    expect((await runCli(['search', 'free shipping'], { cwd: repo.dir, env })).code).toBe(0);
    expect(inputs()).toEqual(['free shipping']);
  });

  it('the vector weight: calibrated on the commits before HEAD, in --json why and under --verbose; context.vector_weight fixes it', async () => {
    // Subjects that share no word with the code; the fake's vectors put each next to its file.
    const words = ['amber falcon', 'brisk meadow', 'coral lantern', 'dusty orchard', 'ember violin', 'frosty harbor', 'golden thistle', 'hollow quartz', 'ivory canyon', 'jade compass', 'kelp tundra', 'lunar saddle', 'misty anvil'];
    const file = (i: number): string => `src/p${i}.ts`;
    await using repo = tempRepo({ files: Object.fromEntries(words.map((_, i) => [file(i), `export const value${i} = ${i};\n`])) });
    words.forEach((w, i) => {
      repo.write(file(i), `export const value${i} = ${i + 100};\n`);
      repo.commitAll(`feat: ${w}`);
    });
    repo.write('README.md', 'end\n');
    repo.commitAll('docs: end');
    server.embeddingVector = (text, dim) => {
      const i = words.findIndex((w, k) => text === w || text.startsWith(`${file(k)}\n`));
      if (i < 0) return undefined;
      const v = new Array<number>(dim).fill(0);
      v[i] = 1;
      return v;
    };
    try {
      const env = envOf(repo);
      const r = await runCli(['--verbose', 'search', '--json', 'misty anvil'], { cwd: repo.dir, env });
      expect(r.code, r.stderr).toBe(0);
      const hits = JSON.parse(r.stdout) as Array<Hit & { why: { vectorWeight?: number; vectorWeightSource?: string } }>;
      expect(hits[0]).toMatchObject({ file: file(12), why: expect.objectContaining({ vectorWeightSource: 'calibrated' }) });
      expect(hits[0]!.why.vectorWeight).toBeGreaterThan(0);
      expect(r.stderr).toMatch(/vector weight [0-9.]+ \(openai\/text-embedding-3-small\): calibrated on 13 commits before [0-9a-f]{12}, recall@10 0 → [0-9.]+%, 0\.25 → 100\.0% \(\+[0-9.]+ ± [0-9.]+\).*a weight counts when it gains 2 standard errors over 0$/m);
      // Weight 0: the vectors no longer rank (words the code holds, so the lexical index finds something).
      const fixed = await runCli(['search', '--json', 'misty anvil value'], { cwd: repo.dir, env: { ...env, ASSIST_CONTEXT__VECTOR_WEIGHT: '0' } });
      expect(fixed.code, fixed.stderr).toBe(0);
      expect((JSON.parse(fixed.stdout) as Array<{ why: { vectorWeight?: number; vectorWeightSource?: string; vector?: number } }>)[0]!.why).toMatchObject({ vectorWeight: 0, vectorWeightSource: 'config' });
    } finally {
      server.embeddingVector = undefined;
    }
  });

  it('an embeddings API that fails: the search is lexical, one warning line, exit 0', async () => {
    await using repo = tempRepo({ files: FILES });
    server.embeddingFailure = { kind: 'error', error: 'auth' };
    const r = await runCli(['search', '--json', 'wait longer between attempts'], { cwd: repo.dir, env: envOf(repo) });
    expect(r.code).toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^warning: embeddings failed \(.+\); search is lexical only\n$/);
    expect(r.stderr).not.toContain('sk-fake-openai-key');
    expect((JSON.parse(r.stdout) as Hit[])[0]).toMatchObject({ file: 'src/http/retry.ts', why: expect.not.objectContaining({ vector: expect.anything() }) });
  });

  it('an Anthropic chat model and no embedding model: one line says what to set, the search goes on', async () => {
    await using repo = tempRepo({ files: FILES });
    const env = { ...repo.env, ...server.env(), ASSIST_CONTEXT__EMBEDDINGS: 'true', ASSIST_MODEL: 'anthropic/claude-sonnet-4-5' };
    const r = await runCli(['search', 'backoff delay'], { cwd: repo.dir, env });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: context\.embeddings is on but anthropic has no embeddings API: set context\.embedding_model .*; search is lexical only\n$/);
    expect(r.stdout).toMatch(/^src\/http\/retry\.ts:/);
    expect(server.requests).toHaveLength(0);
  });
});
