import { AssistError, ExitCode } from '../errors.js';
import { displayUrl } from './scrub.js';

/**
 * What went wrong with one attempt, in assist's terms. Adapters turn SDK errors into these;
 * the client decides from `kind` whether to retry, count it against the breaker, fall back,
 * or stop.
 */
export type FailureKind =
  | 'rate_limit'
  | 'server'
  | 'overloaded'
  | 'connection'
  | 'stream_cut'
  | 'idle'
  | 'timeout'
  | 'retry_after_too_long'
  | 'circuit_open'
  | 'auth'
  | 'not_found'
  | 'context'
  | 'bad_request'
  | 'no_key'
  | 'key_cmd'
  | 'tools_unsupported'
  | 'aborted';

/** Retried with backoff (timeouts of a whole chain and waits that are too long are not). */
const RETRYABLE = new Set<FailureKind>(['rate_limit', 'server', 'overloaded', 'connection', 'stream_cut', 'idle']);
/** Say the provider is unwell: counted by the circuit breaker. */
const UNHEALTHY = new Set<FailureKind>(['server', 'overloaded', 'connection', 'stream_cut', 'idle', 'timeout']);
/** After these, the next model of `fallback` is tried; the rest are the request's or the config's fault. */
const FALLBACK = new Set<FailureKind>(['rate_limit', 'server', 'overloaded', 'connection', 'stream_cut', 'idle', 'timeout', 'retry_after_too_long', 'circuit_open']);

export class LlmFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    /** One line, already scrubbed of secrets. */
    readonly detail: string,
    readonly extra: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(detail, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'LlmFailure';
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.kind);
  }

  get unhealthy(): boolean {
    return UNHEALTHY.has(this.kind);
  }

  get fallbackEligible(): boolean {
    return FALLBACK.has(this.kind);
  }
}

const CONTEXT_WORDING = /context[ _]length|context window|prompt is too long|maximum context|exceeds the (available )?context|too many tokens|reduce the length/i;

/** Kind of an HTTP error status (with the provider's message to tell a context overflow from other 400s). */
export function kindOfStatus(status: number, message: string): FailureKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not_found';
  if (status === 413) return 'context';
  if (status === 429) return 'rate_limit';
  if (status === 408 || status === 409) return 'server';
  if (status === 503 || status === 529) return 'overloaded';
  if (status >= 500) return 'server';
  if (status === 400 && CONTEXT_WORDING.test(message)) return 'context';
  return 'bad_request';
}

export function looksLikeContextError(message: string): boolean {
  return CONTEXT_WORDING.test(message);
}

/** Node's fetch wraps the socket error in `cause`; name the common ones in words. */
export function connectionDetail(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (current instanceof Error && /includes credentials/.test(current.message)) return 'credentials in the URL are not supported: put the key in api_key_env or api_key_cmd';
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') {
      const words: Record<string, string> = {
        ECONNREFUSED: 'connection refused',
        ENOTFOUND: 'host not found',
        EAI_AGAIN: 'DNS lookup failed',
        ECONNRESET: 'connection reset',
        ETIMEDOUT: 'connection timed out',
        EHOSTUNREACH: 'host unreachable',
        ENETUNREACH: 'network unreachable',
        UND_ERR_SOCKET: 'connection closed',
        UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
        CERT_HAS_EXPIRED: 'TLS certificate expired',
        DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed TLS certificate',
      };
      return words[code] ?? code;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return 'connection failed';
}

/** Did the error come from the network layer rather than from an HTTP answer? */
export function isConnectionError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+|CERT_|DEPTH_ZERO)/.test(code)) return true;
    if (current instanceof TypeError && /fetch failed|terminated|network|includes credentials/i.test(current.message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Where a model's requests go, for messages. */
export interface Target {
  /** `provider/model`. */
  name: string;
  provider: string;
  baseUrl: string;
  /** The variable the key comes from, for hints (undefined for Ollama without a key). */
  keySource: string | undefined;
  keyIsCommand: boolean;
}

const seconds = (ms: number): string => (ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 100) / 10} s`);

/** The one-line error a person sees when a model finally failed. Exit 4, except an abort (130). */
export function toAssistError(failure: LlmFailure, target: Target, attempts: number): AssistError {
  const where = displayUrl(target.baseUrl);
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  const data = { model: target.name, kind: failure.kind, attempts, ...(failure.extra.status !== undefined ? { status: failure.extra.status } : {}) };
  const make = (code: string, message: string, hint?: string): AssistError =>
    new AssistError(code, message, { exitCode: ExitCode.provider, data, ...(hint === undefined ? {} : { hint }) });
  const detail = failure.detail;
  switch (failure.kind) {
    case 'no_key':
    case 'key_cmd':
      return make(failure.kind === 'no_key' ? 'llm.no-key' : 'llm.key-cmd-failed', detail);
    case 'auth':
      return make(
        'llm.key-rejected',
        `${target.provider} rejected the API key (${failure.extra.status ?? 401}) for ${target.name}`,
        target.keyIsCommand ? 'the key from llm.' + target.provider + '.api_key_cmd was re-read and still rejected; check what the command prints' : target.keySource ? `check ${target.keySource}` : undefined,
      );
    case 'not_found':
      return make(
        'llm.model-not-found',
        `${target.provider} does not know the model ${target.name}: ${detail}`,
        target.provider === 'ollama' ? `run \`ollama pull ${target.name.slice(target.name.indexOf('/') + 1)}\` or choose another model with --model` : 'check the model name, or choose another model with --model',
      );
    case 'context':
      return make('llm.context-exceeded', `the request is larger than ${target.name}'s context window: ${detail}`, 'drop files from the chat (/drop), /clear the history, or use a model with a larger window');
    case 'tools_unsupported':
      return make('llm.tools-unsupported', `${target.name} does not accept tools: ${detail}`, 'set session.tools = "off" to use text mode with this model');
    case 'bad_request':
      return make('llm.bad-request', `${target.provider} refused the request for ${target.name}: ${detail}`);
    case 'connection':
      return make('llm.unreachable', `cannot reach ${target.provider} at ${where} (${detail})${tries}`, target.provider === 'ollama' ? 'is `ollama serve` running? set OLLAMA_HOST or llm.ollama.base_url if it is elsewhere' : 'check the network, or the base URL');
    case 'timeout':
    case 'idle':
      return make('llm.timeout', `${target.name} timed out: ${detail}${tries}`, 'raise llm.' + target.provider + '.timeout_s, or try again later');
    case 'rate_limit':
    case 'retry_after_too_long':
      return make('llm.rate-limited', `${target.name} is rate limited: ${detail}${tries}`, 'wait and try again, or configure a fallback model');
    case 'circuit_open':
      return make('llm.circuit-open', detail, 'configure a fallback model, or wait for the cool-down');
    case 'stream_cut':
      return make('llm.stream-broken', `${target.name}'s reply stream broke: ${detail}${tries}`);
    case 'server':
    case 'overloaded':
      return make('llm.server-error', `${target.provider} failed for ${target.name}: ${detail}${tries}`, 'try again later, or configure a fallback model');
    case 'aborted':
      return new AssistError('llm.aborted', `the request to ${target.name} was cancelled`, { exitCode: ExitCode.interrupted, data });
  }
}

export { seconds as formatSeconds };
