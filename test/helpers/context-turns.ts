import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore, type NewEvent, type TurnContext } from '../../src/git/index.js';
import type { TempRepo } from './git-repo.js';

/** One recorded turn: the context it sent, the files the model read, the files it edited. */
export interface SeededTurn {
  strategy?: string;
  languages?: Record<string, string>;
  map?: string[];
  chunks?: string[];
  summaries?: string[];
  files?: string[];
  reads?: string[];
  edits?: string[];
}

let counter = 0;

/**
 * Records turns in a new session of `repo` through the real store, as a session's turns record
 * them: the message with its context, the read_file tool events, and an edit batch (a real
 * commit on the session's branch) changing the edited files; then back on `main`. Returns the
 * session id.
 */
export async function seedSession(repo: TempRepo, turns: readonly SeededTurn[]): Promise<string> {
  const store = await openStore({ cwd: repo.dir, env: repo.env, command: 'test' });
  try {
    const { session } = await store.startSession();
    for (const turn of turns) {
      const request = `seed${++counter}`;
      const context: TurnContext = {
        strategy: turn.strategy ?? 'hybrid',
        files: turn.files ?? [],
        map: turn.map ?? [],
        chunks: turn.chunks ?? [],
        summaries: turn.summaries ?? [],
        tokens: { map: 100, chunks: 50, summaries: 20, files: 0 },
        ...(turn.languages ? { languages: turn.languages } : {}),
      };
      const events: NewEvent[] = [{ type: 'message', request, text: `turn ${request}`, context }];
      for (const [i, path] of (turn.reads ?? []).entries()) {
        events.push({ type: 'tool', request: `${request}.1`, turn: request, call: `c${i}`, name: 'read_file', arguments: JSON.stringify({ path }), ok: true, ms: 1, chars: 10, result: 'text', status: `read ${path}` });
      }
      await store.appendEvents(session.id, events);
      if (turn.edits && turn.edits.length > 0) {
        const files = turn.edits.map((path) => ({ path, content: `${readFileSync(join(repo.dir, path), 'utf8')}// ${request}\n` }));
        await store.applyBatch(session.id, { files, summary: `Edit for ${request}`, model: 'test/model', request });
      }
    }
    return session.id;
  } finally {
    store.close();
    // Back on the base branch: the next seeded session is a new one, not this one resumed.
    repo.git('checkout', '-q', 'main');
  }
}
