// The one-file CLI's V8 code cache (src/cli/code-cache.ts, bin/assist.js): written after the
// first run, used by the next, never read from a folder another user could have written, and a
// damaged cache only costs one rewrite; the same for the SDK's own file (dist/bundle/vendor-openai.cjs),
// run through a vm.Script with a cache of its own. ASSIST_CODE_CACHE_DEBUG=1 makes the loader say
// what it did.
import { chmodSync, mkdirSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo, type TempRepo } from '../helpers/git-repo.js';
import { runCli, type CliResult } from '../helpers/run-cli.js';
import { reply, startFakeLlm, type FakeLlmServer } from '../fake-llm/index.js';

interface Turn {
  result: CliResult;
  state: string | undefined;
  file: string | undefined;
  /** The OpenAI SDK's CommonJS file's cache: what happened to it, and its path. */
  sdk: { state: string | undefined; file: string | undefined };
}

async function turn(repo: TempRepo, server: FakeLlmServer, cacheDir: string, extra: NodeJS.ProcessEnv = {}): Promise<Turn> {
  server.enqueue(reply.text('Nothing to change.'));
  const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CODE_CACHE_DIR: cacheDir, ASSIST_CODE_CACHE_DEBUG: '1', ...extra };
  const result = await runCli(['run', '-m', 'what is in a.txt?'], { cwd: repo.dir, env });
  const match = /^assist code cache: (\S+)(?: (\S+))?$/m.exec(result.stderr);
  const sdk = /^assist code cache \(vendor-openai\.cjs\): (\S+)(?: (\S+))?$/m.exec(result.stderr);
  return { result, state: match?.[1], file: match?.[2], sdk: { state: sdk?.[1], file: sdk?.[2] } };
}

/** A repository whose repo map is built: every turn in it is a warm one (bin/assist.js sets --liftoff-only for those, a key of its own). */
async function warmRepo(server: FakeLlmServer): Promise<TempRepo> {
  const repo = tempRepo({ files: { 'a.txt': 'one\n' } });
  const first = await turn(repo, server, join(repo.home, 'warm-up-cache'));
  expect(first.result.code, first.result.stderr).toBe(5);
  return repo;
}

/** stderr without the loader's debug line: what a person would see. */
/** Overwrites the first 64 bytes of a cache file; returns what was written. */
function damageHead(file: string): Buffer {
  const bad = Buffer.from(readFileSync(file));
  bad.fill(0x5a, 0, 64);
  writeFileSync(file, bad);
  return bad;
}

const shown = (r: CliResult): string => r.stderr.replace(/^assist code cache[ :(].*\n/gm, '');

describe('the code cache of the one-file CLI', () => {
  it('is written 0600 in a 0700 folder by the first run and accepted by the second; nothing else is printed', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'a.txt': 'one\n' } });
    const cacheDir = join(repo.home, 'cache', 'assist');
    // A first turn (it builds the repo map) under V8's default flags.
    const cold = await turn(repo, server, cacheDir);
    expect(cold.result.code, cold.result.stderr).toBe(5);
    expect(cold.state).toBe('missing');
    expect(cold.file).not.toMatch(/liftoff/);
    // A warm turn runs under --liftoff-only: a cache of its own, or each would reject the other's.
    const first = await turn(repo, server, cacheDir);
    expect(first.result.code, first.result.stderr).toBe(5);
    expect(first.state).toBe('missing');
    expect(first.file).toMatch(/-run-liftoff-only\.bin$/);
    expect(first.file?.startsWith(`${cacheDir}/main-`)).toBe(true);
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
    expect(statSync(first.file!).mode & 0o777).toBe(0o600);
    expect(statSync(first.file!).size).toBeGreaterThan(100_000);
    // The SDK's file has its own, keyed by that file's hash, the command and the flags.
    expect(first.sdk.state).toBe('missing');
    expect(first.sdk.file).toMatch(new RegExp(`^${cacheDir}/vendor-openai-[0-9a-f]{16}-${process.version}-${process.arch}-run-liftoff-only\\.bin$`));
    expect(statSync(first.sdk.file!).mode & 0o777).toBe(0o600);
    expect(statSync(first.sdk.file!).size).toBeGreaterThan(10_000);
    // No ExperimentalWarning or any other line of the loader's.
    expect(shown(first.result)).not.toMatch(/warning|cache/i);

    const second = await turn(repo, server, cacheDir);
    expect(second.result.code, second.result.stderr).toBe(5);
    expect(second.state).toBe('accepted');
    expect(second.sdk).toEqual({ state: 'accepted', file: first.sdk.file });
    expect(shown(second.result)).toBe(shown(first.result));
    expect(second.result.stdout).toBe(first.result.stdout);
    // One file, no temp files left behind.
    expect(readdirSync(cacheDir).filter((n) => n.startsWith('main-')).sort()).toEqual([cold.file!, first.file!].map((f) => f.slice(cacheDir.length + 1)).sort());
    expect(readdirSync(cacheDir).filter((n) => n.startsWith('vendor-')).sort()).toEqual([cold.sdk.file!, first.sdk.file!].map((f) => f.slice(cacheDir.length + 1)).sort());
    expect(readdirSync(cacheDir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('`config list`, `log` and `chat` keep caches of their own; help screens keep the ES chunks', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'one\n' } });
    const cacheDir = join(repo.home, 'cache');
    const env = { ...repo.env, ASSIST_CODE_CACHE_DIR: cacheDir, ASSIST_CODE_CACHE_DEBUG: '1', ASSIST_MODEL: 'openai/gpt-4.1', OPENAI_API_KEY: 'unused' };
    const state = async (args: string[], input?: string): Promise<string | undefined> => /^assist code cache: (\S+)/m.exec((await runCli(args, { cwd: repo.dir, env, input })).stderr)?.[1];
    expect(await state(['config', 'list'])).toBe('missing');
    expect(await state(['config', 'list'])).toBe('accepted');
    // Node started with other V8 flags: a file of its own, not a rejection and rewrite on each switch.
    const big = { ...env, NODE_OPTIONS: '--max-old-space-size=3000' };
    const other = async (): Promise<string | undefined> => /^assist code cache: (\S+)/m.exec((await runCli(['config', 'list'], { cwd: repo.dir, env: big })).stderr)?.[1];
    expect(await other()).toBe('missing');
    expect(await other()).toBe('accepted');
    expect(await state(['config', 'list'])).toBe('accepted');
    expect(await state(['log'])).toBe('missing');
    expect(await state(['chat'], '/exit\n')).toBe('missing');
    expect(await state(['chat'], '/exit\n')).toBe('accepted');
    expect(await state(['--help'])).toBeUndefined();
    expect(await state(['run', '--help'])).toBeUndefined();
    expect(await state(['config', 'get', 'model'])).toBeUndefined();
    const names = readdirSync(cacheDir).map((n) => n.replace(`-${process.version}-${process.arch}-`, ' ').replace(/^main-[0-9a-f]+ /, '').replace(/^(vendor-[a-z-]+)-[0-9a-f]{16} /, '$1 ').replace(/node[0-9a-f]{8}/, 'node'));
    // `chat` builds its provider as it starts: the SDK's file is run, with a cache for `chat`.
    expect(names.sort()).toEqual(['chat.bin', 'config-list-node.bin', 'config-list.bin', 'log.bin', 'vendor-openai chat.bin']);
  });

  it('a damaged cache is rejected and rewritten, without an error or output', async () => {
    await using server = await startFakeLlm();
    await using repo = await warmRepo(server);
    const cacheDir = join(repo.home, 'cache', 'assist');
    const first = await turn(repo, server, cacheDir);
    expect(first.state).toBe('missing');
    const bad = damageHead(first.file!);
    const damaged = await turn(repo, server, cacheDir);
    expect(damaged.result.code, damaged.result.stderr).toBe(5);
    expect(damaged.state).toBe('rejected');
    expect(shown(damaged.result)).toBe(shown(first.result));
    expect(readFileSync(first.file!).subarray(0, 64).equals(bad.subarray(0, 64))).toBe(false);
    expect((await turn(repo, server, cacheDir)).state).toBe('accepted');
  });

  it("a damaged or foreign cache of the SDK's file is rejected and rewritten, without an error or output", async () => {
    await using server = await startFakeLlm();
    await using repo = await warmRepo(server);
    const cacheDir = join(repo.home, 'cache', 'assist');
    const first = await turn(repo, server, cacheDir);
    expect(first.sdk.state).toBe('missing');
    const bad = damageHead(first.sdk.file!);
    const damaged = await turn(repo, server, cacheDir);
    expect(damaged.result.code, damaged.result.stderr).toBe(5);
    expect(damaged.state).toBe('accepted');
    expect(damaged.sdk.state).toBe('rejected');
    expect(shown(damaged.result)).toBe(shown(first.result));
    expect(readFileSync(first.sdk.file!).subarray(0, 64).equals(bad.subarray(0, 64))).toBe(false);
    expect((await turn(repo, server, cacheDir)).sdk.state).toBe('accepted');
    // Another script's cache under its name (the one-file's, made by this V8 with these flags): V8
    // checks the source it was made for.
    writeFileSync(first.sdk.file!, readFileSync(first.file!));
    const foreign = await turn(repo, server, cacheDir);
    expect(foreign.result.code, foreign.result.stderr).toBe(5);
    expect(foreign.sdk.state).toBe('rejected');
    expect(shown(foreign.result)).toBe(shown(first.result));
    expect((await turn(repo, server, cacheDir)).sdk.state).toBe('accepted');
  });

  it("a new cache's write removes other builds' caches not written for a day, never this build's", async () => {
    await using server = await startFakeLlm();
    await using repo = await warmRepo(server);
    const cacheDir = join(repo.home, 'cache', 'assist');
    const first = await turn(repo, server, cacheDir);
    expect(first.sdk.state).toBe('missing');
    const name = (f: string): string => f.slice(cacheDir.length + 1);
    // This build's caches of other commands, two days old (accepted caches are never rewritten).
    const mainHash = /^main-([0-9a-f]+)-/.exec(name(first.file!))![1]!;
    const sdkHash = /^vendor-openai-([0-9a-f]+)-/.exec(name(first.sdk.file!))![1]!;
    const old = (Date.now() - 2 * 24 * 3600 * 1000) / 1000;
    const planted = {
      mine: [`main-${mainHash}-${process.version}-${process.arch}-log.bin`, `vendor-openai-${sdkHash}-${process.version}-${process.arch}-chat.bin`],
      other: [`main-0123456789abcdef-${process.version}-${process.arch}-run.bin`, `vendor-openai-fedcba9876543210-${process.version}-${process.arch}-run.bin`],
    };
    for (const n of [...planted.mine, ...planted.other]) {
      writeFileSync(join(cacheDir, n), 'x', { mode: 0o600 });
      utimesSync(join(cacheDir, n), old, old);
    }
    // A `config list` writes its first cache: the cleanup runs.
    const r = await runCli(['config', 'list'], { cwd: repo.dir, env: { ...repo.env, ASSIST_CODE_CACHE_DIR: cacheDir, ASSIST_CODE_CACHE_DEBUG: '1' } });
    expect(r.stderr).toMatch(/^assist code cache: missing /m);
    const left = readdirSync(cacheDir);
    for (const n of planted.mine) expect(left).toContain(n);
    for (const n of planted.other) expect(left).not.toContain(n);
  });

  it('a folder others can write to is neither read nor written', async () => {
    await using server = await startFakeLlm();
    await using repo = await warmRepo(server);
    const cacheDir = join(repo.home, 'shared-cache');
    const first = await turn(repo, server, cacheDir);
    expect(first.state).toBe('missing');
    // A cache planted where a second user could have written it: the same bytes, not read.
    chmodSync(cacheDir, 0o777);
    const planted = await turn(repo, server, cacheDir);
    expect(planted.result.code, planted.result.stderr).toBe(5);
    expect(planted.state).toBe('unsafe');
    expect(planted.sdk.state).toBe('unsafe');
    expect(shown(planted.result)).toBe(shown(first.result));
    chmodSync(cacheDir, 0o700);
    expect((await turn(repo, server, cacheDir)).state).toBe('accepted');
  });

  it('a cache file others can write to is not read, and ASSIST_CODE_CACHE=0 leaves the one-file CLI aside', async () => {
    await using server = await startFakeLlm();
    await using repo = await warmRepo(server);
    const cacheDir = join(repo.home, 'c');
    mkdirSync(cacheDir, { mode: 0o700 });
    const first = await turn(repo, server, cacheDir);
    chmodSync(first.file!, 0o666);
    // Not trusted, so it is as if missing: rewritten by this user, 0600 again.
    expect((await turn(repo, server, cacheDir)).state).toBe('missing');
    expect(statSync(first.file!).mode & 0o777).toBe(0o600);
    const off = await turn(repo, server, cacheDir, { ASSIST_CODE_CACHE: '0' });
    expect(off.result.code, off.result.stderr).toBe(5);
    expect(off.state).toBeUndefined();
    expect(off.sdk.state).toBeUndefined();
  });

  it('`map` and `search` run their fast paths from the context one-file and its cache; a form they do not take goes on to main.cjs, and leaves the context cache unwritten', async () => {
    await using repo = tempRepo({ files: { 'src/shapes.ts': 'export function area(w: number, h: number): number {\n  return w * h;\n}\n' } });
    const cacheDir = join(repo.home, 'cache');
    const env = { ...repo.env, ASSIST_CODE_CACHE_DIR: cacheDir, ASSIST_CODE_CACHE_DEBUG: '1' };
    const loads = (r: CliResult): Array<{ state: string; file: string }> => [...r.stderr.matchAll(/^assist code cache: (\S+) (\S+)$/gm)].map((m) => ({ state: m[1]!, file: m[2]! }));
    const name = (file: string): string => file.slice(file.lastIndexOf('/') + 1);
    // A form the fast path does not take, first: main.cjs owns the usage error, and the context
    // one-file, which handed it on, writes no cache (it would hold none of the map's code).
    const bad = await runCli(['map', '--no-such-flag'], { cwd: repo.dir, env });
    expect(bad.code).toBe(2);
    expect(shown(bad)).toMatch(/no-such-flag|Unsupported option/i);
    expect(loads(bad).map((l) => [l.state, name(l.file).split('-')[0]])).toEqual([
      ['missing', 'context'],
      ['missing', 'main'],
    ]);
    expect(readdirSync(cacheDir).filter((f) => f.startsWith('context-'))).toEqual([]);
    const map1 = await runCli(['map', '--tokens', '512'], { cwd: repo.dir, env });
    expect(map1.code, map1.stderr).toBe(0);
    expect(map1.stdout).toContain('src/shapes.ts');
    expect(loads(map1)).toHaveLength(1);
    expect(loads(map1)[0]!.state).toBe('missing');
    expect(name(loads(map1)[0]!.file)).toMatch(/^context-.*-map\.bin$/);
    const map2 = await runCli(['map', '--tokens', '512'], { cwd: repo.dir, env });
    expect(loads(map2)).toEqual([{ state: 'accepted', file: loads(map1)[0]!.file }]);
    expect(map2.stdout).toBe(map1.stdout);
    const search1 = await runCli(['search', 'area of a shape'], { cwd: repo.dir, env });
    expect(search1.code, search1.stderr).toBe(0);
    expect(search1.stdout).toContain('src/shapes.ts:1-3');
    expect(name(loads(search1)[0]!.file)).toMatch(/^context-.*-search\.bin$/);
    expect(loads(await runCli(['search', 'area of a shape'], { cwd: repo.dir, env })).map((l) => l.state)).toEqual(['accepted']);
    // A changed file is parsed on this thread by tree-sitter run from its own CommonJS file (and its
    // cache): the map and the search show what it defines now.
    writeFileSync(join(repo.dir, 'src', 'shapes.ts'), 'export function area(w: number, h: number): number {\n  return w * h;\n}\n\nexport function perimeterOfRectangle(w: number, h: number): number {\n  return 2 * (w + h);\n}\n');
    const changed = await runCli(['map', '--json', '--tokens', '512'], { cwd: repo.dir, env });
    expect(changed.code, changed.stderr).toBe(0);
    expect((JSON.parse(changed.stdout) as { definitions: Array<{ name: string }> }).definitions.map((d) => d.name)).toEqual(expect.arrayContaining(['area', 'perimeterOfRectangle']));
    expect(changed.stderr).toMatch(/^assist code cache \(vendor-web-tree-sitter\.cjs\): (missing|accepted) /m);
    const found = await runCli(['search', '--json', 'perimeter of a rectangle'], { cwd: repo.dir, env });
    expect(found.code, found.stderr).toBe(0);
    expect((JSON.parse(found.stdout) as Array<{ file: string; text: string }>)[0]).toMatchObject({ file: 'src/shapes.ts', text: expect.stringContaining('2 * (w + h)') });
    // The usage error again: the context cache is there now and accepted, main.cjs's too.
    const again = await runCli(['map', '--no-such-flag'], { cwd: repo.dir, env });
    expect(again.code).toBe(2);
    expect(loads(again).map((l) => l.state)).toEqual(['accepted', 'accepted']);
    // A map the fast path hands on (a log file to open) runs in main.cjs, and the benchmarks' phase
    // record (ASSIST_PHASES) still gets one line for the process, with the map's marks in it.
    const phases = join(repo.home, 'phases.jsonl');
    const logged = await runCli([`--log-file=${join(repo.home, 'assist.log')}`, 'map', '--tokens', '512'], { cwd: repo.dir, env: { ...env, ASSIST_PHASES: phases } });
    expect(logged.code, logged.stderr).toBe(0);
    expect(loads(logged).map((l) => name(l.file).split('-')[0])).toEqual(['context', 'main']);
    const lines = readFileSync(phases, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect((JSON.parse(lines[0]!) as { marks: Array<{ name: string }> }).marks.map((m) => m.name)).toContain('map.start');
  });
});
