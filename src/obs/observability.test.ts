import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AssistError } from '../errors.js';
import { createAssistMetrics } from './assist-metrics.js';
import { LOG_EVENTS } from './events.js';
import { parseExposition } from './exposition.js';
import { newRequestId } from './ids.js';
import { openObservability } from './observability.js';

const CANARY = 'canary-9f8e7d6c5b4a-KEY';
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'assist-obs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const config = (log?: string, metrics?: string) => ({ log: { level: 'debug' as const, file: log }, metrics: { file: metrics } });

describe('openObservability', () => {
  it('logs the command, writes its metrics, and lets no canary key through either', async () => {
    const env = { ANTHROPIC_API_KEY: CANARY, HOME: dir };
    const obs = openObservability({ config: config('logs/assist.log', '~/metrics/assist.prom'), command: 'run', cwd: dir, env, session: '20250101-000000-beef', argv: ['run', '-m', `use key ${CANARY}`] });
    const request = newRequestId();
    const log = obs.logger.child({ request });
    log.info('llm.request.start', { provider: 'anthropic', model: 'claude-sonnet-4-5', attempt: 1 });
    obs.metrics.llmRequests.inc({ provider: 'anthropic', model: `claude ${CANARY}`, outcome: 'error' });
    obs.metrics.llmRetries.inc({ provider: 'anthropic' });
    log.error('llm.request.end', { outcome: 'error', error: new Error(`401: invalid x-api-key ${CANARY}`) });
    const warnings = await obs.close(4, new AssistError('llm.failed', `anthropic refused ${CANARY}`));
    expect(warnings).toEqual([]);

    const logText = readFileSync(join(dir, 'logs', 'assist.log'), 'utf8');
    const metricsText = readFileSync(join(dir, 'metrics', 'assist.prom'), 'utf8');
    expect(logText).not.toContain(CANARY);
    expect(metricsText).not.toContain(CANARY);
    const lines = logText.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.event)).toEqual(['command.start', 'llm.request.start', 'llm.request.end', 'command.end']);
    expect(lines.every((l) => l.session === '20250101-000000-beef')).toBe(true);
    expect(lines.filter((l) => l.request === request)).toHaveLength(2);
    expect(lines[3]).toMatchObject({ command: 'run', exit_code: 4, error: { code: 'llm.failed', message: 'anthropic refused [redacted]' } });
    expect(typeof lines[3]?.duration_ms).toBe('number');

    const families = parseExposition(metricsText);
    expect(families.get('assist_llm_retries_total')?.samples[0]?.value).toBe(1);
    expect(families.get('assist_llm_requests_total')?.samples[0]?.labels.model).toBe('claude [redacted]');
    const count = families.get('assist_command_duration_seconds')?.samples.find((s) => s.name.endsWith('_count'));
    expect(count).toMatchObject({ labels: { command: 'run' }, value: 1 });
  });

  it('opens and writes nothing when neither file is set', async () => {
    const obs = openObservability({ config: config(), command: 'undo', cwd: dir, env: {} });
    expect(obs.logger.level).toBe('off');
    expect(obs.metricsFile).toBeUndefined();
    obs.metrics.undo.inc();
    expect(await obs.close(0)).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('turns a metrics write failure into a warning and a log line, never an exception', async () => {
    writeFileSync(join(dir, 'not-a-dir'), '');
    const obs = openObservability({ config: config('a.log', 'not-a-dir/assist.prom'), command: 'undo', cwd: dir, env: {} });
    const warnings = await obs.close(0);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('cannot write the metrics file');
    expect(readFileSync(join(dir, 'a.log'), 'utf8')).toContain('"event":"obs.metrics_write_failed"');
    expect(existsSync(join(dir, 'not-a-dir', 'assist.prom'))).toBe(false);
  });
});

describe('docs/observability.md', () => {
  const docs = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'observability.md'), 'utf8');

  it('lists every log event', () => {
    const missing = Object.keys(LOG_EVENTS).filter((name) => !docs.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });

  it('lists every metric with its type and labels', () => {
    for (const family of createAssistMetrics().registry.snapshot()) {
      const row = docs.split('\n').find((line) => line.startsWith(`| \`${family.name}\``));
      expect(row, family.name).toBeDefined();
      expect(row).toContain(`| ${family.kind} |`);
      for (const label of family.labelNames) expect(row, `${family.name} ${label}`).toContain(`\`${label}\``);
    }
  });
});

describe('the default metrics file', () => {
  it('accumulates in <sharedAssistDir>/metrics.prom when metrics.file is not set', async () => {
    const shared = join(dir, '.git', 'assist');
    for (let i = 0; i < 2; i++) {
      const obs = openObservability({ config: config(), command: 'undo', cwd: dir, env: {}, sharedAssistDir: shared });
      obs.metrics.undo.inc();
      expect(await obs.close(0)).toEqual([]);
    }
    const families = parseExposition(readFileSync(join(shared, 'metrics.prom'), 'utf8'));
    expect(families.get('assist_undo_total')?.samples[0]?.value).toBe(2);
    const elsewhere = openObservability({ config: config(undefined, 'm.prom'), command: 'undo', cwd: dir, env: {}, sharedAssistDir: shared });
    expect(elsewhere.metricsFile).toBe(join(dir, 'm.prom'));
    await elsewhere.close(0);
  });
});
