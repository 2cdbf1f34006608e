import { describe, expect, it } from 'vitest';
import { applyEdits } from './apply.js';
import { fileSignals } from './dividers.js';
import { parseEditBlocks } from './parse.js';

const F = '```';

/** Parse a one-block reply for `path` whose body (between the markers) is `body`, apply it to `file`. */
function run(path: string, file: string, body: string): { out: string | undefined; failed: string[] } {
  const parsed = parseEditBlocks(`${path}\n${F}\n<<<<<<< SEARCH\n${body}>>>>>>> REPLACE\n${F}\n`);
  expect(parsed.errors).toEqual([]);
  const r = applyEdits(parsed.blocks, new Map([[path, file]]));
  return { out: r.files.get(path), failed: r.failed.map((f) => f.reason) };
}

describe('a second divider closes the replacement', () => {
  const file = 'def f():\n    return 1\n\n\ndef g():\n    return 2\n';

  it.each([
    ['nothing after it', '    return 1\n=======\n    return 10\n=======\n'],
    ['the SEARCH repeated after it', '    return 1\n=======\n    return 10\n=======\n    return 1\n'],
    ['the replacement repeated after it', '    return 1\n=======\n    return 10\n=======\n    return 10\n'],
    ['other text after it', '    return 1\n=======\n    return 10\n=======\n    # done\n'],
    ['a shorter second divider', '    return 1\n=======\n    return 10\n=====\n'],
  ])('%s: no divider is written into the file', (_name, body) => {
    const { out, failed } = run('a.py', file, body);
    expect(failed).toEqual([]);
    expect(out).toBe(file.replace('return 1\n', 'return 10\n'));
  });

  it('the parser reads the block that way before it sees any file', () => {
    const { blocks } = parseEditBlocks(`a.py\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n=======\nx = 1\n>>>>>>> REPLACE\n`);
    expect(blocks.map((b) => [b.search, b.replace])).toEqual([['x = 1\n', 'x = 2\n']]);
  });

  it('a block with one divider has no alternatives', () => {
    const { blocks } = parseEditBlocks(`a.py\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n`);
    expect(blocks[0]!.alternatives).toBeUndefined();
  });

  it('in a code file, a line of text above it of the same width is no heading', () => {
    const { out } = run('a.py', '# Summary\nx = 1\n', '# Summary\n=======\nSummary\n=======\n');
    expect(out).toBe('Summary\nx = 1\n');
  });

  it('in a prose file, the same line is a heading', () => {
    const { out } = run('a.md', '# Summary\nx = 1\n', '# Summary\n=======\nSummary\n=======\n');
    expect(out).toBe('Summary\n=======\nx = 1\n');
  });

  it('a code line above the second divider is not a heading, even of the same width', () => {
    const { out } = run('notes.md', 'let a = 1;\nlet b = 2;\n', 'let b = 2;\n=======\nfoo = 1\n=======\n');
    expect(out).toBe('let a = 1;\nfoo = 1\n');
  });
});

describe('a divider line that is the text of the file', () => {
  it('a reST heading underline of the same width as its title', () => {
    const file = 'Intro\n=====\n\nText.\n';
    const { out } = run('README.rst', file, 'Text.\n=======\nText.\n\nUsage\n=====\n');
    expect(out).toBe('Intro\n=====\n\nText.\n\nUsage\n=====\n');
  });

  it('a Markdown heading underline of another width, in a file that has such underlines', () => {
    const file = 'Project\n=======\n\nSome text.\n';
    const { out } = run('README.md', file, 'Some text.\n=======\nSome text.\n\nGetting started\n=====\n\nRun it.\n');
    expect(out).toBe('Project\n=======\n\nSome text.\n\nGetting started\n=====\n\nRun it.\n');
  });

  it('the same block on a file without underlines closes at the divider', () => {
    const file = 'Some text.\n';
    const { out } = run('notes.txt', file, 'Some text.\n=======\nSome text.\n\nGetting started\n=====\n\nRun it.\n');
    expect(out).toBe('Some text.\n\nGetting started\n');
  });

  it('an overlined title', () => {
    const { out } = run('doc.rst', 'body\n', 'body\n=======\n=========\nThe Title\n=========\n\nThe body.\n');
    expect(out).toBe('=========\nThe Title\n=========\n\nThe body.\n');
  });

  it('a merge-conflict fixture written by the replacement', () => {
    const file = 'const FIXTURE = `\n`;\n';
    const body = 'const FIXTURE = `\n`;\n=======\nconst FIXTURE = `\n<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> feature\n`;\n';
    const { out } = run('conflict.test.ts', file, body);
    expect(out).toBe('const FIXTURE = `\n<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> feature\n`;\n');
  });

  it('a conflict fixture edited on both sides', () => {
    const file = 'x\n<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> feature\ny\n';
    const body = '<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> feature\n=======\n<<<<<<< HEAD\nmine\n=======\nyours\n>>>>>>> feature\n';
    const { out, failed } = run('fixture.txt', file, body);
    expect(failed).toEqual([]);
    expect(out).toBe('x\n<<<<<<< HEAD\nmine\n=======\nyours\n>>>>>>> feature\ny\n');
  });

  it('a lone ======= with text after it, in a file that already holds conflict markers', () => {
    const file = 'a\n<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> b\nend\n';
    const { out } = run('merge.txt', file, 'end\n=======\nend\n<<<<<<< HEAD\n=======\nmore\n');
    expect(out).toBe('a\n<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> b\nend\n<<<<<<< HEAD\n=======\nmore\n');
  });

  it('a heading underline inside the SEARCH', () => {
    const file = 'Old Title\n=========\n\nbody\n';
    const { out } = run('doc.md', file, 'Old Title\n=========\n=======\nNew Title\n=========\n');
    expect(out).toBe('New Title\n=========\n\nbody\n');
  });

  it('the divider is found by the file when the first guess does not match', () => {
    // `Summary` has the width of `=======`, so the first divider reads as its underline; the
    // file has no such underline, so the block is read with the first divider as the real one.
    const file = 'Summary\nmore\n';
    const { out, failed } = run('a.txt', file, 'Summary\n=======\nOverview\n=======\n');
    expect(failed).toEqual([]);
    expect(out).toBe('Overview\nmore\n');
  });

  it('a block that matches under no reading fails with the parser\'s reading', () => {
    const parsed = parseEditBlocks(`a.py\n<<<<<<< SEARCH\nnope\n=======\nx\n=======\n>>>>>>> REPLACE\n`);
    const r = applyEdits(parsed.blocks, new Map([['a.py', 'a\n']]));
    expect(r.failed.map((f) => [f.reason, f.block.search])).toEqual([['no-match', 'nope\n']]);
  });
});

describe('readings and their order', () => {
  it('in a prose file, a repeat of the SEARCH after the divider still marks it as the closing one', () => {
    const { out } = run('a.md', 'Summary\nrest\n', 'Summary\n=======\nOverview\n=======\nSummary\n');
    expect(out).toBe('Overview\nrest\n');
  });

  it('a CRLF reply reads the same', () => {
    const parsed = parseEditBlocks('a.py\r\n<<<<<<< SEARCH\r\nx = 1\r\n=======\r\nx = 2\r\n=======\r\n>>>>>>> REPLACE\r\n');
    expect(parsed.blocks.map((b) => [b.search, b.replace])).toEqual([['x = 1\n', 'x = 2\n']]);
  });

  it('a block built directly (the edit_file tool) keeps its ======= lines: only the parser reads dividers', () => {
    const r = applyEdits([{ index: 0, path: 'f.txt', pathInherited: false, search: 'a\n', replace: 'a\n=======\nb\n', line: 1 }], new Map([['f.txt', 'a\n']]));
    expect(r.files.get('f.txt')).toBe('a\n=======\nb\n');
  });

  it('lists the other readings, the file-favoured ones tagged', () => {
    const { blocks } = parseEditBlocks('a.md\n<<<<<<< SEARCH\nText.\n=======\nText.\n\nGetting started\n=====\n\nRun it.\n>>>>>>> REPLACE\n');
    expect(blocks[0]!.replace).toBe('Text.\n\nGetting started\n');
    expect(blocks[0]!.alternatives).toContainEqual({ search: 'Text.\n', replace: 'Text.\n\nGetting started\n=====\n\nRun it.\n', when: 'file-has-underlines' });
  });
});

describe('fileSignals', () => {
  it.each([
    ['Title\n=====\ntext\n', { underlines: true, conflicts: false }],
    ['code();\n=====\n', { underlines: false, conflicts: false }],
    ['<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> x\n', { underlines: false, conflicts: true }],
    ['plain\ntext\n', { underlines: false, conflicts: false }],
  ])('%j', (text, want) => {
    expect(fileSignals(text.split('\n'))).toEqual(want);
  });
});
