import { describe, expect, it } from 'vitest';
import type { ReplayedEvent, TurnContext } from '../git/index.js';
import { chooseRepresentations, contextStats, languageFigures, representationFor, turnOutcomes } from './effectiveness.js';

const base = { v: 1 as const, at: '2026-12-01T00:00:00Z', session: 's1', tip: null, lastEdit: null, redo: null, reverted: false };
let n = 0;
const id = (): string => `e${n++}`;

function message(request: string, context?: Partial<TurnContext>): ReplayedEvent {
  const full: TurnContext = { strategy: 'hybrid', files: [], map: [], chunks: [], summaries: [], tokens: { map: 100, chunks: 50, summaries: 0, files: 0 }, ...context };
  return { ...base, id: id(), type: 'message', request, text: 'do it', ...(context === undefined ? {} : { context: full }) };
}
function tool(turn: string, step: string, name: string, args: Record<string, unknown>, status = name, ok = true): ReplayedEvent {
  return { ...base, id: id(), type: 'tool', request: step, turn, call: id(), name, arguments: JSON.stringify(args), ok, ms: 1, chars: 1, result: '', status };
}
function edit(request: string, files: [string, 'A' | 'M' | 'D'][], reverted = false): ReplayedEvent {
  return { ...base, id: id(), reverted, type: 'edit', request, model: 'm', summary: 's', commit: 'c', parent: null, snapshot: null, files: files.map(([path, change]) => ({ path, change })), prevEdit: null };
}

describe('context effectiveness', () => {
  it('hits are edited files the context held; misses are files read or edited that it did not; searches, declines and undos are counted', () => {
    const events = [
      message('r1', { map: ['src/a.ts'], chunks: ['src/b.py:1-20'], files: ['src/chat.ts'] }),
      tool('r1', 'r1', 'semantic_search', { query: 'x' }),
      tool('r1', 'r1', 'read_file', { path: './docs/guide.md' }),
      tool('r1', 'r1', 'read_file', { path: 'src/a.ts' }),
      tool('r1', 'r1', 'read_file', { path: 'src/missing.ts' }, 'read src/missing.ts: denied', false),
      edit('r1.2', [['src/a.ts', 'M'], ['src/new.ts', 'A']]),
      edit('r1.3', [['src/b.py', 'M'], ['src/other.go', 'M']], true),
      tool('r1', 'r1.3', 'edit_file', { path: 'src/chat.ts' }, 'edit src/chat.ts (declined)', false),
      // A turn from before the context was recorded is left out.
      message('r0'),
      edit('r0', [['src/a.ts', 'M']]),
    ];
    const [turn, ...rest] = turnOutcomes(events);
    expect(rest).toEqual([]);
    expect(turn).toMatchObject({
      request: 'r1',
      strategy: 'hybrid',
      tokens: 150,
      hits: ['src/a.ts', 'src/b.py'],
      misses: ['docs/guide.md', 'src/other.go'],
      searches: 1,
      edited: ['src/a.ts', 'src/b.py', 'src/other.go'],
      undone: ['src/b.py', 'src/other.go'],
      declined: 1,
    });

    const stats = contextStats([events, [message('q1', { strategy: 'summary', summaries: ['', 'README.md'] }), edit('q1', [['README.md', 'M']])]]);
    expect(stats).toMatchObject({ sessions: 2, turns: 2 });
    expect(stats.strategies.map((s) => s.strategy)).toEqual(['hybrid', 'summary']);
    expect(stats.strategies[0]).toMatchObject({ turns: 1, hits: 2, misses: 2, hit_rate: 0.5, miss_rate: 0.5, edited: 3, undone: 2, undo_rate: 0.667, declined: 1, tokens_per_turn: 150, searches_per_turn: 1 });
    expect(stats.strategies[0]!.languages).toEqual([
      expect.objectContaining({ language: 'go', hits: 0, misses: 1, edited: 1, undone: 1, undo_rate: 1 }),
      expect.objectContaining({ language: 'other', hits: 0, misses: 1, hit_rate: 0, miss_rate: 1, edited: 0, undo_rate: null }),
      expect.objectContaining({ language: 'python', hits: 1, misses: 0, edited: 1, undone: 1 }),
      expect.objectContaining({ language: 'typescript', hits: 1, misses: 0, edited: 1, undone: 0 }),
    ]);
    expect(stats.strategies[1]).toMatchObject({ hits: 1, misses: 0, hit_rate: 1, miss_rate: 0 });
  });
});

describe('hybrid choice per language', () => {
  const turns = (count: number, make: (i: number) => ReplayedEvent[]): ReplayedEvent[] => Array.from({ length: count }, (_, i) => make(i)).flat();

  it('counts hits and misses of files outside the chat per language and per what represented it; chat files are left out', () => {
    const events = [
      message('h1', { chunks: ['src/a.ts:1-9'], files: ['src/chat.py'], languages: { python: 'summaries' } }),
      edit('h1', [['src/a.ts', 'M'], ['src/chat.py', 'M']]),
      tool('h1', 'h1', 'read_file', { path: 'src/b.py' }),
      message('s1', { strategy: 'summary', summaries: ['', 'src/c.py'] }),
      edit('s1', [['src/c.py', 'M']]),
    ];
    expect(languageFigures(events)).toEqual({
      typescript: { chunks: { turns: 1, hits: 1, misses: 0 } },
      python: { summaries: { turns: 2, hits: 1, misses: 1 } },
    });
  });

  it('picks the best hit rate among representations with enough turns; too few turns keep the default; nothing served gives the map alone', () => {
    const figures = {
      python: { chunks: { turns: 6, hits: 1, misses: 5 }, summaries: { turns: 5, hits: 4, misses: 1 } },
      typescript: { chunks: { turns: 8, hits: 6, misses: 2 }, summaries: { turns: 4, hits: 4, misses: 0 } },
      go: { summaries: { turns: 3, hits: 3, misses: 0 } },
      rust: { chunks: { turns: 7, hits: 0, misses: 9 } },
    };
    const choices = chooseRepresentations(figures);
    expect(choices.map((c) => [c.language, c.representation])).toEqual([
      ['go', 'chunks'],
      ['python', 'summaries'],
      ['rust', 'map'],
      ['typescript', 'chunks'],
    ]);
    expect(choices[0]!.reason).toBe('summaries 100% hit of 3 turns: fewer than 5 turns, the default');
    expect(choices[1]!.reason).toBe('chunks 17% hit of 6 turns, summaries 80% hit of 5 turns: summaries served best');
    expect(choices[2]!.reason).toContain('under 10%, the map alone');
    expect(representationFor(choices, 'lib/x.py')).toBe('summaries');
    expect(representationFor(choices, 'main.c')).toBe('chunks');
    // The same figures give the same choice, whatever order they come in.
    const reversed = Object.fromEntries(Object.entries(figures).reverse());
    expect(chooseRepresentations(reversed)).toEqual(choices);
  });

  it('breaks a tie by the fixed order: chunks, then summaries, then map', () => {
    const tied = { python: { map: { turns: 5, hits: 1, misses: 1 }, summaries: { turns: 9, hits: 3, misses: 3 }, chunks: { turns: 5, hits: 2, misses: 2 } } };
    expect(chooseRepresentations(tied)[0]!.representation).toBe('chunks');
    const { chunks: _, ...noChunks } = tied.python;
    expect(chooseRepresentations({ python: noChunks })[0]!.representation).toBe('summaries');
  });

  it('tries a representation with too few turns in a bounded share of turns, then lets the figures decide', () => {
    const explore = ['summaries', 'map'] as const;
    // Only chunks were ever sent: without exploring, hybrid would never learn anything else.
    const start = { python: { chunks: { turns: 5, hits: 1, misses: 4 } } };
    expect(chooseRepresentations(start)[0]!.representation).toBe('chunks');
    const first = chooseRepresentations(start, { explore })[0]!;
    expect(first.representation).toBe('summaries');
    expect(first.reason).toBe('chunks 20% hit of 5 turns: trying summaries (0 of 5 turns; up to 20% of turns go to options with too few)');
    // The fewest turns goes first: summaries had some, the map none.
    expect(chooseRepresentations({ python: { ...start.python, summaries: { turns: 1, hits: 1, misses: 0 } } }, { explore: ['summaries', 'map'] })[0]!.representation).toBe('map');
    // Tries already at the share: the best counted one is sent.
    const atShare = { python: { chunks: { turns: 8, hits: 2, misses: 6 }, summaries: { turns: 2, hits: 2, misses: 0 } } };
    expect(chooseRepresentations(atShare, { explore: ['summaries'] })[0]!.representation).toBe('chunks');
    // Once every option has its turns, exploring changes nothing.
    const full = { python: { chunks: { turns: 9, hits: 1, misses: 8 }, summaries: { turns: 5, hits: 4, misses: 1 }, map: { turns: 5, hits: 0, misses: 5 } } };
    expect(chooseRepresentations(full, { explore })).toEqual(chooseRepresentations(full));
    expect(chooseRepresentations(full, { explore })[0]!.representation).toBe('summaries');
    // A language without a counted option keeps the default: nothing to compare a try against yet.
    expect(chooseRepresentations({ go: { chunks: { turns: 3, hits: 1, misses: 0 } } }, { explore })[0]!.representation).toBe('chunks');
    // Only the options offered are tried (no summaries without a refresher).
    expect(chooseRepresentations(start, { explore: ['map'] })[0]!.representation).toBe('map');
  });

  it('a hybrid turn records its choice, and its figures go to that choice', () => {
    const events = turns(5, (i) => [message(`m${i}`, { map: ['src/a.py'], languages: { python: 'map' } }), edit(`m${i}`, [['src/a.py', 'M']])]);
    const figures = languageFigures(events);
    expect(figures).toEqual({ python: { map: { turns: 5, hits: 5, misses: 0 } } });
    expect(chooseRepresentations(figures)[0]).toMatchObject({ language: 'python', representation: 'map' });
  });
});
