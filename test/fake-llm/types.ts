/** The wire protocols the fake server speaks. */
export type Provider = 'openai' | 'anthropic' | 'google' | 'ollama';

/** Token counts a scripted reply reports; a missing side is estimated (chars / 4). */
export interface UsageSpec {
  input?: number;
  output?: number;
  /** Prompt tokens reported as read from the provider's cache (part of `input`). */
  cached?: number;
}

/** A tool call a scripted reply makes. Arguments given as an object are JSON-encoded; a string is sent as is (even when it is not valid JSON). */
export interface FakeToolCall {
  /** The call id; default `call_<request>_<n>` (Ollama and Gemini carry none on the wire). */
  id?: string;
  name: string;
  arguments: string | Record<string, unknown>;
}

/**
 * Where a stream (or a non-stream body) is cut. Frames are SSE events or NDJSON lines,
 * counted from the first one the server writes (preamble frames such as `message_start`
 * and `ping` count). `mode: 'destroy'` (default) destroys the socket, so the client sees a
 * broken chunked body; `'end'` ends the response cleanly but without the terminator.
 */
export interface CutSpec {
  afterFrames?: number;
  afterBytes?: number;
  mode?: 'destroy' | 'end';
}

/** A successful model reply, streamed or not as the client asked. */
export interface TextReply {
  kind: 'text';
  text: string;
  /** Tool calls after the text; streamed as the service streams them (arguments in fragments of `chunkSize`). */
  toolCalls?: FakeToolCall[];
  /** `'none'` omits usage from the wire entirely. Default: estimated from prompt and text. */
  usage?: UsageSpec | 'none';
  /** Characters of text per content frame (default 16). */
  chunkSize?: number;
  /** Delay before each frame after the first (a slow stream). */
  frameDelayMs?: number;
  /** `'length'` reports the output token limit as the stop reason. */
  finish?: 'stop' | 'length';
  /** Model name to report; default echoes the request's model. */
  model?: string;
  cut?: CutSpec;
  /** Insert a malformed frame after this many frames (non-stream: the whole body is garbage). */
  garbageAfterFrames?: number;
  /** Stop writing after this many frames and keep the connection open (until the client leaves or the server closes). */
  stallAfterFrames?: number;
  /** Send the service's mid-stream error frame after this many frames, then end the stream. */
  streamError?: { afterFrames: number; error: ErrorKind; message?: string };
}

/** Kinds of HTTP error, each rendered in the provider's own status and body shape. */
export type ErrorKind = 'rate_limit' | 'server' | 'overloaded' | 'auth' | 'not_found' | 'bad_request' | 'context_length';

/** An HTTP error reply in the provider's own shape. */
export interface ErrorReply {
  kind: 'error';
  error: ErrorKind;
  /** Status override; default: the provider's real status for `error`. */
  status?: number;
  message?: string;
  /** `retry-after` header, seconds. Gemini: a `google.rpc.RetryInfo` detail in the body instead (its service sends no header). */
  retryAfter?: number;
  /** `retry-after-ms` header. */
  retryAfterMs?: number;
  /** Extra response headers (e.g. `x-should-retry`). */
  headers?: Record<string, string>;
}

/** Never answer: no status line, until the client aborts or the server closes. */
export interface HangReply {
  kind: 'hang';
}

export type Reply = TextReply | ErrorReply | HangReply;

/** A reply, or a function computing one from the request (e.g. to echo it). */
export type Scripted = Reply | ((request: RecordedRequest) => Reply);

/** Restricts a queued reply to matching requests; the first matching entry is served. */
export interface ReplyFilter {
  provider?: Provider;
  model?: string;
}

/** How a request ended, from the server's side. */
export type Outcome =
  | 'completed'
  | 'error-reply'
  | 'cut'
  | 'client-closed'
  | 'server-closed'
  | 'context-rejected'
  | 'auth-rejected'
  | 'unscripted';

/** One message as the client sent it, flattened to text. */
export interface RecordedMessage {
  role: string;
  content: string;
  /** Tool calls an assistant message carried, as the client sent them back. */
  toolCalls?: Array<{ id: string; name: string; arguments: string }>;
  /** Tool results a message carried (OpenAI/Ollama `tool` messages, Anthropic `tool_result` blocks, Responses `function_call_output`, Gemini `functionResponse`). */
  toolResults?: Array<{ callId: string; content: string; isError?: boolean }>;
}

/** A tool definition as the client sent it. */
export interface RecordedTool {
  name: string;
  description: string | undefined;
  parameters: unknown;
}

/** Everything the server saw of one request, plus what it did with it. */
export interface RecordedRequest {
  /** 0-based arrival order over the server's life (across resets). */
  index: number;
  method: string;
  path: string;
  /** The query string's parameters (Gemini's `alt=sse`, `key`). */
  query: Record<string, string>;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** Parsed JSON body (undefined when empty or not JSON). */
  body: unknown;
  rawBody: string;
  /** undefined for model listing and other non-generation endpoints. */
  provider: Provider | undefined;
  model: string | undefined;
  stream: boolean;
  /** Anthropic's top-level `system`, flattened to text. */
  system: string | undefined;
  messages: RecordedMessage[];
  /** Tools offered (undefined: the request had no `tools` field). */
  tools: RecordedTool[] | undefined;
  /** Anthropic: how many `cache_control` breakpoints the request carried (system, tools and message blocks). */
  cacheBreakpoints?: number;
  /** OpenAI `stream_options.include_usage`. */
  includeUsage: boolean;
  /** OpenAI `max_tokens`/`max_completion_tokens`, Anthropic `max_tokens`, Gemini `generationConfig.maxOutputTokens`, Ollama `options.num_predict`. */
  maxTokens: number | undefined;
  /** Ollama `options` (num_ctx, temperature...); Gemini `generationConfig`. */
  options: Record<string, unknown> | undefined;
  /** From `Authorization: Bearer`, `x-api-key`, `x-goog-api-key` or the `key` query parameter. */
  apiKey: string | undefined;
  /** The prompt estimate the context window is checked against: ceil(chars / 4). */
  promptTokens: number;
  /** Ollama only: the fake truncated the prompt silently, as Ollama does. */
  truncated: boolean;
  /** Embeddings requests: the texts asked for (empty when the request was refused); undefined for others. */
  embedInputs?: string[];
  /** The reply served, if one was taken from the script. */
  reply: Reply | undefined;
  outcome: Outcome | undefined;
  /** Resolves when the server is done with the request. */
  settled: Promise<Outcome>;
}
