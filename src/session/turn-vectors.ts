import type { Config } from '../config/types.js';
import type { RequestVectors } from '../context/index.js';
import type { SessionCore } from './core.js';

interface VectorState {
  config: Config;
  setup: Promise<Omit<RequestVectors, 'text'> | undefined>;
}

const perSession = new WeakMap<SessionCore, VectorState>();
const toldPerSession = new WeakMap<SessionCore, Set<string>>();

/**
 * The vectors a turn's map and hybrid chunks rank with (`context.embeddings`), or undefined when
 * it is off: the embeddings client made once a session (again after a config reload), the
 * request embedded as the query within `QUERY_VECTOR_CAP_MS` (2 s), recorded in the session's
 * audit log. No embeddings model to be had is one log line a session, and a lexical turn.
 */
export async function turnVectors(core: SessionCore, request: string): Promise<RequestVectors | undefined> {
  const config = core.config;
  if (!config.context.embeddings) return undefined;
  let state = perSession.get(core);
  if (!state || state.config !== config) {
    const setup = (async (): Promise<Omit<RequestVectors, 'text'> | undefined> => {
      const { vectorSetup, QUERY_VECTOR_CAP_MS } = await import('../context/index.js');
      try {
        const made = await vectorSetup(config, core.options.env, core.store.repo.paths, 'turn');
        if (!made) return undefined;
        // The session's own log, read when the request goes (the session may be opening still).
        const audit = { append: (event: Parameters<NonNullable<RequestVectors['audit']>['append']>[0]) => core.audit().append(event) };
        return { embedder: made.embedder, audit, capMs: QUERY_VECTOR_CAP_MS, ...(made.weight !== undefined ? { weight: made.weight } : {}) };
      } catch (error) {
        noteVectors(core, (error as Error).message, '');
        return undefined;
      }
    })();
    perSession.set(core, (state = { config, setup }));
  }
  const setup = await state.setup;
  return setup ? { ...setup, text: request } : undefined;
}

/**
 * One log line (a warning, never an error for the turn) per request and kind of reason the
 * vectors were left out: the map and the hybrid search of one turn failing alike say it once.
 */
export function noteVectors(core: SessionCore, notice: string | undefined, request: string): void {
  if (notice === undefined) return;
  const line = notice.replace(/; search is lexical only$/, '');
  // The details (a provider's request id) differ between two failed requests of the same kind.
  const key = `${request}\0${line.replace(/\(.*\)/s, '()')}`;
  let told = toldPerSession.get(core);
  if (!told || told.size > 64) toldPerSession.set(core, (told = new Set()));
  if (told.has(key)) return;
  told.add(key);
  core.log?.warn('context.vectors-unavailable', { error: `${line}; the map and the hybrid chunks are lexical only` });
}
