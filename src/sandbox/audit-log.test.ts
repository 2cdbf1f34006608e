import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditLog, secretsFromEnv, type AuditRecord } from './audit-log.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'assist-audit-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function readLines(path: string): AuditRecord[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as AuditRecord);
}

describe('createAuditLog', () => {
  it('creates the directory and appends one JSON line per event', async () => {
    const shared = join(dir, '.git', 'assist');
    const log = createAuditLog(shared, '20250101-120000-abcd', { secrets: [], now: () => new Date('2025-01-01T12:00:00Z') });
    await log.append({ op: 'send', path: 'src/a.ts', result: 'ok', requestId: 'req-1' });
    await log.append({ op: 'deny', path: '.git/config', result: 'denied', code: 'sandbox.git-dir', reason: 'path is inside a .git directory' });
    expect(log.path).toBe(join(shared, 'audit.jsonl'));
    expect(readLines(log.path)).toEqual([
      { time: '2025-01-01T12:00:00.000Z', session: '20250101-120000-abcd', op: 'send', path: 'src/a.ts', result: 'ok', requestId: 'req-1' },
      { time: '2025-01-01T12:00:00.000Z', session: '20250101-120000-abcd', op: 'deny', path: '.git/config', result: 'denied', code: 'sandbox.git-dir', reason: 'path is inside a .git directory' },
    ]);
    expect(statSync(log.path).mode & 0o777).toBe(0o600);
  });

  it('has the line on disk when append returns, before its promise is awaited (nothing left for the thread pool at exit)', async () => {
    const log = createAuditLog(join(dir, 'shared'), '20250101-120000-abcd', { secrets: [] });
    const pending = log.append({ op: 'write', path: 'a.txt', result: 'ok' });
    expect(readLines(log.path).map((r) => r.path)).toEqual(['a.txt']);
    await pending;
  });

  it('never writes a secret: env values and key-shaped tokens are redacted', async () => {
    const canary = 'canary-9f8e7d6c5b4a';
    const secrets = secretsFromEnv({ ANTHROPIC_API_KEY: canary, GITHUB_TOKEN: 'tok-1234567890', HOME: '/home/x', SHORT_TOKEN: 'abc' });
    expect(secrets).toEqual([canary, 'tok-1234567890']);
    const log = createAuditLog(dir, 's', { secrets });
    await log.append({ op: 'command', path: `curl -H "x-api-key: ${canary}" https://x`, result: '0', reason: 'key sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAA and ghp_abcdefghijklmnopqrstuvwxyz0123' });
    const text = readFileSync(log.path, 'utf8');
    expect(text).not.toContain(canary);
    expect(text).not.toContain('sk-ant-api03');
    expect(text).not.toContain('ghp_abcdef');
    expect(text).toContain('[redacted]');
  });

  it('one line per event even with newlines in a field, and long fields are capped', async () => {
    const log = createAuditLog(dir, 's', { secrets: [] });
    await log.append({ op: 'deny', path: 'a\nb', result: 'denied', reason: 'x'.repeat(10_000) });
    const lines = readLines(log.path);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.path).toBe('a\nb');
    expect(lines[0]?.reason?.length).toBeLessThan(2100);
  });

  it('re-creates the directory when it was removed', async () => {
    const shared = join(dir, 'assist');
    const log = createAuditLog(shared, 's', { secrets: [] });
    await log.append({ op: 'read', path: 'a', result: 'ok' });
    rmSync(shared, { recursive: true });
    await log.append({ op: 'read', path: 'b', result: 'ok' });
    expect(readLines(log.path).map((r) => r.path)).toEqual(['b']);
  });

  it('concurrent appends from one process and from several processes never interleave', async () => {
    const shared = join(dir, 'assist');
    const logs = Array.from({ length: 4 }, (_, i) => createAuditLog(shared, `in-${i}`, { secrets: [] }));
    await Promise.all(logs.flatMap((log, i) => Array.from({ length: 100 }, (_, n) => log.append({ op: 'write', path: `f${i}-${n}`, result: 'ok', reason: 'r'.repeat(1500) }))));

    // Other processes run this very module (and the credential table it imports), transpiled on the fly.
    const ts = await import('typescript');
    for (const [from, to] of [
      ['./audit-log.ts', 'sandbox/audit-log.js'],
      ['../util/secrets.ts', 'util/secrets.js'],
    ] as const) {
      const source = readFileSync(fileURLToPath(new URL(from, import.meta.url)), 'utf8');
      const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
      mkdirSync(join(dir, to, '..'), { recursive: true });
      writeFileSync(join(dir, to), js);
    }
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    writeFileSync(
      join(dir, 'child.mjs'),
      `import { createAuditLog } from './sandbox/audit-log.js';
       const log = createAuditLog(process.argv[2], 'proc-' + process.argv[3], { secrets: [] });
       const jobs = [];
       for (let n = 0; n < 250; n++) jobs.push(log.append({ op: 'write', path: 'p' + n, result: 'ok', reason: 'y'.repeat(1900) }));
       await Promise.all(jobs);`,
    );
    await Promise.all(
      [0, 1, 2, 3].map(
        (i) =>
          new Promise<void>((resolveChild, reject) => {
            const child = spawn(process.execPath, [join(dir, 'child.mjs'), shared, String(i)], { stdio: 'inherit' });
            child.on('error', reject);
            child.on('exit', (code) => (code === 0 ? resolveChild() : reject(new Error(`child exited ${String(code)}`))));
          }),
      ),
    );
    const records = readLines(join(shared, 'audit.jsonl'));
    expect(records).toHaveLength(400 + 1000);
    const perSession = new Map<string, number>();
    for (const r of records) perSession.set(r.session, (perSession.get(r.session) ?? 0) + 1);
    expect([...perSession.values()].sort()).toEqual([100, 100, 100, 100, 250, 250, 250, 250]);
  });
});
