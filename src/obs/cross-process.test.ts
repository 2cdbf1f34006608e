import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setImmediate as nextTick } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type TypeScript from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExposition } from './exposition.js';

// Several real processes write the same files, as concurrent `assist` commands and the background
// hook refresher do. The children run this folder's code, transpiled here to plain JS.
const here = dirname(fileURLToPath(import.meta.url));
let work: string;
let script: string;

beforeAll(() => {
  const ts = createRequire(import.meta.url)('typescript') as typeof TypeScript;
  work = mkdtempSync(join(tmpdir(), 'assist-obs-xproc-'));
  mkdirSync(join(work, 'obs'));
  mkdirSync(join(work, 'util'));
  writeFileSync(join(work, 'package.json'), '{"type":"module"}');
  const util = join(here, '..', 'util');
  const sources = [join(here, '..', 'errors.ts'), ...readdirSync(util).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).map((f) => join(util, f)), ...readdirSync(here).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).map((f) => join(here, f))];
  for (const source of sources) {
    const out = ts.transpileModule(readFileSync(source, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    }).outputText;
    const folder = source.endsWith('errors.ts') ? '' : basename(dirname(source));
    const target = join(work, folder, basename(source).replace(/\.ts$/, '.js'));
    writeFileSync(target, out);
  }
  script = join(work, 'child.js');
  writeFileSync(
    script,
    `import { createAssistMetrics, writeMetricsFile, createLogger } from './obs/index.js';
const [mode, file, count, tag] = process.argv.slice(2);
const n = Number(count);
if (mode === 'metrics') {
  for (let i = 0; i < n; i++) {
    const m = createAssistMetrics();
    m.undo.inc();
    m.turnOverhead.observe(0.01 * (i % 7));
    m.llmRequests.inc({ provider: 'p', model: tag, outcome: 'ok' });
    await writeMetricsFile(m.registry, file, { lockWaitMs: 30000 });
  }
} else {
  const logger = createLogger({ file, level: 'info', env: {}, session: 'S' }).child({ request: tag });
  for (let i = 0; i < n; i++) logger.info('turn.start', { i, pad: tag.repeat(6000) });
  logger.close();
}
`,
  );
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}

describe('across processes', () => {
  it('metrics: no increment is lost and a reader never sees a half-written file', async () => {
    const file = join(work, 'metrics', 'assist.prom');
    const children = ['a', 'b', 'c', 'd'].map((tag) => run(['metrics', file, '15', tag]));
    let done = false;
    const all = Promise.all(children).finally(() => (done = true));
    let reads = 0;
    let last = 0;
    while (!done) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        await nextTick();
        continue;
      }
      reads++;
      expect(text.endsWith('\n')).toBe(true);
      const undo = parseExposition(text).get('assist_undo_total')?.samples[0]?.value ?? 0;
      expect(undo).toBeGreaterThanOrEqual(last);
      last = undo;
      await nextTick();
    }
    expect(await all).toEqual([0, 0, 0, 0]);
    const families = parseExposition(readFileSync(file, 'utf8'));
    expect(families.get('assist_undo_total')?.samples[0]?.value).toBe(60);
    expect(families.get('assist_llm_requests_total')?.samples.map((s) => [s.labels.model, s.value]).sort()).toEqual([
      ['a', 15],
      ['b', 15],
      ['c', 15],
      ['d', 15],
    ]);
    const count = families.get('assist_turn_overhead_seconds')?.samples.find((s) => s.name === 'assist_turn_overhead_seconds_count');
    expect(count?.value).toBe(60);
    expect(reads).toBeGreaterThan(0);
    expect(readdirSync(dirname(file))).toEqual(['assist.prom']);
  });

  it('logs: lines of concurrent writers (each longer than PIPE_BUF) never interleave', async () => {
    const file = join(work, 'logs', 'assist.log');
    const tags = ['w', 'x', 'y', 'z'];
    expect(await Promise.all(tags.map((tag) => run(['log', file, '200', tag])))).toEqual([0, 0, 0, 0]);
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(800);
    const perTag = new Map<string, number[]>();
    for (const line of lines) {
      const record = JSON.parse(line) as { request: string; i: number; pad: string };
      expect(record.pad).toBe(record.request.repeat(6000));
      perTag.set(record.request, [...(perTag.get(record.request) ?? []), record.i]);
    }
    for (const tag of tags) expect(perTag.get(tag)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });
});
