import { describe, expect, it } from 'vitest';
import { extractTags } from './tags.js';

describe('extractTags', () => {
  it('gives definitions with signatures and references with lines', async () => {
    const tags = await extractTags('src/a.ts', {
      content: "import { helper } from './b.js';\nexport class Box {\n  open(): void {\n    helper(new Lid());\n  }\n}\n",
    });
    expect(tags.filter((t) => t.kind === 'def')).toEqual([
      { file: 'src/a.ts', name: 'Box', kind: 'def', line: 2, defKind: 'class', signature: 'export class Box {' },
      { file: 'src/a.ts', name: 'open', kind: 'def', line: 3, defKind: 'method', signature: '  open(): void {' },
    ]);
    expect(tags.filter((t) => t.kind === 'ref').map((t) => `${t.name}:${t.defKind}@${t.line}`)).toEqual(['helper:import@1', 'helper:call@4', 'Lid:class@4']);
  });

  it('gives nothing for unknown languages and binaries', async () => {
    expect(await extractTags('notes.md', { content: '# x' })).toEqual([]);
    expect(await extractTags('a.py', { content: Buffer.from([0, 1, 2]) })).toEqual([]);
  });
});
