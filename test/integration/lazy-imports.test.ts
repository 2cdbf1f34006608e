import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo } from '../helpers/git-repo.js';
import { cliPath, projectRoot, runCli } from '../helpers/run-cli.js';
import { startFakeLlm, reply } from '../fake-llm/index.js';

const HEAVY = ['@modelcontextprotocol/client', '@anthropic-ai/sdk', '@google/genai', 'openai', 'ollama', 'web-tree-sitter', 'gpt-tokenizer'];

/** Which packages each file of the bundle carries, from esbuild's metafile. */
function bundleContents(): Map<string, string[]> {
  const meta = JSON.parse(readFileSync(join(projectRoot, 'dist', 'bundle', 'meta.json'), 'utf8')) as {
    outputs: Record<string, { inputs: Record<string, unknown> }>;
  };
  return new Map(Object.entries(meta.outputs).map(([out, { inputs }]) => [basename(out), Object.keys(inputs)]));
}

/**
 * The sources inside the one-file CLI (dist/bundle/main.cjs, run by `run`, the message form and
 * `chat` with its code cache): it is run whole through a vm.Script, so the import trace does not
 * see inside it; nor does it see the packages left out of it that load from CommonJS files of
 * their own (dist/bundle/vendor-*.cjs, also through a vm.Script): the loader names each it ran
 * (ASSIST_CODE_CACHE_DEBUG=1). Those with an ES entry (dist/bundle/vendor-*.js) the trace sees.
 */
/** The packages' CommonJS files the one-file's loader ran, from its debug lines. */
const vendorScriptsRun = (stderr: string): string[] => [...stderr.matchAll(/^assist code cache \((vendor-[^)]+\.cjs)\): /gm)].map((m) => m[1]!);

/** The sources inside a one-file CLI (main.cjs, or context.cjs of `map` and `search`), from its metafile. */
function oneFileInputs(name: 'main' | 'context' = 'main'): string[] {
  const meta = JSON.parse(readFileSync(join(projectRoot, 'dist', 'bundle', `${name}-cjs-meta.json`), 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown> }> };
  return Object.values(meta.outputs).flatMap(({ inputs }) => Object.keys(inputs));
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

  it('`assist run --help` (the CLI floor bench/turn times) loads none of the session', () => {
    const chunks = bundleContents();
    const sources = (args: string[]): string[] => heavyLoaded(args).modules.flatMap((url) => (url.includes('/dist/bundle/') ? (chunks.get(basename(new URL(url).pathname)) ?? []) : []));
    const loaded = sources(['run', '--help']);
    // The check maps chunks back to their sources (it can fail): the run command's own is there.
    expect(loaded).toContain('src/cli/commands/run.ts');
    expect(loaded.filter((i) => i.startsWith('src/session/'))).toEqual([]);
  });

  it('the check sees heavy modules when they are loaded (it can fail)', () => {
    expect(heavyLoaded(['doctor']).heavy).toContain('web-tree-sitter');
    const chunks = bundleContents();
    // The SDKs are bundled into chunks of their own, found through the metafile.
    expect([...chunks.values()].some((inputs) => inputs.some((i) => i.includes('node_modules/openai/')))).toBe(true);
  });

  it("the one-file CLI carries none of the heavy packages (its metafile; it can fail: assist's own code is there)", () => {
    const inputs = oneFileInputs();
    expect(inputs).toContain('src/cli/commands/run.ts');
    expect(inputs).toContain('src/session/turn.ts');
    expect(HEAVY.filter((pkg) => inputs.some((i) => i.includes(`node_modules/${pkg}/`)))).toEqual([]);
  });

  it('the context one-file of `map` and `search` carries their paths and not the command line, the session or a heavy package', () => {
    const inputs = oneFileInputs('context');
    expect(inputs).toEqual(expect.arrayContaining(['src/cli/map-fast.ts', 'src/cli/search-fast.ts', 'src/context/repo-map.ts', 'src/context/search.ts']));
    expect(inputs.filter((i) => i === 'src/cli/main.ts' || i.startsWith('src/session/') || i.startsWith('src/cli/commands/') || i.includes('node_modules/clipanion/'))).toEqual([]);
    expect(HEAVY.filter((pkg) => inputs.some((i) => i.includes(`node_modules/${pkg}/`)))).toEqual([]);
    // A third of the whole one-file or so: what every map and search reads, deserializes and evaluates.
    const bytes = (name: string): number => statSync(join(projectRoot, 'dist', 'bundle', name)).size;
    expect(bytes('context.cjs')).toBeLessThan(bytes('main.cjs') / 2);
  });

  it('a turn through the one-file CLI loads the OpenAI SDK from its CommonJS file, and no other heavy package', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'a.txt': 'one\n' } });
    const trace = join(repo.home, 'trace.txt');
    const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CODE_CACHE_DEBUG: '1', NODE_OPTIONS: `--import=${join(projectRoot, 'test', 'helpers', 'trace-imports.mjs')}`, TRACE_IMPORTS_FILE: trace };
    server.defaultReply = reply.text('Nothing to change.');
    const r = await runCli(['run', '-m', 'what is in a.txt?'], { cwd: repo.dir, env });
    expect(r.code, r.stderr).toBe(5);
    // The one-file CLI ran (its loader says what it did with the cache).
    expect(r.stderr).toMatch(/^assist code cache: (missing|accepted|rejected) /m);
    const urls = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
    expect(vendorScriptsRun(r.stderr)).toEqual(['vendor-openai.cjs']);
    // No ES chunk of the CLI's own: everything but the packages came from the one file.
    expect(urls.some((u) => u.endsWith('/dist/bundle/main.js'))).toBe(false);
    const chunks = bundleContents();
    // Nothing heavy through ES modules: the SDK came from its CommonJS file.
    const heavy = HEAVY.filter((pkg) => urls.some((url) => (url.includes('/dist/bundle/') ? (chunks.get(basename(new URL(url).pathname)) ?? []) : [new URL(url).pathname]).some((i) => i.includes(`node_modules/${pkg}/`))));
    expect(heavy).toEqual([]);
    expect(urls.filter((u) => /\/dist\/bundle\/vendor-/.test(u))).toEqual([]);
  });

  it("a turn loads the chunk tokenizer only when the request's search finds chunks to fit", async () => {
    await using server = await startFakeLlm();
    const files: Record<string, string> = {};
    for (let i = 0; i < 12; i++) files[`src/m${i}.ts`] = `export function computeInvoiceTotal${i}(lines: number[]): number {\n  return lines.reduce((sum, line) => sum + line * ${i}, 0);\n}\n`;
    await using repo = tempRepo({ files });
    const trace = join(repo.home, 'trace.txt');
    const phases = join(repo.home, 'phases.jsonl');
    const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CODE_CACHE_DEBUG: '1', NODE_OPTIONS: `--import=${join(projectRoot, 'test', 'helpers', 'trace-imports.mjs')}`, TRACE_IMPORTS_FILE: trace, ASSIST_PHASES: phases };
    // The counter marks its one load (ASSIST_PHASES, src/obs/phases.ts); the package's own modules
    // (its ranks, the fallback when the built table is missing) must not load at all.
    const tokenizerLoaded = (stderr: string): boolean => {
      const chunks = bundleContents();
      const packageLoaded =
        vendorScriptsRun(stderr).some((f) => f.startsWith('vendor-gpt-tokenizer')) ||
        readFileSync(trace, 'utf8')
          .split('\n')
          .filter(Boolean)
          .some((url) => (url.includes('/dist/bundle/') ? (chunks.get(basename(new URL(url).pathname)) ?? []) : [new URL(url).pathname]).some((i) => i.includes('node_modules/gpt-tokenizer/')));
      expect(packageLoaded).toBe(false);
      const lines = existsSync(phases) ? readFileSync(phases, 'utf8').split('\n').filter(Boolean) : [];
      rmSync(phases, { force: true });
      return lines.some((l) => (JSON.parse(l) as { marks: { name: string }[] }).marks.some((m) => m.name === 'tokenizer.loaded'));
    };
    // Each request twice: the first run builds and stores the repo map for it (counting its
    // sections, which loads the tokenizer); the second reuses it, so only the chunks can need one.
    server.defaultReply = reply.text('Nothing to change.');
    const twice = async (request: string): Promise<boolean> => {
      await runCli(['run', '-m', request], { cwd: repo.dir, env });
      writeFileSync(trace, '');
      rmSync(phases, { force: true });
      const r = await runCli(['run', '-m', request], { cwd: repo.dir, env });
      expect(r.code, r.stderr).toBe(5);
      return tokenizerLoaded(r.stderr);
    };
    expect(await twice('bump the state')).toBe(false);
    // A request whose search finds chunks: they are fitted by exact count. Their counts are kept
    // (chunk-token-counts.json), so the second run of the same request fits them without loading it.
    expect(await twice('how is the invoice total computed?')).toBe(false);
    expect(JSON.stringify(server.requests.at(-1)!.messages)).toContain('computeInvoiceTotal');
    // Without the kept counts the chunks alone load it (the map's sections are all counted).
    rmSync(join(repo.dir, '.git', 'assist', 'chunk-token-counts.json'));
    writeFileSync(trace, '');
    rmSync(phases, { force: true });
    const uncounted = await runCli(['run', '-m', 'how is the invoice total computed?'], { cwd: repo.dir, env });
    expect(uncounted.code).toBe(5);
    expect(tokenizerLoaded(uncounted.stderr)).toBe(true);
    expect(JSON.stringify(server.requests.at(-1)!.messages)).toContain('computeInvoiceTotal');
  });
});

describe('stdin is made on first use', () => {
  // A preload that reports each read of `process.stdin` (Node builds the stream on the first one).
  const traced = (repo: { dir: string; home: string; env: NodeJS.ProcessEnv }, args: string[]): { status: number | null; stderr: string } => {
    const trap = join(repo.home, 'stdin-trap.cjs');
    writeFileSync(trap, "const own = Object.getOwnPropertyDescriptor(process, 'stdin');\nObject.defineProperty(process, 'stdin', { configurable: true, get() { require('node:fs').writeSync(2, 'STDIN MADE\\n'); return own.get.call(process); } });\n");
    const r = spawnSync(process.execPath, ['--require', trap, ...args], { cwd: repo.dir, env: repo.env, encoding: 'utf8', input: '' });
    return { status: r.status, stderr: r.stderr };
  };

  it('`assist map` and `assist search` never read it; a command that takes input does (the trap can fail)', () => {
    const repo = tempRepo({ files: { 'src/a.ts': 'export function alpha(): number {\n  return 1;\n}\n' } });
    try {
      for (const args of [['map', '--tokens', '256'], ['search', 'alpha']]) {
        const r = traced(repo, [cliPath, ...args]);
        expect([args[0], r.status, r.stderr]).toEqual([args[0], 0, expect.not.stringContaining('STDIN MADE')]);
      }
      expect(traced(repo, ['-e', 'process.stdin']).stderr).toContain('STDIN MADE');
    } finally {
      repo.cleanup();
    }
  });
});
