export { startFakeLlm, FakeLlmServer, FAKE_KEYS, type FakeLlmOptions, type FakeLlmEnv } from './server.js';
export { reply, formatEditBlocks, type EditBlock } from './replies.js';
export { estimatePrompt, estimateTokens } from './estimate.js';
export { fakeVector, embeddingDimension } from './embeddings-wire.js';
export type {
  CutSpec,
  ErrorKind,
  ErrorReply,
  HangReply,
  Outcome,
  Provider,
  RecordedMessage,
  RecordedRequest,
  Reply,
  ReplyFilter,
  Scripted,
  TextReply,
  UsageSpec,
} from './types.js';
