import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo, type TempRepo } from '../../test/helpers/git-repo.js';
import { resolveRepoPaths } from '../git/repo-paths.js';
import { buildHistory, encodeHistory, historyPath, historyRanking, HistoryIndex, readHistory, refreshHistory, type HistoryLimits } from './history.js';
import { describeHit, searchCode } from './search.js';

async function shared(repo: TempRepo): Promise<{ root: string; sharedAssistDir: string; env: NodeJS.ProcessEnv }> {
  const paths = await resolveRepoPaths(repo.dir, repo.env);
  return { root: paths.root, sharedAssistDir: paths.sharedAssistDir, env: repo.env };
}

// Many files, none of whose code says "flaky" or "quarantine"; one commit subject does.
function repoWithHistory(): TempRepo {
  const repo = tempRepo({
    files: {
      'src/pool/worker.ts': 'export function spawnWorker(id: number): number {\n  return id + 1;\n}\n',
      'src/pool/pool.ts': "import { spawnWorker } from './worker';\nexport function startPool(n: number): number[] {\n  return [...Array(n).keys()].map(spawnWorker);\n}\n",
      'src/report/summary.ts': 'export function summaryLine(passed: number, failed: number): string {\n  return `${passed} passed, ${failed} failed`;\n}\n',
      'src/cli.ts': "import { startPool } from './pool/pool';\nexport function main(): void {\n  startPool(4);\n}\n",
    },
  });
  repo.write('src/pool/worker.ts', 'export function spawnWorker(id: number): number {\n  return id + 2;\n}\n');
  repo.commitAll('fix(pool): quarantine flaky tests that crash the worker');
  repo.write('src/report/summary.ts', 'export function summaryLine(passed: number, failed: number): string {\n  return `${passed} ok, ${failed} failed`;\n}\n');
  repo.commitAll('feat(report): shorter summary line');
  return repo;
}

const ids = (h: HistoryIndex): string[] => h.ids()!;

describe('history index', () => {
  it('ranks a file whose past commit subject matches the request and whose code does not', async () => {
    await using repo = repoWithHistory();
    const p = await shared(repo);
    const refreshed = await refreshHistory(p);
    expect(refreshed.outcome).toBe('rebuilt');
    expect(historyRanking(refreshed.index!, 'quarantine flaky tests')[0]?.file).toBe('src/pool/worker.ts');
    // Through the search: the file comes with `history` in its why, and without the history it is not found.
    const withHistory = await searchCode({ cwd: repo.dir, env: repo.env, query: 'quarantine flaky tests', maxWorkers: 0 });
    const hit = withHistory.hits.find((h) => h.file === 'src/pool/worker.ts');
    expect(hit?.why.history).toBe(1);
    expect(hit?.why.lexical).toBeUndefined();
    expect(describeHit(hit!)).toContain('history #1');
    const without = await searchCode({ cwd: repo.dir, env: repo.env, query: 'quarantine flaky tests', maxWorkers: 0, history: false });
    expect(without.hits.map((h) => h.file)).not.toContain('src/pool/worker.ts');
  });

  it('builds itself on a search when none is stored, and a stale one is used as it is', async () => {
    await using repo = repoWithHistory();
    const p = await shared(repo);
    // The first search builds it: the trace shows the one `git log` (what the check below looks for).
    const first = join(repo.home, 'git-trace-first.txt');
    await searchCode({ cwd: repo.dir, env: { ...repo.env, GIT_TRACE: first }, query: 'summary line', maxWorkers: 0 });
    expect(readFileSync(first, 'utf8')).toMatch(/built-in: git (-c \S+ )*log\b/);
    const built = readHistory(p.sharedAssistDir)!;
    expect(built.head).toBe(repo.git('rev-parse', 'HEAD').trim());
    repo.write('src/cli.ts', 'export function main(): void {}\n');
    repo.commitAll('refactor(cli): drop the pool from main');
    // Every git command the search runs is traced: none reads the log.
    const trace = join(repo.home, 'git-trace.txt');
    await searchCode({ cwd: repo.dir, env: { ...repo.env, GIT_TRACE: trace }, query: 'summary line', maxWorkers: 0 });
    const commands = readFileSync(trace, 'utf8');
    expect(commands).toMatch(/built-in: git /);
    expect(commands).not.toMatch(/built-in: git (-c \S+ )*(log|rev-list|merge-base)\b/);
    // The search read the stored index and did not bring it to HEAD (the refresher does).
    expect(readHistory(p.sharedAssistDir)!.head).toBe(built.head);
  });

  it('extends the stored index with the commits since its head, without a rebuild', async () => {
    await using repo = repoWithHistory();
    const p = await shared(repo);
    const first = (await refreshHistory(p)).index!;
    expect(first.count).toBe(3);
    repo.write('src/cli.ts', 'export function main(): void {}\n');
    const added = repo.commitAll('refactor(cli): drop the pool from main');
    const second = await refreshHistory(p);
    expect(second.outcome).toBe('extended');
    expect(second.logged).toBe(1);
    expect(ids(second.index!)).toEqual([added, ...ids(first)]);
    expect(historyRanking(second.index!, 'drop pool main')[0]?.file).toBe('src/cli.ts');
    expect((await refreshHistory(p)).outcome).toBe('fresh');
  });

  it('follows a rename made after the stored head to the file at its new path', async () => {
    await using repo = repoWithHistory();
    const p = await shared(repo);
    await refreshHistory(p);
    repo.git('mv', 'src/pool/worker.ts', 'src/pool/child.ts');
    repo.commitAll('refactor: rename the worker module');
    const r = await refreshHistory(p);
    expect(r.outcome).toBe('extended');
    expect(historyRanking(r.index!, 'quarantine flaky')[0]?.file).toBe('src/pool/child.ts');
  });

  it('rebuilds after history is rewritten (amend, reset) and never holds a commit HEAD does not reach', async () => {
    await using repo = repoWithHistory();
    const p = await shared(repo);
    await refreshHistory(p);
    const amended = repo.git('rev-parse', 'HEAD').trim();
    repo.git('commit', '-q', '--amend', '-m', 'feat(report): a terser summary line');
    const afterAmend = await refreshHistory(p);
    expect(afterAmend.outcome).toBe('rebuilt');
    expect(ids(afterAmend.index!)).not.toContain(amended);
    expect(historyRanking(afterAmend.index!, 'terser')[0]?.file).toBe('src/report/summary.ts');
    const dropped = repo.git('rev-parse', 'HEAD').trim();
    repo.git('reset', '-q', '--hard', 'HEAD~1');
    const afterReset = await refreshHistory(p);
    expect(afterReset.outcome).toBe('rebuilt');
    expect(ids(afterReset.index!)).not.toContain(dropped);
    const reachable = repo.git('rev-list', 'HEAD').trim().split('\n');
    for (const id of ids(afterReset.index!)) expect(reachable).toContain(id);
  });

  it('rebuilds a corrupt, truncated or foreign-version file, and a search over one never throws', async () => {
    await using repo = repoWithHistory();
    const p = await shared(repo);
    await refreshHistory(p);
    const path = historyPath(p.sharedAssistDir);
    const good = readFileSync(path, 'utf8');
    // Truncated, another version, garbage, an id shortened (the sections no longer add up), the
    // commits' section damaged in place (found when it is parsed, not by the header).
    const damaged = [good.slice(0, good.length - 7), good.replace(/^assist-history\t\d+\t/, 'assist-history\t999\t'), 'garbage\n\0\0\0', good.replace(/\n[0-9a-f]{40}\n/, '\nxyz\n'), good.replace('\n[', '\n{')];
    expect(new Set(damaged).size).toBe(damaged.length);
    expect(damaged).not.toContain(good);
    for (const text of damaged) {
      writeFileSync(path, text);
      const read = readHistory(p.sharedAssistDir);
      expect(read === undefined || read.commits() === undefined).toBe(true);
      const r = await searchCode({ cwd: repo.dir, env: repo.env, query: 'quarantine flaky tests', maxWorkers: 0 });
      expect(r.hits.some((h) => h.file === 'src/pool/worker.ts' && h.why.history === 1)).toBe(true);
      expect(readFileSync(path, 'utf8')).toBe(good);
    }
    // Damage that the header does not show (a posting past the commits) is skipped, not thrown.
    const h = HistoryIndex.parse(good.replace(/\nflaky\t\[\d/, '\nflaky\t[9'));
    expect(h).toBeDefined();
    expect(historyRanking(h!, 'flaky')).toEqual([]);
  });

  it('leaves out commits that change more than the limit of source files, and keeps the newest', () => {
    const limits: HistoryLimits = { maxCommits: 2, maxFiles: 2 };
    const logged = [
      { id: 'c'.repeat(40), subject: 'newest', changes: [['M', 'a.ts']] },
      { id: 'b'.repeat(40), subject: 'wide refactor', changes: [['M', 'a.ts'], ['M', 'b.ts'], ['M', 'c.ts']] },
      { id: 'a'.repeat(40), subject: 'docs only', changes: [['M', 'README.md']] },
      { id: '9'.repeat(40), subject: 'middle', changes: [['M', 'b.ts']] },
      { id: '8'.repeat(40), subject: 'oldest', changes: [['M', 'c.ts']] },
    ];
    const data = buildHistory('f'.repeat(40), logged, limits);
    expect(data.commits.map((c) => c.id)).toEqual(['c'.repeat(40), '9'.repeat(40)]);
    const h = HistoryIndex.parse(encodeHistory(data))!;
    expect(h.data()).toEqual({ ...data, commits: data.commits.map((c) => ({ ...c, terms: [...c.terms].sort() })) });
  });
});
