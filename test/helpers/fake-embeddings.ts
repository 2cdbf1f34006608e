import { afterEach, beforeEach } from 'vitest';
import { resolveRepoPaths } from '../../src/git/repo-paths.js';
import { createEmbedder, type Embedder } from '../../src/llm/embeddings.js';
import { createAuditLog } from '../../src/sandbox/audit-log.js';
import { searchCode, type SearchResult } from '../../src/context/search.js';
import { startFakeLlm, type FakeLlmServer } from '../fake-llm/index.js';
import type { TempRepo } from './git-repo.js';

/** The embedding model the context tests use unless they name another. */
export const EMBEDDING_MODEL = 'openai/text-embedding-3-small';

/** Retries that wait a millisecond or five: a test waits on the fake's replies, not on backoff. */
export const FAST_RETRY = { baseDelayMs: 1, maxDelayMs: 5 };

/** What `useFakeEmbeddings` gives a describe block: the test's own fake server and clients of it. */
export interface FakeEmbeddings {
  /** The fake server of the running test: a new one for each test, closed after it. */
  readonly server: FakeLlmServer;
  /** `repo`'s environment (none: an empty one) with the fake's keys and base URLs. */
  env(repo?: TempRepo): Record<string, string | undefined>;
  /** An embedder talking to the fake, with fast retries (`maxAttempts` as the client's default unless given). */
  embedder(options?: { repo?: TempRepo; model?: string; maxAttempts?: number }): Embedder;
  /**
   * `searchCode` in `repo` with vectors from the fake (budget 200,000 tokens, 3 attempts), the sends
   * recorded in the shared audit log as `assist search` records them.
   */
  search(repo: TempRepo, query: string, options?: { model?: string; weight?: number; budget?: number }): Promise<SearchResult>;
}

/**
 * Starts a fake LLM server answering embeddings of `dimensions` before each test of the enclosing
 * describe block (or file) and closes it after; call it at the top of that block.
 */
export function useFakeEmbeddings(dimensions: number): FakeEmbeddings {
  let current: FakeLlmServer | undefined;
  beforeEach(async () => {
    current = await startFakeLlm();
    current.embeddingDimensions = dimensions;
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  const server = (): FakeLlmServer => {
    if (!current) throw new Error('the fake embeddings server runs only inside a test');
    return current;
  };
  const env = (repo?: TempRepo): Record<string, string | undefined> => ({ ...repo?.env, ...server().env() });
  const embedder: FakeEmbeddings['embedder'] = (options = {}) =>
    createEmbedder({
      model: options.model ?? EMBEDDING_MODEL,
      env: env(options.repo),
      retry: { ...FAST_RETRY, ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}) },
    });
  return {
    get server() {
      return server();
    },
    env,
    embedder,
    async search(repo, query, options = {}) {
      const paths = await resolveRepoPaths(repo.dir, env(repo));
      const audit = createAuditLog(paths.sharedAssistDir, 'search', { secrets: [] });
      const vectors = {
        embedder: embedder({ repo, maxAttempts: 3, ...(options.model !== undefined ? { model: options.model } : {}) }),
        budget: options.budget ?? 200_000,
        audit,
        ...(options.weight !== undefined ? { weight: options.weight } : {}),
      };
      return searchCode({ cwd: repo.dir, env: env(repo), query, maxWorkers: 0, vectors });
    },
  };
}
