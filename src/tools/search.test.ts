import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { toolContext } from '../../test/helpers/tool-context.js';
import { expandBraces, searchPathspecs, searchTool } from './search.js';
import type { ToolOutcome } from './types.js';

function text(outcome: ToolOutcome): string {
  return outcome.kind === 'result' ? outcome.text : '';
}

const CANARY = 'canary-7f3a9d-applyDiscount';

describe('search', () => {
  it('finds matches in tracked and untracked files as path:line:text, skipping ignored, .env and binary files', async () => {
    await using repo = tempRepo({
      files: {
        '.gitignore': 'build/\n',
        'src/cart.ts': 'export function applyDiscount(p: number) {\n  return p;\n}\n',
        'src/use.ts': "import { applyDiscount } from './cart';\n",
        'docs/a:b.md': 'applyDiscount in a file name with a colon\n',
      },
    });
    repo.write('src/draft.ts', 'applyDiscount(3)\n');
    repo.write('build/out.js', 'applyDiscount()\n');
    repo.write('.env', `TOKEN=${CANARY}\n`);
    writeFileSync(join(repo.dir, 'blob.bin'), Buffer.from('applyDiscount\0\x01'));
    symlinkSync('/etc/hostname', join(repo.dir, 'host-link'));
    const ctx = await toolContext(repo);
    const out = await searchTool.run({ pattern: 'applyDiscount' }, ctx);
    expect(out).toMatchObject({ ok: true, status: 'search "applyDiscount" → 4 matches' });
    expect(text(out).split('\n')).toEqual([
      'docs/a:b.md:1:applyDiscount in a file name with a colon',
      'src/cart.ts:1:export function applyDiscount(p: number) {',
      'src/draft.ts:1:applyDiscount(3)',
      "src/use.ts:1:import { applyDiscount } from './cart';",
    ]);
    expect(text(out)).not.toContain(CANARY);
    expect(ctx.auditRecords()).toEqual([expect.objectContaining({ op: 'read', path: '.', result: 'ok', reason: 'search applyDiscount' })]);

    repo.write('config/.Env.local', `applyDiscount ${CANARY}\n`);
    repo.write('.env.example', 'applyDiscount=\n');
    const templates = text(await searchTool.run({ pattern: 'applyDiscount', path: '.' }, ctx));
    expect(templates).toContain('.env.example:1:applyDiscount=');
    expect(templates).not.toContain(CANARY);

    const named = await toolContext(repo, { addedByName: ['.env'] });
    expect(text(await searchTool.run({ pattern: 'canary-7f3a9d' }, named))).toBe(`.env:1:TOKEN=${CANARY}`);
  });

  it('limits by path and glob, ignores case on request', async () => {
    await using repo = tempRepo({ files: { 'src/a.ts': 'Needle\n', 'src/b.js': 'needle\n', 'test/c.ts': 'needle\n' } });
    const ctx = await toolContext(repo);
    expect(text(await searchTool.run({ pattern: 'needle', path: 'src' }, ctx))).toBe('src/b.js:1:needle');
    expect(text(await searchTool.run({ pattern: 'needle', path: 'src', ignore_case: true }, ctx))).toBe('src/a.ts:1:Needle\nsrc/b.js:1:needle');
    expect(text(await searchTool.run({ pattern: 'needle', glob: '*.ts' }, ctx))).toBe('test/c.ts:1:needle');
    expect(text(await searchTool.run({ pattern: 'needle', glob: '*.{ts,js}', ignore_case: true }, ctx)).split('\n')).toHaveLength(3);
    expect(text(await searchTool.run({ pattern: 'needle', path: 'src/b.js' }, ctx))).toBe('src/b.js:1:needle');
  });

  it('says "no matches" for exit 1, and gives git\'s message for an invalid regex', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'x\n' } });
    const ctx = await toolContext(repo);
    expect(await searchTool.run({ pattern: 'nothing-like-this' }, ctx)).toMatchObject({ ok: true, text: 'no matches', status: 'search "nothing-like-this" → 0 matches' });
    const bad = await searchTool.run({ pattern: 'foo(' }, ctx);
    expect(bad).toMatchObject({ ok: false, status: 'search "foo(": error' });
    expect(text(bad)).toMatch(/^The search failed: .*Unmatched \( or \\\(/);
    expect(await searchTool.run({ pattern: '-e' }, ctx)).toMatchObject({ ok: true, text: 'no matches' });
  });

  it('caps the output, counts the rest and cuts long lines', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `hit number ${i} ${'pad '.repeat(10)}`).join('\n');
    await using repo = tempRepo({ files: { 'many.txt': `${lines}\n`, 'long.txt': `hit ${'y'.repeat(2000)}\n` } });
    const ctx = await toolContext(repo, { configure: (c) => void (c.tools.maxResultTokens = 2000) });
    const out = await searchTool.run({ pattern: 'hit' }, ctx);
    const shown = text(out).split('\n');
    const note = /^… ([\d,]+) more matches \(narrow the pattern, path or glob\)$/.exec(shown.at(-1) ?? '');
    expect(note).not.toBeNull();
    const more = Number((note?.[1] ?? '').replace(/,/g, ''));
    expect(shown.length - 1 + more).toBe(3001);
    expect(out.status).toBe('search "hit" → 3,001 matches');
    expect(shown[0]).toBe(`long.txt:1:hit ${'y'.repeat(496)} [… line cut]`);
    expect(text(out).length).toBeLessThanOrEqual(2000 * 3.7);
  });

  it('refuses scopes outside the repository or in .git, with an audit line', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'x\n' } });
    const ctx = await toolContext(repo);
    for (const path of ['../', '/etc', '.git', '.git/hooks']) {
      const out = await searchTool.run({ pattern: 'root', path }, ctx);
      expect(out, path).toMatchObject({ ok: false });
      expect(text(out)).not.toContain('root:');
      expect(ctx.auditRecords().at(-1)).toMatchObject({ op: 'deny', code: expect.stringMatching(/^sandbox\./) });
    }
  });
});

describe('searchPathspecs', () => {
  it('takes the folder literally and the glob within it at any depth', () => {
    expect(searchPathspecs('', undefined)).toEqual([]);
    expect(searchPathspecs('src/[id]', undefined)).toEqual([':(literal)src/[id]']);
    expect(searchPathspecs('src/[id]', '*.ts')).toEqual([':(glob)src/\\[id\\]/**/*.ts']);
    expect(searchPathspecs('', 'lib/*.py')).toEqual([':(glob)lib/*.py']);
    expect(expandBraces('*.{ts,tsx}')).toEqual(['*.ts', '*.tsx']);
  });
});
