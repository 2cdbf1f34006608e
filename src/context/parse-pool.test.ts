import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { languageForPath } from './languages.js';
import { parseFiles, type ParseJob } from './parse-pool.js';
import { countTokens, startTokenCounter } from './tokens.js';

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
      join(projectRoot, 'src', 'context', 'token-worker.ts'),
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
    expect(pooled.results).toEqual(local.results);
    expect(pooled.results[0]!.defs.length).toBeGreaterThan(0);
    expect(progress[progress.length - 1]).toBe(work.length);
  });

  it('parses few files on this thread: a worker would cost more than it saves', async () => {
    const outcome = await parseFiles(jobs(1).slice(0, 3), { limits: { maxFileBytes: 1 << 20 }, workerUrl });
    expect(outcome.workers).toBe(0);
    expect(outcome.results).toHaveLength(3);
  });

  it('reports unreadable files instead of failing', async () => {
    const outcome = await parseFiles([{ lang: 'typescript', absPath: join(outDir, 'missing.ts') }], { limits: { maxFileBytes: 1 << 20 } });
    expect(outcome.results[0]!.skipped).toBe('unreadable');
  });
});

describe('startTokenCounter in a worker thread', () => {
  it('counts exactly, answers undefined over the limit, and closes', async () => {
    const counter = startTokenCounter(new URL('token-worker.js', workerUrl));
    const text = 'export function fitToBudget(ranked: readonly RankedDef[]): number {\n  return 1;\n}\n';
    const exact = await countTokens(text);
    const [a, b, c] = await Promise.all([counter.count(text, 1000), counter.count(text, exact - 1), counter.count('', 0)]);
    expect(a).toBe(exact);
    expect(b).toBeUndefined();
    expect(c).toBe(0);
    await counter.close();
  });
});
