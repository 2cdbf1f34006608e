import { describe, expect, it } from 'vitest';
import { applyEdits } from './apply.js';
import type { EditBlock, FailureReason, FileInput, MatchRule } from './types.js';

const mk = (search: string, replace: string, path = 'f', index = 0): EditBlock => ({
  index,
  path,
  pathInherited: false,
  search,
  replace,
  line: 1,
});

interface Case {
  name: string;
  file: FileInput;
  edits: Array<[string, string]>;
  /** Expected new content; undefined when the file must not change. */
  want?: string;
  rules?: MatchRule[];
  fail?: FailureReason;
  candidates?: number[];
  before?: [number, number];
  after?: [number, number];
  maxFileBytes?: number;
}

const py = 'def a():\n    return 1\n\n\ndef b():\n    return 2\n';

const cases: Case[] = [
  // exact
  { name: 'exact single line', file: 'a\nb\nc\n', edits: [['b\n', 'B\n']], want: 'a\nB\nc\n', rules: ['exact'], before: [2, 2], after: [2, 2] },
  { name: 'exact multi-line', file: py, edits: [['def b():\n    return 2\n', 'def b():\n    return 3\n']], want: py.replace('return 2', 'return 3'), rules: ['exact'] },
  { name: 'exact duplicate replaces the first occurrence', file: 'x = 1\ny\nx = 1\n', edits: [['x = 1\n', 'x = 2\n']], want: 'x = 2\ny\nx = 1\n', rules: ['exact'], before: [1, 1] },
  { name: 'exact delete lines', file: 'a\nb\nc\n', edits: [['b\n', '']], want: 'a\nc\n', after: [2, 1] },
  { name: 'exact insert more lines', file: 'a\nb\n', edits: [['a\n', 'a\na2\na3\n']], want: 'a\na2\na3\nb\n', before: [1, 1], after: [1, 3] },
  { name: 'blocks apply in order, each seeing the last', file: 'a\n', edits: [['a\n', 'b\n'], ['b\n', 'c\n']], want: 'c\n', rules: ['exact', 'exact'] },
  // line endings, BOM, tabs, final newline
  { name: 'CRLF is kept, new lines get CRLF', file: 'a\r\nb\r\nc\r\n', edits: [['b\n', 'B\nB2\n']], want: 'a\r\nB\r\nB2\r\nc\r\n' },
  { name: 'mixed endings: untouched lines keep theirs', file: 'a\r\nb\nc\r\nd\r\n', edits: [['d\n', 'D\n']], want: 'a\r\nb\nc\r\nD\r\n' },
  { name: 'no final newline stays absent', file: 'a\nb', edits: [['b\n', 'B\n']], want: 'a\nB' },
  { name: 'no final newline: deleting the last line', file: 'a\nb', edits: [['b\n', '']], want: 'a' },
  { name: 'final newline kept', file: 'a\nb\n', edits: [['b\n', 'B\n']], want: 'a\nB\n' },
  { name: 'UTF-8 BOM kept', file: '\uFEFFa\nb\n', edits: [['a\n', 'A\n']], want: '\uFEFFA\nb\n' },
  { name: 'BOM kept in bytes input', file: new Uint8Array([0xef, 0xbb, 0xbf, 0x61, 0x0a]), edits: [['a\n', 'b\n']], want: '\uFEFFb\n' },
  { name: 'BOM in the file and the SEARCH and REPLACE: exactly one', file: '\uFEFFa\nb\n', edits: [['\uFEFFa\n', '\uFEFFA\n']], want: '\uFEFFA\nb\n', rules: ['exact'] },
  { name: 'BOM in the file and the REPLACE only', file: '\uFEFFa\nb\n', edits: [['a\n', '\uFEFFA\n']], want: '\uFEFFA\nb\n', rules: ['exact'] },
  { name: 'BOM in the SEARCH only', file: '\uFEFFa\nb\n', edits: [['\uFEFFa\n', 'A\n']], want: '\uFEFFA\nb\n', rules: ['exact'] },
  { name: 'BOM in the REPLACE, none in the file: the file gets none', file: 'a\nb\n', edits: [['a\n', '\uFEFFA\n']], want: 'A\nb\n' },
  { name: 'BOM in bytes and in the REPLACE: exactly one', file: new Uint8Array([0xef, 0xbb, 0xbf, 0x61, 0x0a]), edits: [['\uFEFFa\n', '\uFEFFb\n']], want: '\uFEFFb\n' },
  { name: 'create with a BOM: exactly one', file: null, edits: [['', '\uFEFFhello\n']], want: '\uFEFFhello\n', rules: ['create'] },
  { name: 'create with two BOMs: exactly one', file: null, edits: [['', '\uFEFF\uFEFFhello\n']], want: '\uFEFFhello\n' },
  { name: 'append with a BOM: none in the middle of the file', file: '\uFEFFa\n', edits: [['', '\uFEFFb\n']], want: '\uFEFFa\nb\n', rules: ['append'] },
  { name: 'mixed endings: lines kept inside the SEARCH keep theirs, a rewritten line keeps its own', file: 'a\nb\r\nc\nd\r\ne\r\n', edits: [['a\nb\nc\n', 'a\nB\nc\nC2\n']], want: 'a\nB\r\nc\nC2\r\nd\r\ne\r\n' },
  { name: 'trailing blank lines after the SEARCH are kept', file: 'a\nb\n\n\n', edits: [['b\n', 'B\n']], want: 'a\nB\n\n\n' },
  { name: 'trailing blank lines kept by a tolerant rule', file: 'if x:\n    b()\n\n', edits: [['b()\n', 'c()\n']], want: 'if x:\n    c()\n\n', rules: ['whitespace'] },
  { name: 'no final newline: a line added after the kept last line', file: 'a\nb', edits: [['b\n', 'b\nc\n']], want: 'a\nb\nc' },
  { name: 'no final newline: the last line rewritten into two', file: 'a\r\nb', edits: [['b\n', 'B\nC\n']], want: 'a\r\nB\r\nC' },
  { name: 'tabs kept on an exact match', file: 'f() {\n\tx();\n}\n', edits: [['\tx();\n', '\tx();\n\ty();\n']], want: 'f() {\n\tx();\n\ty();\n}\n', rules: ['exact'] },
  // whitespace rule
  {
    name: 'search at 1-space indent applies at 4, replacement re-indented',
    file: 'class A:\n    def f(self):\n        return 1\n',
    edits: [[' def f(self):\n     return 1\n', ' def f(self):\n     return 2\n     # done\n']],
    want: 'class A:\n    def f(self):\n        return 2\n        # done\n',
    rules: ['whitespace'],
  },
  {
    name: 'search without indentation against indented file',
    file: 'if x:\n    a()\n    b()\n',
    edits: [['a()\nb()\n', 'a()\nc()\nb()\n']],
    want: 'if x:\n    a()\n    c()\n    b()\n',
    rules: ['whitespace'],
  },
  {
    name: 'spaces written for a tab-indented file land as tabs',
    file: 'func f() {\n\tif x {\n\t\ty()\n\t}\n}\n',
    edits: [['    if x {\n        y()\n    }\n', '    if x {\n        y()\n        z()\n    }\n']],
    want: 'func f() {\n\tif x {\n\t\ty()\n\t\tz()\n\t}\n}\n',
    rules: ['whitespace'],
  },
  {
    name: 'trailing spaces in the search are tolerated, file lines kept as they were',
    file: 'a = 1\nb = 2  \nc = 3\n',
    edits: [['a = 1  \nb = 2\n', 'a = 1\nb = 5\n']],
    want: 'a = 1\nb = 5\nc = 3\n',
    rules: ['whitespace'],
  },
  {
    name: 'trailing whitespace the SEARCH copied exactly is kept on new lines (a Markdown hard break)',
    file: '- a  \n  - b  \n',
    edits: [[' - a  \n   - b  \n', ' - a  \n   - b  \n   - c  \n']],
    want: '- a  \n  - b  \n  - c  \n',
    rules: ['whitespace'],
  },
  {
    name: 'trailing whitespace the file does not have is dropped from new lines',
    file: 'if x:\n    a()\n',
    edits: [['a() \n', 'a() \nb() \n']],
    want: 'if x:\n    a()\n    b()\n',
    rules: ['whitespace'],
  },
  {
    name: 'deeper new lines keep their relative indent',
    file: 'def f():\n    pass\n',
    edits: [['def f():\n  pass\n', 'def f():\n  if x:\n    y()\n']],
    want: 'def f():\n    if x:\n        y()\n',
    rules: ['whitespace'],
  },
  {
    name: 'tolerant match found twice fails with the line numbers',
    file: 'if a:\n    x = 1\nif b:\n        x = 1\n',
    edits: [['  x = 1\n', '  x = 2\n']],
    fail: 'ambiguous',
    candidates: [2, 4],
  },
  // leading blank
  {
    name: 'spurious leading blank line in SEARCH',
    file: 'a\nb\nc\n',
    edits: [['\nb\n', '\nB\n']],
    want: 'a\nB\nc\n',
    rules: ['leading-blank'],
  },
  {
    name: 'spurious leading blank line, REPLACE without it',
    file: 'a\nb\nc\n',
    edits: [['\nb\nc\n', 'b\nC\n']],
    want: 'a\nb\nC\n',
    rules: ['leading-blank'],
  },
  {
    name: 'leading blank removed but found twice: ambiguous',
    file: 'x\ny\nx\n',
    edits: [['\nx\n', '\nz\n']],
    fail: 'ambiguous',
    candidates: [1, 3],
  },
  // elision
  {
    name: 'elision with ... keeps the middle',
    file: 'function f() {\n  const a = 1;\n  work();\n  more();\n  return a;\n}\n',
    edits: [['function f() {\n...\n  return a;\n', 'function f() {\n...\n  return a + 1;\n']],
    want: 'function f() {\n  const a = 1;\n  work();\n  more();\n  return a + 1;\n}\n',
    rules: ['elision'],
  },
  {
    name: 'elision with a "// ... existing code ..." line',
    file: 'class A {\n  a() {}\n  b() {}\n  c() {}\n}\n',
    edits: [['class A {\n  // ... existing code ...\n  c() {}\n', 'class B {\n  // ... existing code ...\n  c() { return 1; }\n']],
    want: 'class B {\n  a() {}\n  b() {}\n  c() { return 1; }\n}\n',
    rules: ['elision'],
  },
  {
    name: 'elision piece not unique fails',
    file: 'start\n}\nmid\n}\nend\n',
    edits: [['start\n...\n}\n', 'begin\n...\n}\n']],
    fail: 'ambiguous',
    candidates: [2, 4],
  },
  {
    name: 'elision counts differ',
    file: 'a\nb\nc\n',
    edits: [['a\n...\nc\n', 'a\nc\n']],
    fail: 'elision-mismatch',
  },
  {
    name: 'literal ... in the file matches exactly first',
    file: 'def f():\n    ...\n',
    edits: [['def f():\n    ...\n', 'def f():\n    return 1\n']],
    want: 'def f():\n    return 1\n',
    rules: ['exact'],
  },
  // blank lines
  {
    name: 'missing blank line in SEARCH: blank lines of the file kept',
    file: py,
    edits: [['    return 1\ndef b():\n    return 2\n', '    return 10\ndef b():\n    return 20\n']],
    want: 'def a():\n    return 10\n\n\ndef b():\n    return 20\n',
    rules: ['blank-lines'],
  },
  // create / append
  { name: 'empty SEARCH creates a missing file', file: null, edits: [['', 'hello\n']], want: 'hello\n', rules: ['create'] },
  { name: 'empty SEARCH appends to an existing file, never overwrites', file: 'a\n', edits: [['', 'b\n']], want: 'a\nb\n', rules: ['append'], before: [2, 1], after: [2, 2] },
  { name: 'append to a file without final newline', file: 'a', edits: [['', 'b\n']], want: 'a\nb' },
  { name: 'append to a CRLF file', file: 'a\r\n', edits: [['', 'b\n']], want: 'a\r\nb\r\n' },
  // refusals and failures
  { name: 'non-empty SEARCH on a missing file', file: null, edits: [['a\n', 'b\n']], fail: 'file-not-found' },
  { name: 'no match at all', file: 'a\nb\n', edits: [['zzz\n', 'y\n']], fail: 'no-match' },
  { name: 'NUL bytes are binary', file: new Uint8Array([0x61, 0x00, 0x0a]), edits: [['a\n', 'b\n']], fail: 'binary' },
  { name: 'invalid UTF-8 is binary', file: new Uint8Array([0x61, 0xff, 0xfe, 0x0a]), edits: [['a\n', 'b\n']], fail: 'binary' },
  { name: 'NUL in a string is binary', file: 'a\0b\n', edits: [['a\n', 'b\n']], fail: 'binary' },
  { name: 'over maxFileBytes is refused', file: 'a\n'.repeat(100), edits: [['a\n', 'b\n']], fail: 'too-large', maxFileBytes: 100 },
  { name: 'only blank lines in SEARCH that are not in the file', file: 'a\nb\n', edits: [['\n', 'x\n']], fail: 'no-match' },
];

describe('applyEdits', () => {
  it.each(cases)('$name', (c) => {
    const files = new Map<string, FileInput>([['f', c.file]]);
    const r = applyEdits(
      c.edits.map(([s, x], i) => mk(s, x, 'f', i)),
      files,
      c.maxFileBytes === undefined ? {} : { maxFileBytes: c.maxFileBytes },
    );
    if (c.fail !== undefined) {
      expect(r.failed.map((f) => f.reason)).toEqual([c.fail]);
      expect(r.files.has('f')).toBe(false);
      if (c.candidates) expect(r.failed[0]!.candidates).toEqual(c.candidates);
      return;
    }
    expect(r.failed).toEqual([]);
    expect(r.files.get('f')).toBe(c.want);
    if (c.rules) expect(r.applied.map((a) => a.rule)).toEqual(c.rules);
    if (c.before) expect(r.applied[0]!.before).toEqual({ start: c.before[0], end: c.before[1] });
    if (c.after) expect(r.applied[0]!.after).toEqual({ start: c.after[0], end: c.after[1] });
  });

  it('applies the other blocks when one fails, across files', () => {
    const files = new Map<string, FileInput>([
      ['a', 'one\n'],
      ['b', 'two\n'],
    ]);
    const r = applyEdits([mk('one\n', '1\n', 'a', 0), mk('nope\n', 'x\n', 'b', 1), mk('two\n', '2\n', 'b', 2)], files);
    expect(r.failed.map((f) => [f.block.index, f.file, f.reason])).toEqual([[1, 'b', 'no-match']]);
    expect(Object.fromEntries(r.files)).toEqual({ a: '1\n', b: '2\n' });
  });

  it('uses the resolved file of a resolved block', () => {
    const r = applyEdits([{ ...mk('x\n', 'y\n', 'a.ts'), file: 'src/a.ts', resolvedBy: 'basename' }], new Map([['src/a.ts', 'x\n']]));
    expect(r.files.get('src/a.ts')).toBe('y\n');
  });

  it('does not touch the input map and leaves unchanged files out', () => {
    const files = new Map<string, FileInput>([['f', 'a\n']]);
    const r = applyEdits([mk('a\n', 'a\n')], files);
    expect(files.get('f')).toBe('a\n');
    expect(r.files.size).toBe(0);
    expect(r.applied).toHaveLength(1);
  });

  it('a file created by one block can be edited by the next', () => {
    const r = applyEdits([mk('', 'a\nb\n', 'n', 0), mk('b\n', 'c\n', 'n', 1)], new Map([['n', null]]));
    expect(r.files.get('n')).toBe('a\nc\n');
  });
});

describe('the size of what an edit writes', () => {
  it('refuses a result over maxFileBytes (created or grown), and keeps the other files', () => {
    const blocks = [mk('', 'x'.repeat(200), 'big.txt'), mk('a\n', 'b\n', 'a.txt', 1)];
    const r = applyEdits(blocks, new Map([['a.txt', 'a\n']]), { maxFileBytes: 100 });
    expect(r.files.has('big.txt')).toBe(false);
    expect(r.files.get('a.txt')).toBe('b\n');
    expect(r.failed.map((f) => [f.file, f.reason])).toEqual([['big.txt', 'too-large']]);
    expect(r.applied.map((a) => a.file)).toEqual(['a.txt']);
  });
});
