import type { Writable } from 'node:stream';
import type { SessionUI, ToolActivity, TurnEvent } from '../session/types.js';

/** Characters of a tool's result a `tool_result` line carries; the rest is counted in `chars`. */
export const STREAM_RESULT_CHARS = 2000;

/** The `--json-stream` side of a turn: one JSON object per line on `out`, written as each thing happens. */
export interface JsonStream {
  /** The session UI to hand the session: every call writes its line(s), then goes on to `inner`. */
  readonly ui: SessionUI;
  /** Writes one line (`start`, `end`, or anything the command adds). */
  line(value: { type: string } & Record<string, unknown>): void;
  /** Whether an `end` line was written (the last line: nothing is written after it). */
  readonly ended: boolean;
}

/**
 * Lines for machine readers (docs/json-stream.md). `inner` is the view that keeps the person's
 * stderr informed (status lines, diffs); it must not write the reply to `out`. Nothing is asked:
 * a stream has no one to answer (approvals behave as without a terminal, as with `--json`).
 */
export function createJsonStream(out: Writable, inner: SessionUI = {}): JsonStream {
  let ended = false;
  const line = (value: { type: string } & Record<string, unknown>): void => {
    if (ended) return;
    if (value.type === 'end') ended = true;
    // One write per line: on a pipe or a file Node writes it at once, so a reader sees it as it happens.
    out.write(`${JSON.stringify(value)}\n`);
  };
  const ui: SessionUI = {
    text(delta) {
      if (delta !== '') line({ type: 'text', text: delta });
      inner.text?.(delta);
    },
    restart(info) {
      line({ type: 'restart', model: info.model, reason: info.reason });
      inner.restart?.(info);
    },
    status(message) {
      line({ type: 'status', message });
      inner.status?.(message);
    },
    detail(message) {
      inner.detail?.(message);
    },
    preview(change) {
      inner.preview?.(change);
    },
    tool(activity: ToolActivity) {
      if (activity.phase === 'start') line({ type: 'tool_call', call: activity.call, name: activity.name, arguments: activity.arguments ?? '' });
      else {
        const result = activity.result ?? '';
        line({
          type: 'tool_result',
          call: activity.call,
          name: activity.name,
          ok: activity.ok !== false,
          ms: activity.ms ?? 0,
          status: activity.status,
          result: result.length > STREAM_RESULT_CHARS ? result.slice(0, STREAM_RESULT_CHARS) : result,
          chars: result.length,
        });
      }
      inner.tool?.(activity);
    },
    event(event: TurnEvent) {
      line(event);
      inner.event?.(event);
    },
  };
  return {
    ui,
    line,
    get ended() {
      return ended;
    },
  };
}
