import { describe, expect, it } from 'vitest';
import type { ReplayedEvent, TurnContext } from '../git/index.js';
import { contextStats, turnOutcomes } from './effectiveness.js';

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
