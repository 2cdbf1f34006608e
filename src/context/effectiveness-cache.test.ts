import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seedSession, type SeededTurn } from '../../test/helpers/context-turns.js';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { openStore, type NewEvent, type ReplayedEvent } from '../git/index.js';
import { chooseRepresentations } from './effectiveness.js';
import { cacheSessionFigures, CHAIN_PREFIX, loadLanguageFigures, MAX_BASES, MAX_EXTEND, sessionTips, type ChainSource } from './effectiveness-cache.js';

const FILES = { 'src/app.ts': 'export const a = 1;\n', 'lib/model.py': 'def fit():\n    pass\n', 'lib/util.py': 'def helper():\n    pass\n', 'cmd/main.go': 'package main\n' };

/** The store as the prompt builder reads it, counting replays. */
async function source(dir: string, env: NodeJS.ProcessEnv): Promise<{ src: ChainSource; commonDir: string; close(): void }> {
  const store = await openStore({ cwd: dir, env, command: 'test' });
  return {
    commonDir: store.repo.paths.commonDir,
    src: { tips: () => Promise.resolve(sessionTips(store.repo.refsUnder(CHAIN_PREFIX))), replay: (id) => store.replay(id) },
    close: () => store.close(),
  };
}

describe('hybrid figures from the recorded sessions', () => {
  it('chooses chunks for TypeScript and summaries for Python from real session events; Go with two turns keeps the default; the cache replays only what moved', async () => {
    await using repo = tempRepo({ files: FILES });
    const ts: SeededTurn[] = Array.from({ length: 5 }, () => ({ chunks: ['src/app.ts:1-1'], edits: ['src/app.ts'] }));
    // Python under hybrid's default (chunks) had to be read; under `summary` its summaries were edited.
    const pyMissed: SeededTurn[] = Array.from({ length: 5 }, () => ({ chunks: ['src/app.ts:1-1'], reads: ['lib/model.py'] }));
    const pySummaries: SeededTurn[] = Array.from({ length: 5 }, () => ({ strategy: 'summary', summaries: ['', 'lib/model.py'], edits: ['lib/model.py'] }));
    const go: SeededTurn[] = Array.from({ length: 2 }, () => ({ strategy: 'summary', summaries: ['cmd/main.go'], edits: ['cmd/main.go'] }));
    const older = await seedSession(repo, [...ts, ...pyMissed]);
    const second = await seedSession(repo, [...pySummaries, ...go]);

    const s = await source(repo.dir, repo.env);
    try {
      const first = await loadLanguageFigures(s.commonDir, s.src);
      expect(first).toMatchObject({ sessions: 2, replayed: 2, pending: 0 });
      const choices = chooseRepresentations(first.figures);
      expect(choices).toEqual([
        { language: 'go', representation: 'chunks', reason: 'summaries 100% hit of 2 turns: fewer than 5 turns, the default' },
        { language: 'python', representation: 'summaries', reason: 'chunks 0% hit of 5 turns, summaries 100% hit of 5 turns: summaries served best' },
        { language: 'typescript', representation: 'chunks', reason: 'chunks 100% hit of 5 turns: chunks served best' },
      ]);

      // The tips are read from the ref files, loose or packed, without git: packing moves nothing.
      repo.git('pack-refs', '--all');
      const again = await loadLanguageFigures(s.commonDir, s.src);
      expect(again).toMatchObject({ sessions: 2, replayed: 0 });
      expect(chooseRepresentations(again.figures)).toEqual(choices);

      // A session that moves is read again, and only it.
      const store = await openStore({ cwd: repo.dir, env: repo.env, command: 'test' });
      await store.appendEvents(second, [{ type: 'message', request: 'later', text: 'x', context: { strategy: 'summary', files: [], map: [], chunks: [], summaries: ['cmd/main.go'], tokens: { map: 0, chunks: 0, summaries: 0, files: 0 } } }]);
      store.close();
      const moved = await loadLanguageFigures(s.commonDir, s.src);
      expect(moved).toMatchObject({ replayed: 1 });
      expect(moved.figures).toEqual(again.figures);

      // A torn or foreign cache is rebuilt, never an error.
      const cache = join(s.commonDir, 'assist', 'effectiveness.json');
      expect(JSON.parse(readFileSync(cache, 'utf8'))).toMatchObject({ version: 1 });
      writeFileSync(cache, '{"version":1,"sessions":{"x":');
      const rebuilt = await loadLanguageFigures(s.commonDir, s.src);
      expect(rebuilt).toMatchObject({ replayed: 2 });
      expect(chooseRepresentations(rebuilt.figures)).toEqual(choices);

      // A long history is read a few sessions a call, the newest first; the figures grow to the same.
      rmSync(cache);
      const part = await loadLanguageFigures(s.commonDir, s.src, { maxReplays: 1 });
      expect(part).toMatchObject({ replayed: 1, pending: 1 });
      // Newest first by session id (they start with their time); two sessions seeded within the same
      // second are ordered by the rest of their ids, so the expectation follows the ids.
      expect(Object.keys(part.figures).sort()).toEqual(second > older ? ['go', 'python'] : ['python', 'typescript']);
      const rest = await loadLanguageFigures(s.commonDir, s.src, { maxReplays: 1 });
      expect(rest).toMatchObject({ replayed: 1, pending: 0 });
      expect(chooseRepresentations(rest.figures)).toEqual(choices);

      // What `stats context` replayed anyway fills the cache: the next read replays nothing.
      rmSync(cache);
      const tips = await s.src.tips();
      await cacheSessionFigures(s.commonDir, await Promise.all([...tips].map(async ([id, tip]) => ({ id, tip, events: await s.src.replay(id) }))));
      const warmed = await loadLanguageFigures(s.commonDir, s.src);
      expect(warmed).toMatchObject({ replayed: 0, pending: 0 });
      expect(chooseRepresentations(warmed.figures)).toEqual(choices);
    } finally {
      s.close();
    }
  });
});

describe('hybrid figures extended from the cached base', () => {
  const context = (chunks: string[]): NonNullable<Extract<NewEvent, { type: 'message' }>['context']> => ({ strategy: 'hybrid', files: [], map: [], chunks, summaries: [], tokens: { map: 10, chunks: 10, summaries: 0, files: 0 } });
  /** One turn whose context held `lib/model.py`'s chunk and that edited it: a hit for Python under chunks. */
  const pythonHit = (request: string, head: string): NewEvent[] => [
    { type: 'message', request, text: request, context: context(['lib/model.py:1-2']) },
    { type: 'edit', request, model: 'test/model', summary: request, commit: head, parent: null, snapshot: null, files: [{ path: 'lib/model.py', change: 'M' }], prevEdit: null },
  ];
  const readOf = (turn: string, path: string): NewEvent => ({ type: 'tool', request: `${turn}.2`, turn, call: 'late', name: 'read_file', arguments: JSON.stringify({ path }), ok: true, ms: 1, chars: 1, result: 'x', status: `read ${path}` });

  it('gives the choice a whole replay gives, reads only the new events of a moved session, and falls back to a replay when a new event joins a counted turn', async () => {
    await using repo = tempRepo({ files: FILES });
    const missed: SeededTurn[] = Array.from({ length: 5 }, () => ({ chunks: ['src/app.ts:1-1'], reads: ['lib/model.py'] }));
    const session = await seedSession(repo, missed);
    const head = repo.git('rev-parse', 'HEAD').trim();
    const store = await openStore({ cwd: repo.dir, env: repo.env, command: 'test' });
    const commonDir = store.repo.paths.commonDir;
    let sinceCalls = 0;
    const tips = (): Promise<Map<string, string>> => Promise.resolve(sessionTips(store.repo.refsUnder(CHAIN_PREFIX)));
    const cached: ChainSource = { tips, replay: (id) => store.replay(id), since: (id, from) => (sinceCalls++, store.replaySince(id, from, MAX_EXTEND)) };
    // What the figures must be: every chain replayed whole, no cache.
    const uncached = async (): Promise<ReturnType<typeof chooseRepresentations>> => {
      rmSync(join(commonDir, 'assist', 'effectiveness.json'), { force: true });
      return chooseRepresentations((await loadLanguageFigures(commonDir, { tips, replay: (id) => store.replay(id) })).figures);
    };
    try {
      const first = await loadLanguageFigures(commonDir, cached);
      expect(first).toMatchObject({ replayed: 1, extended: 0 });
      // Python missed in 5 turns under chunks: 0% hit, the map alone.
      expect(chooseRepresentations(first.figures).find((c) => c.language === 'python')?.representation).toBe('map');

      // A new recorded turn moves the chain: the cached figures are not used as they were, and only the new events are read.
      await store.appendEvents(session, pythonHit('r1', head));
      const moved = await loadLanguageFigures(commonDir, cached);
      expect(moved).toMatchObject({ replayed: 1, extended: 1 });
      expect(sinceCalls).toBe(1);
      const choice = chooseRepresentations(moved.figures);
      expect(choice.find((c) => c.language === 'python')).toMatchObject({ representation: 'chunks', reason: 'chunks 17% hit of 6 turns: chunks served best' });
      const base = (JSON.parse(readFileSync(join(commonDir, 'assist', 'effectiveness.json'), 'utf8')) as { sessions: Record<string, { base?: { requests: string[] } }> }).sessions[session]?.base;
      expect(base?.requests).toHaveLength(5);
      expect(choice).toEqual(await uncached());

      // Unmoved: nothing read.
      await loadLanguageFigures(commonDir, cached);
      expect(await loadLanguageFigures(commonDir, cached)).toMatchObject({ replayed: 0, extended: 0 });

      // Two more turns (one extension), then a late read joining r1, a turn the base now counts: replayed whole, same as uncached.
      await store.appendEvents(session, [...pythonHit('r2', head), ...pythonHit('r3', head)]);
      expect(await loadLanguageFigures(commonDir, cached)).toMatchObject({ extended: 1 });
      await store.appendEvents(session, [readOf('r1', 'cmd/main.go')]);
      const joined = await loadLanguageFigures(commonDir, cached);
      expect(joined).toMatchObject({ replayed: 1, extended: 0 });
      expect(joined.figures['go']).toEqual({ chunks: { turns: 1, hits: 0, misses: 1 } });
      const joinedChoice = chooseRepresentations(joined.figures);
      expect(joinedChoice).toEqual(await uncached());

      // A late read joining the open turn (r3, after the base) is extended exactly.
      await loadLanguageFigures(commonDir, cached);
      await store.appendEvents(session, [readOf('r3', 'src/app.ts')]);
      const open = await loadLanguageFigures(commonDir, cached);
      expect(open).toMatchObject({ extended: 1 });
      expect(chooseRepresentations(open.figures)).toEqual(await uncached());
      expect(open.figures['typescript']).toEqual({ chunks: { turns: 1, hits: 0, misses: 1 } });
    } finally {
      store.close();
    }
  });
});

describe('the cache file', () => {
  it(`keeps a base for the ${MAX_BASES} newest sessions only; an older one that moves is replayed whole, to the same figures`, async () => {
    await using repo = tempRepo({ files: FILES });
    const commonDir = join(repo.dir, '.git');
    // Sessions as the chain source hands them over: two turns each (a base needs a turn before the last).
    const ids = Array.from({ length: MAX_BASES + 1 }, (_, i) => `20260101-0000${String(i).padStart(2, '0')}-abcd`);
    const chains = new Map<string, ReplayedEvent[]>();
    const event = (e: NewEvent, id: string): ReplayedEvent => ({ ...e, id, reverted: false, v: 1, session: 's', time: '2026-01-01T00:00:00Z', tip: null, lastEdit: null, redo: null }) as unknown as ReplayedEvent;
    const turn = (session: string, request: string): ReplayedEvent[] => [
      event({ type: 'message', request, text: request, context: { strategy: 'hybrid', files: [], map: [], chunks: [], summaries: [], tokens: { map: 1, chunks: 0, summaries: 0, files: 0 } } }, `${session}-${request}-m`),
      event({ type: 'tool', request: `${request}.1`, turn: request, call: 'c', name: 'read_file', arguments: JSON.stringify({ path: 'lib/model.py' }), ok: true, ms: 1, chars: 1, result: 'x', status: 'read' }, `${session}-${request}-t`),
    ];
    for (const id of ids) chains.set(id, [...turn(id, 'a'), ...turn(id, 'b')]);
    let whole = 0;
    const src: ChainSource = {
      tips: () => Promise.resolve(new Map([...chains].map(([id, events]) => [id, events.at(-1)!.id]))),
      replay: (id) => (whole++, Promise.resolve(chains.get(id)!)),
      since: (id, from) => {
        const events = chains.get(id)!;
        const at = events.findIndex((e) => e.id === from);
        return Promise.resolve(at < 0 ? null : events.slice(at + 1));
      },
    };
    await loadLanguageFigures(commonDir, src, { maxReplays: Infinity });
    const file = JSON.parse(readFileSync(join(commonDir, 'assist', 'effectiveness.json'), 'utf8')) as { sessions: Record<string, { base?: unknown }> };
    expect(ids.filter((id) => file.sessions[id]?.base !== undefined)).toEqual(ids.slice(1));
    // The oldest and the newest move by a turn: the newest is extended, the oldest replayed whole.
    for (const id of [ids[0]!, ids.at(-1)!]) chains.get(id)!.push(...turn(id, 'c'));
    whole = 0;
    const moved = await loadLanguageFigures(commonDir, src, { maxReplays: Infinity });
    expect(moved).toMatchObject({ replayed: 2, extended: 1 });
    expect(whole).toBe(1);
    expect(moved.figures['python']).toEqual({ chunks: { turns: 2 * ids.length + 2, hits: 0, misses: 2 * ids.length + 2 } });
  });
});
