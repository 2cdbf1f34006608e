import type { ChangeBlock } from './hunks.js';
import type { Family } from './signature.js';
import type { ReviewDef, ReviewTags } from './types.js';

const BODIED = new Set(['function', 'method', 'constructor', 'macro', 'other']);
const IDENT = /[A-Za-z_$][\w$]*/g;

/** Brackets (never closing more than the lines opened) and no block-comment or template delimiters. */
function balanced(lines: readonly string[]): boolean {
  let round = 0;
  let square = 0;
  let curly = 0;
  let ticks = 0;
  for (const line of lines) {
    if (line.includes('/*') || line.includes('*/') || line.includes('"""') || line.includes("'''")) return false;
    for (const ch of line) {
      if (ch === '(') round++;
      else if (ch === ')') round--;
      else if (ch === '[') square++;
      else if (ch === ']') square--;
      else if (ch === '{') curly++;
      else if (ch === '}' && --curly < 0) return false; // closes the body and opens another: `} other() {`
      else if (ch === '`') ticks++;
    }
  }
  return round === 0 && square === 0 && curly === 0 && ticks % 2 === 0;
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

/**
 * The tags of the new content without a parse, when the edit cannot have changed the file's
 * definitions: every changed block lies inside the body of one function or method (below its
 * declaration lines, above its last line) and brings balanced brackets. The definitions are
 * those of before with their lines moved; the reference counts move by the identifiers of the
 * removed and added lines (an estimate: the review only asks them for names it watches).
 * Undefined when a parse is needed.
 */
export function deriveAfterTags(before: ReviewTags, beforeText: string, blocks: readonly ChangeBlock[], family: Family): ReviewTags | undefined {
  if (before.skipped !== undefined || blocks.length === 0) return undefined;
  const defs = before.defs;
  const lines = beforeText.split('\n');
  for (const block of blocks) {
    // The innermost bodied definition holding the block's old lines (an insertion sits after line start - 1).
    const first = block.start === block.end ? block.start - 1 : block.start;
    const last = block.start === block.end ? block.start - 1 : block.end - 1;
    let holder: ReviewDef | undefined;
    for (const def of defs) {
      if (!BODIED.has(def.kind)) continue;
      const sigEnd = def.line + def.signature.split('\n').length - 1;
      const insertion = block.start === block.end;
      const inside = insertion ? first >= sigEnd && last < def.endLine : first > sigEnd && last < def.endLine;
      if (inside && (!holder || def.line >= holder.line)) holder = def;
    }
    if (!holder || !balanced(block.removed) || !balanced(block.added)) return undefined;
    if (family === 'python' || family === 'ruby' || family === 'elixir') {
      // Indentation is structure: every new line must sit deeper than the declaration.
      const base = indentOf(lines[holder.line - 1] ?? '');
      if (block.added.some((l) => l.trim() !== '' && indentOf(l) <= base)) return undefined;
    }
  }
  // Lines after a block move by its net change.
  const shift = (line: number): number => {
    let moved = 0;
    for (const block of blocks) if (block.end <= line) moved += block.added.length - block.removed.length;
    return line + moved;
  };
  const moved: ReviewDef[] = defs.map((d) => ({ ...d, line: shift(d.line), endLine: shift(d.endLine) }));
  const refs: Record<string, number> = { ...before.refs };
  for (const block of blocks) {
    for (const line of block.removed) for (const m of line.match(IDENT) ?? []) if ((refs[m] ?? 0) > 0) refs[m]!--;
    for (const line of block.added) for (const m of line.match(IDENT) ?? []) refs[m] = (refs[m] ?? 0) + 1;
  }
  return { defs: moved, refs };
}
