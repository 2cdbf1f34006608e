import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { prepareChangedParsersEarly } from '../context/changed-parsers.js';
import { LIST_ARGS, listSourceFiles } from '../context/git-files.js';
import { PREFETCH_KEY, takePrefetched, type Prefetched, type PrefetchedResult } from './prefetch.js';
import { REV_PARSE_ARGS, resolveRepoPaths } from './repo-paths.js';
import { Repo, VAR_ARGS } from './repo.js';

const slot = globalThis as unknown as Record<symbol, Prefetched[] | undefined>;

/** What bin/assist.js does for `assist map`, with process.env (as the entry point has it). */
function prefetch(cwd: string, commands: readonly (readonly string[])[]): void {
  slot[PREFETCH_KEY] = commands.map((args) => ({ cwd, args, result: alone(cwd, { ...process.env, GIT_OPTIONAL_LOCKS: '0' }, args) }));
}

afterEach(() => {
  delete slot[PREFETCH_KEY];
});

/** bin/git-pair.js: the entry point's two prefetched commands from one process start. */
const { gitPair } = createRequire(import.meta.url)('../../bin/git-pair.js') as {
  gitPair(cwd: string, env: NodeJS.ProcessEnv, first: readonly string[], second: readonly string[]): [Promise<PrefetchedResult>, Promise<PrefetchedResult>];
};

/** What execFile gives for `git <args>`, as the entry point ran it before. */
function alone(cwd: string, env: NodeJS.ProcessEnv, args: readonly string[]): Promise<PrefetchedResult> {
  return new Promise((resolve) => execFile('git', [...args], { cwd, env, encoding: 'utf8', maxBuffer: 1 << 30 }, (error, stdout, stderr) => resolve({ error, stdout, stderr })));
}

describe("the entry point's two git commands from one process start (bin/git-pair.js)", () => {
  // `git var -l` prints the committer's and author's ident with the current time: pinned, so the
  // pair's run and the lone run a second later print the same.
  const env = { ...process.env, GIT_OPTIONAL_LOCKS: '0', GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z', GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z' };
  const codeOf = (r: PrefetchedResult): unknown => (r.error === null ? 0 : (r.error as { code?: unknown }).code);

  it("gives each command's output as execFile does: the map's pair in a repository, NUL-separated output and quotes included", async () => {
    await using repo = tempRepo({ files: { "it's here.ts": 'export const a = 1;\n', 'src/b.ts': 'export const b = 2;\n' } });
    writeFileSync(join(repo.dir, 'src', 'b.ts'), 'export const b = 3;\n');
    writeFileSync(join(repo.dir, 'new file.ts'), 'export const c = 4;\n');
    for (const [first, second] of [
      [REV_PARSE_ARGS, LIST_ARGS],
      [REV_PARSE_ARGS, VAR_ARGS],
      // Arguments with a quote and spaces reach git as they are (rev-parse echoes them back).
      [['rev-parse', '--sq-quote', "it's a b", '$HOME', '`x`'], ['ls-files', '-z', '--full-name', '--', ":/it's here.ts"]],
    ] as const) {
      const [a, b] = await Promise.all(gitPair(join(repo.dir, 'src'), env, first, second));
      const [a1, b1] = await Promise.all([alone(join(repo.dir, 'src'), env, first), alone(join(repo.dir, 'src'), env, second)]);
      expect([a, b]).toEqual([a1, b1]);
      expect(a.error).toBeNull();
      expect(b.stdout.length).toBeGreaterThan(0);
    }
  });

  it("reports git's failure with git's exit code and message, for either command", async () => {
    const outside = mkdtempSync(join(tmpdir(), 'assist-pair-'));
    try {
      const [a, b] = await Promise.all(gitPair(outside, { ...env, GIT_CEILING_DIRECTORIES: tmpdir() }, REV_PARSE_ARGS, LIST_ARGS));
      const [a1, b1] = await Promise.all([alone(outside, { ...env, GIT_CEILING_DIRECTORIES: tmpdir() }, REV_PARSE_ARGS), alone(outside, { ...env, GIT_CEILING_DIRECTORIES: tmpdir() }, LIST_ARGS)]);
      expect([codeOf(a), codeOf(b)]).toEqual([128, 128]);
      expect([codeOf(a), codeOf(b)]).toEqual([codeOf(a1), codeOf(b1)]);
      expect(a.stderr).toBe(a1.stderr);
      expect(a.stderr).toMatch(/not a git repository/i);
      expect(b.stderr).toBe(b1.stderr);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
    // One fails, the other does not: each keeps its own outcome.
    await using repo = tempRepo({ files: { 'a.ts': 'export const a = 1;\n' } });
    const [ok, bad] = await Promise.all(gitPair(repo.dir, env, REV_PARSE_ARGS, ['rev-parse', '--verify', 'no-such-ref']));
    expect(ok.error).toBeNull();
    expect(ok.stdout.split('\n')[0]).toBe(repo.dir);
    expect(codeOf(bad)).toBe(128);
    expect(bad.stderr).toBe((await alone(repo.dir, env, ['rev-parse', '--verify', 'no-such-ref'])).stderr);
  });

  it('with no git on the PATH, reports what execFile reports (the shell\'s "not found" is not passed on)', async () => {
    await using repo = tempRepo({ files: { 'a.ts': 'export const a = 1;\n' } });
    const empty = mkdtempSync(join(tmpdir(), 'assist-nogit-'));
    try {
      const noGit = { ...env, PATH: empty };
      const [a, b] = await Promise.all(gitPair(repo.dir, noGit, REV_PARSE_ARGS, LIST_ARGS));
      expect([codeOf(a), codeOf(b)]).toEqual(['ENOENT', 'ENOENT']);
      expect(a.stderr).toBe('');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('git commands prefetched by the entry point', () => {
  it('bin/assist.js starts exactly the commands the map runs', () => {
    const bin = readFileSync(new URL('../../bin/assist.js', import.meta.url), 'utf8');
    const literal = /const MAP_GIT_COMMANDS = (\[[\s\S]*?\]);\n/.exec(bin)?.[1];
    expect(literal).toBeDefined();
    const commands = JSON.parse(literal!.replace(/'/g, '"').replace(/,(\s*\])/g, '$1')) as string[][];
    expect(commands).toEqual([REV_PARSE_ARGS, LIST_ARGS]);
  });

  it('bin/assist.js starts, for a turn, exactly the rev-parse and var -l the CLI and the store run', () => {
    const bin = readFileSync(new URL('../../bin/assist.js', import.meta.url), 'utf8');
    expect(bin).toContain("const RUN_GIT_COMMANDS = [MAP_GIT_COMMANDS[0], ['var', '-l']];");
    expect(VAR_ARGS).toEqual(['var', '-l']);
  });

  it('the store reads the config from a prefetched `git var -l`, and the same as from its own', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    repo.git('config', 'assist.probe', 'from-config');
    const own = await Repo.open(repo.dir, process.env);
    // (rev-parse is asked once per process per directory: the first open keeps its answer.)
    prefetch(repo.dir, [VAR_ARGS]);
    // The prefetched output is what is used: the config changes after it ran, and the store sees the earlier value.
    await (slot[PREFETCH_KEY] as Prefetched[])[0]!.result;
    repo.git('config', 'assist.probe', 'changed-later');
    const fromPrefetch = await Repo.open(repo.dir, process.env);
    expect(slot[PREFETCH_KEY]).toEqual([]);
    expect(fromPrefetch.configGet('assist.probe')).toBe('from-config');
    expect(own.configGet('assist.probe')).toBe('from-config');
    expect((await Repo.open(repo.dir, process.env)).configGet('assist.probe')).toBe('changed-later');
  });

  it('a prefetched answer is taken once, for the same directory, arguments and environment only', async () => {
    const fake: PrefetchedResult = { error: null, stdout: '/nowhere\n/nowhere/.git\n/nowhere/.git\n\n', stderr: '' };
    slot[PREFETCH_KEY] = [{ cwd: '/somewhere', args: REV_PARSE_ARGS, result: Promise.resolve(fake) }];
    expect(takePrefetched('/elsewhere', REV_PARSE_ARGS, undefined)).toBeUndefined();
    expect(takePrefetched('/somewhere', LIST_ARGS, undefined)).toBeUndefined();
    expect(takePrefetched('/somewhere', REV_PARSE_ARGS, { ...process.env })).toBeUndefined();
    // resolveRepoPaths takes it (the answer is the fake one: no git ran), and only once.
    const paths = await resolveRepoPaths('/somewhere');
    expect(paths.root).toBe('/nowhere');
    expect(slot[PREFETCH_KEY]).toEqual([]);
    expect(takePrefetched('/somewhere', REV_PARSE_ARGS, undefined)).toBeUndefined();
    // Asked again in this process, it is the answer resolveRepoPaths remembers (no git, no prefetch).
    expect(await resolveRepoPaths('/somewhere')).toEqual(paths);
  });

  it('a changed file\'s parser starts loading from the prefetched output, which is left for the map to take', async () => {
    await using repo = tempRepo({ files: { 'src/a.ts': 'export const a = 1;\n', 'src/b.py': 'def b():\n    pass\n' } });
    const stamp = join(repo.dir, '.git', 'stamp');
    writeFileSync(stamp, '');
    const early = (): Promise<string[]> => prepareChangedParsersEarly(repo.dir, process.env, (shared) => (shared === join(repo.dir, '.git', 'assist') ? stamp : '/nowhere'));
    expect(await early()).toEqual([]); // nothing prefetched: nothing to start from
    prefetch(repo.dir, [REV_PARSE_ARGS, LIST_ARGS]);
    expect(await early()).toEqual([]); // nothing changed
    repo.write('src/a.ts', 'export const a = 2;\n');
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(repo.dir, 'src/a.ts'), later, later);
    prefetch(repo.dir, [REV_PARSE_ARGS, LIST_ARGS]);
    expect(await early()).toEqual(['typescript']);
    // Both answers are still there for the map, which lists what its own git would.
    expect(slot[PREFETCH_KEY]).toHaveLength(2);
    const fromPrefetch = await listSourceFiles(repo.dir);
    expect(slot[PREFETCH_KEY]).toHaveLength(1);
    expect(fromPrefetch.files).toEqual((await listSourceFiles(repo.dir)).files);
    expect(fromPrefetch.hashed).toBe(1);
  });

  it('the map lists the same files from prefetched output as from its own git processes, and reports git failures alike', async () => {
    await using repo = tempRepo({ files: { 'src/a.ts': 'export const a = 1;\n', 'src/b.py': 'def b():\n    pass\n' } });
    repo.write('src/a.ts', 'export const a = 2;\n');
    repo.write('src/c.go', 'package c\n');
    const own = await listSourceFiles(repo.dir);
    prefetch(repo.dir, [REV_PARSE_ARGS, LIST_ARGS]);
    const paths = await resolveRepoPaths(repo.dir);
    const fromPrefetch = await listSourceFiles(repo.dir);
    expect(slot[PREFETCH_KEY]).toEqual([]);
    expect(paths.root).toBe(repo.dir);
    expect(fromPrefetch.files).toEqual(own.files);
    expect(fromPrefetch.files.map((f) => f.path)).toEqual(['src/a.ts', 'src/b.py', 'src/c.go']);

    await using outside = tempRepo({ noInit: true });
    prefetch(outside.dir, [REV_PARSE_ARGS]);
    await expect(resolveRepoPaths(outside.dir)).rejects.toMatchObject({ code: 'git.not-a-repository' });
  });
});
