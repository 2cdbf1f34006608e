import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { makeEntries, MIN_FILES_FOR_INDEX_WORKER, startIndexWorker, type IndexJob } from './index-pool.js';
import { encodeEntry, makeEntry } from './search-pack.js';
import { openIndex, searchSnapshotPath } from './search-index.js';
import type { CachedDef } from './types.js';

const projectRoot = join(import.meta.dirname, '..', '..');
let outDir: string;
let workerUrl: URL;
let brokenUrl: URL;

// Tests run from .ts sources, where no compiled worker exists: bundle it as `npm run build` does.
beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'assist-index-worker-'));
  symlinkSync(join(projectRoot, 'node_modules'), join(outDir, 'node_modules'));
  await build({
    absWorkingDir: projectRoot,
    entryPoints: [join(projectRoot, 'src', 'context', 'index-worker.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: join(outDir, 'index-worker.js'),
    external: ['web-tree-sitter'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'error',
  });
  workerUrl = pathToFileURL(join(outDir, 'index-worker.js'));
  // A worker that dies on its first message: its files must be made on the calling thread.
  writeFileSync(join(outDir, 'broken-worker.mjs'), "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => { throw new Error('boom'); });\n");
  brokenUrl = pathToFileURL(join(outDir, 'broken-worker.mjs'));
}, 60_000);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

function fileText(k: number): { text: string; defs: CachedDef[] } {
  const body = Array.from({ length: 8 + (k % 5) }, (_, m) => `    total += stepOf${(k + m) % 11}(value, 'retry ${m} backoff'); // café ${k}`);
  const lines = [`export class Reporter${k % 9}Summary {`, `  render${k}(value: number): number {`, '    let total = 0;', ...body, '    return total;', '  }', '}', '', `export function helper${k}(n: number): number {`, `  return n + ${k};`, '}'];
  const end = 6 + body.length;
  return {
    text: `${lines.join('\n')}\n`,
    defs: [
      { name: `Reporter${k % 9}Summary`, kind: 'class', line: 1, endLine: end, scope: -1, signature: lines[0]! },
      { name: `render${k}`, kind: 'method', line: 2, endLine: end - 1, scope: 0, signature: lines[1]! },
      { name: `helper${k}`, kind: 'function', line: end + 2, endLine: end + 4, scope: -1, signature: lines[end + 1]! },
    ],
  };
}

// A second thread is started only where there are two cores.
describe.skipIf(availableParallelism() < 2)('index pool', () => {
  it('makes the same entries on a second thread as on this one, in job order, and this thread takes them back from a worker that fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'assist-index-jobs-'));
    try {
      const jobs: IndexJob[] = [];
      const expected: (string | undefined)[] = [];
      for (let k = 0; k < 240; k++) {
        const { text, defs } = fileText(k);
        const absPath = join(dir, `f${k}.ts`);
        // Every 50th file is missing: unreadable, as a file deleted since it was listed.
        if (k % 50 !== 7) writeFileSync(absPath, text);
        jobs.push({ absPath, defs });
        expected.push(k % 50 === 7 ? undefined : encodeEntry(makeEntry(text, defs)));
      }
      const bytes = jobs.map((_, k) => 100 + k);
      const alone = await makeEntries(jobs, bytes, undefined);
      const worker = startIndexWorker(jobs.length, { workerUrl, cores: 4, load: 0 });
      expect(worker).toBeDefined();
      const paired = await makeEntries(jobs, bytes, worker);
      const broken = await makeEntries(jobs, bytes, startIndexWorker(jobs.length, { workerUrl: brokenUrl, cores: 4, load: 0 }));
      expect([alone.byWorker, broken.byWorker]).toEqual([0, 0]);
      expect(paired.byWorker).toBeGreaterThan(60);
      expect(paired.byWorker).toBeLessThan(180);
      for (const { made } of [alone, paired, broken]) {
        expect(made.map((m) => (m === undefined ? undefined : encodeEntry(m.entry)))).toEqual(expected);
        expect(made.map((m) => (m === undefined ? undefined : Buffer.from(m.bytes).toString('latin1')))).toEqual(expected);
      }
      // The worker's share is made with its own dictionary: the split really happened.
      expect(new Set(paired.made.filter((m) => m !== undefined).map((m) => m.entry.terms)).size).toBe(2);
      expect(new Set(broken.made.filter((m) => m !== undefined).map((m) => m.entry.terms)).size).toBe(1);
      // Too few files, no thread to spare (the refresher asks for one), no whole core free (2
      // cores, or a load average of the cores less one): no worker.
      expect(startIndexWorker(MIN_FILES_FOR_INDEX_WORKER - 1, { workerUrl, cores: 4, load: 0 })).toBeUndefined();
      expect(startIndexWorker(jobs.length, { workerUrl, maxWorkers: 1, cores: 4, load: 0 })).toBeUndefined();
      expect(startIndexWorker(jobs.length, { workerUrl, cores: 2, load: 0, env: {} })).toBeUndefined();
      expect(startIndexWorker(jobs.length, { workerUrl, cores: 4, load: 3, env: {} })).toBeUndefined();
      // ASSIST_INDEX_WORKER=1 starts it whatever the load and on 2 cores; =0 never.
      const forced = startIndexWorker(jobs.length, { workerUrl, cores: 2, load: 5, env: { ASSIST_INDEX_WORKER: '1' } });
      expect(forced).toBeDefined();
      await forced!.terminate();
      expect(startIndexWorker(jobs.length, { workerUrl, cores: 4, load: 0, env: { ASSIST_INDEX_WORKER: '0' } })).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('builds a byte-identical index with the worker and without', async () => {
    const files: Record<string, string> = {};
    for (let k = 0; k < MIN_FILES_FOR_INDEX_WORKER + 20; k++) files[`src/part${k % 6}/reporter-${k}.ts`] = fileText(k).text;
    await using repo = tempRepo({ files });
    const snapshot = searchSnapshotPath(join(repo.dir, '.git', 'assist'));
    const search = join(repo.dir, '.git', 'assist', 'search');
    // The tags are parsed first (as `assist map` would), then the index is built twice from them.
    await openIndex({ cwd: repo.dir, env: repo.env, maxWorkers: 0 });
    const built: Buffer[] = [];
    const packs: string[][] = [];
    for (const url of [undefined, workerUrl]) {
      rmSync(search, { recursive: true, force: true });
      mkdirSync(search);
      // ASSIST_INDEX_WORKER=1: started whatever the machine's cores and load.
      const opened = await openIndex({ cwd: repo.dir, ...(url ? { indexWorkerUrl: url, env: { ...repo.env, ASSIST_INDEX_WORKER: '1' } } : { env: repo.env, maxWorkers: 0 }) });
      expect(opened.stats.indexed).toBe(Object.keys(files).length);
      expect(opened.stats.parsed).toBe(0);
      // With the worker, about half of the files are its; without, none.
      expect((opened.stats.byWorker ?? 0) > 50).toBe(url !== undefined);
      built.push(readFileSync(snapshot));
      packs.push(readdirSync(search).filter((name) => name.endsWith('.jsonl')).map((name) => `${name}\n${readFileSync(join(search, name), 'utf8')}`));
    }
    // The same bytes but each snapshot's generation (a random id a delta names its base by, search-delta.ts).
    const generation = /"gen":"[0-9a-f]{16}"/;
    expect(built.map((b) => generation.test(b.toString('latin1')))).toEqual([true, true]);
    expect(built[1]!.toString('latin1').replace(generation, '')).toBe(built[0]!.toString('latin1').replace(generation, ''));
    expect(packs[0]!.length).toBeGreaterThan(0);
    expect(packs[1]).toEqual(packs[0]);
  }, 120_000);
});
