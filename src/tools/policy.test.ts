import { existsSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo, type TempRepo } from '../../test/helpers/git-repo.js';
import { toolContext } from '../../test/helpers/tool-context.js';
import { editFileTool } from './edit-file.js';
import { readFileTool } from './read-file.js';
import type { Tool } from './types.js';
import { writeFileTool } from './write-file.js';

// Hostile paths a model may send: each is refused, audited with its code, and its content never comes back.
const CANARY = 'canary-5be1c0-do-not-leak';

function hostileRepo(): TempRepo {
  const repo = tempRepo({ files: { 'a.txt': 'fine\n', '.gitignore': 'secret.log\n' } });
  writeFileSync(join(repo.home, 'outside.txt'), `${CANARY}\n`);
  symlinkSync(join(repo.home, 'outside.txt'), join(repo.dir, 'out-link'));
  symlinkSync('/etc/passwd', join(repo.dir, 'passwd-link'));
  repo.commitAll('tracked symlinks pointing out of the repository');
  repo.write('.env', `API_TOKEN=${CANARY}\n`);
  repo.write('secret.log', `${CANARY}\n`);
  return repo;
}

const readCases: Array<[string, (repo: TempRepo) => string, string]> = [
  ['parent traversal', () => '../home/outside.txt', 'sandbox.outside-read-paths'],
  ['absolute path', (repo) => join(repo.home, 'outside.txt'), 'sandbox.outside-read-paths'],
  ['/etc/passwd', () => '/etc/passwd', 'sandbox.outside-read-paths'],
  ['tracked symlink to a file outside', () => 'out-link', 'sandbox.outside-read-paths'],
  ['tracked symlink to /etc/passwd', () => 'passwd-link', 'sandbox.outside-read-paths'],
  ['.env', () => '.env', 'sandbox.env-file'],
  ['.git/config', () => '.git/config', 'sandbox.git-dir'],
  ['.GIT/config', () => '.GIT/config', 'sandbox.git-dir'],
  ['a git-ignored file', () => 'secret.log', 'sandbox.ignored'],
  ['a NUL byte', () => 'a.txt\0../../etc/passwd', 'sandbox.nul-byte'],
];

describe('read_file refuses hostile paths', () => {
  it.each(readCases)('%s', async (_name, path, code) => {
    await using repo = hostileRepo();
    const ctx = await toolContext(repo);
    const out = await readFileTool.run({ path: path(repo) }, ctx);
    expect(out).toMatchObject({ kind: 'result', ok: false, status: expect.stringContaining(`denied (${code})`) });
    expect(out.kind === 'result' && out.text).not.toContain(CANARY);
    expect(out.kind === 'result' && out.text).not.toMatch(/root:/);
    expect(ctx.auditRecords()).toEqual([expect.objectContaining({ op: 'deny', result: 'denied', code, requestId: 'req-1' })]);
    expect(ctx.readFiles.size).toBe(0);
  });

  it('reads .env and an ignored file once the person added them by name', async () => {
    await using repo = hostileRepo();
    const ctx = await toolContext(repo, { addedByName: ['.env', 'secret.log'] });
    expect(await readFileTool.run({ path: '.env' }, ctx)).toMatchObject({ ok: true, text: `1\tAPI_TOKEN=${CANARY}` });
    expect(await readFileTool.run({ path: 'secret.log' }, ctx)).toMatchObject({ ok: true });
    expect(ctx.auditRecords().map((r) => [r.op, r.path])).toEqual([
      ['read', '.env'],
      ['read', 'secret.log'],
    ]);
  });
});

const writeCases: Array<[string, string, string]> = [
  ['a git hook', '.git/hooks/pre-commit', 'sandbox.git-dir'],
  ['the git config', '.git/config', 'sandbox.git-dir'],
  ['parent traversal', '../home/evil.sh', 'sandbox.traversal'],
  ['an absolute path', '/tmp/evil.sh', 'sandbox.absolute'],
  ['a tracked symlink pointing outside', 'out-link', 'sandbox.symlink-escape'],
  ['.env', '.env', 'sandbox.env-file'],
  ['.env.local', 'config/.env.local', 'sandbox.env-file'],
  ['a git-ignored file', 'secret.log', 'sandbox.ignored'],
  ['a NUL byte', 'a.txt\0x', 'sandbox.nul-byte'],
];

const writers: Array<[string, Tool, (path: string) => Record<string, unknown>]> = [
  ['edit_file', editFileTool, (path) => ({ path, search: '', replace: '#!/bin/sh\necho pwned\n' })],
  ['write_file', writeFileTool, (path) => ({ path, content: '#!/bin/sh\necho pwned\n' })],
];

describe.each(writers)('%s refuses hostile paths', (_tool, tool, args) => {
  it.each(writeCases)('%s', async (_name, path, code) => {
    await using repo = hostileRepo();
    const ctx = await toolContext(repo, { readFiles: ['.env', 'secret.log', 'out-link'] });
    const out = await tool.run(args(path), ctx);
    expect(out).toMatchObject({ kind: 'result', ok: false, status: expect.stringContaining(`denied (${code})`) });
    expect(out.kind === 'result' && out.text).not.toContain(CANARY);
    expect(ctx.pending.size).toBe(0);
    expect(ctx.auditRecords()).toEqual([expect.objectContaining({ op: 'deny', code })]);
    expect(existsSync(join(repo.dir, '.git/hooks/pre-commit'))).toBe(false);
  });

  it('writes .env once the person added it by name', async () => {
    await using repo = hostileRepo();
    const ctx = await toolContext(repo, { addedByName: ['.env'], readFiles: ['.env'] });
    expect(await tool.run(args('.env'), ctx)).toMatchObject({ kind: 'edit', path: '.env' });
  });
});
