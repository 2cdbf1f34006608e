import { describe, expect, it } from 'vitest';
import { firstLine, lineCount, outlineOther, outlineSource, type OutlineDef } from './outline.js';

describe('outlineSource', () => {
  it('says what a TypeScript file exports and lists one line per definition, nested as written', () => {
    const defs: OutlineDef[] = [
      { name: 'Client', line: 3, defKind: 'class', signature: 'export class Client extends Base {' },
      { name: 'request', line: 4, defKind: 'method', signature: '  async request(url: string,\n    options: Options): Promise<Response> {' },
      { name: 'named', line: 5, defKind: 'function', signature: '    const named = (x: number) => x;' },
      { name: 'helper', line: 9, defKind: 'function', signature: 'function helper(): void {' },
      { name: 'VERSION', line: 1, defKind: 'constant', signature: 'export const VERSION = 2;' },
    ];
    const text = 'x\n'.repeat(12);
    expect(outlineSource('typescript', text, defs)).toBe(
      [
        'TypeScript, 12 lines; exports VERSION, Client',
        '1: export const VERSION = 2;',
        '3: export class Client extends Base',
        '4:   async request(url: string, options: Options): Promise<Response>',
        '9: function helper(): void',
      ].join('\n'),
    );
  });

  it('uses each language\'s idea of public: Python underscores, Go capitals', () => {
    const py = outlineSource('python', 'a\n', [
      { name: 'run', line: 1, defKind: 'function', signature: 'def run(a, b=2):' },
      { name: '_private', line: 3, defKind: 'function', signature: 'def _private():' },
    ]);
    expect(firstLine(py)).toBe('Python, 1 line; exports run');
    expect(py).toContain('1: def run(a, b=2)\n3: def _private()');
    const go = outlineSource('go', '', [{ name: 'serve', line: 1, defKind: 'function', signature: 'func serve() {' }]);
    expect(firstLine(go)).toBe('Go, 0 lines; defines serve');
  });

  it('caps the definitions it lists', () => {
    const defs = Array.from({ length: 70 }, (_, i): OutlineDef => ({ name: `f${i}`, line: i + 1, defKind: 'function', signature: `export function f${i}() {` }));
    const lines = outlineSource('javascript', '', defs).split('\n');
    expect(lines).toHaveLength(62);
    expect(lines[0]).toMatch(/exports f0, f1, .*, f7 and 62 more$/);
    expect(lines.at(-1)).toBe('… 10 more definitions');
  });
});

describe('outlineOther', () => {
  it('lists Markdown headings outside code fences', () => {
    const md = Buffer.from('# Title\n\ntext\n```sh\n# not a heading\n```\n## Usage\n');
    expect(outlineOther('docs/README.md', md, 1 << 20)).toBe('Markdown, 7 lines: Title\n1: # Title\n7: ## Usage');
  });

  it('names a JSON object\'s keys, a text file\'s first line, and only the size of binary and large files', () => {
    expect(outlineOther('package.json', Buffer.from('{"name":"x","scripts":{}}'), 1000)).toBe('JSON, 1 line; keys name, scripts');
    expect(outlineOther('Makefile', Buffer.from('\n\nall: build\n'), 1000)).toBe('text, 3 lines: all: build');
    expect(outlineOther('logo.png', Buffer.from([0x89, 0x50, 0, 1]), 1000)).toBe('binary file, 4 bytes');
    expect(outlineOther('big.txt', Buffer.alloc(2000, 'a'), 1000)).toBe('text, 2000 bytes (too large to outline)');
  });
});

describe('lineCount', () => {
  it.each([
    ['', 0],
    ['a', 1],
    ['a\n', 1],
    ['a\nb', 2],
  ])('%j has %i lines', (text, n) => expect(lineCount(text)).toBe(n));
});
