import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AssistError } from '../errors.js';
import { createAssistMetrics, TTFT_BUCKETS } from './assist-metrics.js';
import { writeMetricsFile } from './metrics-file.js';
import { MetricsRegistry } from './metrics.js';

// A strict reader of Prometheus text exposition (format 0.0.4), written from the format's rules
// independently of exposition.ts, plus the node_exporter textfile collector's rule (no
// timestamps). It throws on the first violation.

interface StrictSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface StrictFamily {
  name: string;
  type: string;
  help: string | undefined;
  samples: StrictSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FLOAT = /^[+-]?(?:Inf|NaN|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$/;

function parseFloatStrict(text: string, where: string): number {
  if (!FLOAT.test(text)) throw new Error(`${where}: not a Go float: ${JSON.stringify(text)}`);
  if (text === 'NaN') return Number.NaN;
  if (/Inf$/.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  return Number(text);
}

function parseSample(line: string, where: string): StrictSample {
  let i = 0;
  while (i < line.length && /[a-zA-Z0-9_:]/.test(line[i] as string)) i++;
  const name = line.slice(0, i);
  if (!NAME.test(name)) throw new Error(`${where}: bad metric name ${JSON.stringify(name)}`);
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    while (line[i] !== '}') {
      const start = i;
      while (i < line.length && /[a-zA-Z0-9_]/.test(line[i] as string)) i++;
      const label = line.slice(start, i);
      if (!LABEL.test(label)) throw new Error(`${where}: bad label name ${JSON.stringify(label)}`);
      if (label.startsWith('__')) throw new Error(`${where}: reserved label name ${label}`);
      if (line.slice(i, i + 2) !== '="') throw new Error(`${where}: expected =" after ${label}`);
      i += 2;
      let value = '';
      for (;;) {
        const ch = line[i++];
        if (ch === undefined) throw new Error(`${where}: unterminated label value`);
        if (ch === '"') break;
        if (ch === '\n') throw new Error(`${where}: raw newline in label value`);
        if (ch === '\\') {
          const esc = line[i++];
          if (esc === '\\') value += '\\';
          else if (esc === '"') value += '"';
          else if (esc === 'n') value += '\n';
          else throw new Error(`${where}: invalid escape \\${esc ?? ''}`);
        } else value += ch;
      }
      if (label in labels) throw new Error(`${where}: label ${label} twice`);
      labels[label] = value;
      if (line[i] === ',') {
        i++;
        if (line[i] === '}') break;
      } else if (line[i] !== '}') throw new Error(`${where}: expected , or } but got ${JSON.stringify(line[i] ?? 'end of line')}`);
    }
    i++;
  }
  if (line[i] !== ' ') throw new Error(`${where}: expected one space before the value`);
  const fields = line.slice(i + 1).split(' ');
  if (fields.some((f) => f === '')) throw new Error(`${where}: extra spaces`);
  if (fields.length === 2) throw new Error(`${where}: a timestamp (the textfile collector refuses them)`);
  if (fields.length !== 1) throw new Error(`${where}: trailing garbage`);
  return { name, labels, value: parseFloatStrict(fields[0] as string, where) };
}

function seriesKey(labels: Record<string, string>, without?: string): string {
  return JSON.stringify(
    Object.keys(labels)
      .filter((k) => k !== without)
      .sort()
      .map((k) => [k, labels[k]]),
  );
}

/** Parses and checks the whole text; returns the families in file order. */
function parseStrict(text: string): StrictFamily[] {
  if (text !== '' && !text.endsWith('\n')) throw new Error('the text must end with a newline');
  const families: StrictFamily[] = [];
  const byName = new Map<string, StrictFamily>();
  const finished = new Set<string>();
  let current: StrictFamily | undefined;
  const seen = new Set<string>();
  const typed = new Set<string>();

  const familyOf = (sampleName: string): string => {
    for (const suffix of ['_bucket', '_sum', '_count']) {
      const base = sampleName.slice(0, -suffix.length);
      if (sampleName.endsWith(suffix) && ['histogram', 'summary'].includes(byName.get(base)?.type ?? '')) return base;
    }
    return sampleName;
  };

  const enter = (name: string, where: string): StrictFamily => {
    if (current?.name === name) return current;
    if (current) finished.add(current.name);
    if (finished.has(name)) throw new Error(`${where}: family ${name} is not contiguous`);
    let family = byName.get(name);
    if (!family) {
      family = { name, type: 'untyped', help: undefined, samples: [] };
      byName.set(name, family);
      families.push(family);
    }
    current = family;
    return family;
  };

  const lines = text.split('\n').slice(0, -1);
  lines.forEach((line, index) => {
    const where = `line ${index + 1}`;
    if (line === '') throw new Error(`${where}: empty line`);
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) return; // other comments are allowed
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`${where}: bad metric name in ${kind}`);
      const family = enter(name, where);
      if (family.samples.length > 0) throw new Error(`${where}: ${kind} after samples of ${name}`);
      if (kind === 'HELP') {
        if (family.help !== undefined) throw new Error(`${where}: second HELP for ${name}`);
        if (/\\(?![\\n])/.test(rest)) throw new Error(`${where}: invalid escape in HELP`);
        family.help = rest.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
      } else {
        if (typed.has(name)) throw new Error(`${where}: second TYPE for ${name}`);
        typed.add(name);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`${where}: unknown type ${rest}`);
        family.type = rest;
      }
      return;
    }
    const sample = parseSample(line, where);
    const family = enter(familyOf(sample.name), where);
    const key = `${sample.name}${seriesKey(sample.labels)}`;
    if (seen.has(key)) throw new Error(`${where}: duplicate series ${key}`);
    seen.add(key);
    family.samples.push(sample);
  });

  for (const family of families) {
    if (family.type === 'counter') {
      for (const s of family.samples) {
        if (s.name !== family.name) throw new Error(`${family.name}: counter sample named ${s.name}`);
        if (!(s.value >= 0) || !Number.isFinite(s.value)) throw new Error(`${family.name}: counter value ${s.value}`);
      }
    }
    if (family.type === 'gauge') for (const s of family.samples) if (s.name !== family.name) throw new Error(`${family.name}: gauge sample named ${s.name}`);
    if (family.type === 'histogram') checkHistogram(family);
  }
  return families;
}

function checkHistogram(family: StrictFamily): void {
  const groups = new Map<string, { buckets: Array<[number, number]>; sum?: number; count?: number }>();
  for (const s of family.samples) {
    const suffix = s.name.slice(family.name.length);
    if (!['_bucket', '_sum', '_count'].includes(suffix)) throw new Error(`${family.name}: histogram sample named ${s.name}`);
    const key = seriesKey(s.labels, 'le');
    let group = groups.get(key);
    if (!group) {
      group = { buckets: [] };
      groups.set(key, group);
    }
    if (suffix === '_bucket') {
      const le = s.labels.le;
      if (le === undefined) throw new Error(`${family.name}: bucket without le`);
      group.buckets.push([parseFloatStrict(le, `${family.name} le`), s.value]);
    } else if (suffix === '_sum') group.sum = s.value;
    else group.count = s.value;
    if (suffix !== '_bucket' && 'le' in s.labels) throw new Error(`${family.name}: le on ${suffix}`);
  }
  for (const [key, group] of groups) {
    const where = `${family.name}${key}`;
    if (group.sum === undefined) throw new Error(`${where}: no _sum`);
    if (group.count === undefined) throw new Error(`${where}: no _count`);
    const last = group.buckets.at(-1);
    if (!last || last[0] !== Infinity) throw new Error(`${where}: the last bucket must be le="+Inf"`);
    for (let i = 1; i < group.buckets.length; i++) {
      const [le, count] = group.buckets[i] as [number, number];
      const [prevLe, prevCount] = group.buckets[i - 1] as [number, number];
      if (!(le > prevLe)) throw new Error(`${where}: le not increasing at ${le}`);
      if (count < prevCount) throw new Error(`${where}: buckets not cumulative at le=${le}`);
    }
    if (last[1] !== group.count) throw new Error(`${where}: +Inf bucket ${last[1]} != _count ${group.count}`);
  }
}

const familiesByName = (text: string): Map<string, StrictFamily> => new Map(parseStrict(text).map((f) => [f.name, f]));
const valueOf = (family: StrictFamily | undefined, name: string, labels: Record<string, string>): number | undefined =>
  family?.samples.find((s) => s.name === name && seriesKey(s.labels) === seriesKey(labels))?.value;

describe('the strict exposition reader used by these tests', () => {
  it('accepts a well-formed file', () => {
    const ok = '# HELP a_total A.\n# TYPE a_total counter\na_total{x="1"} 3\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 4.5\nh_count 2\n';
    expect(parseStrict(ok).map((f) => f.type)).toEqual(['counter', 'histogram']);
  });

  it.each([
    ['no final newline', '# TYPE a counter\na 1'],
    ['a timestamp', '# TYPE a counter\na 1 1700000000000\n'],
    ['a raw quote in a label value', '# TYPE a counter\na{x="say "hi""} 1\n'],
    ['a bad escape', '# TYPE a counter\na{x="c:\\dir"} 1\n'],
    ['a bad metric name', '# TYPE 1a counter\n1a 1\n'],
    ['HELP after samples', '# TYPE a counter\na 1\n# HELP a late\n'],
    ['two TYPE lines', '# TYPE a counter\n# TYPE a gauge\na 1\n'],
    ['a negative counter', '# TYPE a counter\na -1\n'],
    ['a family split in two', '# TYPE a gauge\na{x="1"} 1\n# TYPE b gauge\nb 1\na{x="2"} 1\n'],
    ['a duplicate series', '# TYPE a gauge\na{x="1"} 1\na{x="1"} 2\n'],
    ['a histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
    ['non-cumulative buckets', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="2"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 2\n'],
    ['+Inf different from _count', '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n'],
    ['a histogram without _sum', '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_count 1\n'],
    ['a value that is not a float', '# TYPE a gauge\na one\n'],
  ])('rejects %s', (_, text) => {
    expect(() => parseStrict(text)).toThrow();
  });
});

describe('MetricsRegistry', () => {
  it('renders every assist metric as valid exposition, with HELP and TYPE first and labels escaped', () => {
    const m = createAssistMetrics();
    const model = 'we\\ird"model\nname';
    m.llmRequests.inc({ provider: 'anthropic', model: 'claude-sonnet-4-5', outcome: 'ok' });
    m.llmRequests.inc({ provider: 'openai', model, outcome: 'error' }, 2);
    m.llmRetries.inc({ provider: 'anthropic' }, 3);
    m.setBreakerState('openai', 'open');
    m.setBreakerState('anthropic', 'half-open');
    m.recordUsage('anthropic', 'claude-sonnet-4-5', { inputTokens: 1200, outputTokens: 80, costUsd: 0.0048 });
    m.edits.inc({ outcome: 'applied' }, 2);
    m.edits.inc({ outcome: 'refused' });
    m.commits.inc({ kind: 'edit' });
    m.commits.inc({ kind: 'snapshot' });
    m.undo.inc();
    m.llmTimeToFirstToken.observe({ provider: 'anthropic', model: 'claude-sonnet-4-5' }, 0.7);
    m.llmTimeToFirstToken.observe({ provider: 'anthropic', model: 'claude-sonnet-4-5' }, 120);
    m.turnOverhead.observe(0.03);
    m.commandDuration.observe({ command: 'session finish' }, 1.5);
    const text = m.registry.render();
    const families = familiesByName(text);
    expect([...families.keys()]).toEqual([
      'assist_llm_requests_total',
      'assist_llm_retries_total',
      'assist_llm_breaker_state',
      'assist_llm_tokens_total',
      'assist_llm_cost_usd_total',
      'assist_edits_total',
      'assist_commits_total',
      'assist_undo_total',
      'assist_llm_time_to_first_token_seconds',
      'assist_turn_overhead_seconds',
      'assist_command_duration_seconds',
    ]);
    for (const family of families.values()) expect(family.help, family.name).toBeTruthy();
    const requests = families.get('assist_llm_requests_total');
    expect(valueOf(requests, 'assist_llm_requests_total', { provider: 'openai', model, outcome: 'error' })).toBe(2);
    expect(text).toContain('model="we\\\\ird\\"model\\nname"');
    expect(valueOf(families.get('assist_llm_breaker_state'), 'assist_llm_breaker_state', { provider: 'openai' })).toBe(2);
    expect(valueOf(families.get('assist_llm_breaker_state'), 'assist_llm_breaker_state', { provider: 'anthropic' })).toBe(1);
    expect(valueOf(families.get('assist_llm_tokens_total'), 'assist_llm_tokens_total', { provider: 'anthropic', model: 'claude-sonnet-4-5', direction: 'output' })).toBe(80);
    expect(valueOf(families.get('assist_llm_cost_usd_total'), 'assist_llm_cost_usd_total', { provider: 'anthropic', model: 'claude-sonnet-4-5' })).toBeCloseTo(0.0048);
    const ttft = families.get('assist_llm_time_to_first_token_seconds');
    const labels = { provider: 'anthropic', model: 'claude-sonnet-4-5' };
    expect(valueOf(ttft, 'assist_llm_time_to_first_token_seconds_bucket', { ...labels, le: '0.5' })).toBe(0);
    expect(valueOf(ttft, 'assist_llm_time_to_first_token_seconds_bucket', { ...labels, le: '1' })).toBe(1);
    expect(valueOf(ttft, 'assist_llm_time_to_first_token_seconds_bucket', { ...labels, le: '60' })).toBe(1);
    expect(valueOf(ttft, 'assist_llm_time_to_first_token_seconds_bucket', { ...labels, le: '+Inf' })).toBe(2);
    expect(valueOf(ttft, 'assist_llm_time_to_first_token_seconds_sum', labels)).toBeCloseTo(120.7);
    expect(ttft?.samples.filter((s) => s.name.endsWith('_bucket'))).toHaveLength(TTFT_BUCKETS.length + 1);
  });

  it('shows unlabeled metrics at zero and leaves out labeled ones nobody touched', () => {
    const families = familiesByName(createAssistMetrics().registry.render());
    expect(valueOf(families.get('assist_undo_total'), 'assist_undo_total', {})).toBe(0);
    expect(valueOf(families.get('assist_turn_overhead_seconds'), 'assist_turn_overhead_seconds_count', {})).toBe(0);
    expect(families.has('assist_llm_requests_total')).toBe(false);
  });

  it('refuses misuse: a falling counter, a missing or unknown label, a bad name, unordered buckets', () => {
    const r = new MetricsRegistry();
    const c = r.counter<'a'>({ name: 'x_total', help: 'x', labels: ['a'] });
    expect(() => c.inc({ a: '1' }, -1)).toThrow(/cannot go down/);
    expect(() => c.inc({} as { a: string })).toThrow(/label a is missing/);
    expect(() => c.inc({ a: '1', b: '2' } as { a: string })).toThrow(/unknown label b/);
    expect(() => r.counter({ name: 'x_total', help: 'again' })).toThrow(/twice/);
    expect(() => r.gauge({ name: 'bad-name', help: 'x' })).toThrow(/bad metric name/);
    expect(() => r.histogram({ name: 'h', help: 'x', buckets: [1, 1] })).toThrow(/increasing/);
    expect(() => r.histogram<'le'>({ name: 'h2', help: 'x', labels: ['le'], buckets: [1] })).toThrow(/le/);
  });

  it('times with startTimer', () => {
    const r = new MetricsRegistry();
    const h = r.histogram<'command'>({ name: 'd_seconds', help: 'd', labels: ['command'], buckets: [1, 10] });
    const stop = h.startTimer({ command: 'undo' });
    const seconds = stop();
    expect(seconds).toBeGreaterThanOrEqual(0);
    const family = familiesByName(r.render()).get('d_seconds');
    expect(valueOf(family, 'd_seconds_count', { command: 'undo' })).toBe(1);
  });
});

describe('writeMetricsFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'assist-obs-metrics-'));
  });
  afterEach(() => {
    chmodSync(dir, 0o755);
    rmSync(dir, { recursive: true, force: true });
  });

  /** One CLI command's worth of metrics. */
  function command(n: number): ReturnType<typeof createAssistMetrics> {
    const m = createAssistMetrics();
    m.llmRequests.inc({ provider: 'ollama', model: 'qwen2.5-coder', outcome: 'ok' }, n);
    m.recordUsage('ollama', 'qwen2.5-coder', { inputTokens: 100 * n, outputTokens: 10 * n });
    m.commits.inc({ kind: 'edit' }, n);
    m.llmTimeToFirstToken.observe({ provider: 'ollama', model: 'qwen2.5-coder' }, 0.2 * n);
    m.commandDuration.observe({ command: 'run' }, n);
    return m;
  }

  it('accumulates totals across commands, so the file always holds current totals', async () => {
    const file = join(dir, 'textfile', 'assist.prom');
    const first = command(1);
    first.setBreakerState('ollama', 'open');
    await writeMetricsFile(first.registry, file);
    const second = command(2);
    second.undo.inc();
    await writeMetricsFile(second.registry, file);
    const third = command(3);
    third.setBreakerState('ollama', 'closed');
    await writeMetricsFile(third.registry, file);

    const families = familiesByName(readFileSync(file, 'utf8'));
    const llm = { provider: 'ollama', model: 'qwen2.5-coder' };
    expect(valueOf(families.get('assist_llm_requests_total'), 'assist_llm_requests_total', { ...llm, outcome: 'ok' })).toBe(6);
    expect(valueOf(families.get('assist_llm_tokens_total'), 'assist_llm_tokens_total', { ...llm, direction: 'input' })).toBe(600);
    expect(valueOf(families.get('assist_commits_total'), 'assist_commits_total', { kind: 'edit' })).toBe(6);
    expect(valueOf(families.get('assist_undo_total'), 'assist_undo_total', {})).toBe(1);
    expect(valueOf(families.get('assist_llm_breaker_state'), 'assist_llm_breaker_state', { provider: 'ollama' })).toBe(0);
    const ttft = families.get('assist_llm_time_to_first_token_seconds');
    expect(valueOf(ttft, 'assist_llm_time_to_first_token_seconds_bucket', { ...llm, le: '0.25' })).toBe(1);
    expect(valueOf(ttft, 'assist_llm_time_to_first_token_seconds_bucket', { ...llm, le: '0.5' })).toBe(2);
    expect(valueOf(ttft, 'assist_llm_time_to_first_token_seconds_bucket', { ...llm, le: '1' })).toBe(3);
    expect(valueOf(ttft, 'assist_llm_time_to_first_token_seconds_count', llm)).toBe(3);
    expect(valueOf(ttft, 'assist_llm_time_to_first_token_seconds_sum', llm)).toBeCloseTo(1.2);
    const duration = families.get('assist_command_duration_seconds');
    expect(valueOf(duration, 'assist_command_duration_seconds_count', { command: 'run' })).toBe(3);
    // Only the .prom file remains: no temp files, no lock.
    expect(readdirSync(join(dir, 'textfile'))).toEqual(['assist.prom']);
  });

  it('keeps a gauge nobody set in this command at its previous value', async () => {
    const file = join(dir, 'assist.prom');
    const first = createAssistMetrics();
    first.setBreakerState('anthropic', 'open');
    await writeMetricsFile(first.registry, file);
    await writeMetricsFile(createAssistMetrics().registry, file);
    const families = familiesByName(readFileSync(file, 'utf8'));
    expect(valueOf(families.get('assist_llm_breaker_state'), 'assist_llm_breaker_state', { provider: 'anthropic' })).toBe(2);
  });

  it('counts each increment once when one process writes twice', async () => {
    const file = join(dir, 'assist.prom');
    const m = createAssistMetrics();
    m.undo.inc();
    await writeMetricsFile(m.registry, file);
    await writeMetricsFile(m.registry, file);
    m.undo.inc();
    await writeMetricsFile(m.registry, file);
    expect(valueOf(familiesByName(readFileSync(file, 'utf8')).get('assist_undo_total'), 'assist_undo_total', {})).toBe(2);
  });

  it('loses no increment when many writers race (the lock serialises them)', async () => {
    const file = join(dir, 'assist.prom');
    const writers = Array.from({ length: 12 }, () => {
      const m = createAssistMetrics();
      m.undo.inc();
      m.turnOverhead.observe(0.02);
      return writeMetricsFile(m.registry, file, { lockWaitMs: 10_000 });
    });
    await Promise.all(writers);
    const families = familiesByName(readFileSync(file, 'utf8'));
    expect(valueOf(families.get('assist_undo_total'), 'assist_undo_total', {})).toBe(12);
    expect(valueOf(families.get('assist_turn_overhead_seconds'), 'assist_turn_overhead_seconds_count', {})).toBe(12);
  });

  it('keeps the counts when the write fails, and writes them next time', async () => {
    const blocked = join(dir, 'ro');
    writeFileSync(blocked, 'a file where a directory should be');
    const m = createAssistMetrics();
    m.undo.inc(5);
    m.turnOverhead.observe(0.02);
    m.turnOverhead.observe(7);
    m.setBreakerState('openai', 'open');
    await expect(writeMetricsFile(m.registry, join(blocked, 'assist.prom'))).rejects.toMatchObject({ code: 'obs.metrics-write-failed' });
    m.turnOverhead.observe(0.02);
    const file = join(dir, 'assist.prom');
    await writeMetricsFile(m.registry, file);
    const families = familiesByName(readFileSync(file, 'utf8'));
    expect(valueOf(families.get('assist_undo_total'), 'assist_undo_total', {})).toBe(5);
    const overhead = families.get('assist_turn_overhead_seconds');
    expect(valueOf(overhead, 'assist_turn_overhead_seconds_bucket', { le: '0.025' })).toBe(2);
    expect(valueOf(overhead, 'assist_turn_overhead_seconds_bucket', { le: '5' })).toBe(2);
    expect(valueOf(overhead, 'assist_turn_overhead_seconds_bucket', { le: '10' })).toBe(3);
    expect(valueOf(overhead, 'assist_turn_overhead_seconds_count', {})).toBe(3);
    expect(valueOf(families.get('assist_llm_breaker_state'), 'assist_llm_breaker_state', { provider: 'openai' })).toBe(2);
  });

  it('takes over the lock of a dead writer and waits out a live one', async () => {
    const file = join(dir, 'assist.prom');
    const { hostname } = await import('node:os');
    // A pid far above pid_max is never alive.
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: 2 ** 30, host: hostname(), time: Date.now(), nonce: 'dead' }));
    const m = createAssistMetrics();
    m.undo.inc();
    await writeMetricsFile(m.registry, file);
    expect(existsSync(`${file}.lock`)).toBe(false);

    writeFileSync(`${file}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), time: Date.now(), nonce: 'live' }));
    const error = await writeMetricsFile(m.registry, file, { lockWaitMs: 30 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AssistError);
    expect((error as AssistError).code).toBe('obs.metrics-locked');
    expect((error as AssistError).message).toContain(`pid ${process.pid}`);
  });

  it('starts a family again when the previous file does not fit its definition, and says so', async () => {
    const file = join(dir, 'assist.prom');
    writeFileSync(
      file,
      [
        '# TYPE assist_undo_total counter',
        'assist_undo_total 7',
        '# TYPE assist_turn_overhead_seconds histogram',
        'assist_turn_overhead_seconds_bucket{le="0.3"} 1',
        'assist_turn_overhead_seconds_bucket{le="+Inf"} 1',
        'assist_turn_overhead_seconds_sum 0.2',
        'assist_turn_overhead_seconds_count 1',
        '# TYPE someone_elses_metric gauge',
        'someone_elses_metric 1',
        '',
      ].join('\n'),
    );
    const m = createAssistMetrics();
    m.undo.inc();
    m.turnOverhead.observe(0.02);
    const result = await writeMetricsFile(m.registry, file);
    expect(result.warnings.join('\n')).toContain('assist_turn_overhead_seconds: the previous file has other buckets');
    const families = familiesByName(readFileSync(file, 'utf8'));
    expect(valueOf(families.get('assist_undo_total'), 'assist_undo_total', {})).toBe(8);
    expect(valueOf(families.get('assist_turn_overhead_seconds'), 'assist_turn_overhead_seconds_count', {})).toBe(1);
    expect(families.has('someone_elses_metric')).toBe(false);
  });

  it('starts again from a corrupt previous file', async () => {
    const file = join(dir, 'assist.prom');
    writeFileSync(file, 'assist_undo_total{oops 3\n');
    const m = createAssistMetrics();
    m.undo.inc();
    const result = await writeMetricsFile(m.registry, file);
    expect(result.warnings[0]).toContain('could not be read');
    expect(valueOf(familiesByName(readFileSync(file, 'utf8')).get('assist_undo_total'), 'assist_undo_total', {})).toBe(1);
  });
});
