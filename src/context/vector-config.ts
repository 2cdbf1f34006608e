import type { Config } from '../config/types.js';
import type { EmbeddingsClient, SendAudit, VectorRefreshStats } from './vectors.js';

/** What a search or a refresh needs for vectors, from the config. */
export interface VectorSetup {
  embedder: EmbeddingsClient;
  budget: number;
  audit: SendAudit;
  /** `context.vector_weight`; undefined: the calibrated weight. */
  weight?: number;
}

/**
 * The embeddings client and audit log `context.embeddings` asks for, or undefined when it is off.
 * The model is `context.embedding_model`, else the default of the chat model's provider; with
 * none to be had (an Anthropic chat model) this throws the AssistError that says what to set.
 * `session`: the audit log's session field (`search`, `hook`).
 */
export async function vectorSetup(
  config: Pick<Config, 'context' | 'model' | 'llm'>,
  env: NodeJS.ProcessEnv,
  paths: { root: string; sharedAssistDir: string },
  session: string,
): Promise<VectorSetup | undefined> {
  if (!config.context.embeddings) return undefined;
  const { chooseModel, createEmbedder, embeddingModelFor } = await import('../llm/index.js');
  let chat: string | undefined;
  if (config.context.embeddingModel === undefined) {
    chat = await chooseModel({ env, config: { model: config.model, llm: config.llm }, probeOllama: null }).then(
      (c) => c.model,
      () => undefined,
    );
  }
  const model = embeddingModelFor(config.context.embeddingModel, chat);
  // Few attempts: a background refresh that fails leaves the files for the next one.
  const embedder = createEmbedder({ model, env, llm: config.llm, cwd: paths.root, retry: { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 4_000 } });
  const { createAuditLog } = await import('../sandbox/index.js');
  const audit = createAuditLog(paths.sharedAssistDir, session);
  return { embedder, budget: config.context.embeddingBudget, audit, ...(config.context.vectorWeight !== undefined ? { weight: config.context.vectorWeight } : {}) };
}

/**
 * The hooks' background refresh of the vectors (after the lexical index's): with
 * `context.embeddings` on, the chunks of files without vectors are embedded, the changed files
 * first, within `context.embedding_budget`. Never throws: a failing provider leaves the files for
 * the next refresh.
 */
export async function refreshVectorsInBackground(paths: { root: string }, changed: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<VectorRefreshStats | undefined> {
  try {
    const { loadConfig } = await import('../config/index.js');
    const { config } = await loadConfig({ env, repoRoot: paths.root });
    if (!config.context.embeddings) return undefined;
    const { openIndex } = await import('./search-index.js');
    const index = await openIndex({ cwd: paths.root, env, maxWorkers: 1, maxFileBytes: config.context.maxFileBytes });
    const setup = await vectorSetup(config, env, { root: index.root, sharedAssistDir: index.sharedAssistDir }, 'hook');
    if (!setup) return undefined;
    const { loadVectorTable, refreshVectors } = await import('./vectors.js');
    let table = await loadVectorTable(index, setup.embedder.model);
    const stats = await refreshVectors(index, table, { embedder: setup.embedder, budget: setup.budget, audit: setup.audit, first: changed, env });
    // The vector weight is calibrated once per model, when the vectors cover the index (vector-weight.ts).
    if (setup.weight === undefined && !stats.error && setup.budget > stats.tokens) {
      const { loadCalibration } = await import('./vector-weight.js');
      if (!(await loadCalibration(index, setup.embedder.model))) {
        if (stats.files > 0) table = await loadVectorTable(index, setup.embedder.model);
        const { calibrateForIndex } = await import('./search.js');
        await calibrateForIndex(index, table, { embedder: setup.embedder, budget: setup.budget - stats.tokens, audit: setup.audit, env }).catch(() => undefined);
      }
    }
    return stats;
  } catch {
    return undefined;
  }
}
