// A small model of how Aider itself applies a SEARCH/REPLACE block (aider/coders/editblock_coder.py:
// do_replace and replace_most_similar_chunk), used only to sort replay mismatches: when Aider's
// own rules do not give the committed file either, the commit's parent is not what Aider edited.
// Aider reads files with universal newlines and writes `\n`, and adds a missing final newline.

const prep = (text) => {
  const t = text !== '' && !text.endsWith('\n') ? `${text}\n` : text;
  return t.split(/(?<=\n)/).filter((l) => l !== '');
};

const lstrip = (s) => s.replace(/^\s+/, '');
const isBlank = (s) => s.trim() === '';

function perfectReplace(whole, part, replace) {
  const n = part.length;
  outer: for (let i = 0; i + n <= whole.length; i++) {
    for (let k = 0; k < n; k++) if (whole[i + k] !== part[k]) continue outer;
    return [...whole.slice(0, i), ...replace, ...whole.slice(i + n)].join('');
  }
  return undefined;
}

function matchButForLeadingWhitespace(chunk, part) {
  if (!chunk.every((l, i) => lstrip(l) === lstrip(part[i]))) return undefined;
  const adds = new Set();
  chunk.forEach((l, i) => {
    if (!isBlank(l)) adds.add(l.slice(0, Math.max(0, l.length - part[i].length)));
  });
  return adds.size === 1 ? [...adds][0] : undefined;
}

function missingLeadingWhitespace(whole, part, replace) {
  const leading = [...part, ...replace].filter((l) => !isBlank(l)).map((l) => l.length - lstrip(l).length);
  if (leading.length > 0 && Math.min(...leading) > 0) {
    const n = Math.min(...leading);
    part = part.map((l) => (isBlank(l) ? l : l.slice(n)));
    replace = replace.map((l) => (isBlank(l) ? l : l.slice(n)));
  }
  for (let i = 0; i + part.length <= whole.length; i++) {
    const add = matchButForLeadingWhitespace(whole.slice(i, i + part.length), part);
    if (add === undefined) continue;
    const rep = replace.map((l) => (isBlank(l) ? l : add + l));
    return [...whole.slice(0, i), ...rep, ...whole.slice(i + part.length)].join('');
  }
  return undefined;
}

const perfectOrWhitespace = (whole, part, replace) => perfectReplace(whole, part, replace) ?? missingLeadingWhitespace(whole, part, replace);

function dotdotdots(whole, part, replace) {
  const dots = /(^\s*\.\.\.\n)/m;
  const split = (s) => s.split(new RegExp(dots.source, 'gm'));
  const pp = split(part);
  const rp = split(replace);
  if (pp.length !== rp.length) throw new Error('unpaired ...');
  if (pp.length === 1) return undefined;
  for (let i = 1; i < pp.length; i += 2) if (pp[i] !== rp[i]) throw new Error('unmatched ...');
  for (let i = 0; i < pp.length; i += 2) {
    const p = pp[i];
    const r = rp[i];
    if (!p && !r) continue;
    if (!p && r) {
      if (!whole.endsWith('\n')) whole += '\n';
      whole += r;
      continue;
    }
    const count = whole.split(p).length - 1;
    if (count !== 1) throw new Error('not unique');
    whole = whole.replace(p, () => r);
  }
  return whole;
}

function replaceMostSimilarChunk(whole, part, replace) {
  const wholeLines = prep(whole);
  const partLines = prep(part);
  const replaceLines = prep(replace);
  let res = perfectOrWhitespace(wholeLines, partLines, replaceLines);
  if (res !== undefined) return res;
  if (partLines.length > 2 && isBlank(partLines[0])) {
    res = perfectOrWhitespace(wholeLines, partLines.slice(1), replaceLines);
    if (res !== undefined) return res;
  }
  try {
    return dotdotdots(wholeLines.join(''), partLines.join(''), replaceLines.join(''));
  } catch {
    return undefined;
  }
}

/** Aider's result for one block on `content` (null: no file), or undefined when it fails. */
export function aiderReplace(content, search, replace) {
  const whole = content === null ? null : content.replace(/\r\n?/g, '\n');
  if (search.trim() === '') return (whole ?? '') + replace;
  if (whole === null) return undefined;
  return replaceMostSimilarChunk(whole, search, replace);
}

const HEAD = /^<{5,9} SEARCH>?\s*$/;
const DIVIDER = /^={5,9}\s*$/;
const UPDATED = /^>{5,9} REPLACE\s*$/;

function stripFilename(line) {
  let f = line.trim();
  if (f === '...' || f.startsWith('```')) return undefined;
  f = f.replace(/:+$/, '').replace(/^#+/, '').trim().replace(/^`+|`+$/g, '').replace(/^\*+|\*+$/g, '').replace(/\\_/g, '_');
  return f === '' ? undefined : f;
}

/**
 * The blocks of a reply as Aider reads them (find_original_update_blocks): the file name from
 * up to three lines above the SEARCH marker (through fences), else the previous block's; the
 * replacement ends at `>>>>>>> REPLACE` or at a second divider (the rest up to REPLACE is dropped).
 */
export function aiderBlocks(reply) {
  const lines = reply.replace(/\r\n/g, '\n').split('\n');
  const out = [];
  let current;
  for (let i = 0; i < lines.length; i++) {
    if (!HEAD.test(lines[i].trim())) continue;
    let name;
    for (let j = i - 1; j >= Math.max(0, i - 3); j--) {
      name = stripFilename(lines[j]);
      if (name !== undefined || !lines[j].startsWith('```')) break;
    }
    name ??= current;
    current = name;
    const search = [];
    let k = i + 1;
    while (k < lines.length && !DIVIDER.test(lines[k].trim())) search.push(lines[k++]);
    const replace = [];
    k++;
    while (k < lines.length && !UPDATED.test(lines[k].trim()) && !DIVIDER.test(lines[k].trim())) replace.push(lines[k++]);
    if (k >= lines.length || name === undefined) break;
    out.push({ path: name, search: search.map((l) => `${l}\n`).join(''), replace: replace.map((l) => `${l}\n`).join('') });
    i = k;
  }
  return out;
}
