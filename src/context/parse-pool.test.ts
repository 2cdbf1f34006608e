import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { languageForPath } from './languages.js';
import { batchesOf, parseFiles, planBatches, startParseWorkers, type ParseJob } from './parse-pool.js';
import { decodeTags } from './tags-line.js';

const projectRoot = join(import.meta.dirname, '..', '..');
const fixtures = join(projectRoot, 'fixtures', 'map');
let outDir: string;
let workerUrl: URL;

// Tests run from .ts sources, where no compiled worker exists: compile the worker (and
// what it imports) the way `npm run build` does, into a temp dir.
beforeAll(() => {
  outDir = mkdtempSync(join(tmpdir(), 'assist-worker-'));
  execFileSync(
    process.execPath,
    [
      join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'),
      '--outDir', join(outDir, 'out'),
      '--rootDir', join(projectRoot, 'src'),
      '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022',
      '--skipLibCheck', '--types', 'node', '--strict',
      join(projectRoot, 'src', 'context', 'tag-worker.ts'),
    ],
    { stdio: 'pipe' },
  );
  writeFileSync(join(outDir, 'package.json'), '{"type":"module"}');
  symlinkSync(join(projectRoot, 'node_modules'), join(outDir, 'node_modules'));
  workerUrl = pathToFileURL(join(outDir, 'out', 'context', 'tag-worker.js'));
}, 60_000);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

function jobs(copies: number): ParseJob[] {
  const list: ParseJob[] = [];
  for (let i = 0; i < copies; i++) {
    for (const name of readdirSync(fixtures)) list.push({ lang: languageForPath(name)!.id, absPath: join(fixtures, name) });
  }
  return list;
}

describe('parseFiles', () => {
  it('parses in worker threads with the same results as on this thread, in job order', async () => {
    const work = jobs(3);
    const progress: number[] = [];
    const pooled = await parseFiles(work, { limits: { maxFileBytes: 1 << 20 }, workerUrl, maxWorkers: 2, onProgress: (done) => progress.push(done) });
    expect(pooled.workers).toBe(2);
    const local = await parseFiles(work, { limits: { maxFileBytes: 1 << 20 }, maxWorkers: 0 });
    expect(local.workers).toBe(0);
    expect(pooled.lines).toEqual(local.lines);
    expect(decodeTags(pooled.lines[0]!)!.defs().length).toBeGreaterThan(0);
    expect(progress[progress.length - 1]).toBe(work.length);
  });

  it('parses few files on this thread: a worker would cost more than it saves', async () => {
    const outcome = await parseFiles(jobs(1).slice(0, 3), { limits: { maxFileBytes: 1 << 20 }, workerUrl });
    expect(outcome.workers).toBe(0);
    expect(outcome.lines).toHaveLength(3);
  });

  it('uses workers started ahead of the listing, and ends those it does not need', async () => {
    const work = jobs(3);
    const local = await parseFiles(work, { limits: { maxFileBytes: 1 << 20 }, maxWorkers: 0 });
    const started = startParseWorkers({ maxFileBytes: 1 << 20 }, { workerUrl, maxWorkers: 4 })!;
    expect(started.workers).toHaveLength(4);
    const exits = started.workers.map((w) => new Promise<void>((resolve) => w.once('exit', () => resolve())));
    // 42 files make at least 3 batches: the pool keeps 3 of the 4 workers and ends the fourth.
    const pooled = await parseFiles(work, { limits: { maxFileBytes: 1 << 20 }, started, workerUrl });
    expect(pooled.workers).toBe(3);
    expect(pooled.lines).toEqual(local.lines);
    await Promise.all(exits); // every started worker has ended, used or not

    const unneeded = startParseWorkers({ maxFileBytes: 1 << 20 }, { workerUrl, maxWorkers: 2 })!;
    const unneededExits = unneeded.workers.map((w) => new Promise<void>((resolve) => w.once('exit', () => resolve())));
    const few = await parseFiles(work.slice(0, 3), { limits: { maxFileBytes: 1 << 20 }, started: unneeded, workerUrl });
    expect(few.workers).toBe(0); // few files: parsed on this thread, the started workers ended
    expect(few.lines).toEqual(local.lines.slice(0, 3));
    await Promise.all(unneededExits);
  });

  it('fails the parse when a worker started ahead died before it was used', async () => {
    const broken = join(outDir, 'broken-worker.mjs');
    writeFileSync(broken, 'throw new Error("boot failed");\n');
    const started = startParseWorkers({ maxFileBytes: 1 << 20 }, { workerUrl: pathToFileURL(broken), maxWorkers: 2 })!;
    await new Promise<void>((resolve) => started.workers[0]!.once('exit', () => resolve()));
    await expect(parseFiles(jobs(3), { limits: { maxFileBytes: 1 << 20 }, started, workerUrl })).rejects.toThrow('boot failed');
  });

  it('starts no workers without a compiled worker script', () => {
    expect(startParseWorkers({ maxFileBytes: 1 << 20 }, { workerUrl: pathToFileURL(join(outDir, 'none.js')) })).toBeUndefined();
    expect(startParseWorkers({ maxFileBytes: 1 << 20 }, { workerUrl, maxWorkers: 0 })).toBeUndefined();
  });

  it('reports unreadable files instead of failing', async () => {
    const outcome = await parseFiles([{ lang: 'typescript', absPath: join(outDir, 'missing.ts') }], { limits: { maxFileBytes: 1 << 20 } });
    expect(decodeTags(outcome.lines[0]!)!.skipped).toBe('unreadable');
  });
});

describe('planBatches', () => {
  it('sends a rare language in one batch first, then the rest in order within byte and count limits', () => {
    const work: ParseJob[] = [];
    const sizes: number[] = [];
    const add = (lang: ParseJob['lang'], size: number): void => {
      work.push({ lang, absPath: `/f${work.length}` });
      sizes.push(size);
    };
    for (let i = 0; i < 20; i++) add('typescript', 1000 + i); // 20 small TypeScript files
    add('python', 10);
    add('python', 20);
    add('javascript', 900_000); // one large JavaScript file among many TypeScript ones
    for (let i = 0; i < 16; i++) add('javascript', 100);
    add('typescript', 70_000);
    const plan = planBatches(work, sizes);
    expect(plan[0]).toEqual([20, 21]); // python: few files, one batch, first
    expect(plan[1]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]); // at most 16 files
    expect(plan[2]).toEqual([16, 17, 18, 19, 22]); // ends at the large file: over the byte limit
    // The last 256 KB (files 23-39: 71.6 KB; file 22 would pass it) in batches of at most 4 files or 8 KB.
    expect(plan.slice(3)).toEqual([[23, 24, 25, 26], [27, 28, 29, 30], [31, 32, 33, 34], [35, 36, 37, 38], [39]]);
    expect(plan.flat().sort((a, b) => a - b)).toEqual(work.map((_, i) => i));
    expect(plan.every((batch) => batch.length <= 16)).toBe(true);
  });

  it('ends a long parse in small batches (the last 256 KB), so no worker is left with two full batches', () => {
    const work: ParseJob[] = [];
    const sizes: number[] = [];
    for (let i = 0; i < 400; i++) {
      work.push({ lang: 'typescript', absPath: `/f${i}` });
      sizes.push(3000); // 1.2 MB in all: 16-file batches of 48 KB, then the last 256 KB
    }
    const plan = planBatches(work, sizes);
    // 87 files of 3 KB are the last 256 KB: before them, 313 files in batches of 16 (the last
    // one cut where the tail starts), then batches that end once they reach 8 KB (3 files).
    expect(plan.map((batch) => batch.length)).toEqual([...Array<number>(19).fill(16), 9, ...Array<number>(29).fill(3)]);
    expect(plan.flat()).toEqual(work.map((_, i) => i)); // still in listing order
  });

  it('reads a file size only when it is needed: the tail first, then batch by batch', () => {
    const work: ParseJob[] = Array.from({ length: 400 }, (_, i) => ({ lang: 'typescript', absPath: `/f${i}` }));
    const read: number[] = [];
    const batches = batchesOf(work, (i) => (read.push(i), 3000));
    expect(batches.next().value).toEqual([...Array(16).keys()]);
    // The last 87 files (the tail) and the one before them (which would pass 256 KB), then the
    // 16 of the first batch: none of the other 296.
    expect(new Set(read)).toEqual(new Set([...Array(16).keys(), ...[...Array(88).keys()].map((k) => 312 + k)]));
    expect([...batches].flat()).toEqual([...Array(400).keys()].slice(16));
    expect(new Set(read).size).toBe(400);
  });
});
