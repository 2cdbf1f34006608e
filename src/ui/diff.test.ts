import { describe, expect, it } from 'vitest';
import { renderBatchDiff, renderBatchSummary, renderFileDiff, summarizeBatch, type FileChange } from './diff.js';

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const strip = (s: string): string => s.replace(ANSI, '');

describe('renderFileDiff', () => {
  it('plain unified diff without colour', () => {
    const out = renderFileDiff({ path: 'src/a.ts', before: 'one\ntwo\nthree\n', after: 'one\n2\nthree\n' }, { color: false });
    expect(out).toBe(['diff --git a/src/a.ts b/src/a.ts', '--- a/src/a.ts', '+++ b/src/a.ts', '@@ -1,3 +1,3 @@', ' one', '-two', '+2', ' three', ''].join('\n'));
    expect(out).not.toMatch(ANSI);
  });

  it('colour with word-level highlights inside changed lines', () => {
    const out = renderFileDiff({ path: 'a.ts', before: 'const total = price * 2;\n', after: 'const total = price * 3;\n' }, { color: true });
    expect(out).toMatch(ANSI);
    // The changed word is inverted; the rest of the line is plain red/green.
    expect(out).toContain('\u001b[7m\u001b[31m2\u001b[39m\u001b[27m');
    expect(out).toContain('\u001b[7m\u001b[32m3\u001b[39m\u001b[27m');
    expect(strip(out)).toContain('-const total = price * 2;');
    expect(strip(out)).toContain('+const total = price * 3;');
  });

  it('no word highlights when the lines have little in common', () => {
    const out = renderFileDiff({ path: 'a.ts', before: 'alpha beta gamma\n', after: 'completely different text here\n' }, { color: true });
    expect(out).not.toContain('\u001b[7m');
  });

  it('new and deleted files', () => {
    expect(renderFileDiff({ path: 'n.txt', before: null, after: 'x\n' }, { color: false })).toBe(
      ['diff --git a/n.txt b/n.txt', 'new file', '--- /dev/null', '+++ b/n.txt', '@@ -0,0 +1 @@', '+x', ''].join('\n'),
    );
    expect(renderFileDiff({ path: 'd.txt', before: 'x\ny\n', after: null }, { color: false })).toContain('deleted file\n--- a/d.txt\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-x\n-y\n');
  });

  it('a missing final newline, and CRLF shown without stray escapes', () => {
    const noEol = renderFileDiff({ path: 'a', before: 'x', after: 'y' }, { color: false });
    expect(noEol).toBe(['diff --git a/a b/a', '--- a/a', '+++ b/a', '@@ -1 +1 @@', '-x', '\\ No newline at end of file', '+y', '\\ No newline at end of file', ''].join('\n'));
    const crlf = renderFileDiff({ path: 'w', before: 'a\r\nb\r\n', after: 'a\r\nc\r\n' }, { color: false });
    expect(crlf).toContain('\n a\n-b\n+c\n');
  });

  it('escape sequences in content or names cannot repaint the terminal', () => {
    const evil = 'ok\n\u001b[2K\u001b[1A+harmless\u0007\n';
    const out = renderFileDiff({ path: 'x\u001b[31m.ts', before: 'ok\n', after: evil }, { color: false });
    expect(out).not.toContain('\u001b');
    expect(out).not.toContain('\u0007');
    expect(out).toContain('+\\x1b[2K\\x1b[1A+harmless\\x07');
    expect(out).toContain('x\\x1b[31m.ts');
    const bidi = renderFileDiff({ path: 'b', before: '', after: 'if (a \u202e) {}\n' }, { color: true });
    expect(bidi).not.toContain('\u202e');
  });

  it('binary files', () => {
    expect(renderFileDiff({ path: 'img.png', before: 'PNG\0\u0001', after: 'PNG\0\u0002' }, { color: false })).toContain('Binary file differs');
  });

  it('caps long diffs and says how much is hidden', () => {
    const after = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n') + '\n';
    const out = renderFileDiff({ path: 'big', before: null, after }, { color: false, maxLines: 10 });
    expect(out.trimEnd().split('\n').slice(-1)[0]).toBe('… 91 more lines not shown');
  });

  it('renderBatchDiff concatenates files', () => {
    const out = renderBatchDiff(
      [
        { path: 'a', before: '1\n', after: '2\n' },
        { path: 'b', before: null, after: '3\n' },
      ],
      { color: false },
    );
    expect(out.match(/^diff --git/gm)).toHaveLength(2);
  });
});

describe('summarizeBatch', () => {
  const long = Array.from({ length: 80 }, (_, i) => `l${i}`).join('\n') + '\n';
  const batch: FileChange[] = [
    { path: 'src/a.ts', before: 'a\nb\nc\n', after: 'a\nB\nc\nd\n' },
    { path: 'src/new.ts', before: null, after: 'x\ny\n' },
    { path: 'old.ts', before: long, after: null },
    { path: '.github/workflows/ci.yml', before: 'on: push\n', after: 'on: [push, pull_request]\n' },
    { path: 'package-lock.json', before: '{}\n', after: '{"a":1}\n' },
    { path: '.husky/pre-commit', before: null, after: 'npm test\n' },
    { path: 'src/big.ts', before: long, after: 'l0\n' },
    { path: 'logo.png', before: 'a\0', after: 'b\0' },
  ];

  it('counts lines, new and deleted files, and marks risks', () => {
    const s = summarizeBatch(batch);
    expect(s.files.map((f) => [f.path, f.status, f.added, f.removed])).toEqual([
      ['src/a.ts', 'modified', 2, 1],
      ['src/new.ts', 'new', 2, 0],
      ['old.ts', 'deleted', 0, 80],
      ['.github/workflows/ci.yml', 'modified', 1, 1],
      ['package-lock.json', 'modified', 1, 1],
      ['.husky/pre-commit', 'new', 1, 0],
      ['src/big.ts', 'modified', 0, 79],
      ['logo.png', 'modified', 0, 0],
    ]);
    expect(s.added).toBe(7);
    expect(s.removed).toBe(162);
    expect(s.created).toEqual(['src/new.ts', '.husky/pre-commit']);
    expect(s.deleted).toEqual(['old.ts']);
    expect(s.risks.map((r) => [r.path, r.kind])).toEqual([
      ['old.ts', 'mass-deletion'],
      ['.github/workflows/ci.yml', 'ci'],
      ['package-lock.json', 'lockfile'],
      ['.husky/pre-commit', 'git-hooks'],
      ['src/big.ts', 'mass-deletion'],
    ]);
    expect(s.files[7]?.binary).toBe(true);
  });

  it('half of a small file is many lines; a few lines of a big file are not', () => {
    const twenty = Array.from({ length: 20 }, (_, i) => `x${i}`).join('\n') + '\n';
    const kept = twenty.split('\n').slice(0, 8).join('\n') + '\n';
    expect(summarizeBatch([{ path: 'f', before: twenty, after: kept }]).risks.map((r) => r.kind)).toEqual(['mass-deletion']);
    expect(summarizeBatch([{ path: 'f', before: long, after: long.replace('l3\nl4\n', '') }]).risks).toEqual([]);
    expect(summarizeBatch([{ path: 'f', before: long, after: long.replace('l3\nl4\n', '') }], { manyLines: 2 }).risks.map((r) => r.kind)).toEqual(['mass-deletion']);
  });

  it('renders a summary, with and without colour', () => {
    const plain = renderBatchSummary(summarizeBatch(batch), { color: false });
    expect(plain.split('\n')[0]).toBe('8 files changed, +7 -162 (2 new, 1 deleted)');
    expect(plain).toMatch(/^ {2}D old\.ts +\+0 -80 {2}! mass-deletion$/m);
    expect(plain).toMatch(/^ {2}M logo\.png +binary$/m);
    expect(plain).toContain('! .github/workflows/ci.yml: CI configuration');
    expect(plain).not.toMatch(ANSI);
    const coloured = renderBatchSummary(summarizeBatch(batch), { color: true });
    expect(coloured).toMatch(ANSI);
    expect(strip(coloured)).toBe(plain);
  });
});
