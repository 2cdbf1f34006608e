import { applyEdits, closestLines, replaceAlreadyPresent, type EditBlock } from '../edits/index.js';
import { objectSchema } from './args.js';
import { denied, failure, resolveForWrite, shortPath } from './common.js';
import { currentContent, decodeForEdit, proposeEdit } from './proposal.js';
import type { Tool, ToolContext, ToolOutcome } from './types.js';

/** A tool argument as block text: `\n` line ends, each line ending in one (the shape `EditBlock` has). */
export function asBlockText(text: string): string {
  const lf = text.replace(/\r\n/g, '\n');
  return lf === '' || lf.endsWith('\n') ? lf : `${lf}\n`;
}

function fence(lines: string[], start: number): string {
  const body = lines.map((line, i) => `${start + i}\t${line}`).join('\n');
  const longest = Math.max(2, ...[...body.matchAll(/`{3,}/g)].map((m) => m[0].length));
  const f = '`'.repeat(longest + 1);
  return `${f}\n${body}\n${f}`;
}

async function run(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolOutcome> {
  const path = args['path'] as string;
  const checked = await resolveForWrite(ctx, path);
  if (!checked.ok) return denied(ctx, 'edit', checked.denial);
  const { rel } = checked.target;
  const shown = shortPath(rel);
  const current = await currentContent(ctx, checked.target);
  const block: EditBlock = { index: 0, path: rel, pathInherited: false, search: asBlockText(args['search'] as string), replace: asBlockText(args['replace'] as string), line: 1 };
  const applied = applyEdits([block], new Map([[rel, current]]), { maxFileBytes: ctx.config.context.maxFileBytes });

  const failed = applied.failed[0];
  if (failed !== undefined) {
    const parts = [`The edit of ${rel} was not applied: ${failed.message}`];
    const decoded = current === null ? null : decodeForEdit(current, ctx.config.context.maxFileBytes);
    if (decoded?.ok === true && (failed.reason === 'no-match' || failed.reason === 'elision-mismatch' || failed.reason === 'ambiguous')) {
      if (failed.reason !== 'ambiguous') {
        const near = closestLines(decoded.text, block.search);
        if (near !== undefined) parts.push(`The closest lines of ${rel} (from line ${near.startLine}):\n${fence(near.lines, near.startLine)}`);
      }
      if (replaceAlreadyPresent(decoded.text, block.replace)) parts.push(`The replace text is already in ${rel}: if the change is made, do not send it again.`);
      parts.push('Copy `search` exactly from the file (read_file shows it; leave out the line numbers), with enough lines to match one place only.');
    }
    const why = failed.reason === 'no-match' ? 'no match' : failed.reason.replace(/-/g, ' ');
    return failure(parts.join('\n\n'), `edit ${shown}: ${why}`);
  }
  let before: string | null = null;
  if (current !== null) {
    const decoded = decodeForEdit(current, Infinity);
    before = decoded.ok ? decoded.text : null;
  }
  const after = applied.files.get(rel);
  if (after === undefined || after === before) {
    return failure(`The edit leaves ${rel} as it is: search and replace give the same text. Nothing to do.`, `edit ${shown}: no change`);
  }
  return proposeEdit(ctx, rel, before, after);
}

/** `edit_file`: one SEARCH/REPLACE edit, with the same matcher as blocks in a reply. */
export const editFileTool: Tool = {
  kind: 'edit',
  spec: {
    name: 'edit_file',
    description:
      'Change a file by replacing text: `search` is copied exactly from the file (whole lines, indentation included, without read_file line numbers) and is replaced by `replace`. ' +
      'The first occurrence is replaced; include enough lines to make it unique. An empty `search` creates the file with `replace`, or appends `replace` to an existing file; it never overwrites. ' +
      '`path` is relative to the repository root. The person approves the edits of your step; the result says whether it was applied, with a short diff, or shows the closest lines when `search` did not match.',
    parameters: objectSchema(
      {
        path: { type: 'string', description: 'file path relative to the repository root' },
        search: { type: 'string', description: 'exact lines to find (empty to create or append)' },
        replace: { type: 'string', description: 'lines to put in their place' },
      },
      ['path', 'search', 'replace'],
    ),
  },
  run,
};
