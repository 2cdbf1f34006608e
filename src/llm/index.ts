export { createLlmClient, createLlmClientFromConfig, collectReply, type LlmClient, type Reply } from './client.js';
export { lookupModel, knownModels, costOf, UNKNOWN_MODEL_DEFAULTS } from './registry.js';
export { parseModelName, PROVIDER_NAMES } from './model-name.js';
export { chooseModel, configModel, describeChoice, DEFAULT_MODELS, type ModelChoice, type ModelSource, type ChooseModelOptions } from './choose-model.js';
export { estimateTextTokens, estimatePromptTokens, CHARS_PER_TOKEN } from './estimate.js';
export { backoffDelay, parseRetryAfter, DEFAULT_RETRY } from './backoff.js';
export { CircuitBreaker, DEFAULT_BREAKER, type BreakerSnapshot, type BreakerState } from './breaker.js';
export { scrubSecrets, displayUrl } from './scrub.js';
export type {
  AttemptRecord,
  BreakerPolicy,
  ChatMessage,
  LlmClientOptions,
  LlmRequest,
  ModelInfo,
  Provider,
  ProviderName,
  RetryPolicy,
  StopReason,
  StreamEvent,
  ToolCall,
  ToolResult,
  ToolSpec,
  Timeouts,
  Usage,
} from './types.js';
export { createEmbedder, embeddingModelFor, DEFAULT_EMBEDDING_MODELS, MAX_EMBED_CHARS, type Embedder, type EmbedderOptions, type EmbedResult } from './embeddings.js';
