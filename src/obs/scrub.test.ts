import { describe, expect, it } from 'vitest';
import { AssistError } from '../errors.js';
import { createScrubber, secretValuesFromEnv } from './scrub.js';

const CANARY = 'canary-Zq7hK2pLx9Vw4mT8';
const env = {
  ANTHROPIC_API_KEY: CANARY,
  GITHUB_TOKEN: 'ghtok-4f9a8b7c6d5e',
  DB_PASSWORD: 'hunter2hunter2',
  MY_SECRET: 'sesame-open-123',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  SHORT_TOKEN: 'abc',
  HOME: '/home/someone',
  PATH: '/usr/bin:/bin',
  EDITOR: 'vim',
};

describe('createScrubber', () => {
  it('finds the values of credential variables, and only those', () => {
    const values = secretValuesFromEnv(env);
    expect(values).toEqual(expect.arrayContaining([CANARY, 'ghtok-4f9a8b7c6d5e', 'hunter2hunter2', 'sesame-open-123', env.AWS_SECRET_ACCESS_KEY]));
    expect(values).not.toContain('abc');
    expect(values).not.toContain('/home/someone');
    expect(values).not.toContain('vim');
  });

  it('replaces env secrets wherever they occur in text, including JSON- and URL-encoded forms', () => {
    const s = createScrubber(env);
    expect(s.scrub(`key=${CANARY}; again ${CANARY}`)).toBe('key=[redacted]; again [redacted]');
    expect(s.scrub(`pw is hunter2hunter2!`)).toBe('pw is [redacted]!');
    const withQuote = createScrubber({ X_API_KEY: 'ab"cd\\ef-99' });
    expect(withQuote.scrubSecrets(JSON.stringify({ v: 'ab"cd\\ef-99' }))).toBe('{"v":"[redacted]"}');
    expect(s.scrub(`https://h/?k=${encodeURIComponent(env.AWS_SECRET_ACCESS_KEY)}`)).not.toContain('wJalrXUtnFEMI');
  });

  it('redacts key-shaped tokens that did not come from the environment', () => {
    const s = createScrubber({});
    const cases: Array<[string, string]> = [
      ['use sk-ant-api03-AbCdEfGhIjKlMnOp_qrstu-vw now', 'use [redacted] now'],
      ['OPENAI sk-proj-1234567890abcdefXYZ', 'OPENAI [redacted]'],
      ['Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc', 'Authorization: Bearer [redacted]'],
      ['Authorization: Basic dXNlcjpwYXNzd29yZA==', 'Authorization: Basic [redacted]'],
      ['x-api-key: plainvaluewithoutshape', 'x-api-key: [redacted]'],
      ['{"x-api-key":"plainvalue"}', '{"x-api-key":"[redacted]"}'],
      ['https://bob:s3cr3t@example.com/repo.git', 'https://bob:[redacted]@example.com/repo.git'],
      ['GET /v1?api_key=abcdef123&x=1', 'GET /v1?api_key=[redacted]&x=1'],
      ['token ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'token [redacted]'],
      ['AKIAIOSFODNN7EXAMPLE', '[redacted]'],
      ['-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----', '[redacted]'],
    ];
    for (const [input, output] of cases) expect(s.scrub(input), input).toBe(output);
  });

  it('leaves ordinary prose alone', () => {
    const s = createScrubber({});
    for (const text of [
      'Bearer tokens are sent in a header',
      'Basic authentication is disabled',
      'task-runner skipped',
      'the sk-learn package',
      'input_tokens=1200 output_tokens=30',
      'Token budget exceeded: 2048',
    ]) {
      expect(s.scrub(text)).toBe(text);
    }
  });

  it('never shows a canary nested in errors, causes, objects, maps and arrays', () => {
    const s = createScrubber(env);
    const inner = new Error(`401 from server: key ${CANARY} rejected`);
    const outer = new AssistError('llm.auth', `provider refused the key ${CANARY}`, { cause: inner, data: { header: `Bearer ${CANARY}` }, hint: `unset ${CANARY}` });
    const cyclic: Record<string, unknown> = { note: CANARY };
    cyclic.self = cyclic;
    const value = {
      error: outer,
      list: [CANARY, { deep: { deeper: [`x${CANARY}y`] } }],
      map: new Map([[CANARY, 'as a key']]),
      set: new Set([CANARY]),
      aggregate: new AggregateError([new Error(CANARY)], 'many'),
      cyclic,
      url: new URL(`https://u:${CANARY}@example.com/`),
    };
    const text = JSON.stringify(s.scrubValue(value));
    expect(text).not.toContain(CANARY);
    expect(text).not.toContain(CANARY.slice(0, 12));
    expect(text).toContain('provider refused the key [redacted]');
    expect(text).toContain('401 from server');
    expect(text).toContain('"code":"llm.auth"');
    expect(text).toContain('[circular]');
  });

  it('redacts values under credential-named keys whatever they look like', () => {
    const s = createScrubber({});
    const out = s.scrubValue({ apiKey: 'short1', Authorization: 'x', password: 'p4ss', nested: { 'x-api-key': 'k', token: 't' }, first_token: 12, tokens: 5, OPENAI_API_KEY: 'whatever' }) as Record<string, unknown>;
    expect(out).toEqual({
      apiKey: '[redacted]',
      Authorization: '[redacted]',
      password: '[redacted]',
      nested: { 'x-api-key': '[redacted]', token: '[redacted]' },
      first_token: 12,
      tokens: 5,
      OPENAI_API_KEY: '[redacted]',
    });
  });

  it('scrubs before truncating, so a cut never leaves part of a secret', () => {
    const s = createScrubber(env);
    const text = `${'a'.repeat(95)}${CANARY}${'b'.repeat(50)}`;
    const out = s.scrubValue(text, { maxString: 100 }) as string;
    expect(out).not.toContain('canary-Z');
    expect(out.startsWith(`${'a'.repeat(95)}[red`)).toBe(true);
  });

  it('learns secrets at run time', () => {
    const s = createScrubber({});
    expect(s.scrub('key: from-cmd-7788')).toBe('key: from-cmd-7788');
    s.addSecret('from-cmd-7788\n');
    expect(s.size).toBe(1);
    expect(s.scrub('key: from-cmd-7788')).toBe('key: [redacted]');
  });

  it('replaces a longer secret whole when it contains a shorter one', () => {
    const s = createScrubber({ A_TOKEN: 'abcdef', B_TOKEN: 'abcdef-and-more' });
    expect(s.scrub('x abcdef-and-more y')).toBe('x [redacted] y');
  });
});
