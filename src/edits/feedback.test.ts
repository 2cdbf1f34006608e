import { describe, expect, it } from 'vitest';
import { applyEdits } from './apply.js';
import { closestLines, renderEditFeedback, replaceAlreadyPresent } from './feedback.js';
import { parseEditBlocks } from './parse.js';
import type { FileInput } from './types.js';

const file = [
  'export function greet(name: string): string {',
  '  return `Hello, ${name}!`;',
  '}',
  '',
  'export function bye(name: string): string {',
  '  return `Bye, ${name}.`;',
  '}',
  '',
].join('\n');

describe('closestLines', () => {
  it('finds the lines the model misremembered', () => {
    const near = closestLines(file, 'export function bye(name) {\n  return `Goodbye, ${name}.`;\n');
    expect(near).toMatchObject({ startLine: 5 });
    expect(near!.lines).toEqual(['export function bye(name: string): string {', '  return `Bye, ${name}.`;']);
  });

  it('returns nothing when nothing is alike', () => {
    expect(closestLines(file, 'SELECT * FROM users WHERE id = 1;\n')).toBeUndefined();
  });
});

describe('replaceAlreadyPresent', () => {
  it('sees the REPLACE text in the file, ignoring indentation', () => {
    expect(replaceAlreadyPresent(file, 'return `Bye, ${name}.`;\n}\n')).toBe(true);
    expect(replaceAlreadyPresent(file, 'return 42;\n')).toBe(false);
    expect(replaceAlreadyPresent(file, '\n')).toBe(false);
  });
});

describe('renderEditFeedback', () => {
  const reply = [
    'src/greet.ts',
    '```ts',
    '<<<<<<< SEARCH',
    '  return `Hello, ${name}!`;',
    '=======',
    '  return `Hi, ${name}!`;',
    '>>>>>>> REPLACE',
    '```',
    '',
    'src/greet.ts',
    '```ts',
    '<<<<<<< SEARCH',
    'export function bye(name) {',
    '  return `Goodbye, ${name}.`;',
    '=======',
    'export function bye(name) {',
    '  return `Farewell, ${name}.`;',
    '>>>>>>> REPLACE',
    '```',
    '',
    'src/greet.ts',
    '```ts',
    '<<<<<<< SEARCH',
    'nothing like this',
    '=======',
    '  return `Bye, ${name}.`;',
    '>>>>>>> REPLACE',
    '```',
    '',
    '```ts',
    '<<<<<<< SEARCH',
    'oops',
    '```',
  ].join('\n');

  it('names the file and block, shows the closest lines, notes text already there, and counts the applied', () => {
    const { blocks, errors } = parseEditBlocks(reply);
    const files = new Map<string, FileInput>([['src/greet.ts', file]]);
    const r = applyEdits(blocks, files);
    expect(r.applied).toHaveLength(1);
    expect(r.failed).toHaveLength(2);
    const text = renderEditFeedback({ failed: r.failed, parseErrors: errors, appliedCount: r.applied.length, files: new Map([['src/greet.ts', r.files.get('src/greet.ts')!]]) });
    expect(text).toMatch(/^3 SEARCH\/REPLACE blocks failed\./);
    expect(text).toMatch(/## Block 2 for src\/greet\.ts failed/);
    expect(text).toContain('<<<<<<< SEARCH\nexport function bye(name) {\n  return `Goodbye, ${name}.`;\n=======');
    expect(text).toMatch(/Did you mean these lines of src\/greet\.ts \(from line 5\)\?\n```+\nexport function bye\(name: string\): string \{\n {2}return `Bye, \$\{name\}\.`;\n```+/);
    expect(text).toMatch(/## Block 3 for src\/greet\.ts failed[\s\S]*the REPLACE lines are already in src\/greet\.ts/);
    expect(text).toMatch(/could not be read\nThe block that starts on line 31 has no `=======` line/);
    expect(text).toMatch(/The other 1 block was applied\. Do not send those again/);
  });

  it('is empty when nothing failed', () => {
    expect(renderEditFeedback({ failed: [], appliedCount: 3 })).toBe('');
  });

  it('gives candidate line numbers for an ambiguous tolerant match', () => {
    const r = applyEdits(
      parseEditBlocks('f.py\n<<<<<<< SEARCH\n x = 1\n=======\n x = 2\n>>>>>>> REPLACE\n').blocks,
      new Map([['f.py', 'if a:\n    x = 1\nif b:\n    x = 1\n']]),
    );
    const text = renderEditFeedback({ failed: r.failed, appliedCount: 0 });
    expect(text).toMatch(/lines 2, 4/);
    expect(text).toMatch(/No block was applied/);
  });
});
