import { describe, expect, it } from 'vitest';
import { createPathResolver, resolveBlocks, resolveEditPath, type PathContext } from './resolve-path.js';
import type { EditBlock } from './types.js';

const ctx: PathContext = {
  chatFiles: ['src/app/main.ts', 'lib/util.ts'],
  trackedFiles: [
    'src/app/main.ts',
    'src/util.ts',
    'lib/util.ts',
    'README.md',
    'src/config/loader.ts',
    'test/index.ts',
    'src/index.ts',
    'docs/guide/intro.md',
  ],
};

const cases: Array<{ name: string; written: string; create?: boolean; want: string | 'not-found' | 'ambiguous'; by?: string }> = [
  { name: 'chat file exact', written: 'src/app/main.ts', want: 'src/app/main.ts', by: 'chat' },
  { name: 'chat file by a shorter suffix', written: 'app/main.ts', want: 'src/app/main.ts', by: 'chat' },
  { name: 'a bare basename is a suffix of a chat file', written: 'util.ts', want: 'lib/util.ts', by: 'chat' },
  { name: 'chat wins the basename tie', written: 'other/util.ts', want: 'lib/util.ts', by: 'basename' },
  { name: 'exact tracked path beats chat basename', written: 'src/util.ts', want: 'src/util.ts', by: 'exact' },
  { name: './ and backslashes normalised', written: '.\\src\\util.ts', want: 'src/util.ts', by: 'exact' },
  { name: 'tracked suffix', written: 'guide/intro.md', want: 'docs/guide/intro.md', by: 'suffix' },
  { name: 'unique tracked basename', written: 'loader.ts', want: 'src/config/loader.ts', by: 'basename' },
  { name: 'basename shared by two tracked files is ambiguous', written: 'index.ts', want: 'ambiguous' },
  { name: 'close spelling', written: 'src/config/loadr.ts', want: 'src/config/loader.ts', by: 'spelling' },
  { name: 'case difference is a close spelling', written: 'readme.md', want: 'README.md', by: 'spelling' },
  { name: 'too far to be a typo', written: 'src/zzz/other.ts', want: 'not-found' },
  { name: 'empty SEARCH takes the path literally', written: 'src/new.ts', create: true, want: 'src/new.ts', by: 'literal' },
  { name: 'empty SEARCH on a basename stays literal', written: 'util.ts', create: true, want: 'util.ts', by: 'literal' },
];

describe('resolveEditPath', () => {
  it.each(cases)('$name', ({ written, create, want, by }) => {
    const r = resolveEditPath(written, create ?? false, ctx);
    if (want === 'not-found' || want === 'ambiguous') {
      expect(r).toMatchObject({ ok: false, reason: want });
      return;
    }
    expect(r).toMatchObject({ ok: true, file: want, by });
  });

  it('says whether a literal path is known', () => {
    expect(resolveEditPath('README.md', true, ctx)).toMatchObject({ known: true });
    expect(resolveEditPath('NEW.md', true, ctx)).toMatchObject({ known: false });
  });

  it('answers a path listed exactly as written without normalizing the whole listing, and one listed unnormalized after it', () => {
    // Counts the passes over the tracked files that build the resolver's indexes.
    let passes = 0;
    class Listing extends Array<string> {
      override map<U>(fn: (value: string, index: number, array: string[]) => U): U[] {
        passes++;
        return [...this].map(fn);
      }
    }
    const tracked = Listing.from(['src/a.ts', './lib//b.ts', 'c/d.ts']);
    const resolve = createPathResolver({ chatFiles: [], trackedFiles: tracked });
    expect(resolve('src/a.ts', false)).toMatchObject({ ok: true, file: 'src/a.ts', by: 'exact' });
    expect(resolve('./src/a.ts', true)).toMatchObject({ ok: true, file: 'src/a.ts', by: 'literal', known: true });
    expect(passes).toBe(0);
    // Listed as `./lib//b.ts`: found once the listing is normalized, as before.
    expect(resolve('lib/b.ts', false)).toMatchObject({ ok: true, file: 'lib/b.ts', by: 'exact' });
    expect(resolve('lib/b.ts', true)).toMatchObject({ known: true });
    expect(resolve('d.ts', false)).toMatchObject({ ok: true, file: 'c/d.ts', by: 'basename' });
    expect(resolve('e.ts', true)).toMatchObject({ known: false });
    expect(passes).toBe(1);
  });
});

describe('resolveBlocks', () => {
  const mk = (path: string, search: string, index: number): EditBlock => ({
    index,
    path,
    pathInherited: false,
    search,
    replace: 'x\n',
    line: 1,
  });

  it('resolves what it can and fails the rest with candidates', () => {
    const r = resolveBlocks([mk('loader.ts', 'a\n', 0), mk('index.ts', 'a\n', 1), mk('nothing/here.ts', 'a\n', 2)], ctx);
    expect(r.blocks.map((b) => [b.index, b.file, b.resolvedBy])).toEqual([[0, 'src/config/loader.ts', 'basename']]);
    expect(r.failed.map((f) => [f.block.index, f.reason])).toEqual([
      [1, 'path-ambiguous'],
      [2, 'file-not-found'],
    ]);
    expect(r.failed[0]!.candidatePaths).toEqual(['test/index.ts', 'src/index.ts']);
    expect(r.failed[1]!.message).toMatch(/empty SEARCH/);
  });
});

describe('resolveEditPath: names with spaces, quotes, dots and no extension (issue 24 item 4)', () => {
  const odd: PathContext = {
    chatFiles: [],
    trackedFiles: ['config copy.txt', "docs/what's-new.md", '.prettierignore', 'web/.gitattributes', '.python-version', 'VERSION', 'tools/Makefile'],
  };
  it.each([
    ['config copy.txt', 'config copy.txt', 'exact'],
    ["docs/what's-new.md", "docs/what's-new.md", 'exact'],
    ['.prettierignore', '.prettierignore', 'exact'],
    ['.python-version', '.python-version', 'exact'],
    ['.gitattributes', 'web/.gitattributes', 'basename'],
    ['VERSION', 'VERSION', 'exact'],
    ['Makefile', 'tools/Makefile', 'basename'],
  ])('%s resolves to %s', (written, want, by) => {
    expect(resolveEditPath(written, false, odd)).toMatchObject({ ok: true, file: want, by });
  });
});
