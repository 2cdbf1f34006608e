import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reply, startFakeLlm, type FakeLlmServer, type RecordedRequest } from '../../test/fake-llm/index.js';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { buildRepoMap } from '../context/index.js';
import { refreshSummaries, summariesFor, summariesStatus, showSummary } from './index.js';

const pathOf = (req: RecordedRequest): string => /Path: (\S+)/.exec(req.messages.map((m) => m.content).join('\n'))?.[1] ?? '?';
const TS = (name: string, body = ''): string => `export function ${name}(a: number): number {\n  return a;\n}\n${body}`;

describe('refreshSummaries (outlines)', () => {
  it('summarises each new blob once, marks edits stale, and serves stale summaries without waiting', async () => {
    await using repo = tempRepo({ files: { 'src/a.ts': TS('alpha'), 'src/b.py': 'def beta():\n    pass\n', 'README.md': '# Demo\n', '.env': 'KEY=secret-value\n' } });
    const first = await refreshSummaries({ cwd: repo.dir, env: repo.env });
    expect(first).toMatchObject({ files: 3, outlines: 3, upToDate: 0, skipped: ['.env'], mode: 'outline' });
    const again = await refreshSummaries({ cwd: repo.dir, env: repo.env });
    expect(again).toMatchObject({ files: 3, outlines: 0, upToDate: 3, dirsRebuilt: 0 });

    const shown = await showSummary(join(repo.dir, 'src'), 'a.ts', repo.env);
    expect(shown).toMatchObject({ path: 'src/a.ts', fresh: true, kind: 'outline', blob: repo.git('rev-parse', 'HEAD:src/a.ts') });
    expect(shown.text).toBe('TypeScript, 3 lines; exports alpha\n1: export function alpha(a: number): number');

    repo.write('src/a.ts', TS('alpha', 'export const gamma = 1;\n'));
    const stale = await summariesFor(repo.dir, ['src/a.ts', 'src/b.py', '.env', 'missing.ts']);
    expect([...stale.keys()].sort()).toEqual(['src/a.ts', 'src/b.py']);
    expect(stale.get('src/a.ts')).toMatchObject({ fresh: false, summaryBlob: shown.blob });
    expect(stale.get('src/a.ts')!.blob).not.toBe(shown.blob);
    expect(await summariesStatus(repo.dir, repo.env)).toMatchObject({ files: 3, fresh: 2, stale: 1, pending: 0, notFresh: [{ path: 'src/a.ts', state: 'stale' }] });

    const third = await refreshSummaries({ cwd: repo.dir, env: repo.env });
    expect(third).toMatchObject({ outlines: 1, upToDate: 2, dirsRebuilt: 2 });
    const fresh = await summariesFor(repo.dir, ['src/a.ts', 'src', '.']);
    expect(fresh.get('src/a.ts')).toMatchObject({ fresh: true, text: expect.stringContaining('exports alpha, gamma') });
    expect(fresh.get('src')).toMatchObject({ fresh: true, directory: true, text: expect.stringContaining('a.ts — TypeScript, 4 lines; exports alpha, gamma') });
    expect(fresh.get('.')!.text.split('\n')[0]).toBe('repository: 3 files, 1 sub-directory (1 .md, 1 .py, 1 .ts)');
    expect((await summariesStatus(repo.dir, repo.env)).fresh).toBe(3);
    // Nothing of assist's in the work tree.
    expect(repo.git('status', '--porcelain')).toBe(' M src/a.ts');
  });

  it('follows checkouts: the view is the checked-out content, and old content is never summarised twice', async () => {
    await using repo = tempRepo({ files: { 'a.ts': TS('one') } });
    await refreshSummaries({ cwd: repo.dir, env: repo.env });
    repo.git('checkout', '-q', '-b', 'topic');
    repo.write('a.ts', TS('two'));
    repo.commitAll('two');
    expect((await summariesStatus(repo.dir, repo.env)).stale).toBe(1);
    await refreshSummaries({ cwd: repo.dir, env: repo.env });
    expect((await showSummary(repo.dir, 'a.ts', repo.env)).text).toContain('exports two');
    repo.git('checkout', '-q', 'main');
    expect(await summariesStatus(repo.dir, repo.env)).toMatchObject({ fresh: 1, stale: 0 });
    expect((await showSummary(repo.dir, 'a.ts', repo.env)).text).toContain('exports one');
    expect(await refreshSummaries({ cwd: repo.dir, env: repo.env })).toMatchObject({ outlines: 0, upToDate: 1 });
  });

  it('show refuses untracked files and says when there is no summary yet', async () => {
    await using repo = tempRepo({ files: { 'a.ts': TS('one') } });
    repo.write('new.ts', TS('x'));
    await expect(showSummary(repo.dir, 'new.ts', repo.env)).rejects.toMatchObject({ code: 'summaries.not-tracked' });
    await expect(showSummary(repo.dir, 'a.ts', repo.env)).rejects.toMatchObject({ code: 'summaries.none' });
    await expect(showSummary(repo.dir, '../x', repo.env)).rejects.toMatchObject({ code: 'summaries.outside-repo', exitCode: 2 });
  });

  it("an outline's parse is kept in the map's tags cache: the map the hooks build next parses nothing again", async () => {
    await using repo = tempRepo({ files: { 'src/a.ts': TS('alpha', 'export const b = alpha(1);\n'), 'src/b.py': 'def beta():\n    return gamma()\n', 'README.md': '# Demo\n' } });
    repo.write('src/c.ts', TS('gamma', "import { alpha } from './a.js';\nexport const d = alpha(2);\n"));
    repo.git('add', 'src/c.ts');
    repo.write('src/a.ts', TS('alpha', 'export const e = alpha(3);\n')); // modified in the work tree: its id is hashed
    expect(await refreshSummaries({ cwd: repo.dir, env: repo.env })).toMatchObject({ outlines: 4 });
    const map = await buildRepoMap({ cwd: repo.dir, env: repo.env, maxWorkers: 0 });
    expect(map.stats).toMatchObject({ files: 3, parsed: 0, cacheHits: 3 });
    // Outlining the same contents again adds nothing to the cache.
    const tagsDir = join(repo.dir, '.git', 'assist', 'tags');
    const packSizes = (): string[] => readdirSync(tagsDir).map((f) => `${f}:${statSync(join(tagsDir, f)).size}`).sort();
    const before = packSizes();
    expect(before).toHaveLength(2);
    expect(await refreshSummaries({ cwd: repo.dir, env: repo.env, all: true })).toMatchObject({ outlines: 4 });
    expect(packSizes()).toEqual(before);
    // The same map as from the map's own parse.
    rmSync(tagsDir, { recursive: true });
    for (const name of ['map-snapshot.bin', 'map-result.json', 'map-ranks.bin']) rmSync(join(repo.dir, '.git', 'assist', name), { force: true });
    const own = await buildRepoMap({ cwd: repo.dir, env: repo.env, maxWorkers: 0 });
    expect(own.stats).toMatchObject({ parsed: 3, cacheHits: 0 });
    expect(own.text).toBe(map.text);
    expect(map.text).toContain('alpha');
  });
});

describe('refreshSummaries with summaries.use_model', () => {
  let server: FakeLlmServer;
  beforeAll(async () => {
    server = await startFakeLlm();
  });
  afterAll(async () => {
    await server.close();
  });

  const modelEnv = (base: NodeJS.ProcessEnv, budget: number): NodeJS.ProcessEnv => ({
    ...base,
    ...server.env(),
    ASSIST_WEAK_MODEL: 'openai/fake-weak',
    ASSIST_SUMMARIES__USE_MODEL: 'true',
    ASSIST_SUMMARIES__MAX_TOKENS_PER_RUN: String(budget),
  });

  it('writes model summaries within the token budget, never sends .env or ignored files, and leaves the rest pending', async () => {
    const body = (n: string): string => TS(n, `// ${'padding '.repeat(180)}\n`);
    await using repo = tempRepo({
      files: { 'a.ts': body('a'), 'b.ts': body('b'), 'c.ts': body('c'), '.env': 'TOKEN=abc\n', '.env.example': 'TOKEN=\n', '.gitignore': 'secret.txt\n' },
    });
    repo.write('secret.txt', 'not tracked, ignored\n');
    server.reset();
    server.defaultReply = (req) => reply.text(`Summary of ${pathOf(req)}.\nExports a function.`);
    const budget = 2000;
    const env = modelEnv(repo.env, budget);
    const report = await refreshSummaries({ cwd: repo.dir, env });
    const sent = server.requests.map(pathOf);
    expect(sent).not.toContain('.env');
    expect(sent).not.toContain('secret.txt');
    expect(server.requests.every((r) => !r.rawBody.includes('TOKEN=abc'))).toBe(true);
    expect(report.models).toBe(server.requests.length);
    expect(report.models).toBeGreaterThan(0);
    expect(report.overBudget).toBeGreaterThan(0);
    expect(report.tokens).toBeLessThanOrEqual(budget);
    expect(report.skipped).toEqual(['.env']);

    const status = await summariesStatus(repo.dir, env);
    expect(status.mode).toBe('model');
    expect(status.pending).toBe(report.overBudget);
    const a = await showSummary(repo.dir, 'a.ts', env);
    // Whichever files got model summaries; a pending one is served by its outline meanwhile.
    expect(['model', 'outline']).toContain(a.kind);

    // Later runs finish the rest; the audit log has a line per file sent.
    for (let i = 0; i < 5 && (await summariesStatus(repo.dir, env)).pending > 0; i++) await refreshSummaries({ cwd: repo.dir, env });
    expect(await summariesStatus(repo.dir, env)).toMatchObject({ fresh: 5, pending: 0 });
    expect((await showSummary(repo.dir, 'c.ts', env)).text).toBe('Summary of c.ts.\nExports a function.');
    const audit = (await readFile(join(repo.dir, '.git', 'assist', 'audit.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { path: string; op: string });
    expect(audit.filter((e) => e.op === 'send').map((e) => e.path).sort()).toEqual(['.env.example', '.gitignore', 'a.ts', 'b.ts', 'c.ts']);
  });

  it('a provider failure leaves the file pending, and a later run retries it', async () => {
    await using repo = tempRepo({ files: { 'a.ts': TS('a') } });
    server.reset();
    server.defaultReply = undefined; // every request: 500
    const env = modelEnv(repo.env, 50_000);
    const report = await refreshSummaries({ cwd: repo.dir, env });
    expect(report.models).toBe(0);
    expect(report.failed.map((f) => f.path)).toEqual(['a.ts']);
    expect(await summariesStatus(repo.dir, env)).toMatchObject({ fresh: 0, pending: 1, failed: 1, notFresh: [{ path: 'a.ts', state: 'failed' }] });
    // The outline serves meanwhile.
    expect((await summariesFor(repo.dir, ['a.ts'], { env })).get('a.ts')).toMatchObject({ kind: 'outline', fresh: true });

    server.defaultReply = reply.text('Adds a number to nothing.');
    expect(await refreshSummaries({ cwd: repo.dir, env })).toMatchObject({ models: 1, failed: [] });
    expect(await summariesStatus(repo.dir, env)).toMatchObject({ fresh: 1, pending: 0, failed: 0 });
    expect((await summariesFor(repo.dir, ['a.ts'], { env })).get('a.ts')).toMatchObject({ kind: 'model', text: 'Adds a number to nothing.', model: 'openai/fake-weak' });
    expect(existsSync(join(repo.dir, '.git', 'assist', 'summaries', 'refresh.lock'))).toBe(false);
  });
});
