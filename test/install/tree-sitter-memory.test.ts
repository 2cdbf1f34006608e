// The one-file CLI's copy of web-tree-sitter starts its wasm memory small (scripts/bundle.mjs):
// the runtime's declared minimum is lowered in place to the start the copied JavaScript asks for,
// and every grammar still loads and parses in it (the memory grows as the grammar's tables and a
// parse need). scripts/wasm-memory.mjs is the rewrite.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as WebTreeSitter from 'web-tree-sitter';
import { describe, expect, it } from 'vitest';
import { memoryMinimum, withMemoryMinimum } from '../../scripts/wasm-memory.mjs';
import { grammarPath, languages } from '../../src/context/languages.js';
import { projectRoot } from '../helpers/run-cli.js';

const installed = readFileSync(createRequire(import.meta.url).resolve('web-tree-sitter/web-tree-sitter.wasm'));

describe("the runtime's memory minimum", () => {
  it('is rewritten in the bytes it took, and nothing else changes', () => {
    const before = memoryMinimum(installed)!;
    expect(before.pages).toBe(512); // Emscripten's 32 MB: a new web-tree-sitter must be looked at again
    const out = withMemoryMinimum(installed, 512, 64);
    expect(out.length).toBe(installed.length);
    expect(memoryMinimum(out)).toEqual({ ...before, pages: 64 });
    const differing = [...out.keys()].filter((k) => out[k] !== installed[k]);
    expect(differing.every((k) => k >= before.start && k < before.end)).toBe(true);
    // Still a module V8 compiles (Node's types here carry no WebAssembly global).
    const { Module } = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => unknown } }).WebAssembly;
    expect(() => new Module(out)).not.toThrow();
    expect(memoryMinimum(withMemoryMinimum(installed, 512, 1))!.pages).toBe(1);
  });

  it('refuses another module than the one expected, or a minimum that does not fit', () => {
    expect(() => withMemoryMinimum(installed, 256, 64)).toThrow(/512 pages, not 256/);
    expect(() => withMemoryMinimum(installed, 512, 1 << 14)).toThrow(/do not fit/);
    expect(() => withMemoryMinimum(Buffer.from('not wasm at all'), 512, 64)).toThrow(/not a version 1 module/);
    // A module without imports: no memory to lower.
    const empty = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    expect(memoryMinimum(empty)).toBeUndefined();
    expect(() => withMemoryMinimum(empty, 512, 64)).toThrow(/no imported env.memory/);
  });
});

describe("the one-file's web-tree-sitter (run `npm run build` first)", () => {
  const dir = join(projectRoot, 'dist', 'bundle');
  it('starts its memory at the runtime\'s lowered minimum, under the 32 MB of the installed package', () => {
    const pages = memoryMinimum(readFileSync(join(dir, 'web-tree-sitter.wasm')))!.pages;
    expect(pages).toBeLessThan(512);
    const text = readFileSync(join(dir, 'vendor-web-tree-sitter.cjs'), 'latin1');
    const start = /Module(?:\.INITIAL_MEMORY|\["INITIAL_MEMORY"\])\s*\|\|\s*(\d+)/.exec(text);
    expect(Number(start?.[1])).toBe(pages * 65536);
    expect(text).not.toContain('33554432');
  });

  it('loads every grammar and parses with it', async () => {
    const load = createRequire(join(dir, 'main-loader.cjs'));
    const ts = (load(join(dir, 'vendor-web-tree-sitter.cjs')) as { default: typeof WebTreeSitter }).default;
    await ts.Parser.init();
    const parser = new ts.Parser();
    for (const spec of languages) {
      parser.setLanguage(await ts.Language.load(grammarPath(spec)));
      // TypeScript's a file of 20,000 lines: a tree that needs more than the starting 4 MB.
      const lines = spec.id === 'typescript' ? 20000 : 50;
      const tree = parser.parse('x = 1;\n'.repeat(lines))!;
      expect([spec.id, tree.rootNode.endPosition.row]).toEqual([spec.id, lines]);
      tree.delete();
    }
  });
});
