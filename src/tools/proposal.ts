import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { PathAllowed } from '../sandbox/index.js';
import { capHead, formatCount } from './cap.js';
import { shortPath } from './common.js';
import type { ToolContext, ToolOutcome } from './types.js';

/** The text an edit starts from: this step's pending proposal, else the file on disk (raw bytes), else null. */
export async function currentContent(ctx: ToolContext, target: PathAllowed): Promise<string | Uint8Array | null> {
  const pending = ctx.pending.get(target.rel);
  if (pending !== undefined) return pending;
  if (!target.exists) return null;
  const handle = await open(target.abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const stats = await handle.stat();
    // Read one byte past the limit: enough for the edit engine to refuse it as too large.
    if (stats.size > ctx.config.context.maxFileBytes) {
      const buf = Buffer.alloc(ctx.config.context.maxFileBytes + 1);
      const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
      return buf.subarray(0, bytesRead);
    }
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

const DIFF_CONTEXT = 2;
const DIFF_TIMEOUT_MS = 2000;
// A short diff: the model wrote the change and needs only to see where it landed.
const DIFF_MAX_TOKENS = 2000;

/** A unified diff of one file (few context lines) and its added and removed line counts. */
export async function shortDiff(rel: string, before: string | null, after: string, maxTokens: number): Promise<{ diff: string; added: number; removed: number }> {
  const { structuredPatch, formatPatch, FILE_HEADERS_ONLY } = await import('diff');
  const patch = structuredPatch(before === null ? '/dev/null' : `a/${rel}`, `b/${rel}`, before ?? '', after, undefined, undefined, {
    context: DIFF_CONTEXT,
    timeout: DIFF_TIMEOUT_MS,
  });
  const oldLines = (before ?? '').split('\n').length;
  const newLines = after.split('\n').length;
  if (patch === undefined) {
    return { diff: `(the diff took too long to compute: ${formatCount(oldLines)} lines before, ${formatCount(newLines)} after)`, added: newLines, removed: before === null ? 0 : oldLines };
  }
  let added = 0;
  let removed = 0;
  for (const hunk of patch.hunks) {
    for (const line of hunk.lines) {
      if (line.startsWith('+')) added++;
      else if (line.startsWith('-')) removed++;
    }
  }
  const text = formatPatch(patch, FILE_HEADERS_ONLY).replace(/\n+$/, '');
  return { diff: capHead(text, Math.min(maxTokens, DIFF_MAX_TOKENS), 'read_file shows the file'), added, removed };
}

/** The `edit` outcome of a change, recorded in `ctx.pending` so a later call of the step builds on it. */
export async function proposeEdit(ctx: ToolContext, rel: string, before: string | null, after: string): Promise<ToolOutcome> {
  const { diff, added, removed } = await shortDiff(rel, before, after, ctx.config.tools.maxResultTokens);
  ctx.pending.set(rel, after);
  const status = before === null ? `create ${shortPath(rel)} (+${added})` : `edit ${shortPath(rel)} (+${added} -${removed})`;
  return { kind: 'edit', path: rel, before, after, diff, status };
}

/** Text of raw file contents as an edit sees them, or why it cannot be edited. */
export function decodeForEdit(content: string | Uint8Array, maxBytes: number): { ok: true; text: string } | { ok: false; message: string } {
  if (typeof content === 'string') return { ok: true, text: content };
  if (content.byteLength > maxBytes) return { ok: false, message: `it is over context.max_file_bytes (${formatCount(maxBytes)} bytes)` };
  if (content.includes(0)) return { ok: false, message: 'it is a binary file (it contains NUL bytes)' };
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(content) };
  } catch {
    return { ok: false, message: 'it is not valid UTF-8 text' };
  }
}
