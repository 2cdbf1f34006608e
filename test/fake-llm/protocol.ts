import type { ErrorKind, Provider, RecordedRequest, TextReply } from './types.js';

/** What a protocol reads out of a generation request body: these fields of the recorded request. */
export type ParsedRequest = Pick<RecordedRequest, 'model' | 'stream' | 'system' | 'messages' | 'includeUsage' | 'maxTokens' | 'options'> & Partial<Pick<RecordedRequest, 'tools' | 'cacheBreakpoints'>>;

/** An error response: status and JSON body. */
export interface WireError {
  status: number;
  body: unknown;
}

/** What a protocol may put into an error body besides the kind (Gemini: RetryInfo, the echoed key, the canonical status). */
export interface ErrorExtra {
  /** The status the script forced. */
  status?: number | undefined;
  /** Seconds the scripted error asks the client to wait. */
  retryAfter?: number | undefined;
  /** The key the request carried (Google echoes a rejected one in a DebugInfo detail). */
  apiKey?: string | undefined;
}

/** Facts a protocol needs to render one reply. */
export interface ReplyContext {
  id: string;
  model: string;
  /** Unix seconds. */
  created: number;
  /** undefined when the script said `usage: 'none'`. */
  usage: { input: number; output: number; cached: number } | undefined;
  /** `tool_calls` when the reply makes tool calls (and was not cut by `length`). */
  finish: 'stop' | 'length' | 'tool_calls';
  /** The reply's tool calls, ids assigned, arguments as JSON text. */
  toolCalls: Array<{ id: string; name: string; arguments: string }>;
  /** Characters per content frame (argument fragments are cut the same way). */
  chunkSize: number;
  /** The reply text split into content pieces. */
  pieces: string[];
  includeUsage: boolean;
}

/** One provider's wire format. Frames are complete SSE events or NDJSON lines. */
export interface WireProtocol {
  provider: Provider;
  parse(body: Record<string, unknown>): ParsedRequest;
  /**
   * What the real service rejects before generating (400 in its own shape): malformed tool
   * definitions, a tool result that answers no call of the assistant turn right before it,
   * missing results, mismatched ids. undefined: the request is valid.
   */
  validate?(body: Record<string, unknown>, request?: { model: string | undefined }): WireError | undefined;
  /** The 400 a server (or model) without tool support answers a request that offers tools. */
  toolsRejected?(model: string | undefined): WireError;
  error(kind: ErrorKind, message: string | undefined, model: string | undefined, extra?: ErrorExtra): WireError;
  contextError(promptTokens: number, limit: number, model: string | undefined): WireError;
  complete(reply: TextReply, ctx: ReplyContext): unknown;
  streamContentType: string;
  streamFrames(ctx: ReplyContext): string[];
  /** `sequence`: frames already sent, for protocols that number their events (Responses `sequence_number`). */
  streamErrorFrame(kind: ErrorKind, message: string | undefined, model: string | undefined, sequence?: number): string;
  garbageFrame: string;
  /** Headers every response of this service carries (request ids and the like). */
  headers(requestId: string): Record<string, string>;
}

export function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
