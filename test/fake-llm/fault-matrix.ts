import { CALLS, describeError, settle, type CallOptions } from './sdk-calls.js';
import { reply } from './replies.js';
import { startFakeLlm, type FakeLlmServer } from './server.js';
import type { Provider, Reply } from './types.js';

/** One fault, as the table shows it. */
export interface FaultScenario {
  name: string;
  /** What the fake puts on the wire, for the table. */
  wire: string;
  /** Prepares a server so that every request (retries included) meets the fault. */
  setup(server: FakeLlmServer, provider: Provider): void;
  /** Extra call options (timeouts, a caller's abort). */
  call?: Partial<CallOptions>;
  /** Abort the call this long after the first request reached the server. */
  abortAfterMs?: number;
}

/** What one SDK did with one fault. */
export interface Observation {
  /** `constructor.name` of the error, or `ok` when the call returned. */
  outcome: string;
  /** `error.name` when it says more than the constructor's (DOMException's TimeoutError/AbortError); openai's errors all say 'Error'. */
  errorName: string | undefined;
  status: number | undefined;
  message: string;
  /** Requests the server saw. */
  requests: number;
  /** Text the caller got before the end (for calls that returned). */
  text: string;
}

// The table of docs/testing.md covers these three SDKs; Gemini's faults are tested through assist's client (src/llm/google.test.ts).
export const PROVIDERS = ['openai', 'anthropic', 'ollama'] as const satisfies readonly Provider[];
const TIMEOUT_MS = 300;
const TEXT = 'alpha beta gamma delta epsilon zeta eta theta';

function always(make: () => Reply): FaultScenario['setup'] {
  return (server) => {
    server.defaultReply = make();
  };
}

export const SCENARIOS: readonly FaultScenario[] = [
  {
    name: '429 rate limit, `retry-after: 0`',
    wire: '429 + `retry-after: 0`, body in the service\'s error shape (`rate_limit_exceeded` / `rate_limit_error` / `{error}`)',
    setup: always(() => reply.rateLimited({ retryAfter: 0 })),
  },
  {
    name: '500 server error',
    wire: '500, `server_error` / `api_error` / `{error}`; no retry-after',
    setup: always(() => reply.serverError()),
  },
  {
    name: 'overloaded',
    wire: 'Anthropic 529 `overloaded_error`; OpenAI and Ollama 503',
    setup: always(() => reply.overloaded()),
  },
  {
    name: '401 bad key',
    wire: '401, `invalid_api_key` / `authentication_error` / `{error:"unauthorized"}`',
    setup: always(() => reply.unauthorized()),
  },
  {
    name: 'prompt over the context window',
    wire: 'OpenAI 400 `context_length_exceeded`; Anthropic 400 `prompt is too long: N tokens > M maximum`; Ollama 200, prompt silently truncated',
    setup(server) {
      server.contextWindow = 10;
      server.defaultReply = reply.text(TEXT);
    },
    call: { prompt: 'x'.repeat(400) },
  },
  {
    name: 'prompt over num_ctx, Ollama `truncate: false`',
    wire: 'Ollama 400 `{error:"request (N tokens) exceeds the available context size (M tokens), try increasing it"}`',
    setup(server) {
      server.contextWindow = 10;
      server.defaultReply = reply.text(TEXT);
    },
    call: { prompt: 'x'.repeat(400), numCtx: 10, truncate: false },
  },
  {
    name: 'stream cut: socket destroyed after 3 frames',
    wire: '200, 3 frames, then the socket is destroyed (no terminator, no final chunk)',
    setup: always(() => reply.text(TEXT, { chunkSize: 4, cut: { afterFrames: 3 } })),
  },
  {
    name: 'stream ends cleanly after 3 frames, no terminator',
    wire: '200, 3 frames, then a clean end of the body without `[DONE]` / `message_stop` / `done:true`',
    setup: always(() => reply.text(TEXT, { chunkSize: 4, cut: { afterFrames: 3, mode: 'end' } })),
  },
  {
    name: 'error frame mid-stream',
    wire: 'after 3 frames: OpenAI `data: {"error":{...}}`; Anthropic `event: error` `overloaded_error`; Ollama `{"error":"..."}` line',
    setup: always(() => reply.text(TEXT, { chunkSize: 4, streamError: { afterFrames: 3, error: 'overloaded' } })),
  },
  {
    name: 'malformed frame',
    wire: 'after 3 frames, a frame whose JSON is cut off, then the rest of the stream',
    setup: always(() => reply.text(TEXT, { chunkSize: 4, garbageAfterFrames: 3 })),
  },
  {
    name: `no answer, client timeout ${TIMEOUT_MS} ms`,
    wire: 'nothing: no status line until the client gives up',
    setup: always(() => reply.hang()),
    call: { timeoutMs: TIMEOUT_MS },
  },
  {
    name: 'stream stalls after 3 frames, caller aborts',
    wire: '200, 3 frames, then silence; the caller\'s AbortSignal fires 150 ms after the request arrived',
    setup: always(() => reply.text(TEXT, { chunkSize: 4, stallAfterFrames: 3 })),
    abortAfterMs: 150,
  },
];

const CELL_DEADLINE_MS = 6_000;

/** Runs one scenario against one SDK with its own server, streaming; a cell that never settles fails by name. */
export async function observe(scenario: FaultScenario, provider: Provider, maxRetries: number | undefined): Promise<Observation> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`fault matrix: "${scenario.name}" with ${provider} (maxRetries ${String(maxRetries)}) did not settle in ${CELL_DEADLINE_MS} ms`)),
      CELL_DEADLINE_MS,
    );
  });
  try {
    return await Promise.race([observeCell(scenario, provider, maxRetries), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function observeCell(scenario: FaultScenario, provider: Provider, maxRetries: number | undefined): Promise<Observation> {
  const server = await startFakeLlm();
  try {
    scenario.setup(server, provider);
    const controller = new AbortController();
    if (scenario.abortAfterMs !== undefined) {
      const delay = scenario.abortAfterMs;
      void server.waitForRequests(1).then(
        () => setTimeout(() => controller.abort(), delay),
        () => undefined,
      );
    }
    const outcome = await settle(
      CALLS[provider](server, {
        stream: true,
        ...(maxRetries !== undefined ? { maxRetries } : {}),
        ...scenario.call,
        ...(scenario.abortAfterMs !== undefined ? { signal: controller.signal } : {}),
      }),
    );
    const requests = server.requests.length;
    if (outcome.ok) return { outcome: 'ok', errorName: undefined, status: undefined, message: '', requests, text: outcome.result.text };
    const error = describeError(outcome.error);
    const errorName = outcome.error instanceof Error && outcome.error.name !== 'Error' && outcome.error.name !== error.name ? outcome.error.name : undefined;
    return { outcome: error.name, errorName, status: error.status, message: error.message, requests, text: '' };
  } finally {
    await server.close();
  }
}

/** Every scenario × SDK, with retries off and with SDK defaults, all at once. */
export async function runMatrix(): Promise<Map<string, { noRetry: Observation; defaults: Observation }>> {
  const cells = SCENARIOS.flatMap((scenario) => PROVIDERS.map((provider) => ({ scenario, provider })));
  const results = await Promise.all(
    cells.map(async ({ scenario, provider }) => {
      const [noRetry, defaults] = await Promise.all([observe(scenario, provider, 0), observe(scenario, provider, undefined)]);
      return [`${scenario.name}|${provider}`, { noRetry, defaults }] as const;
    }),
  );
  return new Map(results);
}

function cell(observation: Observation): string {
  if (observation.outcome === 'ok') return observation.text === TEXT ? 'no error, full text' : `no error, text so far "${observation.text}"`;
  const name = observation.errorName ? `${observation.outcome} (${observation.errorName})` : observation.outcome;
  if (observation.status !== undefined) return `\`${name}\` ${observation.status}`;
  // Without a status the message is what tells these errors apart.
  const message = observation.message.length > 60 ? `${observation.message.slice(0, 57)}...` : observation.message;
  return `\`${name}\` "${message.replaceAll('|', '\\|')}"`;
}

/** The markdown table of docs/testing.md. */
export function renderTable(matrix: Map<string, { noRetry: Observation; defaults: Observation }>): string {
  const lines = [
    '| fault | what the wire shows | openai v6 | @anthropic-ai/sdk | ollama | requests seen with SDK default retries (openai / anthropic / ollama) |',
    '|---|---|---|---|---|---|',
  ];
  for (const scenario of SCENARIOS) {
    const row = PROVIDERS.map((provider) => matrix.get(`${scenario.name}|${provider}`)!);
    lines.push(
      `| ${scenario.name} | ${scenario.wire} | ${row.map((r) => cell(r.noRetry)).join(' | ')} | ${row.map((r) => r.defaults.requests).join(' / ')} |`,
    );
  }
  return lines.join('\n');
}
