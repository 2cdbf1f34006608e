import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EMBEDDING_MODEL, useFakeEmbeddings } from '../../test/helpers/fake-embeddings.js';
import { tempRepo, type TempRepo } from '../../test/helpers/git-repo.js';
import { resolveRepoPaths } from '../git/repo-paths.js';
import { openIndex } from './search-index.js';
import { refreshVectorsInBackground } from './vector-config.js';
import { vectorsDir } from './vector-store.js';
import { calibrationQueries, chooseWeight, cleanSubject, loadCalibration, recallAt10, VECTOR_WEIGHT_GRID, type CalibrationQuery, type RankFiles } from './vector-weight.js';
import type { VectorTable } from './vectors.js';

// Sixteen modules; the commits' subjects share no word with the code, so the lexical index cannot
// find their files, and only vectors that carry signal can.
const N = 16;
const SUBJECTS = ['amber falcon', 'brisk meadow', 'coral lantern', 'dusty orchard', 'ember violin', 'frosty harbor', 'golden thistle', 'hollow quartz', 'ivory canyon', 'jade compass', 'kelp tundra', 'lunar saddle', 'misty anvil', 'noble prairie', 'opal glacier', 'plush ravine'];
const fileOf = (i: number): string => `src/part${String.fromCharCode(97 + i)}.ts`;
const code = (i: number, rev = 0): string => `export function compute${String.fromCharCode(65 + i)}(x: number): number {\n  return x + ${i * 10 + rev};\n}\n`;

/** A repository whose history has a commit per module (`feat: <subject>`), then one more (HEAD). */
function historyRepo(): TempRepo {
  const repo = tempRepo({ files: Object.fromEntries(Array.from({ length: N }, (_, i) => [fileOf(i), code(i)])) });
  for (let i = 0; i < 14; i++) {
    repo.write(fileOf(i), code(i, 1));
    repo.commitAll(`feat: ${SUBJECTS[i]} (#${100 + i})`);
  }
  repo.write('README.md', 'the end\n');
  repo.commitAll('docs: readme');
  return repo;
}

/** Vectors that know the answer: a chunk of module i and the subject of module i share direction i. */
function informative(text: string, dim: number): number[] | undefined {
  const v = new Array<number>(dim).fill(0);
  for (let i = 0; i < N; i++) {
    if (text.startsWith(`${fileOf(i)}\n`) || text === SUBJECTS[i]) {
      v[i] = 1;
      return v;
    }
  }
  return undefined;
}

describe('choosing the vector weight', () => {
  const table = { dim: 1, qnorm: new Float32Array(0) } as unknown as VectorTable;
  const others = Array.from({ length: 10 }, (_, i) => `o${i}.ts`);
  /** `count` queries, query i answered by `a<i>.ts`. */
  const asked = (count: number): CalibrationQuery[] => Array.from({ length: count }, (_, i) => ({ commit: `c${i}`, query: `q${i}`, answer: [`a${i}.ts`] }));
  const vectorsOf = (queries: readonly CalibrationQuery[]): Float32Array[] => queries.map(() => new Float32Array(1));
  /** A ranking where query i finds its answer at weight w when `finds(i, w)`, else ten other files first. */
  const ranking = (finds: (i: number, w: number) => boolean): RankFiles => (q, w) => (finds(Number(q.slice(1)), w) ? [`a${q.slice(1)}.ts`, ...others] : [...others, `a${q.slice(1)}.ts`]);

  it('vectors that cost recall, or change nothing, weigh 0', () => {
    const queries = asked(2);
    const hurt = chooseWeight(queries, vectorsOf(queries), table, ranking((_i, w) => w === 0));
    expect(hurt.weight).toBe(0);
    expect(hurt.recall).toEqual([{ weight: 0, recall: 1 }, ...VECTOR_WEIGHT_GRID.slice(1).map((weight) => ({ weight, recall: 0, se: 0 }))]);
    // The same files at every weight: nothing measured for the vectors.
    expect(chooseWeight(queries, vectorsOf(queries), table, ranking(() => true)).weight).toBe(0);
  });

  it('a weight counts when its gain over 0 is two standard errors, the best of those wins, ties to the larger', () => {
    const twenty = asked(20);
    // Every query found at 0.25 only: the same gain for all, no error.
    expect(chooseWeight(twenty, vectorsOf(twenty), table, ranking((_i, w) => w === 0.25))).toMatchObject({ weight: 0.25 });
    // Found at 0.5 and at 1 alike: the larger weight.
    expect(chooseWeight(twenty, vectorsOf(twenty), table, ranking((_i, w) => w >= 0.5)).weight).toBe(1);

    const fifty = asked(50);
    // A lucky few: 6 of 50 queries gain at 0.25 and 2 lose (+8 points, 1.4 standard errors): not the model's worth.
    const lucky = chooseWeight(fifty, vectorsOf(fifty), table, ranking((i, w) => (w === 0.25 ? i < 6 || (i >= 8 && i < 20) : i >= 6 && i < 20)));
    expect(lucky.recall[1]).toMatchObject({ weight: 0.25, recall: 0.36 });
    expect(lucky.recall[0]!.recall).toBe(0.28);
    expect(lucky.weight).toBe(0);
    // 20 gain and 2 lose (+36 points, 4.5 standard errors): the vectors count.
    const real = chooseWeight(fifty, vectorsOf(fifty), table, ranking((i, w) => (w === 0.25 ? i < 20 || (i >= 22 && i < 30) : i >= 20 && i < 30)));
    expect(real.recall.slice(0, 2).map((r) => r.recall)).toEqual([0.2, 0.56]);
    expect(real.weight).toBe(0.25);
    // The best mean that is not measured does not hide a lower one that is.
    // (0.25: 6 gain, none lose, 2.6 standard errors; 1: 11 gain and 4 lose, 1.9.)
    const both = chooseWeight(fifty, vectorsOf(fifty), table, ranking((i, w) => (w === 0.25 ? i < 16 : w === 1 ? i >= 4 && i < 21 : i < 10)));
    expect(both.recall.map((r) => r.recall)).toEqual([0.2, 0.32, 0.2, 0.34]);
    expect(both.weight).toBe(0.25);
  });

  it('recall@10 counts distinct files; subjects lose their type and PR numbers', () => {
    expect(recallAt10(['a', 'a', ...Array.from({ length: 9 }, (_, i) => `f${i}`), 'b'], ['a', 'b'])).toBe(0.5);
    expect(cleanSubject('fix(runner): keep the order of hooks (#1234)')).toBe('keep the order of hooks');
    expect(cleanSubject('feat!: new reporter #77')).toBe('new reporter');
  });
});

describe('vector weight calibrated on the repository history (fake embeddings server, real SDKs, real git)', () => {
  const fake = useFakeEmbeddings(32);
  const MODEL = EMBEDDING_MODEL;
  const search = fake.search;

  it('the queries are the commits before HEAD that changed indexed files, subjects cleaned', async () => {
    await using repo = historyRepo();
    const index = await openIndex({ cwd: repo.dir, env: repo.env, maxWorkers: 0 });
    const { commit, queries } = await calibrationQueries(index, 50, repo.env);
    expect(commit).toBe(repo.git('rev-parse', 'HEAD').trim());
    // HEAD itself (docs) is not asked; newest first; the answer is the changed file.
    expect(queries.map((q) => q.query)).toEqual(SUBJECTS.slice(0, 14).reverse());
    expect(queries[0]).toMatchObject({ answer: [fileOf(13)] });
    expect((await calibrationQueries(index, 3, repo.env)).queries).toHaveLength(3);
  });

  it('vectors that carry signal get a nonzero weight: calibrated once, stored, used by the next searches', async () => {
    fake.server.embeddingVector = informative;
    await using repo = historyRepo();
    const first = await search(repo, SUBJECTS[15]!);
    expect(first.vectors).toMatchObject({ used: true, weightSource: 'calibrated' });
    expect(first.vectors!.weight).toBeGreaterThan(0);
    const c = first.vectors!.calibration!;
    expect(c.queries).toBe(14);
    expect(c.commit).toBe(repo.git('rev-parse', 'HEAD').trim());
    // Lexically the subjects find nothing of their files; with the vectors every one is found.
    expect(c.recall.find((r) => r.weight === 0)!.recall).toBeLessThan(1);
    expect(c.recall.find((r) => r.weight === c.weight)!.recall).toBe(1);
    // The query of this search (module p, never committed) is found by its vector.
    expect(first.hits[0]!.file).toBe(fileOf(15));
    // The calibration's queries went in one request, after the files, and are one audit line.
    const batches = fake.server.embeddingRequests.map((r) => r.embedInputs!);
    expect(batches.find((b) => b.includes(SUBJECTS[0]!))!.slice().sort()).toEqual(SUBJECTS.slice(0, 14).slice().sort());
    const { sharedAssistDir } = await resolveRepoPaths(repo.dir, repo.env);
    const audit = readFileSync(join(sharedAssistDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { path: string; reason: string });
    expect(audit.filter((l) => l.reason.includes('vector weight calibration'))).toEqual([expect.objectContaining({ path: '.', reason: `embedding by ${MODEL}: 14 commit subjects (vector weight calibration)` })]);

    fake.server.reset();
    const again = await search(repo, SUBJECTS[14]!);
    expect(again.vectors).toMatchObject({ weightSource: 'calibrated', weight: c.weight });
    expect(fake.server.embeddingRequests.flatMap((r) => r.embedInputs!)).toEqual([SUBJECTS[14]]);

    // A weight fixed by hand (context.vector_weight) wins and calibrates nothing.
    const fixed = await search(repo, 'lunar saddle', { weight: 0 });
    expect(fixed.vectors).toMatchObject({ weight: 0, weightSource: 'config' });
    expect(fixed.hits[0]?.why.vector).toBeUndefined();

    // Another model: its own folder, calibrated again.
    fake.server.reset();
    const other = await search(repo, 'misty anvil', { model: 'openai/text-embedding-3-large' });
    expect(other.vectors).toMatchObject({ weightSource: 'calibrated', model: 'openai/text-embedding-3-large' });
    expect(fake.server.embeddingRequests.some((r) => r.embedInputs!.includes(SUBJECTS[0]!))).toBe(true);
    const index = await openIndex({ cwd: repo.dir, env: repo.env, maxWorkers: 0 });
    expect((await loadCalibration(index, 'openai/text-embedding-3-large'))?.model).toBe('openai/text-embedding-3-large');
  });

  it('not calibrated while the vectors cover too little, nor with too little history; the background refresh calibrates', async () => {
    fake.server.embeddingVector = informative;
    await using repo = historyRepo();
    // A budget too small to embed the files: no calibration, the default weight.
    const partial = await search(repo, 'amber falcon', { budget: 30 });
    expect(partial.vectors).toMatchObject({ weightSource: 'default', weight: 1 });
    const { sharedAssistDir } = await resolveRepoPaths(repo.dir, repo.env);
    expect(existsSync(join(vectorsDir(sharedAssistDir, MODEL), 'weight.json'))).toBe(false);
    const env = { ...fake.env(repo), ASSIST_CONTEXT__EMBEDDINGS: 'true', ASSIST_CONTEXT__EMBEDDING_MODEL: MODEL };
    await refreshVectorsInBackground({ root: repo.dir }, [], env);
    const index = await openIndex({ cwd: repo.dir, env: repo.env, maxWorkers: 0 });
    expect((await loadCalibration(index, MODEL))?.weight).toBeGreaterThan(0);

    await using young = tempRepo({ files: { 'src/a.ts': code(0), 'src/b.ts': code(1) } });
    young.write('src/a.ts', code(0, 1));
    young.commitAll('feat: amber falcon');
    const r = await search(young, 'amber falcon');
    expect(r.vectors).toMatchObject({ used: true, weightSource: 'default', weight: 1 });
  });
});
