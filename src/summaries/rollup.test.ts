import { describe, expect, it } from 'vitest';
import { buildTree, updateRollups, type RollupFile } from './rollup.js';

const files: RollupFile[] = [
  { path: 'README.md', blob: 'r1', kind: 'outline' },
  { path: 'src/a.ts', blob: 'a1', kind: 'outline' },
  { path: 'src/b.ts', blob: 'b1', kind: undefined },
  { path: 'src/deep/c.py', blob: 'c1', kind: 'model' },
  { path: 'lib/d.go', blob: 'd1', kind: 'outline' },
];

const firstLines = async (list: RollupFile[]): Promise<Map<string, string>> => new Map(list.filter((f) => f.kind).map((f) => [f.path, `summary of ${f.path}`]));

describe('directory roll-ups', () => {
  it('lists sub-directories by their headline and files by their first summary line', async () => {
    const { dirs, rebuilt } = await updateRollups(buildTree(files), {}, firstLines);
    expect(rebuilt).toBe(4);
    expect(dirs['src']?.text).toBe(
      ['src/: 3 files, 1 sub-directory (2 .ts, 1 .py)', 'deep/ — 1 file (1 .py)', 'a.ts — summary of src/a.ts', 'b.ts — not summarised yet'].join('\n'),
    );
    expect(dirs['']?.text.split('\n')).toEqual([
      'repository: 5 files, 2 sub-directories (2 .ts, 1 .go, 1 .md)',
      'lib/ — 1 file (1 .go)',
      'src/ — 3 files, 1 sub-directory (2 .ts, 1 .py)',
      'README.md — summary of README.md',
    ]);
  });

  it('rebuilds exactly the directories above a changed file', async () => {
    const first = await updateRollups(buildTree(files), {}, firstLines);
    const changed = files.map((f) => (f.path === 'src/deep/c.py' ? { ...f, blob: 'c2' } : f));
    const asked: string[] = [];
    const second = await updateRollups(buildTree(changed), first.dirs, async (list) => {
      asked.push(...list.map((f) => f.path));
      return firstLines(list);
    });
    expect(second.rebuilt).toBe(3); // src/deep, src, the root; lib keeps its text
    expect(second.dirs['lib']).toBe(first.dirs['lib']);
    expect(asked.sort()).toEqual(['README.md', 'src/a.ts', 'src/b.ts', 'src/deep/c.py']);
    // A summary kind changing (outline -> model) is a change too; nothing changing rebuilds nothing.
    const kinds = changed.map((f) => (f.path === 'lib/d.go' ? { ...f, kind: 'model' as const } : f));
    expect((await updateRollups(buildTree(kinds), second.dirs, firstLines)).rebuilt).toBe(2);
    expect((await updateRollups(buildTree(changed), second.dirs, firstLines)).rebuilt).toBe(0);
  });

  it('drops directories that are gone', async () => {
    const first = await updateRollups(buildTree(files), {}, firstLines);
    const { dirs } = await updateRollups(buildTree(files.filter((f) => !f.path.startsWith('lib/'))), first.dirs, firstLines);
    expect(Object.keys(dirs).sort()).toEqual(['', 'src', 'src/deep']);
  });
});
