import { appendFileSync, existsSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyTempRepo, tempRepo, type TempRepo } from '../../test/helpers/git-repo.js';
import { resolveRepoPaths } from '../git/repo-paths.js';
import { queryTerms, scoreChunks } from './bm25.js';
import { deltaPathOf } from './search-delta.js';
import { openIndex, refreshSearchIndex, searchSnapshotPath } from './search-index.js';
import { encodeSearchSnapshot, readSearchSnapshot } from './search-snapshot.js';
import { searchCode } from './search.js';

const words = ['retry', 'backoff', 'cache', 'session', 'token', 'reporter', 'summary', 'header', 'parse', 'config', 'worker', 'queue', 'render', 'branch', 'commit', 'diff'];

/** 200 small files (a delta is for at most 1% of the files changed), calling each other. */
function fixture(): Record<string, string> {
  let seed = 11;
  const rand = (n: number): number => (seed = (seed * 1103515245 + 12345) >>> 0) % n;
  const files: Record<string, string> = {};
  for (let i = 0; i < 200; i++) {
    const a = words[rand(words.length)]!;
    const b = words[rand(words.length)]!;
    const name = `${a}${b[0]!.toUpperCase()}${b.slice(1)}${i}`;
    files[`src/${words[i % words.length]}/m${String(i).padStart(3, '0')}.ts`] = [
      `import { helper${rand(200)} } from './h';`,
      `/** Keeps the ${a} of a ${b} until the ${words[rand(words.length)]} ends. */`,
      `export function ${name}(input: string): number {`,
      `  return helper${rand(200)}(input.length) + ${words[rand(words.length)]}Step(${i});`,
      '}',
      '',
    ].join('\n');
  }
  return files;
}

const queries = ['retry with backoff', 'reporter summary header', 'parse the config', 'session token cache', 'worker queue', 'brandnew retry header'];

async function ranking(dir: string, env: NodeJS.ProcessEnv, delta = true): Promise<unknown> {
  const out: Record<string, unknown> = {};
  for (const query of queries) {
    const r = await searchCode({ cwd: dir, env, query, k: 6, maxWorkers: 0, withText: false, delta, tuning: { history: 0 } });
    out[query] = { hits: r.hits, files: r.files };
  }
  return out;
}

/** Per query, every chunk's BM25 score (by file and line) and the terms found. */
async function lexical(repo: TempRepo): Promise<unknown> {
  const { snapshot: s } = await openIndex({ cwd: repo.dir, env: repo.env, maxWorkers: 0 });
  return queries.map((q) => {
    const found = queryTerms(s, q);
    const { scores } = scoreChunks(s, found);
    return [found.map((f) => `${f.term}:${f.id}`), [...scores].flatMap((v, c) => (v > 0 ? [`${s.paths[s.chunkFile[c]!]}:${s.chunkStart[c]} ${v}`] : []))];
  });
}

async function indexFiles(repo: TempRepo): Promise<{ snapshot: string; delta: string }> {
  const snapshot = searchSnapshotPath((await resolveRepoPaths(repo.dir, repo.env)).sharedAssistDir);
  return { snapshot, delta: deltaPathOf(snapshot) };
}

/** The work tree of `from` (its source files) written over `to`'s, files `from` lacks removed. */
function mirror(from: TempRepo, to: TempRepo, paths: readonly string[]): void {
  for (const path of paths) {
    if (existsSync(join(from.dir, path))) writeFileSync(join(to.dir, path), readFileSync(join(from.dir, path)));
    else rmSync(join(to.dir, path), { force: true });
  }
}

describe('search index delta in a repository', () => {
  it('ranks after changes as the full update of its snapshot does, writes the delta alone, and is folded into a new snapshot', async () => {
    const files = fixture();
    const paths = Object.keys(files);
    await using repo = tempRepo({ files });
    await ranking(repo.dir, repo.env);
    // The full snapshot as built: every later reference starts from a copy of it.
    await using pristine = copyTempRepo(repo);
    const { snapshot, delta } = await indexFiles(repo);
    const baseBytes = readFileSync(snapshot);
    const touched = new Set<string>();
    const step = async (label: string, change: () => void): Promise<void> => {
      change();
      const got = await ranking(repo.dir, repo.env);
      expect(existsSync(delta), label).toBe(true);
      expect(readFileSync(snapshot).equals(baseBytes), label).toBe(true);
      // The reference: the base's copy with the same work tree, brought up to date by the full update.
      await using ref = copyTempRepo(pristine);
      mirror(repo, ref, [...touched]);
      expect(got, label).toEqual(await ranking(ref.dir, ref.env, false));
      // A search with nothing changed since reads the same from the delta, writing nothing.
      const warm = await openIndex({ cwd: repo.dir, env: repo.env, maxWorkers: 0 });
      expect(warm.stats.written, label).toBe(false);
      expect(await ranking(repo.dir, repo.env), label).toEqual(got);
    };
    const a = paths[70]!;
    touched.add(a);
    await step('one changed file', () => appendFileSync(join(repo.dir, a), '\nexport function brandnewRetryHeader(): number {\n  return 1; // brandnew words\n}\n'));
    await step('the same file changed again', () => appendFileSync(join(repo.dir, a), '\nexport function secondBackoff(): string {\n  return "reporter";\n}\n'));
    const b = paths[120]!;
    touched.add(b);
    await step('a file deleted', () => rmSync(join(repo.dir, b)));
    // A new file whose path sorts between two base files.
    const c = `${paths[30]!.slice(0, -3)}a.ts`;
    expect(c > paths[30]! && c < paths[31]!).toBe(true);
    touched.add(c);
    await step('a file added between two base files', () => writeFileSync(join(repo.dir, c), 'export function brandnewSessionToken(): string {\n  return "cache header";\n}\n'));

    // Committed: found again by git's listing output, its stamp written into the delta alone.
    repo.git('add', '-A');
    repo.git('commit', '-q', '-m', 'changes');
    const committed = await ranking(repo.dir, repo.env);
    expect((await openIndex({ cwd: repo.dir, env: repo.env, maxWorkers: 0 })).stats).toMatchObject({ listingSkipped: true, written: false });
    expect(readFileSync(snapshot).equals(baseBytes)).toBe(true);
    expect(existsSync(delta)).toBe(true);

    // A damaged delta is ignored and replaced by a new snapshot; the results are the same.
    const good = readFileSync(delta);
    truncateSync(delta, Math.floor(good.length / 2));
    expect(await ranking(repo.dir, repo.env)).toEqual(committed);
    expect(existsSync(delta)).toBe(false);
    expect(readFileSync(snapshot).equals(baseBytes)).toBe(false);
    // A delta of the former snapshot (as a kill between the new snapshot's rename and the delta's
    // removal leaves it) is ignored, then removed.
    const renewed = readFileSync(snapshot);
    writeFileSync(delta, good);
    expect(await ranking(repo.dir, repo.env)).toEqual(committed);
    expect(existsSync(delta)).toBe(false);
    expect(readFileSync(snapshot).equals(renewed)).toBe(false);

    // A change, then the hooks' background refresher: the delta folded into a new snapshot (its
    // graph ranked again), the lexical scores of every chunk the same to the bit.
    appendFileSync(join(repo.dir, paths[5]!), '\nexport const REFRESHED_CACHE = 1;\n');
    await ranking(repo.dir, repo.env);
    expect(existsSync(delta)).toBe(true);
    const before = await lexical(repo);
    await refreshSearchIndex({ root: repo.dir }, [paths[5]!], repo.env);
    expect(existsSync(delta)).toBe(false);
    expect((await openIndex({ cwd: repo.dir, env: repo.env, maxWorkers: 0 })).stats.written).toBe(false);
    expect(await lexical(repo)).toEqual(before);
  });

  it('past the delta\'s threshold writes exactly the snapshot of the full update from the base', async () => {
    const files = fixture();
    const paths = Object.keys(files);
    await using repo = tempRepo({ files });
    await ranking(repo.dir, repo.env);
    appendFileSync(join(repo.dir, paths[3]!), '\nexport const BRANDNEW_HEADER = 2;\n');
    await ranking(repo.dir, repo.env);
    const { snapshot, delta } = await indexFiles(repo);
    expect(existsSync(delta)).toBe(true);
    // The reference: the same base without its delta, updated in full to the same work tree.
    await using ref = copyTempRepo(repo);
    rmSync((await indexFiles(ref)).delta);
    // Five changed files: past 1% of 200, so the full update (the delta's compaction).
    for (const k of [10, 50, 90, 130, 170]) for (const r of [repo, ref]) appendFileSync(join(r.dir, paths[k]!), `\nexport const COMPACT_${k} = ${k};\n`);
    const got = await ranking(repo.dir, repo.env);
    expect(existsSync(delta)).toBe(false);
    expect(got).toEqual(await ranking(ref.dir, ref.env, false));
    const [mine, theirs] = await Promise.all([readSearchSnapshot(snapshot), readSearchSnapshot((await indexFiles(ref)).snapshot)]);
    expect(mine!.generation).not.toBe(theirs!.generation);
    mine!.generation = theirs!.generation;
    expect(encodeSearchSnapshot(mine!).equals(encodeSearchSnapshot(theirs!))).toBe(true);
  });
});
