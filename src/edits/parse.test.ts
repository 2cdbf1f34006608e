import { describe, expect, it } from 'vitest';
import { parseEditBlocks } from './parse.js';

const F = '```';
const block = (search: string, replace: string, n = 7): string =>
  `${'<'.repeat(n)} SEARCH\n${search}${'='.repeat(n)}\n${replace}${'>'.repeat(n)} REPLACE`;
const std = block('old\n', 'new\n');

interface Case {
  name: string;
  reply: string;
  /** Expected blocks as [path, search, replace, inherited?]. */
  blocks: Array<[string, string, string, boolean?]>;
  errors?: Array<'missing-path' | 'missing-divider' | 'missing-replace'>;
}

const cases: Case[] = [
  {
    name: 'path alone on the line before the fence',
    reply: `Here it is:\n\nsrc/a.ts\n${F}ts\n${std}\n${F}\n`,
    blocks: [['src/a.ts', 'old\n', 'new\n']],
  },
  {
    name: 'path as the fence first line',
    reply: `${F}ts\nsrc/a.ts\n${std}\n${F}`,
    blocks: [['src/a.ts', 'old\n', 'new\n']],
  },
  {
    name: 'path in the fence info string',
    reply: `${F}src/a.ts\n${std}\n${F}`,
    blocks: [['src/a.ts', 'old\n', 'new\n']],
  },
  {
    name: 'path after lang: in the fence info string',
    reply: `${F}python:pkg/mod.py\n${std}\n${F}`,
    blocks: [['pkg/mod.py', 'old\n', 'new\n']],
  },
  {
    name: 'path wrapped in its own fence',
    reply: `${F}\nsrc/a.ts\n${F}\n${F}ts\n${std}\n${F}`,
    blocks: [['src/a.ts', 'old\n', 'new\n']],
  },
  {
    name: 'stray # heading before the path',
    reply: `### src/a.ts\n${F}ts\n${std}\n${F}`,
    blocks: [['src/a.ts', 'old\n', 'new\n']],
  },
  {
    name: 'bold path with trailing colon',
    reply: `**src/a.ts**:\n${F}ts\n${std}\n${F}`,
    blocks: [['src/a.ts', 'old\n', 'new\n']],
  },
  {
    name: 'backticked path',
    reply: `\`src/a.ts\`\n${F}ts\n${std}\n${F}`,
    blocks: [['src/a.ts', 'old\n', 'new\n']],
  },
  {
    name: 'File: prefix',
    reply: `File: src/a.ts\n${F}ts\n${std}\n${F}`,
    blocks: [['src/a.ts', 'old\n', 'new\n']],
  },
  {
    name: 'underscores in a path survive',
    reply: `pkg/__init__.py\n${F}python\n${std}\n${F}`,
    blocks: [['pkg/__init__.py', 'old\n', 'new\n']],
  },
  {
    name: 'extensionless well-known file name',
    reply: `Makefile\n${F}make\n${std}\n${F}`,
    blocks: [['Makefile', 'old\n', 'new\n']],
  },
  {
    name: 'blank line between path and fence is tolerated',
    reply: `src/a.ts\n\n${F}ts\n${std}\n${F}`,
    blocks: [['src/a.ts', 'old\n', 'new\n']],
  },
  {
    name: '5 marker characters',
    reply: `a.py\n${F}\n${block('x\n', 'y\n', 5)}\n${F}`,
    blocks: [['a.py', 'x\n', 'y\n']],
  },
  {
    name: '9 marker characters',
    reply: `a.py\n${F}\n${block('x\n', 'y\n', 9)}\n${F}`,
    blocks: [['a.py', 'x\n', 'y\n']],
  },
  {
    name: 'mixed marker lengths',
    reply: `a.py\n${F}\n<<<<<< SEARCH\nx\n========\ny\n>>>>>>>>> REPLACE\n${F}`,
    blocks: [['a.py', 'x\n', 'y\n']],
  },
  {
    name: '4 or 10 marker characters are not markers',
    reply: `a.py\n${F}\n<<<< SEARCH\nx\n====\ny\n>>>> REPLACE\n${F}\n<<<<<<<<<< SEARCH\n`,
    blocks: [],
  },
  {
    name: 'a block without a path reuses the previous path',
    reply: `a.py\n${F}\n${std}\n${F}\n\nAnd then:\n\n${F}\n${block('x\n', 'y\n')}\n${F}`,
    blocks: [
      ['a.py', 'old\n', 'new\n', false],
      ['a.py', 'x\n', 'y\n', true],
    ],
  },
  {
    name: 'the first block without a path is an error, later ones still parse',
    reply: `Do this:\n${F}\n${std}\n${F}\nb.py\n${F}\n${block('x\n', 'y\n')}\n${F}`,
    blocks: [['b.py', 'x\n', 'y\n']],
    errors: ['missing-path'],
  },
  {
    name: 'missing divider is an error naming =======',
    reply: `a.py\n${F}\n<<<<<<< SEARCH\nold\n>>>>>>> REPLACE\n${F}`,
    blocks: [],
    errors: ['missing-divider'],
  },
  {
    name: 'missing REPLACE at the end of the reply',
    reply: `a.py\n${F}\n<<<<<<< SEARCH\nold\n=======\nnew\n${F}`,
    blocks: [],
    errors: ['missing-replace'],
  },
  {
    name: 'missing REPLACE before the next block: the next block still parses',
    reply: `a.py\n${F}\n<<<<<<< SEARCH\nold\n=======\nnew\n${F}\nb.py\n${F}\n${block('x\n', 'y\n')}\n${F}`,
    blocks: [['b.py', 'x\n', 'y\n']],
    errors: ['missing-replace'],
  },
  {
    name: 'sh fence is still an edit when a SEARCH marker follows',
    reply: `run.sh\n${F}sh\n${block('echo a\n', 'echo b\n')}\n${F}`,
    blocks: [['run.sh', 'echo a\n', 'echo b\n']],
  },
  {
    name: 'csharp fence is still an edit',
    reply: `Program.cs\n${F}csharp\n${block('int a;\n', 'int b;\n')}\n${F}`,
    blocks: [['Program.cs', 'int a;\n', 'int b;\n']],
  },
  {
    name: 'blocks without fences',
    reply: `src/a.ts\n${std}\n\nsrc/b.ts\n${block('1\n', '2\n')}\n`,
    blocks: [
      ['src/a.ts', 'old\n', 'new\n'],
      ['src/b.ts', '1\n', '2\n'],
    ],
  },
  {
    name: 'several blocks in one fence',
    reply: `a.py\n${F}python\n${std}\n${block('x\n', 'y\n')}\n${F}`,
    blocks: [
      ['a.py', 'old\n', 'new\n', false],
      ['a.py', 'x\n', 'y\n', true],
    ],
  },
  {
    name: 'several blocks for different files in one fence',
    reply: `${F}\na.py\n${std}\nb.py\n${block('x\n', 'y\n')}\n${F}`,
    blocks: [
      ['a.py', 'old\n', 'new\n'],
      ['b.py', 'x\n', 'y\n'],
    ],
  },
  {
    name: '... lines between blocks',
    reply: `a.py\n${F}python\n${std}\n...\n${block('x\n', 'y\n')}\n${F}`,
    blocks: [
      ['a.py', 'old\n', 'new\n'],
      ['a.py', 'x\n', 'y\n', true],
    ],
  },
  {
    name: 'empty SEARCH (create)',
    reply: `new/file.md\n${F}\n${block('', '# Title\n')}\n${F}`,
    blocks: [['new/file.md', '', '# Title\n']],
  },
  {
    name: 'empty REPLACE (delete)',
    reply: `a.py\n${F}\n${block('gone\n', '')}\n${F}`,
    blocks: [['a.py', 'gone\n', '']],
  },
  {
    name: 'CRLF reply',
    reply: `a.py\r\n${F}\r\n${std.replace(/\n/g, '\r\n')}\r\n${F}\r\n`,
    blocks: [['a.py', 'old\n', 'new\n']],
  },
  {
    name: 'prose line ending in a colon is not a path',
    reply: `Change the greeting:\n${F}\n${std}\n${F}`,
    blocks: [],
    errors: ['missing-path'],
  },
  {
    name: 'fences inside SEARCH text (a markdown file) are content',
    reply: `README.md\n${'````'}\n${block(`${F}sh\nnpm i\n${F}\n`, `${F}sh\nnpm ci\n${F}\n`)}\n${'````'}`,
    blocks: [['README.md', `${F}sh\nnpm i\n${F}\n`, `${F}sh\nnpm ci\n${F}\n`]],
  },
  {
    name: 'whitespace inside SEARCH and REPLACE kept verbatim',
    reply: `a.py\n${F}\n${block('\tif x:  \n        y\n', '\n\tz\n')}\n${F}`,
    blocks: [['a.py', '\tif x:  \n        y\n', '\n\tz\n']],
  },
];

describe('parseEditBlocks', () => {
  it.each(cases)('$name', ({ reply, blocks, errors }) => {
    const r = parseEditBlocks(reply);
    expect(r.errors.map((e) => e.code)).toEqual(errors ?? []);
    expect(r.blocks.map((b) => [b.path, b.search, b.replace])).toEqual(blocks.map(([p, s, x]) => [p, s, x]));
    blocks.forEach(([, , , inherited], k) => {
      if (inherited !== undefined) expect(r.blocks[k]!.pathInherited).toBe(inherited);
    });
  });

  it('records the index and reply line of each block, errors included', () => {
    const reply = `intro\n${F}\n${std}\n${F}\na.py\n${F}\n${std}\n${F}`;
    const r = parseEditBlocks(reply);
    expect(r.errors[0]).toMatchObject({ index: 0, line: 3, code: 'missing-path' });
    expect(r.errors[0]!.message).toMatch(/alone on the line before the opening fence/);
    expect(r.blocks[0]).toMatchObject({ index: 1, line: 11 });
  });

  it('names what was expected in divider and replace errors', () => {
    const d = parseEditBlocks(`a.py\n<<<<<<< SEARCH\nold\n`);
    expect(d.errors[0]!.message).toMatch(/expected `=======`.*found the end of the reply/);
    const r = parseEditBlocks(`a.py\n<<<<<<< SEARCH\nold\n=======\nnew\n<<<<<<< SEARCH\n`);
    expect(r.errors[0]!.message).toMatch(/expected `>>>>>>> REPLACE`.*found a new `<<<<<<< SEARCH` on line 6/);
  });

  it('returns nothing for a reply without blocks', () => {
    expect(parseEditBlocks('Sure, the code looks fine.\n```ts\nconst a = 1;\n```')).toEqual({ blocks: [], errors: [] });
  });
});

describe('parseEditBlocks: names that are not plain paths (issue 24 item 4)', () => {
  const first = `a.py\n${F}\n${std}\n${F}\n\n`;
  const second = block('x\n', 'y\n');
  const known = new Set(['a.py', 'config copy.txt', "docs/what's-new.md", 'VERSION', 'BUILDINFO', '.prettierignore']);

  const named: Array<{ name: string; line: string; want: string; knownPaths?: ReadonlySet<string> }> = [
    { name: 'a tracked name with a space', line: 'config copy.txt', want: 'config copy.txt', knownPaths: known },
    { name: 'a tracked name with a quote', line: "docs/what's-new.md", want: "docs/what's-new.md", knownPaths: known },
    { name: 'a tracked name in double quotes', line: '"config copy.txt"', want: 'config copy.txt', knownPaths: known },
    { name: 'a tracked name written with ./', line: './config copy.txt', want: 'config copy.txt', knownPaths: known },
    { name: 'a tracked extensionless name no rule knows', line: 'BUILDINFO', want: 'BUILDINFO', knownPaths: known },
    { name: 'a backticked name with a space (a new file)', line: '`notes for me.md`', want: 'notes for me.md' },
    { name: "a backticked name with a quote (a new file)", line: "`docs/what's-new.md`", want: "docs/what's-new.md" },
    { name: 'dotfile .prettierignore', line: '.prettierignore', want: '.prettierignore' },
    { name: 'dotfile .gitattributes', line: '.gitattributes', want: '.gitattributes' },
    { name: 'dotfile .python-version', line: '.python-version', want: '.python-version' },
    { name: 'extensionless VERSION', line: 'VERSION', want: 'VERSION' },
    { name: 'a Makefile-like name', line: 'Snakefile', want: 'Snakefile' },
  ];

  it.each(named)('$name after another block is that path, not the previous one', ({ line, want, knownPaths }) => {
    const r = parseEditBlocks(`${first}${line}\n${F}\n${second}\n${F}\n`, knownPaths ? { knownPaths } : {});
    expect(r.errors).toEqual([]);
    expect(r.blocks.map((b) => [b.path, b.pathInherited])).toEqual([
      ['a.py', false],
      [want, false],
    ]);
  });

  it.each([
    ['an untracked name with a space', 'config copy.txt'],
    ['an untracked name with a quote', "docs/what's-new.md"],
    ['prose naming a file', 'Now the same change in main.ts:'],
    ['a URL', 'See https://example.com/guide.html'],
  ])('%s is reported back, never given the previous block\'s path', (_name, line) => {
    const r = parseEditBlocks(`${first}${line}\n${F}\n${second}\n${F}\n`, { knownPaths: new Set(['a.py']) });
    expect(r.blocks.map((b) => b.path)).toEqual(['a.py']);
    expect(r.errors.map((e) => e.code)).toEqual(['unclear-path']);
    expect(r.errors[0]!.message).toContain(`\`${line}\``);
    expect(r.errors[0]!.message).toMatch(/alone on the line before the opening fence/);
  });

  it('a first block under an unclear line is an unclear-path error too', () => {
    const r = parseEditBlocks(`config copy.txt\n${F}\n${std}\n${F}\n`);
    expect(r.errors.map((e) => [e.code, e.line])).toEqual([['unclear-path', 3]]);
  });

  it('a tracked name in the fence info string', () => {
    const r = parseEditBlocks(`${F}config copy.txt\n${std}\n${F}\n`, { knownPaths: known });
    expect(r.blocks.map((b) => b.path)).toEqual(['config copy.txt']);
  });

  it('prose that names no file still lets a block reuse the previous path', () => {
    const r = parseEditBlocks(`${first}And then, further down:\n\n${F}\n${second}\n${F}\n`, { knownPaths: known });
    expect(r.errors).toEqual([]);
    expect(r.blocks.map((b) => [b.path, b.pathInherited])).toEqual([
      ['a.py', false],
      ['a.py', true],
    ]);
  });
});
