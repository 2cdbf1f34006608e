import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { toolContext } from '../../test/helpers/tool-context.js';
import { editFileTool } from './edit-file.js';
import { readFileTool } from './read-file.js';
import { keepConventions, writeFileTool } from './write-file.js';

const cart = 'export function total(items: number[]) {\n  let sum = 0;\n  for (const i of items) sum += i;\n  return sum;\n}\n';

describe('edit_file', () => {
  it('proposes the change with a short diff, records it as pending, leaves the disk alone', async () => {
    await using repo = tempRepo({ files: { 'src/cart.ts': cart } });
    const ctx = await toolContext(repo);
    const out = await editFileTool.run({ path: 'src/cart.ts', search: '  return sum;', replace: '  if (sum > 100) sum *= 0.9;\n  return sum;' }, ctx);
    expect(out).toMatchObject({ kind: 'edit', path: 'src/cart.ts', before: cart, status: 'edit src/cart.ts (+1 -0)' });
    if (out.kind !== 'edit') return;
    expect(out.after).toBe(cart.replace('  return sum;\n', '  if (sum > 100) sum *= 0.9;\n  return sum;\n'));
    expect(out.diff).toBe(
      ['--- a/src/cart.ts', '+++ b/src/cart.ts', '@@ -2,4 +2,5 @@', '   let sum = 0;', '   for (const i of items) sum += i;', '+  if (sum > 100) sum *= 0.9;', '   return sum;', ' }'].join('\n'),
    );
    expect(ctx.pending.get('src/cart.ts')).toBe(out.after);
    expect(readFileSync(join(repo.dir, 'src/cart.ts'), 'utf8')).toBe(cart);
  });

  it('composes two edits of one step through ctx.pending', async () => {
    await using repo = tempRepo({ files: { 'src/cart.ts': cart } });
    const ctx = await toolContext(repo);
    const first = await editFileTool.run({ path: 'src/cart.ts', search: 'let sum = 0;', replace: 'let sum = 1;' }, ctx);
    const second = await editFileTool.run({ path: 'src/cart.ts', search: '  let sum = 1;\n', replace: '  let sum = 2;\n' }, ctx);
    expect(first.kind).toBe('edit');
    expect(second).toMatchObject({ kind: 'edit', status: 'edit src/cart.ts (+1 -1)' });
    if (first.kind !== 'edit' || second.kind !== 'edit') return;
    expect(second.before).toBe(first.after);
    expect(second.after).toContain('let sum = 2;');
    expect(ctx.pending.get('src/cart.ts')).toBe(second.after);
  });

  it('uses the tolerant matcher of SEARCH/REPLACE blocks (indentation)', async () => {
    await using repo = tempRepo({ files: { 'src/cart.ts': cart } });
    const ctx = await toolContext(repo);
    const out = await editFileTool.run({ path: 'src/cart.ts', search: 'let sum = 0;\nfor (const i of items) sum += i;', replace: 'let sum = 0;\nfor (const i of items) sum += 2 * i;' }, ctx);
    expect(out.kind === 'edit' && out.after).toContain('  for (const i of items) sum += 2 * i;\n');
  });

  it('reports a miss with the closest lines and no pending change', async () => {
    await using repo = tempRepo({ files: { 'src/cart.ts': cart } });
    const ctx = await toolContext(repo);
    const out = await editFileTool.run({ path: 'src/cart.ts', search: '  for (const item of items) sum += item;', replace: 'x' }, ctx);
    expect(out).toMatchObject({ kind: 'result', ok: false, status: 'edit src/cart.ts: no match' });
    expect(out.kind === 'result' && out.text).toContain('The closest lines of src/cart.ts (from line 3):\n```\n3\t  for (const i of items) sum += i;\n```');
    expect(ctx.pending.size).toBe(0);
  });

  it('creates a file with an empty search, appends to an existing one, never overwrites', async () => {
    await using repo = tempRepo({ files: { 'notes.md': '# Notes\n' } });
    const ctx = await toolContext(repo);
    expect(await editFileTool.run({ path: 'src/new.ts', search: '', replace: 'export const x = 1;' }, ctx)).toMatchObject({
      kind: 'edit',
      before: null,
      after: 'export const x = 1;\n',
      status: 'create src/new.ts (+1)',
      diff: '--- /dev/null\n+++ b/src/new.ts\n@@ -0,0 +1,1 @@\n+export const x = 1;',
    });
    expect(await editFileTool.run({ path: 'notes.md', search: '', replace: '- one\n' }, ctx)).toMatchObject({ kind: 'edit', after: '# Notes\n- one\n' });
  });

  it('refuses binary files and edits that change nothing', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'same\n' } });
    writeFileSync(join(repo.dir, 'b.bin'), Buffer.from([1, 0, 2, 10]));
    const ctx = await toolContext(repo);
    expect(await editFileTool.run({ path: 'b.bin', search: '', replace: 'x' }, ctx)).toMatchObject({ ok: false, text: expect.stringContaining('binary') });
    expect(await editFileTool.run({ path: 'a.txt', search: 'same', replace: 'same' }, ctx)).toMatchObject({ ok: false, status: 'edit a.txt: no change' });
  });
});

describe('write_file', () => {
  it('creates a new file', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const ctx = await toolContext(repo);
    expect(await writeFileTool.run({ path: 'docs/new.md', content: '# New\n' }, ctx)).toMatchObject({ kind: 'edit', path: 'docs/new.md', before: null, after: '# New\n', status: 'create docs/new.md (+1)' });
  });

  it('replaces an existing file only after read_file, keeping CRLF endings', async () => {
    await using repo = tempRepo({ files: { 'win.txt': 'one\r\ntwo\r\n' } });
    const ctx = await toolContext(repo);
    const refused = await writeFileTool.run({ path: 'win.txt', content: 'three\n' }, ctx);
    expect(refused).toMatchObject({ kind: 'result', ok: false, text: 'win.txt already exists and you have not read it: read_file it first, or use edit_file to change part of it.' });
    await readFileTool.run({ path: 'win.txt' }, ctx);
    expect(await writeFileTool.run({ path: 'win.txt', content: 'three\n' }, ctx)).toMatchObject({ kind: 'edit', before: 'one\r\ntwo\r\n', after: 'three\r\n', status: 'edit win.txt (+1 -2)' });
  });

  it('may replace a file it created or edited in this step', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const ctx = await toolContext(repo);
    await writeFileTool.run({ path: 'b.txt', content: 'first\n' }, ctx);
    expect(await writeFileTool.run({ path: 'b.txt', content: 'second\n' }, ctx)).toMatchObject({ kind: 'edit', before: 'first\n', after: 'second\n' });
  });

  it('refuses NUL bytes and content over context.max_file_bytes', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const ctx = await toolContext(repo, { configure: (c) => void (c.context.maxFileBytes = 100) });
    expect(await writeFileTool.run({ path: 'n.txt', content: 'a\0b' }, ctx)).toMatchObject({ ok: false, text: expect.stringContaining('NUL') });
    expect(await writeFileTool.run({ path: 'big.txt', content: 'x'.repeat(101) }, ctx)).toMatchObject({ ok: false, status: 'write big.txt: too large' });
    expect(ctx.pending.size).toBe(0);
  });

  it('keepConventions keeps a BOM and CRLF only when the new text has none of its own', () => {
    expect(keepConventions('\uFEFFa\r\nb\r\n', 'c\nd\n')).toBe('\uFEFFc\r\nd\r\n');
    expect(keepConventions('a\nb\n', 'c\r\n')).toBe('c\r\n');
  });
});
