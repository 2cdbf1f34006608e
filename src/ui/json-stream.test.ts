import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createJsonStream, STREAM_RESULT_CHARS } from './json-stream.js';

function capture(): { out: PassThrough; lines: () => Array<Record<string, unknown>>; writes: () => number } {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (d: Buffer) => chunks.push(d.toString('utf8')));
  return {
    out,
    lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
    writes: () => chunks.length,
  };
}

describe('the --json-stream view', () => {
  it('writes one line per event at once, and passes each call on to the terminal view', () => {
    const c = capture();
    const seen: string[] = [];
    const stream = createJsonStream(c.out, { text: (d) => seen.push(`text:${d}`), status: (m) => seen.push(`status:${m}`), tool: (a) => seen.push(`tool:${a.phase}`) });
    stream.line({ type: 'start', v: 1 });
    stream.ui.text?.('Hel');
    stream.ui.text?.('');
    stream.ui.tool?.({ phase: 'start', call: 'c1', name: 'read_file', status: 'read_file', arguments: '{"path":"a"}' });
    stream.ui.tool?.({ phase: 'end', call: 'c1', name: 'read_file', status: 'read a (1 line)', ok: true, ms: 3, result: 'x'.repeat(STREAM_RESULT_CHARS + 10) });
    stream.ui.status?.('committed abc');
    expect(c.writes()).toBe(5);
    const lines = c.lines();
    expect(lines.map((l) => l.type)).toEqual(['start', 'text', 'tool_call', 'tool_result', 'status']);
    expect(lines[2]).toEqual({ type: 'tool_call', call: 'c1', name: 'read_file', arguments: '{"path":"a"}' });
    expect((lines[3]!.result as string).length).toBe(STREAM_RESULT_CHARS);
    expect(lines[3]!.chars).toBe(STREAM_RESULT_CHARS + 10);
    expect(seen).toEqual(['text:Hel', 'text:', 'tool:start', 'tool:end', 'status:committed abc']);
  });

  it('nothing after the end line', () => {
    const c = capture();
    const stream = createJsonStream(c.out);
    stream.line({ type: 'end', exit_code: 0 });
    stream.ui.status?.('late');
    stream.line({ type: 'end', exit_code: 1 });
    expect(stream.ended).toBe(true);
    expect(c.lines()).toEqual([{ type: 'end', exit_code: 0 }]);
  });
});
