import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AssistError } from '../errors.js';
import { LOG_EVENTS, EVENT_NAME } from './events.js';
import { newRequestId, isRequestId } from './ids.js';
import { createLogger, noopLogger } from './logger.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'assist-obs-log-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const readLines = (file: string): Array<Record<string, unknown>> =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const SESSION = '20250101-120000-ab12';
const CANARY = 'sk-canary-0123456789abcdefCANARY';

describe('createLogger', () => {
  it('is the no-op logger, opening nothing, when no file is set', () => {
    expect(createLogger({})).toBe(noopLogger);
    expect(createLogger({ file: '' })).toBe(noopLogger);
    expect(noopLogger.enabled('error')).toBe(false);
    expect(noopLogger.child({ request: 'x' })).toBe(noopLogger);
    noopLogger.info('command.start', { a: 1 });
  });

  it('writes one JSON line per event with time, level, event, correlation ids and fields', () => {
    const file = join(dir, 'nested', 'dir', 'assist.log');
    const logger = createLogger({ file, level: 'debug', session: SESSION, env: {}, now: () => new Date('2025-01-01T12:00:00.000Z') });
    logger.info('command.start', { command: 'run' });
    logger.child({ request: 'req_0123456789ab' }).debug('llm.request.first_token', { ttft_ms: 420 });
    logger.close();
    const raw = readFileSync(file, 'utf8');
    expect(raw.endsWith('\n')).toBe(true);
    const [first, second] = readLines(file);
    expect(first).toEqual({ time: '2025-01-01T12:00:00.000Z', level: 'info', event: 'command.start', session: SESSION, pid: process.pid, command: 'run' });
    expect(Object.keys(second ?? {}).slice(0, 6)).toEqual(['time', 'level', 'event', 'session', 'request', 'pid']);
    expect(second).toMatchObject({ level: 'debug', session: SESSION, request: 'req_0123456789ab', ttft_ms: 420 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('drops lines below the level', () => {
    const file = join(dir, 'a.log');
    const logger = createLogger({ file, level: 'warn', env: {} });
    expect(logger.enabled('info')).toBe(false);
    expect(logger.enabled('error')).toBe(true);
    logger.debug('context.built');
    logger.info('turn.start');
    logger.warn('llm.request.retry', { attempt: 2 });
    logger.error('command.end', { exit_code: 1 });
    logger.close();
    expect(readLines(file).map((l) => l.event)).toEqual(['llm.request.retry', 'command.end']);
  });

  it('keeps time, level, event and pid its own', () => {
    const file = join(dir, 'a.log');
    const logger = createLogger({ file, env: {} });
    logger.info('turn.end', { time: 'spoofed', level: 'error', event: 'x', pid: 1, outcome: 'ok' });
    logger.close();
    const [line] = readLines(file);
    expect(line).toMatchObject({ level: 'info', event: 'turn.end', pid: process.pid, outcome: 'ok' });
    expect(line?.time).not.toBe('spoofed');
  });

  it('lets one follow a request from start to commit by its correlation id', () => {
    const file = join(dir, 'assist.log');
    const logger = createLogger({ file, level: 'debug', session: SESSION, env: {} });
    const turn = logger.child({ turn: 1 });
    const a = newRequestId();
    const b = newRequestId();
    expect(isRequestId(a) && isRequestId(b) && a !== b).toBe(true);
    const la = turn.child({ request: a });
    const lb = turn.child({ request: b });
    // Two requests interleaved, as a chat with a weak-model summary running alongside does.
    la.info('llm.request.start', { provider: 'anthropic', model: 'claude-sonnet-4-5', attempt: 1 });
    lb.info('llm.request.start', { provider: 'openai', model: 'gpt-4.1-mini', attempt: 1, purpose: 'commit-message' });
    la.warn('llm.request.retry', { provider: 'anthropic', attempt: 1, status: 529, delay_ms: 800 });
    lb.info('llm.request.end', { outcome: 'ok' });
    la.debug('llm.request.first_token', { ttft_ms: 640 });
    la.info('llm.request.end', { outcome: 'ok', attempts: 2, input_tokens: 1200, output_tokens: 80 });
    la.info('edits.applied', { files: ['src/a.ts'] });
    la.info('git.commit', { kind: 'edit', commit: 'c0ffee', trailer: `Assist-Request: ${a}` });
    turn.info('turn.end', { outcome: 'committed' });
    logger.close();

    const lines = readLines(file);
    const followed = lines.filter((l) => l.request === a);
    expect(followed.map((l) => l.event)).toEqual(['llm.request.start', 'llm.request.retry', 'llm.request.first_token', 'llm.request.end', 'edits.applied', 'git.commit']);
    expect(followed.every((l) => l.session === SESSION && l.turn === 1)).toBe(true);
    expect(followed.at(-1)?.trailer).toBe(`Assist-Request: ${a}`);
    expect(lines.filter((l) => l.request === b).map((l) => l.event)).toEqual(['llm.request.start', 'llm.request.end']);
    expect(lines.find((l) => l.event === 'turn.end')?.request).toBeUndefined();
  });

  it('never writes a canary secret, nested in errors, bindings or fields', () => {
    const file = join(dir, 'assist.log');
    const env = { OPENAI_API_KEY: CANARY };
    const logger = createLogger({ file, level: 'debug', session: SESSION, env });
    const cause = new Error(`401 Incorrect API key provided: ${CANARY}`);
    const error = new AssistError('llm.provider-failed', 'openai failed', { cause, data: { headers: { authorization: `Bearer ${CANARY}` } } });
    logger.child({ request: newRequestId(), base_url: `https://x:${CANARY}@proxy/` }).error('llm.request.end', {
      outcome: 'error',
      error,
      attempts: [{ status: 401, body: `{"error":"bad key ${CANARY}"}` }],
      [`echo ${CANARY}`]: 'in a key',
    });
    logger.info(`weird.${CANARY}`, { argv: ['--model', 'openai/gpt-4.1', CANARY] });
    // A key that is not in the environment (from api_key_cmd, say) is caught by its shape.
    logger.warn('llm.request.retry', { reason: 'echoed header x-api-key: sk-ant-api03-NotInEnv0123456789', headers: { 'x-api-key': 'opaque' } });
    logger.close();
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('401 Incorrect API key provided: [redacted]');
    expect(text).not.toContain(CANARY);
    expect(text).not.toContain('CANARY');
    expect(text).not.toContain('NotInEnv');
    expect(text).not.toContain('opaque');
    for (const line of text.trim().split('\n')) JSON.parse(line);
  });

  it('never throws from a log call, even on fields whose getters throw', () => {
    const file = join(dir, 'a.log');
    const logger = createLogger({ file, env: {} });
    const hostile = {
      get boom(): string {
        throw new Error('getter failed');
      },
    };
    logger.info('turn.end', { hostile });
    logger.close();
    expect(readLines(file)[0]).toMatchObject({ event: 'turn.end', log_error: 'Error: getter failed' });
  });

  it('refuses a log file it cannot open, with a code and a hint', () => {
    const blocker = join(dir, 'file');
    createLogger({ file: blocker, env: {} }).close();
    try {
      createLogger({ file: join(blocker, 'sub', 'x.log'), env: {} });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AssistError);
      expect((error as AssistError).code).toBe('obs.log-file-unwritable');
      expect((error as AssistError).hint).toContain('--log-file');
    }
  });

  it('drops lines it cannot write and says so once, without throwing', () => {
    if (!existsSync('/dev/full')) return;
    const errors: Error[] = [];
    const logger = createLogger({ file: '/dev/full', env: {}, onWriteError: (e) => errors.push(e) });
    logger.info('turn.start');
    logger.info('turn.end');
    logger.close();
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(/ENOSPC|short write/);
  });

  it('resolves a relative file from cwd and ~/ from HOME', () => {
    const logger = createLogger({ file: 'logs/x.log', cwd: dir, env: {} });
    logger.info('turn.start');
    logger.close();
    expect(existsSync(join(dir, 'logs', 'x.log'))).toBe(true);
    const home = createLogger({ file: '~/h.log', env: { HOME: dir } });
    home.info('turn.start');
    home.close();
    expect(existsSync(join(dir, 'h.log'))).toBe(true);
  });
});

describe('LOG_EVENTS', () => {
  it('names every event as a dotted lower-case name with a known level', () => {
    for (const [name, spec] of Object.entries(LOG_EVENTS)) {
      expect(name).toMatch(EVENT_NAME);
      expect(['error', 'warn', 'info', 'debug']).toContain(spec.level);
    }
  });
});
