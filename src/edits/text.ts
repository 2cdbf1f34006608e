import { lcsPairs } from './lcs.js';

/** One line of a file with its own terminator, so mixed endings survive an edit. */
export interface Line {
  text: string;
  eol: '' | '\n' | '\r\n';
}

/** A file split into lines; `eol` is the dominant ending, given to new lines. */
export interface TextDoc {
  lines: Line[];
  bom: boolean;
  eol: '\n' | '\r\n';
}

export type DecodeResult =
  | { ok: true; doc: TextDoc }
  | { ok: false; reason: 'binary' | 'too-large'; message: string };

const BOM = '\uFEFF';

export function byteLength(input: string | Uint8Array): number {
  return typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
}

/** Decode file contents; NUL bytes, invalid UTF-8 or more than `maxBytes` are refused. */
export function decodeFile(input: string | Uint8Array, maxBytes: number): DecodeResult {
  const size = byteLength(input);
  if (size > maxBytes) {
    return { ok: false, reason: 'too-large', message: `the file is ${size} bytes, over the limit of ${maxBytes}` };
  }
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    if (input.includes(0)) return { ok: false, reason: 'binary', message: 'the file is binary (it contains NUL bytes)' };
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input);
    } catch {
      return { ok: false, reason: 'binary', message: 'the file is not valid UTF-8 text' };
    }
  }
  if (text.includes('\0')) return { ok: false, reason: 'binary', message: 'the file is binary (it contains NUL bytes)' };
  return { ok: true, doc: splitDoc(text) };
}

export function splitDoc(text: string): TextDoc {
  const bom = text.startsWith(BOM);
  if (bom) text = text.slice(1);
  const lines: Line[] = [];
  let crlf = 0;
  let lf = 0;
  let pos = 0;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    if (nl === -1) {
      lines.push({ text: text.slice(pos), eol: '' });
      break;
    }
    if (nl > pos && text.charCodeAt(nl - 1) === 13) {
      lines.push({ text: text.slice(pos, nl - 1), eol: '\r\n' });
      crlf++;
    } else {
      lines.push({ text: text.slice(pos, nl), eol: '\n' });
      lf++;
    }
    pos = nl + 1;
  }
  return { lines, bom, eol: crlf > lf ? '\r\n' : '\n' };
}

export function joinDoc(doc: TextDoc): string {
  let out = doc.bom ? BOM : '';
  for (const l of doc.lines) out += l.text + l.eol;
  return out;
}

/**
 * Replace `count` lines at `start` with `texts`. Lines the edit kept (a diff of the old lines
 * against `texts`) keep their own ending, rewritten lines take the endings of the lines they
 * replace, inserted lines get the file's dominant one, and a missing
 * final newline stays missing; nothing outside the replaced lines changes, except the ending of
 * the line before them when the file's last lines are deleted or appended to.
 */
export function spliceLines(doc: TextDoc, start: number, count: number, texts: readonly string[]): void {
  const lines = doc.lines;
  const old = lines.slice(start, start + count);
  const added: Line[] = texts.map((text) => ({ text, eol: doc.eol }));
  if (old.length > 0 && added.length > 0) {
    // Between two kept lines, rewritten lines take the endings of the lines they replace.
    const pairs = lcsPairs(
      old.map((l) => l.text),
      texts,
    );
    pairs.push([old.length, texts.length]);
    let i0 = 0;
    let j0 = 0;
    for (const [i, j] of pairs) {
      for (let t = 0; j0 + t < j && i > i0; t++) added[j0 + t]!.eol = old[Math.min(i0 + t, i - 1)]!.eol;
      if (i < old.length) added[j]!.eol = old[i]!.eol;
      i0 = i + 1;
      j0 = j + 1;
    }
  }
  const atEnd = start + count === lines.length;
  const noFinalNewline = lines.length > 0 && lines[lines.length - 1]!.eol === '';
  if (atEnd && noFinalNewline) {
    for (const l of added) if (l.eol === '') l.eol = doc.eol;
    if (added.length > 0) {
      added[added.length - 1]!.eol = '';
      if (count === 0 && start > 0) lines[start - 1]!.eol = doc.eol;
    } else if (count > 0 && start > 0) {
      lines[start - 1]!.eol = '';
    }
  } else {
    // A kept line that was the unterminated last one, now followed by others.
    for (const l of added) if (l.eol === '') l.eol = doc.eol;
  }
  lines.splice(start, count, ...added);
}

/** Split block text (`a\nb\n`) into lines. */
export function textLines(text: string): string[] {
  if (text === '') return [];
  const parts = text.split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}
