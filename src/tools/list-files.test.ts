import { rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { toolContext } from '../../test/helpers/tool-context.js';
import { listFilesTool, MAX_LISTED } from './list-files.js';

const files = {
  '.gitignore': 'dist/\n*.log\n',
  'README.md': '# r\n',
  'src/app.ts': 'a\n',
  'src/app.test.ts': 't\n',
  'src/lib/util.ts': 'u\n',
  'docs/guide.md': 'g\n',
  '.env.example': 'KEY=\n',
  'old.txt': 'gone soon\n',
};

describe('list_files', () => {
  it('lists tracked and untracked-not-ignored files, sorted, without deleted ones and .env files', async () => {
    await using repo = tempRepo({ files });
    repo.write('src/new.ts', 'n\n');
    repo.write('dist/out.js', 'ignored\n');
    repo.write('debug.log', 'ignored\n');
    repo.write('.env', 'SECRET=1\n');
    rmSync(join(repo.dir, 'old.txt'));
    const ctx = await toolContext(repo);
    const out = await listFilesTool.run({}, ctx);
    expect(out).toMatchObject({ kind: 'result', ok: true, status: 'list . → 8 files' });
    expect(out.kind === 'result' && out.text.split('\n')).toEqual([
      '.env.example',
      '.gitignore',
      'README.md',
      'docs/guide.md',
      'src/app.test.ts',
      'src/app.ts',
      'src/lib/util.ts',
      'src/new.ts',
    ]);
    const named = await toolContext(repo, { addedByName: ['.env'] });
    expect((await listFilesTool.run({}, named)).status).toBe('list . → 9 files');
  });

  it('limits to a folder and a glob relative to it; a glob without / matches names at any depth', async () => {
    await using repo = tempRepo({ files });
    const ctx = await toolContext(repo);
    expect(await listFilesTool.run({ path: 'src/', pattern: '*.test.ts' }, ctx)).toMatchObject({ text: 'src/app.test.ts', status: 'list src/ *.test.ts → 1 file' });
    expect(await listFilesTool.run({ path: './src', pattern: 'lib/*.ts' }, ctx)).toMatchObject({ text: 'src/lib/util.ts' });
    expect(await listFilesTool.run({ pattern: '**/*.md' }, ctx)).toMatchObject({ text: 'README.md\ndocs/guide.md' });
    expect(await listFilesTool.run({ path: 'nothing-here' }, ctx)).toMatchObject({ ok: true, text: 'No files in nothing-here/.' });
  });

  it('caps the listing with a count of the rest', async () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < MAX_LISTED + 37; i++) many[`gen/f${String(i).padStart(4, '0')}.txt`] = 'x\n';
    await using repo = tempRepo({ files: many });
    const ctx = await toolContext(repo);
    const out = await listFilesTool.run({ path: 'gen' }, ctx);
    expect(out.status).toBe(`list gen/ → ${MAX_LISTED + 37} files`);
    const lines = out.kind === 'result' ? out.text.split('\n') : [];
    expect(lines).toHaveLength(MAX_LISTED + 1);
    expect(lines.at(-1)).toBe('… and 37 more (narrow with path or pattern)');
  });

  it('refuses folders outside the repository, in .git, or behind a symlink that leaves it, with an audit line', async () => {
    await using repo = tempRepo({ files });
    symlinkSync(repo.home, join(repo.dir, 'escape'));
    const ctx = await toolContext(repo);
    for (const [path, code] of [
      ['..', 'sandbox.outside-read-paths'],
      ['/etc', 'sandbox.outside-read-paths'],
      ['.git', 'sandbox.git-dir'],
      ['src/../../', 'sandbox.outside-read-paths'],
      ['escape', 'sandbox.outside-read-paths'],
    ] as const) {
      const out = await listFilesTool.run({ path }, ctx);
      expect(out, path).toMatchObject({ ok: false, status: expect.stringContaining('denied') });
      expect(ctx.auditRecords().at(-1), path).toMatchObject({ op: 'deny', result: 'denied', code, requestId: 'req-1' });
    }
  });
});
