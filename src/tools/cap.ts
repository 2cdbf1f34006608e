import { CHARS_PER_TOKEN, estimateTextTokens } from '../llm/estimate.js';

/**
 * `1234` → `1,234`, the same on every locale. By hand: the first `toLocaleString` of a process
 * loads ICU's number formats, 20–100 ms that the first tool call of every turn would pay.
 */
export function formatCount(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en-US');
  const digits = String(Math.abs(n)).replace(/\B(?=(\d{3})+$)/g, ',');
  return n < 0 ? `-${digits}` : digits;
}

/** Characters that fit in `maxTokens` by the same estimate the cap uses. */
export function charBudget(maxTokens: number): number {
  return Math.max(0, Math.floor(maxTokens * CHARS_PER_TOKEN));
}

function countLines(text: string, from: number): number {
  if (from >= text.length) return 0;
  let count = 0;
  for (let at = text.indexOf('\n', from); at !== -1; at = text.indexOf('\n', at + 1)) count++;
  return text.endsWith('\n') ? count : count + 1;
}

// A cut in the middle of a surrogate pair would leave half a character.
function safeCut(text: string, at: number): number {
  const code = text.charCodeAt(at - 1);
  return at > 0 && code >= 0xd800 && code <= 0xdbff ? at - 1 : at;
}

/**
 * Caps a tool result at `maxTokens` (estimated as {@link estimateTextTokens} does), keeping the
 * head at a line boundary and saying how much was cut and what to do instead:
 * `[… 1,234 more lines cut: narrow the search or read with offset/limit]`.
 */
export function capHead(text: string, maxTokens: number, hint = 'narrow the request'): string {
  if (estimateTextTokens(text) <= maxTokens) return text;
  // The note's own length depends on the count; 24 digits of room is plenty.
  const reserve = `\n[… ${'9'.repeat(24)} more lines cut: ${hint}]`.length;
  const budget = Math.max(0, charBudget(maxTokens) - reserve);
  const newline = text.lastIndexOf('\n', budget - 1);
  const cut = newline > 0 ? newline + 1 : safeCut(text, budget);
  const rest = countLines(text, cut);
  const head = text.slice(0, cut);
  return `${head}${head.endsWith('\n') || head === '' ? '' : '\n'}[… ${formatCount(rest)} more line${rest === 1 ? '' : 's'} cut: ${hint}]`;
}

/** Keeps the last `maxChars` of `text`, starting at a line boundary when one is near, marking the cut. */
export function capTail(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let start = safeCut(text, text.length - Math.max(0, maxChars - 48));
  const newline = text.indexOf('\n', start);
  if (newline !== -1 && newline - start < 400) start = newline + 1;
  const cutLines = countLines(text.slice(0, start), 0);
  return `[… ${formatCount(cutLines)} earlier line${cutLines === 1 ? '' : 's'} cut]\n${text.slice(start)}`;
}
