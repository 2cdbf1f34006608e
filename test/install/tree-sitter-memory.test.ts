// The one-file CLI's copy of web-tree-sitter starts its runtime with 2 MB of memory instead of the
// 32 MB Emscripten built it with (scripts/bundle.mjs, scripts/wasm-memory.mjs): V8 counts the whole
// memory as external at once, which in a short process starts a full garbage collection. The
// runtime grows its memory when it needs more; these hold the rewrite to the module's bytes and the
// built copy to the installed package's results.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withMemoryMinimum } from '../../scripts/wasm-memory.mjs';
import { typescriptQuery } from '../../src/context/queries/ecma.js';
import { projectRoot } from '../helpers/run-cli.js';

const require = createRequire(join(projectRoot, 'package.json'));
const installedWasm = (): Uint8Array => readFileSync(join(require.resolve('web-tree-sitter').replace(/[\\/][^\\/]+$/, ''), 'web-tree-sitter.wasm'));

// The DOM's WebAssembly types are not in this project's lib: the two calls used, typed here.
const wasm = (globalThis as unknown as { WebAssembly: { Module: { new (bytes: Uint8Array): object; imports(module: object): object[] } } }).WebAssembly;

const magic = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const text = (s: string): number[] => [s.length, ...Buffer.from(s)];
/** A module whose only section imports one memory, `module.field`, with these limit bytes. */
function moduleImportingMemory(limits: number[], module = 'env', field = 'memory'): Uint8Array {
  const entry = [...text(module), ...text(field), 0x02, ...limits];
  return Uint8Array.from([...magic, 0x02, entry.length + 1, 0x01, ...entry]);
}

describe('withMemoryMinimum', () => {
  it("rewrites the runtime's memory minimum in place and nothing else", () => {
    const original = installedWasm();
    const patched = withMemoryMinimum(original, 32, 512);
    expect(patched.length).toBe(original.length);
    const changed = [...patched.keys()].filter((i) => patched[i] !== original[i]);
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.length).toBeLessThanOrEqual(2);
    expect(changed[changed.length - 1]! - changed[0]!).toBeLessThan(2);
    // Still a valid module with the same imports, and its minimum is now 32 pages.
    const compiled = new wasm.Module(patched);
    expect(wasm.Module.imports(compiled)).toEqual(wasm.Module.imports(new wasm.Module(original)));
    expect(() => withMemoryMinimum(patched, 16, 32)).not.toThrow();
    expect(() => withMemoryMinimum(original, 16, 32)).toThrow("the memory import's minimum is 512 pages, not 32");
  });

  it('writes the new minimum as a padded LEB128 of the old one’s length', () => {
    // min 300 (0xac 0x02), max 1000
    const bytes = moduleImportingMemory([0x01, 0xac, 0x02, 0xe8, 0x07]);
    expect([...withMemoryMinimum(bytes, 5, 300)].slice(-5)).toEqual([0x01, 0x85, 0x00, 0xe8, 0x07]);
    expect([...withMemoryMinimum(bytes, 200, 300)].slice(-5)).toEqual([0x01, 0xc8, 0x01, 0xe8, 0x07]);
  });

  it('refuses a module that is not what the build expects, saying why', () => {
    expect(() => withMemoryMinimum(Uint8Array.from([1, 2, 3]), 32, 512)).toThrow('not a version 1 wasm module');
    expect(() => withMemoryMinimum(Uint8Array.from(magic), 32, 512)).toThrow('no memory import');
    expect(() => withMemoryMinimum(moduleImportingMemory([0x00, 0x80, 0x04], 'env', 'heap'), 32, 512)).toThrow('the memory import is env.heap, not env.memory');
    expect(() => withMemoryMinimum(moduleImportingMemory([0x03, 0x80, 0x04, 0x80, 0x04]), 32, 512)).toThrow('limit flags 3');
    // A one-byte minimum cannot hold 200 pages; more pages than before is not a lowering.
    expect(() => withMemoryMinimum(moduleImportingMemory([0x00, 0x7f]), 100, 127)).not.toThrow();
    expect(() => withMemoryMinimum(moduleImportingMemory([0x00, 0x7f]), 200, 127)).toThrow('200 pages do not fit');
    expect(() => withMemoryMinimum(moduleImportingMemory([0x00, 0x80, 0x04]), 600, 512)).toThrow('600 pages do not fit');
    const cut = moduleImportingMemory([0x00, 0x80, 0x04]);
    expect(() => withMemoryMinimum(cut.subarray(0, cut.length - 1), 32, 512)).toThrow();
  });
});

interface TreeSitter {
  Parser: { init(options?: object): Promise<void>; new (): { setLanguage(l: unknown): void; parse(s: string): { rootNode: unknown; delete(): void } } };
  Language: { load(path: string): Promise<unknown> };
  Query: new (language: unknown, source: string) => { matches(node: unknown): { patternIndex: number; captures: { name: string; node: { startIndex: number; endIndex: number } }[] }[] };
}

async function tagsOf(ts: TreeSitter, source: string): Promise<string[]> {
  const language = await ts.Language.load(require.resolve('tree-sitter-typescript/tree-sitter-typescript.wasm'));
  const parser = new ts.Parser();
  parser.setLanguage(language);
  const tree = parser.parse(source);
  try {
    return new ts.Query(language, typescriptQuery).matches(tree.rootNode).map((m) => `${m.patternIndex} ${m.captures.map((c) => `${c.name}@${c.node.startIndex}-${c.node.endIndex}`).join(' ')}`);
  } finally {
    tree.delete();
  }
}

describe("the one-file CLI's web-tree-sitter (run `npm run build` first)", () => {
  it('starts with 2 MB, grows as it parses, and finds what the installed package finds', async () => {
    const dir = join(projectRoot, 'dist', 'bundle');
    expect(() => 0).not.toThrow();
    const built = (createRequire(join(dir, 'main-loader.cjs'))(join(dir, 'vendor-web-tree-sitter.cjs')) as { default: TreeSitter }).default;
    const before = process.memoryUsage().external;
    await built.Parser.init();
    const started = process.memoryUsage().external - before;
    // 2 MB of memory (and the runtime's own bytes), not 32.
    expect(started).toBeLessThan(8 * 1024 * 1024);
    // Large enough that the parse and the query grow the memory several times over.
    const source = Array.from({ length: 3000 }, (_, i) => `export class Widget${i} extends Base<T${i % 7}> {\n  method${i}(a: number, b: string): Promise<void> { return helper${i % 13}(a, b.length + ${i}); }\n  field${i} = new Map<string, number>();\n}\nexport function make${i}() { return new Widget${i}(); }\n`).join('');
    const found = await tagsOf(built, source);
    expect(process.memoryUsage().external - before).toBeGreaterThan(started + 4 * 1024 * 1024);
    const installed = (await import('web-tree-sitter')) as unknown as TreeSitter;
    await installed.Parser.init();
    expect(found.length).toBeGreaterThan(3000 * 5);
    expect(found).toEqual(await tagsOf(installed, source));
  });
});
