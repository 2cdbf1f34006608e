import { describe, expect, it } from 'vitest';
import type { NewEvent } from '../git/index.js';
import type { ToolCall } from '../llm/types.js';
import type { Tool, ToolContext, ToolName, ToolOutcome } from '../tools/index.js';
import { runToolLoop, type LoopHost, type StepReply } from './tool-loop.js';
import type { TurnResult } from './types.js';

const tool = (name: ToolName, kind: Tool['kind']): Tool => ({
  kind,
  spec: { name, description: name, parameters: { type: 'object', properties: {}, additionalProperties: false } },
  run: async (): Promise<ToolOutcome> => ({ kind: 'result', ok: true, text: name, status: name }),
});

function newResult(): TurnResult {
  return {
    session: null,
    branch: null,
    reply: '',
    commits: [],
    files: [],
    usage: { input_tokens: 0, output_tokens: 0, estimated: false, cost_usd: null },
    model: 'openai/gpt-4.1',
    steps: 0,
    toolCalls: [],
    failed: 0,
    refused: [],
    noChange: true,
    requests: [],
  } as unknown as TurnResult;
}

/**
 * A loop host whose chain writes of tool events end only when the test says (or an event-loop turn
 * later), logging in what order writes, calls and requests happen.
 */
function host(replies: Array<ToolCall[] | string>, toolHooks = false): { host: LoopHost; log: string[]; release: () => void; reached: (line: string) => Promise<void> } {
  const log: string[] = [];
  const waiting = new Map<string, () => void>();
  const note = (line: string): void => {
    log.push(line);
    waiting.get(line)?.();
  };
  const tools = [tool('read_file', 'read'), tool('run_command', 'run')];
  let held: (() => void) | null = null;
  let writes = 0;
  const script = [...replies];
  const h: LoopHost = {
    ui: {},
    maxSteps: 10,
    dryRun: false,
    toolHooks,
    prepare: async () => ({ system: 'system', messages: [{ role: 'user', content: 'go' }], tools: tools.map((t) => t.spec) }),
    fit: async (_system, messages) => ({ messages, maxOutputTokens: 1000 }),
    stream: async (): Promise<StepReply> => {
      const next = script.shift() ?? 'done';
      note(`request ${log.filter((l) => l.startsWith('request')).length + 1}`);
      const usage = { inputTokens: 1, outputTokens: 1, estimated: false };
      return typeof next === 'string' ? { text: next, toolCalls: [], usage, model: 'openai/gpt-4.1' } : { text: '', toolCalls: next, usage, model: 'openai/gpt-4.1' };
    },
    record: (events: NewEvent[]) => {
      const n = ++writes;
      const kinds = events.map((e) => e.type).join(',');
      note(`write ${n} start (${kinds})`);
      return new Promise<void>((resolve) => {
        const done = (): void => {
          note(`write ${n} done`);
          resolve();
        };
        // The first step's tool events stay unwritten until the test releases them; others end an event-loop turn later.
        if (n === 1) held = done;
        else setImmediate(done);
      });
    },
    addUsage: () => undefined,
    tools: () => tools,
    toolContext: async () => ({}) as ToolContext,
    execute: async (call) => {
      note(`run ${call.name} ${call.id}`);
      return { kind: 'result', ok: true, text: 'ok', status: call.name };
    },
    commitStep: async () => new Map(),
    applyTextEdits: async () => ({ retryWith: null, failedCount: 0, proposedEdits: false }),
  };
  return {
    host: h,
    log,
    reached: (line) => new Promise<void>((resolve) => waiting.set(line, resolve)),
    release: () => {
      const done = held as (() => void) | null;
      held = null;
      done?.();
    },
  };
}

const call = (id: string, name: string): ToolCall => ({ id, name, arguments: '{}' });

describe('runToolLoop and the chain write of a step', () => {
  it('runs the next step\'s read-only calls while the write goes on, and nothing else before it ends', async () => {
    const h = host([[call('a', 'read_file')], [call('b', 'read_file')], [call('c', 'run_command')], 'done']);
    const secondRead = h.reached('run read_file b');
    const loop = runToolLoop(h.host, 'go', 'req_1', newResult(), undefined);
    // The second step's read runs while the first step's write is still held.
    await secondRead;
    expect(h.log).not.toContain('write 1 done');
    h.release();
    const end = await loop;
    expect(end.final).toBe('done');
    expect(h.log).toEqual([
      'request 1',
      'run read_file a',
      'write 1 start (message,reply,tool)',
      'request 2',
      'run read_file b',
      'write 1 done',
      'write 2 start (reply,tool)',
      'request 3',
      // A command waits for the write before it: it could change what the chain's write touches.
      'write 2 done',
      'run run_command c',
      'write 3 start (reply,tool)',
      'request 4',
      'write 3 done',
      'write 4 start (reply)',
      'write 4 done',
    ]);
  });

  it('with agent hooks configured no call overlaps a write', async () => {
    const h = host([[call('a', 'read_file')], [call('b', 'read_file')], 'done'], true);
    // The held write is let go an event-loop turn after the second request: a call that did not
    // wait for it would have run by then.
    void h.reached('request 2').then(() => setImmediate(h.release));
    await runToolLoop(h.host, 'go', 'req_1', newResult(), undefined);
    expect(h.log.indexOf('write 1 done')).toBeLessThan(h.log.indexOf('run read_file b'));
  });
});
