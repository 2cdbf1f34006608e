// The build's rewrite of web-tree-sitter's runtime (.wasm) so that it starts with less memory
// (scripts/bundle.mjs; docs/search.md "Eighteenth session"). Emscripten built the runtime with a
// 32 MB initial memory and growth allowed: its module imports `env.memory` with a minimum of 512
// pages, and its JavaScript makes that memory 32 MB unless told otherwise. V8 counts the whole
// buffer as external memory at once, and in a short process that alone starts a full garbage
// collection and two scavenges (a search after one changed file: 5-12 ms). The runtime itself
// asks for more when it needs it (`emscripten_resize_heap`), as it does past 32 MB today.

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const IMPORT_SECTION = 2;
const KIND_FUNCTION = 0;
const KIND_TABLE = 1;
const KIND_MEMORY = 2;
const KIND_GLOBAL = 3;

/**
 * `bytes` (a wasm module) with the minimum of its one imported memory set to `pages`, written in
 * the same bytes the old minimum took (a LEB128 may carry padding), so every other offset of the
 * module stays where it was. Throws, saying why, unless the module is what this expects: one
 * memory import, `env.memory`, whose minimum is `expectMin` pages in a LEB128 of room enough.
 * @param {Uint8Array} bytes
 * @param {number} pages
 * @param {number} expectMin
 * @returns {Uint8Array}
 */
export function withMemoryMinimum(bytes, pages, expectMin) {
  if (!WASM_MAGIC.every((b, i) => bytes[i] === b)) throw new Error('not a version 1 wasm module');
  let at = WASM_MAGIC.length;
  const byte = () => {
    if (at >= bytes.length) throw new Error('the module ends early');
    return bytes[at++];
  };
  const leb = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const b = byte();
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
      if (shift > 28) throw new Error('a LEB128 longer than 5 bytes');
    }
  };
  const name = () => {
    const length = leb();
    at += length;
    return Buffer.from(bytes.subarray(at - length, at)).toString('utf8');
  };
  const limits = () => {
    const flags = byte();
    const from = at;
    const min = leb();
    const minBytes = at - from;
    if (flags & 1) leb();
    return { flags, from, min, minBytes };
  };
  let found;
  while (at < bytes.length) {
    const id = byte();
    const size = leb();
    const end = at + size;
    if (id === IMPORT_SECTION) {
      for (let count = leb(); count > 0; count--) {
        const module = name();
        const field = name();
        const kind = byte();
        if (kind === KIND_FUNCTION) leb();
        else if (kind === KIND_TABLE) {
          byte();
          limits();
        } else if (kind === KIND_MEMORY) {
          if (found) throw new Error('more than one memory import');
          found = { module, field, ...limits() };
        } else if (kind === KIND_GLOBAL) at += 2;
        else throw new Error(`an import of unknown kind ${kind}`);
      }
      if (at !== end) throw new Error('the import section does not end where its size says');
    }
    at = end;
  }
  if (!found) throw new Error('no memory import');
  if (found.module !== 'env' || found.field !== 'memory') throw new Error(`the memory import is ${found.module}.${found.field}, not env.memory`);
  if (found.flags & ~1) throw new Error(`the memory import has limit flags ${found.flags} (shared or 64-bit)`);
  if (found.min !== expectMin) throw new Error(`the memory import's minimum is ${found.min} pages, not ${expectMin}`);
  if (!Number.isInteger(pages) || pages < 1 || pages > expectMin || pages >= 2 ** (7 * found.minBytes)) throw new Error(`${pages} pages do not fit where the minimum was`);
  const out = Uint8Array.from(bytes);
  for (let k = 0; k < found.minBytes; k++) out[found.from + k] = (Math.floor(pages / 2 ** (7 * k)) & 0x7f) | (k < found.minBytes - 1 ? 0x80 : 0);
  return out;
}
