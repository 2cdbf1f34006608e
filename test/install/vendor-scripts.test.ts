// The packages' CommonJS files the one-file CLI's loader compiles through a vm.Script
// (dist/bundle/vendor-*.cjs, scripts/bundle.mjs): none may carry an `import()`, which on Node 20
// throws once the script comes from cached data. The build finds them by parsing; this holds the
// finder to the cases the SDKs have (the word in strings and comments) and to real ones.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dynamicImportsIn } from '../../scripts/dynamic-imports.mjs';
import { projectRoot } from '../helpers/run-cli.js';

describe('import() in a vm.Script file', () => {
  it('is found in code, not in strings, templates or comments', () => {
    expect(dynamicImportsIn('const a = "set globalThis.File to import(\'node:buffer\').File"; // import(y)\n/* import(z) */')).toEqual([]);
    const code = 'async function f(spec) {\n  return import(spec);\n}\nconst t = async () => `${await import("x")}`;';
    expect(dynamicImportsIn(code).map((at) => code.slice(at, at + 7))).toEqual(['import(', 'import(']);
  });

  it('is in none of the built files (run `npm run build` first)', () => {
    const dir = join(projectRoot, 'dist', 'bundle');
    const files = readdirSync(dir).filter((n) => /^vendor-.*\.cjs$/.test(n) || n === 'main.cjs' || n === 'context.cjs');
    // The SDKs, MCP's client, yaml and web-tree-sitter, and the one-files themselves.
    expect(files).toEqual(expect.arrayContaining(['main.cjs', 'context.cjs', 'vendor-openai.cjs', 'vendor-anthropic-sdk.cjs', 'vendor-google-genai.cjs', 'vendor-ollama.cjs', 'vendor-mcp-client.cjs']));
    for (const file of files) expect([file, dynamicImportsIn(readFileSync(join(dir, file), 'utf8'))]).toEqual([file, []]);
  });

  it("each hands the package's namespace as its exports' default: what import() of the package gives", async () => {
    const dir = join(projectRoot, 'dist', 'bundle');
    const load = createRequire(join(dir, 'main-loader.cjs'));
    const packages: Record<string, string> = { openai: 'openai', '@anthropic-ai/sdk': 'anthropic-sdk', '@google/genai': 'google-genai', ollama: 'ollama', '@modelcontextprotocol/client': 'mcp-client', yaml: 'yaml', 'web-tree-sitter': 'web-tree-sitter' };
    for (const [spec, name] of Object.entries(packages)) {
      const built = (load(join(dir, `vendor-${name}.cjs`)) as { default: Record<string, unknown> }).default;
      const own = (await import(spec)) as Record<string, unknown>;
      expect([spec, Object.keys(built).sort()]).toEqual([spec, Object.keys(own).sort()]);
    }
    const { parse } = (load(join(dir, 'vendor-yaml.cjs')) as { default: { parse(text: string): unknown } }).default;
    expect(parse('packages:\n  - "apps/*"\n')).toEqual({ packages: ['apps/*'] });
  });
});

describe.each(['main.cjs', 'context.cjs'])('the one-file CLI %s', (name) => {
  it('is ASCII only, so the loader holds its source as a one-byte string (run `npm run build` first)', () => {
    const text = readFileSync(join(projectRoot, 'dist', 'bundle', name), 'utf8');
    // eslint-disable-next-line no-control-regex
    expect(text.match(/[^\x00-\x7f]/g) ?? []).toEqual([]);
    // The escaped regular expressions still match what they matched: a test runner's tick (in the whole one).
    if (name === 'main.cjs') expect(text).toContain('[\\u2713\\u2714\\u221a]');
  });

  it('is minified, as every run reads all of it (a build with ASSIST_BUNDLE_READABLE=1, for profiling, is not)', () => {
    const text = readFileSync(join(projectRoot, 'dist', 'bundle', name), 'utf8');
    // The readable main.cjs is ~44,000 lines; esbuild's minified output breaks lines only inside templates.
    expect(text.split('\n').length).toBeLessThan(5000);
    expect(text).not.toMatch(/^\s*\/\/ /m);
  });
});
