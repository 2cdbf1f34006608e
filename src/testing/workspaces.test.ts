import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { parse as parseYaml } from 'yaml';
import { detectWorkspace, focusedCommand, goWorkUses, isWorkspace, packageOf, packagesTouched, plainPnpmPackages, selectTests, tomlArray, type Workspace } from './workspaces.js';

function fixture(files: Record<string, string>): { root: string; [Symbol.dispose](): void } {
  const root = mkdtempSync(join(tmpdir(), 'assist-ws-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return { root, [Symbol.dispose]: () => rmSync(root, { recursive: true, force: true }) };
}

const summary = (ws: Workspace): Array<[string, string | null, string | null]> => ws.packages.map((p) => [p.dir, p.command, p.framework]);
const json = (value: unknown): string => JSON.stringify(value);

describe('detectWorkspace', () => {
  it('npm workspaces: each package with its own framework and command; a package without tests has none', async () => {
    using t = fixture({
      'package.json': json({ name: 'mono', private: true, workspaces: ['packages/*', 'tools/cli'] }),
      'package-lock.json': '{}',
      'packages/a/package.json': json({ name: '@m/a', scripts: { test: 'vitest run' }, devDependencies: { vitest: '^4', 'fast-check': '^3' } }),
      'packages/b/package.json': json({ name: '@m/b', scripts: { test: 'node --test' } }),
      'packages/docs/package.json': json({ name: '@m/docs', scripts: { test: 'echo "Error: no test specified" && exit 1' } }),
      'packages/not-a-package/README.md': '#',
      'tools/cli/package.json': json({ name: 'cli', scripts: { test: 'jest' } }),
    });
    const ws = await detectWorkspace(t.root);
    expect(ws.kind).toBe('npm');
    expect(summary(ws)).toEqual([
      ['packages/a', 'npm test', 'vitest'],
      ['packages/b', 'npm test', 'node:test'],
      ['packages/docs', null, null],
      ['tools/cli', 'npm test', 'jest'],
    ]);
    expect(ws.packages[0]).toMatchObject({ name: '@m/a', manifest: 'packages/a/package.json', propertyLibrary: 'fast-check' });
  });

  it('pnpm (pnpm-workspace.yaml, with an exclusion) and yarn (workspaces.packages)', async () => {
    using p = fixture({
      'package.json': json({ name: 'mono' }),
      'pnpm-workspace.yaml': "packages:\n  - 'apps/*'\n  - '!apps/legacy'\n",
      'apps/web/package.json': json({ name: 'web', scripts: { test: 'mocha' } }),
      'apps/legacy/package.json': json({ name: 'legacy', scripts: { test: 'mocha' } }),
    });
    const pnpm = await detectWorkspace(p.root);
    expect(pnpm.kind).toBe('pnpm');
    expect(summary(pnpm)).toEqual([['apps/web', 'pnpm test', 'mocha']]);
    using y = fixture({
      'package.json': json({ name: 'mono', workspaces: { packages: ['libs/**'] } }),
      'yarn.lock': '',
      'libs/x/package.json': json({ name: 'x', scripts: { test: 'vitest' } }),
      'libs/group/y/package.json': json({ name: 'y', scripts: { test: 'jest --ci' } }),
    });
    const yarn = await detectWorkspace(y.root);
    expect(yarn.kind).toBe('yarn');
    expect(summary(yarn)).toEqual([
      ['libs/group/y', 'yarn test', 'jest'],
      ['libs/x', 'yarn test', 'vitest'],
    ]);
  });

  it('Cargo workspace members (globs, exclude, a root package), go.work, Mix umbrella, uv workspace', async () => {
    using c = fixture({
      'Cargo.toml': '[package]\nname = "top"\n\n[workspace]\nmembers = [\n  "crates/*", # all of them\n]\nexclude = ["crates/old"]\n',
      'crates/core/Cargo.toml': '[package]\nname = "core"\n\n[dev-dependencies]\nproptest = "1"\n',
      'crates/old/Cargo.toml': '[package]\nname = "old"\n',
    });
    const cargo = await detectWorkspace(c.root);
    expect(cargo.kind).toBe('cargo');
    expect(cargo.packages.map((p) => [p.dir, p.name, p.command])).toEqual([
      ['', 'top', 'cargo test'],
      ['crates/core', 'core', 'cargo test'],
    ]);
    expect(cargo.packages[1]!.propertyLibrary).toBe('proptest');

    using g = fixture({ 'go.work': 'go 1.22\n\nuse (\n\t./api\n\t./worker // jobs\n)\nuse ./tools\n', 'api/go.mod': 'module example.com/api\n', 'worker/go.mod': 'module example.com/worker\n', 'tools/go.mod': 'module example.com/tools\n' });
    const go = await detectWorkspace(g.root);
    expect(go.kind).toBe('go');
    expect(go.packages.map((p) => [p.dir, p.name, p.command, p.framework])).toEqual([
      ['api', 'example.com/api', 'go test ./...', 'go test'],
      ['tools', 'example.com/tools', 'go test ./...', 'go test'],
      ['worker', 'example.com/worker', 'go test ./...', 'go test'],
    ]);

    using m = fixture({
      'mix.exs': 'defmodule Shop.Umbrella.MixProject do\n  def project, do: [apps_path: "apps", version: "0.1.0"]\nend\n',
      'apps/billing/mix.exs': 'def project, do: [app: :billing]\ndefp deps, do: [{:stream_data, "~> 1.0", only: :test}]\n',
      'apps/web/mix.exs': 'def project, do: [app: :web]\n',
    });
    const mix = await detectWorkspace(m.root);
    expect(mix.kind).toBe('mix');
    expect(mix.packages.map((p) => [p.dir, p.name, p.command, p.framework, p.propertyLibrary ?? null])).toEqual([
      ['apps/billing', 'billing', 'mix test', 'exunit', 'stream_data'],
      ['apps/web', 'web', 'mix test', 'exunit', null],
    ]);

    using u = fixture({
      'pyproject.toml': '[project]\nname = "root"\n\n[tool.uv.workspace]\nmembers = ["packages/*"]\n',
      'uv.lock': '',
      'packages/calc/pyproject.toml': '[project]\nname = "calc"\ndependencies = ["hypothesis>=6"]\n',
    });
    const uv = await detectWorkspace(u.root);
    expect(uv.kind).toBe('uv');
    expect(uv.packages.map((p) => [p.dir, p.name, p.command, p.framework, p.propertyLibrary ?? null])).toEqual([
      ['', 'root', 'uv run pytest', 'pytest', null],
      ['packages/calc', 'calc', 'uv run pytest', 'pytest', 'hypothesis'],
    ]);
  });

  it('a repository that is not a workspace is one package; nothing known is none', async () => {
    using a = fixture({ 'pyproject.toml': '[project]\nname = "calc"\n[tool.pytest.ini_options]\n' });
    expect(summary(await detectWorkspace(a.root))).toEqual([['', 'pytest', 'pytest']]);
    using b = fixture({ 'package.json': json({ name: 'x', scripts: { test: 'vitest run --coverage' } }), 'pnpm-lock.yaml': '' });
    expect(await detectWorkspace(b.root)).toMatchObject({ kind: 'single', packages: [{ dir: '', command: 'pnpm test', framework: 'vitest' }] });
    using c = fixture({ 'go.mod': 'module m\n' });
    expect(summary(await detectWorkspace(c.root))).toEqual([['', 'go test ./...', 'go test']]);
    using d = fixture({ 'README.md': '#' });
    expect(await detectWorkspace(d.root)).toEqual({ kind: 'none', packages: [] });
  });
});

describe('packages a change touches, and focused commands', () => {
  const ws: Workspace = {
    kind: 'npm',
    packages: [
      { dir: 'packages/a', name: 'a', manifest: 'packages/a/package.json', command: 'npm test', framework: 'vitest' },
      { dir: 'packages/ab', name: 'ab', manifest: 'packages/ab/package.json', command: 'npm test', framework: 'node:test' },
    ],
  };

  it('maps paths to their package by folder (not by name prefix); a path outside every package touches all', () => {
    expect(packageOf(ws, 'packages/ab/src/x.ts')?.name).toBe('ab');
    expect(packageOf(ws, 'packages/a/src/x.ts')?.name).toBe('a');
    expect(packageOf(ws, 'README.md')).toBeNull();
    expect(packagesTouched(ws, ['packages/a/src/x.ts', 'packages/a/y.ts']).map((p) => p.name)).toEqual(['a']);
    expect(packagesTouched(ws, ['packages/a/src/x.ts', 'tsconfig.base.json']).map((p) => p.name)).toEqual(['a', 'ab']);
    expect(packagesTouched(ws, [])).toEqual([]);
  });

  it('runs one file with the package framework, using the hoisted binary when the package has none', () => {
    using t = fixture({ 'node_modules/.bin/vitest': '' });
    expect(focusedCommand(ws.packages[0]!, ['src/x.test.ts'], t.root)).toBe('../../node_modules/.bin/vitest run src/x.test.ts');
    expect(focusedCommand(ws.packages[1]!, ['test/my file.test.js'], t.root)).toBe("node --test 'test/my file.test.js'");
    expect(focusedCommand({ ...ws.packages[0]!, framework: 'go test' }, ['pricing/pricing_test.go'], t.root)).toBe('go test ./pricing');
    expect(focusedCommand({ ...ws.packages[0]!, framework: 'pytest', command: 'uv run pytest' }, ['tests/test_x.py'], t.root)).toBe('uv run pytest tests/test_x.py');
    expect(focusedCommand({ ...ws.packages[0]!, framework: 'cargo test' }, ['tests/x.rs'], t.root)).toBeNull();
  });

  it('parses TOML arrays over lines and go.work use forms', () => {
    expect(tomlArray('[workspace]\nmembers = ["a", \'b\']\n[other]\nmembers = ["c"]\n', 'workspace', 'members')).toEqual(['a', 'b']);
    expect(goWorkUses('use ./one\nuse (\n  "./two"\n  three/\n)\n')).toEqual(['one', 'three', 'two']);
  });
});

describe('selectTests: which commands a change runs', () => {
  const ws: Workspace = {
    kind: 'npm',
    packages: [
      { dir: 'packages/a', name: 'a', manifest: 'packages/a/package.json', command: 'npm test', framework: null },
      { dir: 'packages/b', name: 'b', manifest: 'packages/b/package.json', command: 'npm test', framework: null },
      { dir: 'packages/docs', name: 'docs', manifest: 'packages/docs/package.json', command: null, framework: null },
      { dir: 'tools/my tool', name: 'tool', manifest: 'tools/my tool/package.json', command: 'yarn test', framework: null },
    ],
  };
  const dirs = (scope: Parameters<typeof selectTests>[2], root: string | null = null): string[] | undefined => selectTests(ws, root, scope)?.runs.map((r) => r.dir);

  it('runs only the package of the edited files, in its folder', () => {
    expect(selectTests(ws, null, { paths: ['packages/a/src/x.ts', 'packages/a/y.ts'] })).toEqual({ runs: [{ dir: 'packages/a', name: 'a', command: 'npm test' }], command: 'cd packages/a && npm test' });
    expect(dirs({ paths: ['packages/b/index.js', 'packages/a/x.js'] })).toEqual(['packages/a', 'packages/b']);
    expect(dirs({ paths: ['./packages/b/'] })).toEqual(['packages/b']);
  });

  it('a file outside every package: the root command when there is one, else every package', () => {
    expect(dirs({ paths: ['README.md', 'packages/b/x.js'] }, 'npm test')).toEqual(['', 'packages/b']);
    expect(dirs({ paths: ['README.md'] })).toEqual(['packages/a', 'packages/b', 'tools/my tool']);
    // A package whose manifest names no test: as a file outside.
    expect(dirs({ paths: ['packages/docs/readme.md'] }, 'make test')).toEqual(['']);
  });

  it('a folder holding packages runs those; all (or no path) runs every package with a command', () => {
    expect(dirs({ paths: ['packages'] })).toEqual(['packages/a', 'packages/b']);
    expect(dirs({ all: true }, 'npm test')).toEqual(['packages/a', 'packages/b', 'tools/my tool']);
    expect(dirs({ paths: [] })).toEqual(['packages/a', 'packages/b', 'tools/my tool']);
    expect(selectTests({ kind: 'npm', packages: [ws.packages[2]!] }, null, { all: true })).toBeNull();
    expect(isWorkspace(ws)).toBe(true);
    expect(isWorkspace({ kind: 'single', packages: [ws.packages[0]!] })).toBe(false);
  });

  it('the shell line runs every package even when one fails, and exits non-zero when any did', () => {
    using t = fixture({ 'a/x': '', 'my b/x': '' });
    const failing = selectTests(
      { kind: 'npm', packages: [
        { dir: 'a', name: 'a', manifest: 'a/package.json', command: 'echo ran-a; exit 3', framework: null },
        { dir: 'my b', name: 'b', manifest: 'my b/package.json', command: 'echo ran-b $(basename "$PWD")', framework: null },
      ] },
      null,
      { all: true },
    )!;
    expect(failing.command).toBe("s=0; (cd a && echo ran-a; exit 3) || s=1; (cd 'my b' && echo ran-b $(basename \"$PWD\")) || s=1; exit $s");
    let out = '';
    let code = 0;
    try {
      out = execFileSync('/bin/sh', ['-c', failing.command], { cwd: t.root, encoding: 'utf8' });
    } catch (error) {
      const e = error as { status: number; stdout: string };
      code = e.status;
      out = e.stdout;
    }
    expect(code).toBe(1);
    expect(out).toBe('ran-a\nran-b my b\n');
  });
});

describe('plainPnpmPackages', () => {
  // What detectWorkspace took from the YAML parser before: the `packages:` strings of a valid document.
  const byParser = (text: string): string[] => {
    try {
      const doc = parseYaml(text) as { packages?: unknown } | null;
      return Array.isArray(doc?.packages) ? doc.packages.filter((p): p is string => typeof p === 'string') : [];
    } catch {
      return [];
    }
  };

  it("reads the plain form as the parser does, vitest's file included", () => {
    const docs = [
      "packages:\n  - 'apps/*'\n  - '!apps/legacy'\n",
      'packages:\n- docs\n- packages/*\n',
      'catalogMode: prefer\n\ncleanupUnusedCatalogs: true\nminimumReleaseAgeExclude:\n  - tinybench@6.1.3\ntrustPolicyExclude:\n  - \'@wdio/types@9.29.1\'\n  - semver@6.3.1\npackages:\n  - docs\n  - packages/*\n  - examples/*\n  - test/e2e/dts/*\n  - test/e2e/fixtures/conditions-pkg\noverrides:\n  \'@types/node\': \'catalog:\'\n  \'@vitest/ui\': workspace:*\n  acorn: 8.11.3\n',
      '# the workspace\npackages: # ours\n  # first the apps\n  - "apps/*"   # web and cli\n\n  - libs/** # every lib\nonlyBuiltDependencies: [esbuild, sharp]\n',
      '\ufeffpackages:\r\n  - a\r\n  - b/*\r\n',
      'packages:\n',
      'nodeLinker: hoisted\n',
      'catalog:\n  react: ^18\n  "@types/node": ^20\npackages:\n    - x\n    - \'y z\'\n',
    ];
    for (const text of docs) {
      expect(plainPnpmPackages(text), text).toBeDefined();
      expect(plainPnpmPackages(text), text).toEqual(byParser(text));
    }
    expect(plainPnpmPackages(docs[2]!)).toEqual(['docs', 'packages/*', 'examples/*', 'test/e2e/dts/*', 'test/e2e/fixtures/conditions-pkg']);
  });

  it('leaves every other form to the parser, which reads these differently or not at all', () => {
    const others = [
      'packages: [apps/*, libs/*]\n',
      'packages:\n  - &a apps/*\n  - *a\n',
      'packages:\n  - 123\n  - true\n  - null\n',
      'packages:\n  - 1.5\n',
      'packages:\n  - a\n    - b\n',
      'packages:\n  - a\n   - b\n',
      'packages:\n\t- a\n',
      '---\npackages:\n  - a\n---\npackages:\n  - b\n',
      'packages:\n  - a\npackages:\n  - b\n',
      'note: "a long\npackages:\n  - hidden"\n',
      'note: [a,\npackages]\n',
      'packages:\n  - !tag a\n',
      'packages:\n  - \'it\'\'s\'\n',
      'packages:\n  - "a\\tb"\n',
      'packages:\n  - a: b\n',
      'note: |\n  text\npackages:\n  - a\n',
      '? packages\n: - a\n',
    ];
    for (const text of others) expect(plainPnpmPackages(text), text).toBeUndefined();
    // Where the parser can read them, detectWorkspace still gets the parser's answer.
    expect(byParser(others[0]!)).toEqual(['apps/*', 'libs/*']);
    expect(byParser(others[2]!)).toEqual([]);
    expect(byParser(others[9]!)).toEqual([]);
  });
});
