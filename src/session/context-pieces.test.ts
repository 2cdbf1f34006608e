import { describe, expect, it } from 'vitest';
import { dropOrder, fileUses, mapPieces, renderContext, type ContextPiece } from './context-pieces.js';
import type { Exchange } from './history.js';

const call = (name: string, path: string) => ({ id: `c-${name}-${path}`, name, arguments: JSON.stringify({ path }) });

describe('context pieces', () => {
  it('cuts the map per file and renders the context as it was joined before', () => {
    const map = 'src/a.ts:\n⋮\n│export function a() {\n⋮\nsrc/b.ts:\n│export const b = 1;\n⋮\n';
    const pieces = mapPieces(map, ['src/a.ts', 'src/b.ts']);
    expect(pieces.map((p) => p.path)).toEqual(['src/a.ts', 'src/b.ts']);
    expect(pieces.map((p) => p.text).join('')).toBe(map);
    expect(mapPieces('preamble\nsrc/a.ts:\n', ['src/a.ts'])).toEqual([{ kind: 'map', path: '', text: 'preamble\nsrc/a.ts:\n' }]);
    const all: ContextPiece[] = [...pieces, { kind: 'summary', path: 'README.md', text: 'README.md:\nhello' }, { kind: 'chunks', path: 'src/c.ts', text: 'src/c.ts (lines 1-2):\nx\n' }];
    expect(renderContext(all, 'FILES')).toBe(`Repository map (the most relevant definitions, with their files):\n\n${map}\n\nSummaries of other files:\n\nREADME.md:\nhello\n\nRelevant parts of other files (read-only context; edit them with SEARCH/REPLACE like any file):\n\nsrc/c.ts (lines 1-2):\nx\n\n\nFILES`);
    expect(renderContext([], '')).toBe('');
  });

  it('drops what served least first: unused, then least recently used, then least referenced; recently edited files last', () => {
    const history: Exchange[] = [
      { request: 'r1', user: 'look at src/old.ts', assistant: 'ok', steps: [{ request: 'r1.1', text: '', calls: [call('edit_file', 'src/edited.ts')], results: [] }] },
      { request: 'r2', user: 'and src/recent.ts and src/twice.ts', assistant: 'src/twice.ts again' },
      { request: 'r3', user: 'then src/twice.ts', assistant: 'done' },
    ];
    const pieces: ContextPiece[] = [
      { kind: 'chunks', path: 'src/edited.ts', text: 'e' },
      { kind: 'chunks', path: 'src/twice.ts', text: 't' },
      { kind: 'summary', path: 'src/recent.ts', text: 'r' },
      { kind: 'map', path: 'src/never.ts', text: 'n' },
      { kind: 'chunks', path: 'src/never.ts', text: 'n' },
      { kind: 'map', path: 'src/old.ts', text: 'o' },
      { kind: 'map', path: 'src/asked.ts', text: 'a' },
    ];
    const uses = fileUses(pieces.map((p) => p.path), history, 'now about src/asked.ts');
    expect(uses.get('src/edited.ts')).toEqual({ last: 0, refs: 1, edited: 0 });
    expect(uses.get('src/twice.ts')).toEqual({ last: 2, refs: 3, edited: -1 });
    const order = dropOrder(pieces, uses).map((i) => `${pieces[i]!.kind} ${pieces[i]!.path}`);
    expect(order).toEqual(['map src/never.ts', 'chunks src/never.ts', 'map src/old.ts', 'summary src/recent.ts', 'chunks src/twice.ts', 'map src/asked.ts', 'chunks src/edited.ts']);
  });

  it('a reply with SEARCH/REPLACE blocks naming a file counts as its edit', () => {
    const history: Exchange[] = [{ request: 'r1', user: 'fix it', assistant: 'src/a.ts\n```\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n```' }];
    expect(fileUses(['src/a.ts'], history, 'more')).toEqual(new Map([['src/a.ts', { last: 0, refs: 1, edited: 0 }]]));
  });
});
