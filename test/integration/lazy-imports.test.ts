import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo } from '../helpers/git-repo.js';
import { cliPath, projectRoot } from '../helpers/run-cli.js';

const HEAVY = ['@modelcontextprotocol/client', '@anthropic-ai/sdk', '@google/genai', 'openai', 'ollama', 'web-tree-sitter', 'gpt-tokenizer'];

/** Which packages each file of the bundle carries, from esbuild's metafile. */
function bundleContents(): Map<string, string[]> {
  const meta = JSON.parse(readFileSync(join(projectRoot, 'dist', 'bundle', 'meta.json'), 'utf8')) as {
    outputs: Record<string, { inputs: Record<string, unknown> }>;
  };
  return new Map(Object.entries(meta.outputs).map(([out, { inputs }]) => [basename(out), Object.keys(inputs)]));
}

/** Heavy packages a command loaded: straight from node_modules, or inside a bundle chunk. */
function heavyLoaded(args: string[]): { modules: string[]; heavy: string[] } {
  const repo = tempRepo();
  try {
    const trace = join(repo.home, 'trace.txt');
    const r = spawnSync(process.execPath, ['--import', join(projectRoot, 'test', 'helpers', 'trace-imports.mjs'), cliPath, ...args], {
      cwd: repo.dir,
      env: { ...repo.env, TRACE_IMPORTS_FILE: trace },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const modules = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
    const chunks = bundleContents();
    const heavy = new Set<string>();
    for (const url of modules) {
      const inputs = url.includes('/dist/bundle/') ? (chunks.get(basename(new URL(url).pathname)) ?? []) : [new URL(url).pathname];
      for (const pkg of HEAVY) if (inputs.some((i) => i.includes(`node_modules/${pkg}/`))) heavy.add(pkg);
    }
    return { modules, heavy: [...heavy] };
  } finally {
    repo.cleanup();
  }
}

describe('heavy modules load lazily', () => {
  it.each([['--version'], ['--help'], ['config', 'list'], ['completion', 'bash'], ['config', 'schema']])('`assist %s` loads no SDK, tree-sitter or tokenizer', (...args) => {
    const { modules, heavy } = heavyLoaded(args);
    expect(modules.length).toBeGreaterThan(0);
    expect(heavy).toEqual([]);
  });

  it('the check sees heavy modules when they are loaded (it can fail)', () => {
    expect(heavyLoaded(['doctor']).heavy).toContain('web-tree-sitter');
    const chunks = bundleContents();
    // The SDKs are bundled into chunks of their own, found through the metafile.
    expect([...chunks.values()].some((inputs) => inputs.some((i) => i.includes('node_modules/openai/')))).toBe(true);
  });
});
