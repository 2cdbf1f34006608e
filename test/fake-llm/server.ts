import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { anthropicWire } from './anthropic-wire.js';
import { embeddingDimension, fakeVector, googleEmbedBody, isWireError, ollamaEmbedBody, openaiEmbedBody, parseGoogleEmbed, parseOllamaEmbed, parseOpenaiEmbed, type EmbedRequest } from './embeddings-wire.js';
import { estimatePrompt, estimateTokens, isRecord } from './estimate.js';
import { googleWire } from './google-wire.js';
import { ollamaWire } from './ollama-wire.js';
import { openaiResponsesWire } from './openai-responses-wire.js';
import { fragments, openaiWire } from './openai-wire.js';
import type { ReplyContext, WireProtocol } from './protocol.js';
import type { ErrorReply, HangReply, Outcome, Provider, RecordedRequest, Reply, ReplyFilter, Scripted, TextReply } from './types.js';

/** Options of {@link startFakeLlm}. */
export interface FakeLlmOptions {
  /** Default 0: a free port. */
  port?: number;
}

/** The environment a CLI subprocess needs to talk to the fake server with each SDK. */
export interface FakeLlmEnv extends Record<string, string> {
  OPENAI_BASE_URL: string;
  OPENAI_API_KEY: string;
  ANTHROPIC_BASE_URL: string;
  ANTHROPIC_API_KEY: string;
  GEMINI_API_KEY: string;
  GOOGLE_GEMINI_BASE_URL: string;
  OLLAMA_HOST: string;
}

/** Fake keys that {@link FakeLlmServer.env} hands out. The Gemini one has no key shape on purpose: only exact-value scrubbing hides it. */
export const FAKE_KEYS = { openai: 'sk-fake-openai-key', anthropic: 'sk-ant-fake-anthropic-key', google: 'fake-gemini-key-7f3a9c' } as const;

// `POST /v1beta/models/{model}:generateContent` and friends; the model name is part of the path.
const GOOGLE_ROUTE = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent|countTokens|embedContent|batchEmbedContents)$/;

interface QueueEntry {
  reply: Scripted;
  filter: ReplyFilter | undefined;
}

const NO_SCRIPT = Symbol('no scripted reply');

/** Internal per-request state: the response, and a signal that fires when its connection closes. */
interface Exchange {
  res: ServerResponse;
  record: Mutable<RecordedRequest>;
  closed: Promise<void>;
  signal: AbortSignal;
  requestId: string;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * A fake model server on 127.0.0.1 speaking the OpenAI, Anthropic, Gemini and Ollama wire
 * protocols, scripted per test. Start it with {@link startFakeLlm}.
 */
export class FakeLlmServer {
  /** Every request seen since the last {@link reset}, in arrival order. */
  readonly requests: RecordedRequest[] = [];
  /**
   * Served when the queue has nothing for a request. undefined (the default) means a 500 carrying
   * `x-should-retry: false` and "fake-llm: no scripted reply", so a test never passes by accident.
   */
  defaultReply: Scripted | undefined;
  /**
   * The context window the server enforces, in estimated tokens (see estimate.ts): one number
   * for every model, or per model with `'*'` as the fallback. undefined: no limit.
   */
  contextWindow: number | Record<string, number> | undefined;
  /** Ollama on overflow: `'truncate'` silently as Ollama does (unless the request says `truncate: false`), or `'error'` always. */
  ollamaOverflow: 'truncate' | 'error' = 'truncate';
  /** When set, other models get each service's 404; also what the model listings return. */
  models: string[] | undefined;
  /**
   * Models (or `true`: every model) that reject tool calling the way such servers do: a 400 naming
   * tools for any request that offers tools (Ollama models without the capability, plain
   * OpenAI-compatible servers).
   */
  rejectTools: boolean | string[] = false;
  /** When set, a request with another key gets each service's 401. */
  apiKeys: Partial<Record<'openai' | 'anthropic' | 'google', string>> = {};
  /**
   * Served to embeddings requests while it is set, every time (a service that is down); the
   * {@link enqueueEmbedding} queue comes first. undefined: embeddings succeed.
   */
  embeddingFailure: ErrorReply | undefined;
  /** Vector length of every embeddings model; undefined: the real model's (see embeddings-wire.ts). */
  embeddingDimensions: number | undefined;
  /**
   * Vectors by a test's own rule (e.g. ones that put a query near its answer files: a model whose
   * vectors carry signal); undefined for a text: the hashed word bag of `fakeVector`.
   */
  embeddingVector: ((text: string, dim: number) => number[] | undefined) | undefined;

  private readonly embeddingQueue: Array<ErrorReply | HangReply> = [];

  private readonly queue: QueueEntry[] = [];
  private readonly waiters: { count: number; resolve: (r: RecordedRequest[]) => void; reject: (e: Error) => void }[] = [];
  private readonly inflight = new Set<Promise<Outcome>>();
  private counter = 0;
  private closing = false;
  private closePromise: Promise<void> | undefined;

  private readonly http: Server;

  /** Use {@link startFakeLlm}, which also listens. */
  constructor() {
    this.http = createServer((req, res) => this.handle(req, res));
    this.http.on('connection', (socket: Socket) => socket.setNoDelay(true));
  }

  /** The port it listens on (after {@link startFakeLlm}). */
  get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  /** @internal */
  listen(port: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, '127.0.0.1', () => resolve());
    });
  }

  /** `http://127.0.0.1:PORT`: Anthropic's baseURL and Ollama's host. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Base URLs as each SDK wants them (OpenAI's includes `/v1`; the Gemini SDK adds `/v1beta` itself). */
  get urls(): Record<Provider, string> {
    return { openai: `${this.url}/v1`, anthropic: this.url, google: this.url, ollama: this.url };
  }

  /** Variables that point each SDK (and so the CLI) at this server, with fake keys. */
  env(): FakeLlmEnv {
    return {
      OPENAI_BASE_URL: this.urls.openai,
      OPENAI_API_KEY: FAKE_KEYS.openai,
      ANTHROPIC_BASE_URL: this.urls.anthropic,
      ANTHROPIC_API_KEY: FAKE_KEYS.anthropic,
      GEMINI_API_KEY: FAKE_KEYS.google,
      GOOGLE_GEMINI_BASE_URL: this.urls.google,
      OLLAMA_HOST: this.urls.ollama,
    };
  }

  /** Queue replies, served in order to any generation request. */
  enqueue(...replies: Scripted[]): this {
    for (const reply of replies) this.queue.push({ reply, filter: undefined });
    return this;
  }

  /** Queue replies served only to requests matching `filter` (e.g. one provider during failover). */
  enqueueFor(filter: ReplyFilter, ...replies: Scripted[]): this {
    for (const reply of replies) this.queue.push({ reply, filter });
    return this;
  }

  /** Queue failures served, in order, to the next embeddings requests (then they succeed again). */
  enqueueEmbedding(...replies: Array<ErrorReply | HangReply>): this {
    this.embeddingQueue.push(...replies);
    return this;
  }

  /** The embeddings requests seen since the last reset, with what each asked to embed. */
  get embeddingRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.embedInputs !== undefined);
  }

  /** Scripted replies not yet served. */
  get pendingReplies(): number {
    return this.queue.length;
  }

  /** Resolves once `count` requests have arrived since the last reset (rejects if the server closes first). */
  waitForRequests(count: number): Promise<RecordedRequest[]> {
    if (this.requests.length >= count) return Promise.resolve(this.requests.slice(0, count));
    if (this.closing) return Promise.reject(new Error('fake-llm: server closed'));
    return new Promise((resolve, reject) => this.waiters.push({ count, resolve, reject }));
  }

  /** Forget recorded requests and queued replies. */
  reset(): void {
    this.requests.length = 0;
    this.queue.length = 0;
    this.embeddingQueue.length = 0;
  }

  /** Closes every connection (hanging and stalled ones too) and waits for all handlers to finish. */
  close(): Promise<void> {
    this.closePromise ??= (async () => {
      this.closing = true;
      for (const waiter of this.waiters.splice(0)) waiter.reject(new Error('fake-llm: server closed'));
      const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
      this.http.closeAllConnections();
      await closed;
      await Promise.allSettled([...this.inflight]);
    })();
    return this.closePromise;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const done = this.serve(req, res, Buffer.concat(chunks).toString('utf8'));
      this.inflight.add(done);
      void done.finally(() => this.inflight.delete(done));
    });
  }

  private async serve(req: IncomingMessage, res: ServerResponse, rawBody: string): Promise<Outcome> {
    const index = this.counter++;
    let settle!: (o: Outcome) => void;
    const settled = new Promise<Outcome>((resolve) => (settle = resolve));
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
    }
    let body: unknown;
    try {
      body = rawBody === '' ? undefined : JSON.parse(rawBody);
    } catch {
      body = undefined;
    }
    const [path = '/', search = ''] = (req.url ?? '/').split('?');
    const query = Object.fromEntries(new URLSearchParams(search));
    const authorization = headers['authorization'];
    const record: Mutable<RecordedRequest> = {
      index,
      method: req.method ?? 'GET',
      path,
      query,
      headers,
      body,
      rawBody,
      provider: undefined,
      model: undefined,
      stream: false,
      system: undefined,
      messages: [],
      tools: undefined,
      includeUsage: false,
      maxTokens: undefined,
      options: undefined,
      apiKey: authorization?.startsWith('Bearer ') ? authorization.slice(7) : (headers['x-api-key'] ?? headers['x-goog-api-key'] ?? query['key']),
      promptTokens: 0,
      truncated: false,
      reply: undefined,
      outcome: undefined,
      settled,
    };
    const abort = new AbortController();
    const closed = new Promise<void>((resolve) =>
      res.once('close', () => {
        abort.abort();
        resolve();
      }),
    );
    const ex: Exchange = { res, record, closed, signal: abort.signal, requestId: `req_fake_${String(index).padStart(6, '0')}` };
    this.requests.push(record);
    for (const waiter of [...this.waiters]) {
      if (this.requests.length >= waiter.count) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(this.requests.slice(0, waiter.count));
      }
    }
    let outcome: Outcome;
    try {
      outcome = await this.route(ex, rawBody);
    } catch (error) {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`fake-llm internal error: ${String(error)}`);
      } else {
        res.destroy();
      }
      outcome = 'server-closed';
    }
    record.outcome = outcome;
    settle(outcome);
    return outcome;
  }

  private async route(ex: Exchange, rawBody: string): Promise<Outcome> {
    const { record } = ex;
    const key = `${record.method} ${record.path}`;
    const google = record.method === 'POST' ? GOOGLE_ROUTE.exec(record.path) : null;
    if (google && (google[2] === 'embedContent' || google[2] === 'batchEmbedContents')) {
      const model = decodeURIComponent(google[1]!);
      return this.embed(ex, 'google', model, parseGoogleEmbed(record.body, model, google[2]));
    }
    if (google) return this.routeGoogle(ex, rawBody, decodeURIComponent(google[1]!), google[2]!);
    if (record.method === 'GET' && record.path.startsWith('/v1beta/models')) return this.listGoogle(ex);
    switch (key) {
      case 'POST /v1/embeddings':
        return this.embed(ex, 'openai', undefined, parseOpenaiEmbed(record.body));
      case 'POST /api/embed':
        return this.embed(ex, 'ollama', undefined, parseOllamaEmbed(record.body));
      case 'POST /v1/chat/completions':
        return this.generate(ex, openaiWire, rawBody);
      case 'POST /v1/responses':
        return this.generate(ex, openaiResponsesWire, rawBody);
      case 'POST /v1/messages':
        return this.generate(ex, anthropicWire, rawBody);
      case 'POST /api/chat':
        return this.generate(ex, ollamaWire, rawBody);
      case 'POST /v1/messages/count_tokens': {
        const parsed = isRecord(record.body) ? anthropicWire.parse(record.body) : undefined;
        return this.json(ex, 200, { input_tokens: parsed ? estimatePrompt(parsed.messages, parsed.system) : 0 });
      }
      case 'GET /v1/models':
        // Both SDKs list models at the same path; only Anthropic's sends `anthropic-version`.
        if (record.headers['anthropic-version'] !== undefined) {
          const ids = this.listed();
          return this.json(ex, 200, {
            data: ids.map((id) => ({ type: 'model', id, display_name: id, created_at: '2025-01-01T00:00:00Z' })),
            has_more: false,
            first_id: ids[0] ?? null,
            last_id: ids.at(-1) ?? null,
          });
        }
        return this.json(ex, 200, { object: 'list', data: this.listed().map((id) => ({ id, object: 'model', created: 1_735_689_600, owned_by: 'fake-llm' })) });
      case 'GET /api/tags':
        return this.json(ex, 200, {
          models: this.listed().map((name) => ({
            name,
            model: name,
            modified_at: '2025-01-01T00:00:00Z',
            size: 4_683_087_332,
            digest: 'f'.repeat(64),
            details: ollamaDetails(),
          })),
        });
      case 'POST /api/show': {
        const model = isRecord(record.body) ? String(record.body['model'] ?? record.body['name'] ?? '') : '';
        if (this.models && !this.models.includes(model)) {
          const error = ollamaWire.error('not_found', undefined, model);
          return this.json(ex, error.status, error.body, 'error-reply');
        }
        return this.json(ex, 200, {
          license: '',
          modelfile: `FROM ${model}`,
          parameters: '',
          template: '{{ .Prompt }}',
          details: ollamaDetails(),
          model_info: { 'general.architecture': 'llama', 'llama.context_length': this.windowFor(model) ?? 32_768 },
          capabilities: ['completion'],
          modified_at: '2025-01-01T00:00:00Z',
        });
      }
      case 'GET /api/version':
        return this.json(ex, 200, { version: '0.12.6' });
      case 'GET /':
      case 'HEAD /':
        ex.res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        ex.res.end('Ollama is running');
        return 'completed';
      default:
        return this.json(ex, 404, { error: `fake-llm: no route for ${key}` }, 'error-reply');
    }
  }

  private routeGoogle(ex: Exchange, rawBody: string, model: string, method: string): Promise<Outcome> {
    const { record } = ex;
    if (method === 'countTokens') {
      const body = isRecord(record.body) ? record.body : {};
      // The body is `{contents}` or `{generateContentRequest: {contents, systemInstruction, tools}}`.
      const inner = isRecord(body['generateContentRequest']) ? body['generateContentRequest'] : body;
      const parsed = googleWire.parse(inner);
      return this.json(ex, 200, { totalTokens: estimatePrompt(parsed.messages, parsed.system, parsed.tools) });
    }
    if (method === 'streamGenerateContent' && record.query['alt'] !== 'sse') {
      const error = googleWire.error('bad_request', 'fake-llm: streamGenerateContent is served as SSE only (alt=sse)', model);
      return this.json(ex, error.status, error.body, 'error-reply');
    }
    return this.generate(ex, googleWire, rawBody, { model, stream: method === 'streamGenerateContent' });
  }

  private listGoogle(ex: Exchange): Promise<Outcome> {
    const describe = (id: string): Record<string, unknown> => ({
      name: `models/${id}`,
      version: '001',
      displayName: id,
      inputTokenLimit: this.windowFor(id) ?? 1_048_576,
      outputTokenLimit: 65_536,
      supportedGenerationMethods: ['generateContent', 'countTokens'],
    });
    const one = /^\/v1beta\/models\/([^/:]+)$/.exec(ex.record.path);
    if (!one) return this.json(ex, 200, { models: this.listed().map(describe) });
    const id = decodeURIComponent(one[1]!);
    if (this.models && !this.models.includes(id)) {
      const error = googleWire.error('not_found', undefined, id);
      return this.json(ex, error.status, error.body, 'error-reply');
    }
    return this.json(ex, 200, describe(id));
  }

  private async generate(ex: Exchange, wire: WireProtocol, rawBody: string, fromUrl?: { model: string; stream: boolean }): Promise<Outcome> {
    const { record } = ex;
    record.provider = wire.provider;
    if (fromUrl) record.model = fromUrl.model;
    if (!isRecord(record.body)) {
      const message = rawBody === '' ? 'request body is empty' : 'request body is not valid JSON';
      return this.sendError(ex, wire, { kind: 'error', error: 'bad_request', message }, 'error-reply');
    }
    const parsed = { ...wire.parse(record.body), ...fromUrl };
    Object.assign(record, parsed);
    record.promptTokens = estimatePrompt(parsed.messages, parsed.system, parsed.tools);
    const invalid = wire.validate?.(record.body, { model: parsed.model });
    if (invalid) return this.json(ex, invalid.status, invalid.body, 'error-reply', wire.headers(ex.requestId));
    const offersTools = (parsed.tools?.length ?? 0) > 0;
    if (offersTools && wire.toolsRejected && (this.rejectTools === true || (Array.isArray(this.rejectTools) && parsed.model !== undefined && this.rejectTools.includes(parsed.model)))) {
      const error = wire.toolsRejected(parsed.model);
      return this.json(ex, error.status, error.body, 'error-reply', wire.headers(ex.requestId));
    }

    if (wire.provider !== 'ollama') {
      const expected = this.apiKeys[wire.provider];
      if (expected !== undefined && record.apiKey !== expected) {
        return this.sendError(ex, wire, { kind: 'error', error: 'auth' }, 'auth-rejected');
      }
    }
    if (this.models && (parsed.model === undefined || !this.models.includes(parsed.model))) {
      return this.sendError(ex, wire, { kind: 'error', error: 'not_found' }, 'error-reply');
    }
    const rejected = this.checkWindow(ex, wire);
    if (rejected) return rejected;

    const reply = this.take(record);
    if (reply === NO_SCRIPT) {
      const message = `fake-llm: no scripted reply for ${record.method} ${record.path} (request #${record.index})`;
      return this.sendError(ex, wire, { kind: 'error', error: 'server', message, headers: { 'x-should-retry': 'false' } }, 'unscripted');
    }
    record.reply = reply;
    switch (reply.kind) {
      case 'error':
        return this.sendError(ex, wire, reply, 'error-reply');
      case 'hang':
        await ex.closed;
        return this.closedOutcome();
      case 'text':
        return parsed.stream ? this.stream(ex, wire, reply) : this.complete(ex, wire, reply);
    }
  }

  /** An embeddings request: the service's checks, then a scripted failure or the fake vectors. */
  private async embed(ex: Exchange, provider: Provider, urlModel: string | undefined, parsed: EmbedRequest | ReturnType<typeof parseOpenaiEmbed>): Promise<Outcome> {
    const { record } = ex;
    record.provider = provider;
    const wire = provider === 'openai' ? openaiWire : provider === 'google' ? googleWire : ollamaWire;
    record.model = urlModel ?? (isRecord(record.body) && typeof record.body['model'] === 'string' ? record.body['model'] : undefined);
    record.embedInputs = isWireError(parsed) ? [] : parsed.inputs;
    if (isWireError(parsed)) return this.json(ex, parsed.status, parsed.body, 'error-reply', wire.headers(ex.requestId));
    if (provider !== 'ollama') {
      const expected = this.apiKeys[provider as 'openai' | 'google'];
      if (expected !== undefined && record.apiKey !== expected) return this.sendError(ex, wire, { kind: 'error', error: 'auth' }, 'auth-rejected');
    }
    if (this.models && !this.models.includes(parsed.model)) return this.sendError(ex, wire, { kind: 'error', error: 'not_found' }, 'error-reply');
    const scripted = this.embeddingQueue.shift() ?? this.embeddingFailure;
    if (scripted) {
      record.reply = scripted;
      if (scripted.kind === 'hang') {
        await ex.closed;
        return this.closedOutcome();
      }
      return this.sendError(ex, wire, scripted, 'error-reply');
    }
    const dim = parsed.dimensions ?? this.embeddingDimensions ?? embeddingDimension(parsed.model);
    const vectors = parsed.inputs.map((text) => this.embeddingVector?.(text, dim) ?? fakeVector(text, dim));
    const body = provider === 'openai' ? openaiEmbedBody(parsed, vectors) : provider === 'google' ? googleEmbedBody(parsed, vectors) : ollamaEmbedBody(parsed, vectors);
    return this.json(ex, 200, body, 'completed', wire.headers(ex.requestId));
  }

  private checkWindow(ex: Exchange, wire: WireProtocol): Promise<Outcome> | undefined {
    const { record } = ex;
    const window = this.windowFor(record.model);
    if (wire.provider === 'ollama') {
      // Ollama's window is num_ctx when the request sets it; otherwise the server's default.
      const numCtx = typeof record.options?.['num_ctx'] === 'number' ? record.options['num_ctx'] : undefined;
      const limit = numCtx ?? window;
      if (limit === undefined || record.promptTokens <= limit) return undefined;
      const body = record.body as Record<string, unknown>;
      if (this.ollamaOverflow === 'error' || body['truncate'] === false) {
        const error = wire.contextError(record.promptTokens, limit, record.model);
        return this.json(ex, error.status, error.body, 'context-rejected');
      }
      record.truncated = true;
      record.promptTokens = limit;
      return undefined;
    }
    if (window === undefined || record.promptTokens <= window) return undefined;
    const error = wire.contextError(record.promptTokens, window, record.model);
    return this.json(ex, error.status, error.body, 'context-rejected', wire.headers(ex.requestId));
  }

  private windowFor(model: string | undefined): number | undefined {
    const window = this.contextWindow;
    if (window === undefined || typeof window === 'number') return window;
    return (model !== undefined ? window[model] : undefined) ?? window['*'];
  }

  private listed(): string[] {
    return this.models ?? ['fake-model'];
  }

  private take(record: RecordedRequest): Reply | typeof NO_SCRIPT {
    const at = this.queue.findIndex(
      (entry) =>
        !entry.filter ||
        ((entry.filter.provider === undefined || entry.filter.provider === record.provider) &&
          (entry.filter.model === undefined || entry.filter.model === record.model)),
    );
    let scripted: Scripted | undefined;
    if (at >= 0) {
      scripted = this.queue[at]!.reply;
      this.queue.splice(at, 1);
    } else {
      scripted = this.defaultReply;
    }
    if (scripted === undefined) return NO_SCRIPT;
    return typeof scripted === 'function' ? scripted(record) : scripted;
  }

  private closedOutcome(): Outcome {
    return this.closing ? 'server-closed' : 'client-closed';
  }

  private async json(ex: Exchange, status: number, body: unknown, outcome: Outcome = 'completed', headers: Record<string, string> = {}): Promise<Outcome> {
    const text = JSON.stringify(body);
    ex.res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
    ex.res.end(text);
    return outcome;
  }

  private sendError(ex: Exchange, wire: WireProtocol, reply: ErrorReply, outcome: Outcome): Promise<Outcome> {
    const error = wire.error(reply.error, reply.message, ex.record.model, { status: reply.status, retryAfter: reply.retryAfter, apiKey: ex.record.apiKey });
    const headers: Record<string, string> = { ...wire.headers(ex.requestId) };
    // Gemini says how long to wait in the body (RetryInfo), not in a header.
    if (reply.retryAfter !== undefined && wire.provider !== 'google') headers['retry-after'] = String(reply.retryAfter);
    if (reply.retryAfterMs !== undefined) headers['retry-after-ms'] = String(reply.retryAfterMs);
    Object.assign(headers, reply.headers);
    return this.json(ex, reply.status ?? error.status, error.body, outcome, headers);
  }

  private context(ex: Exchange, wire: WireProtocol, reply: TextReply): ReplyContext {
    const { record } = ex;
    const size = Math.max(1, reply.chunkSize ?? 16);
    const pieces = fragments(reply.text, size);
    const prefix = wire.provider === 'openai' ? 'chatcmpl-fake' : wire.provider === 'anthropic' ? 'msg_fake' : wire.provider === 'google' ? 'gemini-fake' : 'ollama';
    const toolCalls = (reply.toolCalls ?? []).map((call, n) => ({
      id: call.id ?? `call_${String(record.index).padStart(4, '0')}_${n}`,
      name: call.name,
      arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
    }));
    const output = estimateTokens(reply.text + toolCalls.map((c) => c.name + c.arguments).join(''));
    return {
      id: `${prefix}${String(record.index).padStart(6, '0')}`,
      model: reply.model ?? record.model ?? 'fake-model',
      created: Math.floor(Date.now() / 1000),
      usage:
        reply.usage === 'none'
          ? undefined
          : { input: reply.usage?.input ?? record.promptTokens, output: reply.usage?.output ?? output, cached: reply.usage?.cached ?? 0 },
      finish: reply.finish ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
      toolCalls,
      chunkSize: size,
      pieces,
      includeUsage: record.includeUsage,
    };
  }

  private async pause(ex: Exchange, ms: number | undefined): Promise<void> {
    if (!ms) return;
    await sleep(ms, undefined, { signal: ex.signal }).catch(() => undefined);
  }

  /** Writes and waits until the bytes are handed to the kernel, so a cut right after keeps them. */
  private write(ex: Exchange, data: Buffer): Promise<void> {
    if (ex.signal.aborted) return Promise.resolve();
    return Promise.race([new Promise<void>((resolve) => ex.res.write(data, () => resolve())), ex.closed]);
  }

  private async cut(ex: Exchange, mode: 'destroy' | 'end' | undefined): Promise<Outcome> {
    if (mode === 'end') ex.res.end();
    else ex.res.destroy();
    await ex.closed;
    return 'cut';
  }

  private async complete(ex: Exchange, wire: WireProtocol, reply: TextReply): Promise<Outcome> {
    const ctx = this.context(ex, wire, reply);
    const text = reply.garbageAfterFrames !== undefined ? '{"id":"garbage","choices":[{"message":' : JSON.stringify(wire.complete(reply, ctx));
    const body = Buffer.from(text);
    await this.pause(ex, reply.frameDelayMs);
    if (ex.signal.aborted) return this.closedOutcome();
    ex.res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length), ...wire.headers(ex.requestId) });
    if (reply.stallAfterFrames !== undefined) {
      ex.res.flushHeaders();
      await ex.closed;
      return this.closedOutcome();
    }
    if (reply.cut?.afterBytes !== undefined) {
      ex.res.flushHeaders();
      await this.write(ex, body.subarray(0, reply.cut.afterBytes));
      // A short body under content-length can only be a destroyed connection.
      return this.cut(ex, 'destroy');
    }
    ex.res.end(body);
    await ex.closed;
    return 'completed';
  }

  private async stream(ex: Exchange, wire: WireProtocol, reply: TextReply): Promise<Outcome> {
    const frames = wire.streamFrames(this.context(ex, wire, reply));
    ex.res.writeHead(200, { 'content-type': wire.streamContentType, 'cache-control': 'no-cache', ...wire.headers(ex.requestId) });
    ex.res.flushHeaders();
    let sent = 0;
    const limit = reply.cut?.afterBytes;
    // Returns false when the byte limit cut the stream.
    const emit = async (frame: string): Promise<boolean> => {
      const data = Buffer.from(frame);
      if (limit !== undefined && sent + data.length > limit) {
        await this.write(ex, data.subarray(0, limit - sent));
        sent = limit;
        return false;
      }
      await this.write(ex, data);
      sent += data.length;
      return true;
    };
    for (let i = 0; i <= frames.length; i++) {
      if (ex.signal.aborted) return this.closedOutcome();
      if (reply.stallAfterFrames === i) {
        await ex.closed;
        return this.closedOutcome();
      }
      if (reply.streamError?.afterFrames === i) {
        await emit(wire.streamErrorFrame(reply.streamError.error, reply.streamError.message, ex.record.model, i));
        ex.res.end();
        return 'error-reply';
      }
      if (reply.cut?.afterFrames === i) return this.cut(ex, reply.cut.mode);
      if (reply.garbageAfterFrames === i && !(await emit(wire.garbageFrame))) return this.cut(ex, reply.cut?.mode);
      const frame = frames[i];
      if (frame === undefined) break;
      if (i > 0) await this.pause(ex, reply.frameDelayMs);
      if (ex.signal.aborted) return this.closedOutcome();
      if (!(await emit(frame))) return this.cut(ex, reply.cut?.mode);
    }
    ex.res.end();
    await ex.closed;
    return 'completed';
  }
}

function ollamaDetails(): Record<string, unknown> {
  return { parent_model: '', format: 'gguf', family: 'llama', families: ['llama'], parameter_size: '7B', quantization_level: 'Q4_K_M' };
}

/** Starts a fake model server on 127.0.0.1 (port 0 unless told). Close it with `close()` or `await using`. */
export async function startFakeLlm(options: FakeLlmOptions = {}): Promise<FakeLlmServer> {
  const fake = new FakeLlmServer();
  await fake.listen(options.port ?? 0);
  return fake;
}
