import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scrubSecrets } from '../llm/scrub.js';
import { createScrubber } from '../obs/scrub.js';
import { createAuditLog } from '../sandbox/audit-log.js';
import { secretEnvReason } from '../sandbox/commands/env.js';
import { MIN_SECRET_LENGTH, SECRET_SHAPES, redactShapes, secretValuesFromEnv, tokenShapeIn } from './secrets.js';

// Fake credentials of each shape (built at run time so no scanner mistakes this file for a leak).
const r = (n: number, alphabet = 'aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xYz'): string => Array.from({ length: n }, (_, i) => alphabet[(i * 7) % alphabet.length]).join('');
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** [shape, text holding it, the secret part that must disappear]. */
const TOKENS: Array<[string, string]> = [
  ['OpenAI sk-', `sk-${r(48)}`],
  ['OpenAI sk-proj-', `sk-proj-${r(40)}_${r(20)}`],
  ['Anthropic sk-ant-', `sk-ant-api03-${r(40)}-${r(12)}`],
  ['GitHub ghp_', `ghp_${r(36)}`],
  ['GitHub gho_', `gho_${r(36)}`],
  ['GitHub ghs_', `ghs_${r(36)}`],
  ['GitHub github_pat_', `github_pat_11${r(20)}_${r(59)}`],
  ['GitLab glpat-', `glpat-${r(20)}`],
  ['npm npm_', `npm_${r(36)}`],
  ['Hugging Face hf_', `hf_${r(34)}`],
  ['AWS AKIA', `AKIA${r(16, UPPER)}`],
  ['AWS ASIA', `ASIA${r(16, UPPER)}`],
  ['Google AIza', `AIza${r(35)}`],
  ['Slack xoxb-', `xoxb-${r(11, '0123456789')}-${r(24)}`],
  ['Slack xoxp-', `xoxp-${r(11, '0123456789')}-${r(24)}`],
  ['PEM private key', `-----BEGIN OPENSSH PRIVATE KEY-----\n${r(64)}\n${r(20)}\n-----END OPENSSH PRIVATE KEY-----`],
  ['PEM RSA private key', `-----BEGIN RSA PRIVATE KEY-----\nMIIE${r(60)}\n-----END RSA PRIVATE KEY-----`],
];

/** [shape, text, expected after redaction]: credentials known by their context. */
const CONTEXT: Array<[string, string, string]> = [
  ['Bearer token', 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc', 'Authorization: Bearer [redacted]'],
  ['bearer token, lower case', `curl -H "authorization: bearer ${r(30)}"`, 'curl -H "authorization: bearer [redacted]"'],
  ['Basic credentials', 'Authorization: Basic dXNlcjpwYXNzd29yZA==', 'Authorization: Basic [redacted]'],
  ['x-api-key header', 'x-api-key: plainvaluewithoutshape', 'x-api-key: [redacted]'],
  ['query parameter', 'GET /v1?api_key=abcdef123&x=1', 'GET /v1?api_key=[redacted]&x=1'],
  ['password parameter', 'login?user=bob&password=hunter2hunter2', 'login?user=bob&password=[redacted]'],
  ['*_KEY variable', 'export STRIPE_KEY=rk_live_abcdef', 'export STRIPE_KEY=[redacted]'],
  ['*_API_KEY variable', 'OPENAI_API_KEY=whatever-it-is', 'OPENAI_API_KEY=[redacted]'],
  ['*_TOKEN variable', 'GITLAB_TOKEN=zzzz-yyyy-xxxx', 'GITLAB_TOKEN=[redacted]'],
  ['*_SECRET variable', 'CLIENT_SECRET: s3cr3t-value', 'CLIENT_SECRET: [redacted]'],
  ['PASSWORD variable', 'DB_PASSWORD=hunter2hunter2', 'DB_PASSWORD=[redacted]'],
  ['URL password', 'https://bob:s3cr3t@example.com/repo.git', 'https://bob:[redacted]@example.com/repo.git'],
];

const PROSE = [
  'Bearer tokens are sent in a header',
  'Basic authentication is disabled',
  'task-runner skipped',
  'the sk-learn package',
  'input_tokens=1200 output_tokens=30',
  'Token budget exceeded: 2048',
  'model: claude-sonnet-4-5 not found (404)',
  'the primary key: id',
  'npm_config_cache is set',
  'hf_hub_download failed',
];

const work = mkdtempSync(join(tmpdir(), 'assist-secrets-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('one table of credential shapes, used everywhere', () => {
  it.each(TOKENS)('%s: redacted by the log scrubber, the model-error scrubber and the audit log, and stripped from a command environment', async (_shape, token) => {
    const text = `before ${token} after`;
    expect(redactShapes(text)).toBe('before [redacted] after');
    expect(createScrubber({}).scrub(text)).toBe('before [redacted] after');
    expect(scrubSecrets(text)).toBe('before [redacted] after');
    const log = createAuditLog(work, 's', { secrets: [] });
    const record = await log.append({ op: 'command', path: `echo ${token}`, result: 'ok' });
    expect(record.path).toBe('echo [redacted]');
    expect(tokenShapeIn(token)).not.toBeNull();
    expect(secretEnvReason('INNOCENT_NAME', token)).toBe('value looks like a key');
  });

  it.each(CONTEXT)('%s', (_shape, text, expected) => {
    expect(redactShapes(text)).toBe(expected);
    expect(createScrubber({}).scrub(text)).toBe(expected);
  });

  it.each(PROSE)('leaves prose alone: %s', (text) => {
    expect(redactShapes(text)).toBe(text);
    expect(tokenShapeIn(text)).toBeNull();
    expect(secretEnvReason('NOTE', text)).toBeNull();
  });

  it('every token shape of the table has a case above', () => {
    for (const shape of SECRET_SHAPES.filter((s) => s.token)) {
      expect(
        TOKENS.some(([, token]) => tokenShapeIn(token) === shape.name),
        shape.name,
      ).toBe(true);
    }
  });

  it(`one minimum length (${MIN_SECRET_LENGTH}) for known values, everywhere`, async () => {
    const env = { SHORT_TOKEN: 'x'.repeat(MIN_SECRET_LENGTH - 1), LONG_TOKEN: 'y'.repeat(MIN_SECRET_LENGTH) };
    expect(secretValuesFromEnv(env)).toEqual([env.LONG_TOKEN]);
    const text = `${env.SHORT_TOKEN} ${env.LONG_TOKEN}`;
    const expected = `${env.SHORT_TOKEN} [redacted]`;
    expect(createScrubber(env).scrub(text)).toBe(expected);
    expect(scrubSecrets(text, Object.values(env))).toBe(expected);
    const log = createAuditLog(work, 's', { secrets: Object.values(env) });
    expect((await log.append({ op: 'read', path: text, result: 'ok' })).path).toBe(expected);
    expect(secretEnvReason('A', `v${env.LONG_TOKEN}`, Object.values(env))).toBe('value holds a known secret');
    expect(secretEnvReason('A', `v${'x'.repeat(MIN_SECRET_LENGTH - 1)}`, [env.SHORT_TOKEN])).toBeNull();
    expect(readFileSync(log.path, 'utf8')).not.toContain(env.LONG_TOKEN);
  });
});
