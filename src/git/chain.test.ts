import { describe, expect, it } from 'vitest';
import { tempRepo, type TempRepo } from '../../test/helpers/git-repo.js';
import { eventSubject, INLINE_PAYLOAD_LIMIT, parseEvent, type NewEvent } from './events.js';
import { openStore, type GitStore } from './index.js';

async function start(repo: TempRepo): Promise<{ store: GitStore; id: string }> {
  const store = await openStore({ cwd: repo.dir, env: repo.env, command: 'test' });
  const { session } = await store.startSession();
  return { store, id: session.id };
}

const subjects = (repo: TempRepo, id: string): string[] => repo.git('log', '--reverse', '--format=%s', `refs/assist/log/${id}`).split('\n');

describe('event commits people can read', () => {
  it('every event has the subject `assist <id>: <event> <summary>` and its JSON in the body', async () => {
    await using repo = tempRepo({ files: { 'src/a.ts': 'export const a = 1;\n' } });
    const { store, id } = await start(repo);
    try {
      await store.appendEvents(id, [
        { type: 'message', request: 'r1', text: 'fix the bug in\nsrc/a.ts where "a" is one' },
        { type: 'reply', request: 'r1', text: `Here is the fix.\n${'x'.repeat(200)}`, model: 'openai/gpt-4.1' },
      ]);
      // A type this version does not know (the tool loop's), and one no version knows yet.
      await store.appendEvent(id, { type: 'tool', request: 'r1', name: 'read_file', call: 'c1', arguments: { path: 'src/a.ts' }, ok: true, ms: 3, chars: 20 } as unknown as NewEvent);
      await store.appendEvent(id, { type: 'tool', request: 'r1', name: 'run', call: 'c2', arguments: '{"cmd":"npm test"}', ok: false, ms: 900, chars: 0 } as unknown as NewEvent);
      await store.appendEvent(id, { type: 'future-thing', name: 'x' } as unknown as NewEvent);
      await store.applyBatch(id, { files: [{ path: 'src/a.ts', content: 'export const a = 2;\n' }], summary: 'Fix the rounding in a.ts', model: 'openai/gpt-4.1', request: 'r1' });
      await store.appendEvent(id, { type: 'refused', request: 'r2', reason: 'protected file\t.github/workflows/ci.yml', files: ['.github/workflows/ci.yml'] });
      await store.createCheckpoint('before-undo');
      await store.undo();
      await store.redo();
      expect(subjects(repo, id)).toEqual([
        `assist ${id}: session-started from main`,
        `assist ${id}: message "fix the bug in src/a.ts where "a" is one"`,
        `assist ${id}: reply openai/gpt-4.1 "Here is the fix. ${'x'.repeat(37)}…"`,
        `assist ${id}: tool read_file src/a.ts`,
        `assist ${id}: tool run npm test (failed)`,
        `assist ${id}: future-thing x`,
        `assist ${id}: edit Fix the rounding in a.ts`,
        `assist ${id}: refused protected file .github/workflows/ci.yml`,
        `assist ${id}: checkpoint before-undo`,
        `assist ${id}: undo 1 edit`,
        `assist ${id}: redo 1 edit`,
      ]);
      // The body is the event, and replay reads it back.
      const body = repo.git('log', '-1', '--format=%b', `refs/assist/log/${id}`);
      expect(JSON.parse(body)).toMatchObject({ v: 1, type: 'redo', session: id });
      const events = await store.replay(id);
      expect(events.map((e) => e.type)).toEqual(['session-started', 'message', 'reply', 'tool', 'tool', 'future-thing', 'edit', 'refused', 'checkpoint', 'undo', 'redo']);
      expect(events[1]).toMatchObject({ type: 'message', text: 'fix the bug in\nsrc/a.ts where "a" is one' });
      expect(events[3]).toMatchObject({ name: 'read_file', arguments: { path: 'src/a.ts' } });
    } finally {
      store.close();
    }
  });

  it('a subject stays one short line whatever the event holds', () => {
    const base = { v: 1, at: '', session: 's', tip: null, lastEdit: null, redo: null } as const;
    expect(eventSubject({ ...base, type: 'message', request: 'r', text: `${'word '.repeat(100)}\u001b[31m` })).toMatch(/^message "(word ){13}word…"$/);
    expect(eventSubject({ ...base, type: 'finish', mode: 'squash', onto: 'main', commit: 'c'.repeat(40) })).toBe(`finish squash as ${'c'.repeat(12)}`);
    expect(eventSubject({ ...base, type: 'undo', undone: [], from: null, to: null, before: { lastEdit: null, redo: null }, pendingDropped: ['a'] })).toBe('undo the pending batch');
    expect(eventSubject({ type: 'tool', name: 'search', arguments: { paths: ['a', 'b', 'c'] } })).toBe('tool search a (+2)');
    expect(eventSubject({ type: 'mystery' })).toBe('mystery');
  });

  it('reads chains written before the subject (the JSON as the whole message) and rejects other commits', () => {
    const event = { v: 1, at: 'now', session: 's', tip: null, lastEdit: null, redo: null, type: 'checkpoint', name: 'x', commit: null, auto: false };
    expect(parseEvent(`${JSON.stringify(event)}\n`)).toEqual(event);
    expect(parseEvent(`assist s: checkpoint x\n\n${JSON.stringify(event)}\n`)).toEqual(event);
    expect(parseEvent('Fix the thing\n\nJust a commit.\n')).toBeNull();
    expect(parseEvent('assist s: edit\n\n{not json')).toBeNull();
  });
});

describe('payloads over 64 KiB', () => {
  it('a 5 MB reply goes to a blob the event names: the commit message stays small, replay gives the text back', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const { store, id } = await start(repo);
    try {
      const huge = `${'reply line ✓ '.repeat(400_000)}end`;
      const hugeBytes = Buffer.byteLength(huge);
      expect(hugeBytes).toBeGreaterThan(5_000_000);
      const justUnder = 'u'.repeat(INLINE_PAYLOAD_LIMIT);
      await store.appendEvents(id, [
        { type: 'message', request: 'r1', text: justUnder },
        { type: 'reply', request: 'r1', text: huge, model: 'openai/gpt-4.1', usage: { input_tokens: 1, output_tokens: 2 } },
      ]);
      // A payload that is not a string (a refusal naming very many files) is stored as its JSON.
      const files = Array.from({ length: 5000 }, (_, i) => `generated/file-${i}.ts`);
      await store.appendEvent(id, { type: 'refused', request: 'r1', reason: 'too many files', files });

      const ref = `refs/assist/log/${id}`;
      const sizes = repo.git('log', '--format=%H', ref).split('\n').map((c) => Number(repo.git('cat-file', '-s', c)));
      expect(Math.max(...sizes)).toBeLessThan(INLINE_PAYLOAD_LIMIT + 2048);
      expect(repo.git('log', '--all', '--oneline').length).toBeLessThan(10_000);

      const replyCommit = repo.git('rev-parse', `${ref}~1`);
      const body = JSON.parse(repo.git('log', '-1', '--format=%b', replyCommit)) as { text: { blob: string; bytes: number }; blobs: string[] };
      expect(body.blobs).toEqual(['text']);
      expect(body.text.bytes).toBe(hugeBytes);
      // The blob is in the commit's tree: reachable for as long as the event is (gc, fetch, push).
      expect(repo.git('ls-tree', replyCommit)).toBe(`100644 blob ${body.text.blob}\ttext`);
      expect(repo.git('cat-file', '-s', body.text.blob)).toBe(String(hugeBytes));
      const messageCommit = repo.git('rev-parse', `${ref}~2`);
      expect(repo.git('ls-tree', messageCommit)).toBe('');
      repo.git('gc', '-q', '--prune=now');

      const events = await store.replay(id);
      const reply = events.find((e) => e.type === 'reply');
      expect(reply?.type === 'reply' && reply.text === huge).toBe(true);
      expect(reply).not.toHaveProperty('blobs');
      expect(events.find((e) => e.type === 'message')).toMatchObject({ text: justUnder });
      expect(events.find((e) => e.type === 'refused')).toMatchObject({ files });
      // The tip is read through the same path by every write that follows.
      await store.applyBatch(id, { files: [{ path: 'a.txt', content: 'b\n' }], summary: 'After the big reply', model: 'openai/gpt-4.1', request: 'r1' });
      expect(subjects(repo, id).at(-1)).toBe(`assist ${id}: edit After the big reply`);
    } finally {
      store.close();
    }
  });
});

describe('the events since an earlier tip', () => {
  it('are the tail of the replay (payload blobs read back), read without git; null when the tip is not within the limit or not on the chain', async () => {
    await using repo = tempRepo({ files: { 'src/a.ts': 'export const a = 1;\n' } });
    const { store, id } = await start(repo);
    try {
      await store.appendEvents(id, [{ type: 'message', request: 'r1', text: 'first' }]);
      const since = repo.git('rev-parse', `refs/assist/log/${id}`).trim();
      const big = 'y'.repeat(INLINE_PAYLOAD_LIMIT + 10);
      await store.appendEvents(id, [
        { type: 'message', request: 'r2', text: big },
        { type: 'reply', request: 'r2', text: 'done', model: 'openai/gpt-4.1' },
      ]);
      const all = await store.replay(id);
      const tail = await store.replaySince(id, since, 10);
      expect(tail).toEqual(all.slice(-2));
      expect(tail?.[0]).toMatchObject({ type: 'message', text: big });
      expect(await store.replaySince(id, since, 1)).toBeNull();
      expect(await store.replaySince(id, '0'.repeat(40), 100)).toBeNull();
      expect(await store.replaySince(id, all.at(-1)!.id, 10)).toEqual([]);
    } finally {
      store.close();
    }
  });
});

describe('appending after another writer', () => {
  it('reads the tip again when the chain moved since this process last appended: nothing lost, the edit it missed is the next event\'s lastEdit', async () => {
    await using repo = tempRepo({ files: { 'src/a.ts': 'export const a = 1;\n' } });
    const { store, id } = await start(repo);
    const other = await openStore({ cwd: repo.dir, env: repo.env, command: 'test' });
    try {
      await store.appendEvents(id, [{ type: 'message', request: 'r1', text: 'first' }]);
      await store.appendEvents(id, [{ type: 'reply', request: 'r1', text: 'one', model: 'openai/gpt-4.1' }]);
      // Another process appends, an edit among its events, while this one still knows its own last tip.
      await other.appendEvents(id, [{ type: 'message', request: 'r2', text: 'second' }]);
      await other.applyBatch(id, { files: [{ path: 'src/a.ts', content: 'export const a = 2;\n' }], summary: 'Set a to 2', model: 'openai/gpt-4.1', request: 'r2' });
      const edit = repo.git('rev-parse', `refs/assist/log/${id}`).trim();
      await store.appendEvents(id, [{ type: 'reply', request: 'r2', text: 'two', model: 'openai/gpt-4.1' }]);
      expect(subjects(repo, id).slice(1)).toEqual([
        `assist ${id}: message "first"`,
        `assist ${id}: reply openai/gpt-4.1 "one"`,
        `assist ${id}: message "second"`,
        `assist ${id}: edit Set a to 2`,
        `assist ${id}: reply openai/gpt-4.1 "two"`,
      ]);
      const last = JSON.parse(repo.git('log', '-1', '--format=%b', `refs/assist/log/${id}`)) as { lastEdit: string | null };
      expect(last.lastEdit).toBe(edit);
      expect(repo.git('rev-parse', `refs/assist/log/${id}~1`).trim()).toBe(edit);
    } finally {
      store.close();
      other.close();
    }
  });
});
