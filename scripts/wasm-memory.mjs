// The declared minimum of a wasm module's imported memory (`env.memory`, as Emscripten's
// runtimes import it), read and rewritten in place. scripts/bundle.mjs lowers web-tree-sitter's
// runtime's 32 MB minimum for the one-file CLI's copy, whose start of the memory it lowers to the
// same size: a memory smaller than the module's minimum would fail to link.

/** Reads an unsigned LEB128 at `at`: its value and the offset after it. */
function leb(bytes, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[at++];
    if (byte === undefined) throw new Error('wasm: truncated LEB128');
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) return [value, at];
  }
}

/** Skips limits (flags, minimum, maximum if flagged): the offset after them. */
function skipLimits(bytes, at) {
  const flags = bytes[at];
  let p = leb(bytes, at + 1)[1];
  if (flags & 1) p = leb(bytes, p)[1];
  return p;
}

/** The minimum (in 64 KB pages) of the imported memory `env.memory` and where its LEB128 lies; undefined without that import. */
export function memoryMinimum(bytes) {
  if (bytes.length < 8 || bytes.readUInt32LE(0) !== 0x6d736100 || bytes.readUInt32LE(4) !== 1) throw new Error('wasm: not a version 1 module');
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at];
    const [size, body] = leb(bytes, at + 1);
    if (id === 2) {
      let [count, p] = leb(bytes, body);
      while (count-- > 0) {
        const names = [];
        for (let k = 0; k < 2; k++) {
          const [length, start] = leb(bytes, p);
          names.push(bytes.toString('latin1', start, start + length));
          p = start + length;
        }
        const kind = bytes[p++];
        if (kind === 0) p = leb(bytes, p)[1]; // a function: its type's index
        else if (kind === 1) p = skipLimits(bytes, p + 1); // a table: its element type, its limits
        else if (kind === 3) p += 2; // a global: its value type and mutability
        else if (kind === 4) p = leb(bytes, p + 1)[1]; // a tag: its attribute and type's index
        else if (kind === 2) {
          const [min, end] = leb(bytes, p + 1);
          if (names[0] === 'env' && names[1] === 'memory') return { pages: min, start: p + 1, end };
          p = skipLimits(bytes, p);
        } else throw new Error(`wasm: unknown import kind ${kind}`);
      }
      return undefined;
    }
    at = body + size;
  }
  return undefined;
}

/**
 * A copy of `bytes` whose imported memory's minimum is `pages` instead of `expected`, written in
 * the bytes the old value took (a padded LEB128, which the format allows), so no section moves.
 * Throws when the module is not the one expected (no such import, another minimum).
 */
export function withMemoryMinimum(bytes, expected, pages) {
  const found = memoryMinimum(bytes);
  if (!found) throw new Error('wasm: no imported env.memory');
  if (found.pages !== expected) throw new Error(`wasm: the imported memory's minimum is ${found.pages} pages, not ${expected}`);
  const width = found.end - found.start;
  if (pages >= 2 ** (7 * width)) throw new Error(`wasm: ${pages} pages do not fit the ${width} bytes of the old minimum`);
  const out = Buffer.from(bytes);
  for (let k = 0, rest = pages; k < width; k++, rest = Math.floor(rest / 128)) out[found.start + k] = (rest & 0x7f) | (k < width - 1 ? 0x80 : 0);
  return out;
}
