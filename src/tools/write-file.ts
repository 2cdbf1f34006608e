import { objectSchema } from './args.js';
import { formatCount } from './cap.js';
import { denied, failure, resolveForWrite, shortPath } from './common.js';
import { currentContent, decodeForEdit, proposeEdit } from './proposal.js';
import type { Tool, ToolContext, ToolOutcome } from './types.js';

/** Gives `content` the byte order mark and CRLF endings of the file it replaces, when the model wrote plain LF. */
export function keepConventions(before: string, content: string): string {
  let out = content;
  const crlf = (before.match(/\r\n/g) ?? []).length;
  const lf = (before.match(/\n/g) ?? []).length - crlf;
  if (crlf > lf && !out.includes('\r')) out = out.replace(/\n/g, '\r\n');
  if (before.startsWith('\uFEFF') && !out.startsWith('\uFEFF')) out = `\uFEFF${out}`;
  return out;
}

async function run(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolOutcome> {
  const path = args['path'] as string;
  let content = args['content'] as string;
  const checked = await resolveForWrite(ctx, path);
  if (!checked.ok) return denied(ctx, 'write', checked.denial);
  const { rel } = checked.target;
  const shown = shortPath(rel);
  const maxBytes = ctx.config.context.maxFileBytes;
  if (content.includes('\0')) return failure(`The content for ${rel} contains NUL bytes; write_file writes text files only.`, `write ${shown}: refused`);
  if (Buffer.byteLength(content, 'utf8') > maxBytes) {
    return failure(`The content for ${rel} is over context.max_file_bytes (${formatCount(maxBytes)} bytes).`, `write ${shown}: too large`);
  }
  const current = await currentContent(ctx, checked.target);
  let before: string | null = null;
  if (current !== null) {
    // A file the model has not seen may hold work it knows nothing of: replacing it whole would lose it.
    if (!ctx.pending.has(rel) && !ctx.readFiles.has(rel)) {
      return failure(`${rel} already exists and you have not read it: read_file it first, or use edit_file to change part of it.`, `write ${shown}: not read first`);
    }
    const decoded = decodeForEdit(current, maxBytes);
    if (!decoded.ok) return failure(`${rel} cannot be replaced: ${decoded.message}.`, `write ${shown}: refused`);
    before = decoded.text;
    content = keepConventions(before, content);
    if (before === content) return failure(`${rel} already has exactly this content. Nothing to do.`, `write ${shown}: no change`);
  }
  return proposeEdit(ctx, rel, before, content);
}

/** `write_file`: creates a file, or replaces one the model has read in this session. */
export const writeFileTool: Tool = {
  kind: 'edit',
  spec: {
    name: 'write_file',
    description:
      'Write a whole file: creates it (with its folders), or replaces an existing file you have read with read_file in this session. ' +
      'For changes to part of a file prefer edit_file. `path` is relative to the repository root. The person approves the edits of your step; the result says whether it was applied.',
    parameters: objectSchema(
      {
        path: { type: 'string', description: 'file path relative to the repository root' },
        content: { type: 'string', description: 'the complete new content of the file' },
      },
      ['path', 'content'],
    ),
  },
  run,
};
