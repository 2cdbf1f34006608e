import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { delimiter, join, posix, relative, sep } from 'node:path';

/** A test framework assist knows how to run and to point at one file. */
export type FrameworkId = 'vitest' | 'jest' | 'mocha' | 'node:test' | 'pytest' | 'go test' | 'cargo test' | 'exunit';

/** What kind of repository layout gave the packages. */
export type WorkspaceKind = 'npm' | 'pnpm' | 'yarn' | 'cargo' | 'go' | 'mix' | 'uv' | 'single' | 'none';

/** One package of a repository: its folder, its manifest and how its tests run. */
export interface TestPackage {
  /** Repo-relative folder, `''` for the root; `/`-separated. */
  dir: string;
  name: string;
  /** Repo-relative manifest (`packages/a/package.json`, `go.mod`, `apps/web/mix.exs`). */
  manifest: string;
  /** The package's test command, run from `dir`; null when its manifest names none. */
  command: string | null;
  framework: FrameworkId | null;
  /** The property-based testing library the package already uses. */
  propertyLibrary?: 'fast-check' | 'hypothesis' | 'stream_data' | 'proptest' | 'rapid';
}

/** The packages of a repository (one, `single`, when it is not a workspace). */
export interface Workspace {
  kind: WorkspaceKind;
  packages: TestPackage[];
}

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

async function readJson(path: string): Promise<Record<string, unknown> | null> {
  const text = await readText(path);
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const join2 = (dir: string, file: string): string => (dir === '' ? file : `${dir}/${file}`);

/**
 * Expands workspace member patterns (`packages/*`, `crates/**`, `apps/web`) to folders holding
 * `manifest`, repo-relative and sorted. `!pattern` excludes; `**` goes four levels down at most.
 */
export function expandMembers(root: string, patterns: readonly string[], manifest: string): string[] {
  const found = new Set<string>();
  const excluded = new Set<string>();
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = raw.replace(/^!/, '').replace(/^\.\//, '').replace(/\/+$/, '');
    for (const dir of expandOne(root, pattern.split('/'), '', 0)) {
      if (!existsSync(join(root, dir, manifest))) continue;
      (negated ? excluded : found).add(dir);
    }
  }
  return [...found].filter((d) => !excluded.has(d)).sort();
}

function expandOne(root: string, parts: readonly string[], at: string, depth: number): string[] {
  if (parts.length === 0) return [at];
  const [head, ...rest] = parts as [string, ...string[]];
  const children = (): string[] => {
    try {
      return readdirSync(join(root, at)).filter((e) => e !== 'node_modules' && !e.startsWith('.') && statSync(join(root, at, e)).isDirectory());
    } catch {
      return [];
    }
  };
  if (head === '**') {
    const here = expandOne(root, rest, at, depth);
    if (depth >= 4) return here;
    return [...here, ...children().flatMap((c) => expandOne(root, parts, join2(at, c), depth + 1))];
  }
  if (head.includes('*')) {
    const re = new RegExp(`^${head.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    return children()
      .filter((c) => re.test(c))
      .flatMap((c) => expandOne(root, rest, join2(at, c), depth + 1));
  }
  return expandOne(root, rest, join2(at, head), depth);
}

/**
 * The repository's packages and each one's test command, from its own manifest (DESIGN §6
 * "Tests"): npm, pnpm and yarn workspaces, Cargo workspaces, `go.work`, Mix umbrella apps and uv
 * workspaces; otherwise the root alone.
 */
export async function detectWorkspace(root: string, env: NodeJS.ProcessEnv = process.env): Promise<Workspace> {
  const rootPkg = await readJson(join(root, 'package.json'));
  const manager = jsManager(root, rootPkg);
  // npm and yarn: `workspaces` in package.json (yarn classic also `{ packages: [...] }`); pnpm: pnpm-workspace.yaml.
  let jsPatterns: string[] | null = null;
  const ws = rootPkg?.['workspaces'];
  if (Array.isArray(ws)) jsPatterns = ws.filter((p): p is string => typeof p === 'string');
  else if (ws && typeof ws === 'object' && Array.isArray((ws as { packages?: unknown }).packages)) jsPatterns = ((ws as { packages: unknown[] }).packages).filter((p): p is string => typeof p === 'string');
  const pnpmYaml = await readText(join(root, 'pnpm-workspace.yaml'));
  if (pnpmYaml !== null) jsPatterns = await pnpmPackages(pnpmYaml);
  if (jsPatterns && jsPatterns.length > 0) {
    const dirs = expandMembers(root, jsPatterns, 'package.json');
    const packages = await Promise.all(dirs.map((d) => jsPackage(root, d, manager)));
    return { kind: pnpmYaml !== null ? 'pnpm' : manager === 'yarn' ? 'yarn' : 'npm', packages };
  }

  const cargo = await readText(join(root, 'Cargo.toml'));
  if (cargo !== null && /^\s*\[workspace\]/m.test(cargo)) {
    const members = tomlArray(cargo, 'workspace', 'members');
    const excluded = tomlArray(cargo, 'workspace', 'exclude').map((e) => `!${e}`);
    const dirs = expandMembers(root, [...members, ...excluded], 'Cargo.toml');
    // A workspace root that is a package itself ([package] beside [workspace]) is one too.
    if (/^\s*\[package\]/m.test(cargo) && !dirs.includes('')) dirs.unshift('');
    return { kind: 'cargo', packages: await Promise.all(dirs.map((d) => cargoPackage(root, d))) };
  }

  const goWork = await readText(join(root, 'go.work'));
  if (goWork !== null) {
    const dirs = goWorkUses(goWork).filter((d) => existsSync(join(root, d, 'go.mod')));
    return { kind: 'go', packages: await Promise.all(dirs.map((d) => goPackage(root, d))) };
  }

  const mix = await readText(join(root, 'mix.exs'));
  const appsPath = mix !== null ? /apps_path:\s*"([^"]+)"/.exec(mix)?.[1] : undefined;
  if (appsPath !== undefined) {
    const dirs = expandMembers(root, [`${appsPath}/*`], 'mix.exs');
    return { kind: 'mix', packages: await Promise.all(dirs.map((d) => mixPackage(root, d))) };
  }

  const pyproject = await readText(join(root, 'pyproject.toml'));
  if (pyproject !== null && /^\s*\[tool\.uv\.workspace\]/m.test(pyproject)) {
    const members = tomlArray(pyproject, 'tool.uv.workspace', 'members');
    const excluded = tomlArray(pyproject, 'tool.uv.workspace', 'exclude').map((e) => `!${e}`);
    const dirs = expandMembers(root, [...members, ...excluded], 'pyproject.toml');
    if (/^\s*\[project\]/m.test(pyproject) && !dirs.includes('')) dirs.unshift('');
    return { kind: 'uv', packages: await Promise.all(dirs.map((d) => pythonPackage(root, d, env, true))) };
  }

  const single = await singlePackage(root, rootPkg, manager, cargo, mix, pyproject, env);
  return single ? { kind: 'single', packages: [single] } : { kind: 'none', packages: [] };
}

async function singlePackage(
  root: string,
  rootPkg: Record<string, unknown> | null,
  manager: string,
  cargo: string | null,
  mix: string | null,
  pyproject: string | null,
  env: NodeJS.ProcessEnv,
): Promise<TestPackage | null> {
  if (rootPkg) {
    const pkg = await jsPackage(root, '', manager);
    if (pkg.command !== null) return pkg;
  }
  if (mix !== null) return mixPackage(root, '');
  if (pyproject !== null || existsSync(join(root, 'pytest.ini')) || existsSync(join(root, 'setup.cfg'))) {
    const py = await pythonPackage(root, '', env, false);
    if (py.command !== null) return py;
  }
  if (existsSync(join(root, 'go.mod'))) return goPackage(root, '');
  if (cargo !== null) return cargoPackage(root, '');
  return rootPkg ? jsPackage(root, '', manager) : null;
}

function jsManager(root: string, pkg: Record<string, unknown> | null): string {
  const declared = typeof pkg?.['packageManager'] === 'string' ? /^(npm|pnpm|yarn|bun)@/.exec(pkg['packageManager'])?.[1] : undefined;
  if (declared) return declared;
  if (existsSync(join(root, 'pnpm-lock.yaml')) || existsSync(join(root, 'pnpm-workspace.yaml'))) return 'pnpm';
  if (existsSync(join(root, 'yarn.lock'))) return 'yarn';
  if (existsSync(join(root, 'bun.lockb')) || existsSync(join(root, 'bun.lock'))) return 'bun';
  return 'npm';
}

async function pnpmPackages(text: string): Promise<string[]> {
  const plain = plainPnpmPackages(text);
  if (plain !== undefined) return plain;
  const { parse } = await import('yaml');
  try {
    const doc = parse(text) as { packages?: unknown } | null;
    return Array.isArray(doc?.packages) ? doc.packages.filter((p): p is string => typeof p === 'string') : [];
  } catch {
    return [];
  }
}

const TOP_KEY = /^([A-Za-z_][\w.-]*):(?:[ \t]+(.*))?$/;
const ITEM = /^(\s*)-[ \t]+(?:'([^'\n]*)'|"([^"\\\n]*)"|([A-Za-z0-9_./][\w./*@+~!-]*))(?:[ \t]+#.*)?[ \t]*$/;
// Plain scalars the YAML core schema reads as something other than a string.
const NOT_A_STRING = /^(?:[-+]?(?:\d|\.\d|\.inf|\.nan)|(?:null|true|false|yes|no|on|off|y|n)$)/i;

/**
 * The `packages:` list of a pnpm-workspace.yaml written in the plain form pnpm documents (a
 * top-level block sequence of plain or quoted names, other top-level keys of one line each, or
 * indented below their key), read without the YAML parser: loading and running it was 25-40 ms of
 * a `map --json` in a pnpm workspace (docs/repo-map.md "Thirteenth session"). Undefined for
 * anything else (flow collections, anchors, tags, documents markers, tabs, a repeated key, a
 * value that may span lines at the left margin...), which the parser then reads. The one
 * difference from the parser: a file it rejects for an error below another key gives its packages
 * here (pnpm itself refuses such a file).
 */
export function plainPnpmPackages(text: string): string[] | undefined {
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split(/\r?\n/);
  const keys = new Set<string>();
  let packages: string[] | undefined;
  let itemIndent = -1;
  let inPackages = false;
  for (const line of lines) {
    if (line.includes('\t') && /^\s*\t/.test(line)) return undefined;
    if (/^\s*(?:#.*)?$/.test(line)) continue;
    if (inPackages) {
      const item = ITEM.exec(line);
      if (item) {
        if (itemIndent === -1) itemIndent = item[1]!.length;
        if (item[1]!.length !== itemIndent) return undefined;
        const plain = item[4];
        if (plain !== undefined && NOT_A_STRING.test(plain)) return undefined;
        packages!.push(item[2] ?? item[3] ?? plain!);
        continue;
      }
      if (line[0] === ' ') return undefined;
      inPackages = false;
    }
    if (line[0] === ' ') continue; // the value of the key above, on lines of its own
    const key = TOP_KEY.exec(line);
    if (!key || keys.has(key[1]!)) return undefined;
    keys.add(key[1]!);
    const value = (key[2] ?? '').trim();
    if (key[1] === 'packages') {
      if (value !== '' && !value.startsWith('#')) return undefined;
      packages = [];
      inPackages = true;
      continue;
    }
    // A value that may go on at the left margin (a quoted or flow one not closed on its line) is the parser's.
    if (/^['"[{]/.test(value) && !/^(?:'[^']*'|"[^"\\]*"|\[[^\]]*\]|\{[^}]*\})\s*(?:#.*)?$/.test(value)) return undefined;
    if (/^[&*!|>]/.test(value)) return undefined;
  }
  return packages ?? [];
}

const NPM_PLACEHOLDER = /no test specified/i;

async function jsPackage(root: string, dir: string, manager: string): Promise<TestPackage> {
  const pkg = (await readJson(join(root, dir, 'package.json'))) ?? {};
  const name = typeof pkg['name'] === 'string' ? pkg['name'] : dir === '' ? 'root' : posix.basename(dir);
  const scripts = (pkg['scripts'] && typeof pkg['scripts'] === 'object' ? pkg['scripts'] : {}) as Record<string, unknown>;
  const script = typeof scripts['test'] === 'string' && scripts['test'].trim() !== '' && !NPM_PLACEHOLDER.test(scripts['test']) ? scripts['test'] : null;
  const deps = new Set([...Object.keys(asRecord(pkg['dependencies'])), ...Object.keys(asRecord(pkg['devDependencies']))]);
  let framework: FrameworkId | null = null;
  const says = script ?? '';
  if (/\bvitest\b/.test(says)) framework = 'vitest';
  else if (/\bjest\b/.test(says)) framework = 'jest';
  else if (/\bmocha\b/.test(says)) framework = 'mocha';
  else if (/\bnode\b[^|&;]*--test\b/.test(says)) framework = 'node:test';
  else if (deps.has('vitest')) framework = 'vitest';
  else if (deps.has('jest') || deps.has('ts-jest')) framework = 'jest';
  else if (deps.has('mocha')) framework = 'mocha';
  const command = script === null ? null : manager === 'bun' ? 'bun run test' : `${manager} test`;
  return { dir, name, manifest: join2(dir, 'package.json'), command, framework, ...(deps.has('fast-check') || deps.has('@fast-check/vitest') ? { propertyLibrary: 'fast-check' as const } : {}) };
}

function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

async function cargoPackage(root: string, dir: string): Promise<TestPackage> {
  const text = (await readText(join(root, dir, 'Cargo.toml'))) ?? '';
  const name = tomlString(text, 'package', 'name') ?? (dir === '' ? 'root' : posix.basename(dir));
  return { dir, name, manifest: join2(dir, 'Cargo.toml'), command: 'cargo test', framework: 'cargo test', ...(/^\s*proptest\s*=/m.test(text) ? { propertyLibrary: 'proptest' as const } : {}) };
}

async function goPackage(root: string, dir: string): Promise<TestPackage> {
  const text = (await readText(join(root, dir, 'go.mod'))) ?? '';
  const name = /^module\s+(\S+)/m.exec(text)?.[1] ?? (dir === '' ? 'root' : posix.basename(dir));
  return { dir, name, manifest: join2(dir, 'go.mod'), command: 'go test ./...', framework: 'go test', ...(/pgregory\.net\/rapid/.test(text) ? { propertyLibrary: 'rapid' as const } : {}) };
}

async function mixPackage(root: string, dir: string): Promise<TestPackage> {
  const text = (await readText(join(root, dir, 'mix.exs'))) ?? '';
  const name = /app:\s*:(\w+)/.exec(text)?.[1] ?? (dir === '' ? 'root' : posix.basename(dir));
  return { dir, name, manifest: join2(dir, 'mix.exs'), command: 'mix test', framework: 'exunit', ...(/:stream_data\b/.test(text) ? { propertyLibrary: 'stream_data' as const } : {}) };
}

async function pythonPackage(root: string, dir: string, env: NodeJS.ProcessEnv, uv: boolean): Promise<TestPackage> {
  const pyproject = await readText(join(root, dir, 'pyproject.toml'));
  const setupCfg = await readText(join(root, dir, 'setup.cfg'));
  const name = (pyproject !== null ? (tomlString(pyproject, 'project', 'name') ?? tomlString(pyproject, 'tool.poetry', 'name')) : null) ?? (dir === '' ? 'root' : posix.basename(dir));
  const text = `${pyproject ?? ''}\n${setupCfg ?? ''}`;
  const pytest =
    /^\s*\[tool\.pytest(\.ini_options)?\]/m.test(text) || /["']pytest(?:[\s<>=!~;[\]"']|$)/m.test(text) || /^\s*pytest\s*=/m.test(text) || existsSync(join(root, dir, 'pytest.ini')) || /^\s*\[tool:pytest\]/m.test(text);
  let command: string | null = null;
  if (uv || existsSync(join(root, 'uv.lock'))) command = 'uv run pytest';
  else if (pytest) command = 'pytest';
  else if (pyproject !== null) command = `${!onPath('python', env) && onPath('python3', env) ? 'python3' : 'python'} -m pytest`;
  return { dir, name, manifest: join2(dir, pyproject !== null ? 'pyproject.toml' : 'setup.cfg'), command, framework: command === null ? null : 'pytest', ...(/\bhypothesis\b/.test(text) ? { propertyLibrary: 'hypothesis' as const } : {}) };
}

function onPath(program: string, env: NodeJS.ProcessEnv): boolean {
  for (const dir of (env['PATH'] ?? '').split(delimiter)) if (dir !== '' && existsSync(join(dir, program))) return true;
  return false;
}

/** The body of `[table]` in a TOML text (up to the next table header). */
function tomlTable(text: string, table: string): string | null {
  const header = new RegExp(`^\\s*\\[${table.replace(/\./g, '\\.')}\\]\\s*(?:#.*)?$`, 'm');
  const m = header.exec(text);
  if (!m) return null;
  const rest = text.slice(m.index + m[0].length);
  const next = /^\s*\[/m.exec(rest);
  return next ? rest.slice(0, next.index) : rest;
}

/** A string array of a TOML table (`members = ["crates/*", "tools/x"]`, over several lines too). */
export function tomlArray(text: string, table: string, key: string): string[] {
  const body = tomlTable(text, table);
  if (body === null) return [];
  const m = new RegExp(`^\\s*${key}\\s*=\\s*\\[([\\s\\S]*?)\\]`, 'm').exec(body);
  if (!m) return [];
  return [...(m[1] as string).replace(/#.*$/gm, '').matchAll(/"([^"]*)"|'([^']*)'/g)].map((x) => x[1] ?? x[2] ?? '');
}

function tomlString(text: string, table: string, key: string): string | null {
  const body = tomlTable(text, table);
  if (body === null) return null;
  return new RegExp(`^\\s*${key}\\s*=\\s*["']([^"']+)["']`, 'm').exec(body)?.[1] ?? null;
}

/** The folders of `use` directives in a go.work file (one-line and block forms). */
export function goWorkUses(text: string): string[] {
  const out: string[] = [];
  const clean = text.replace(/\/\/.*$/gm, '');
  for (const m of clean.matchAll(/^\s*use\s*\(([\s\S]*?)\)/gm)) for (const line of (m[1] as string).split('\n')) if (line.trim()) out.push(line.trim());
  for (const m of clean.matchAll(/^\s*use\s+([^\s(]+)\s*$/gm)) out.push(m[1] as string);
  return [...new Set(out.map((d) => d.replace(/^"|"$/g, '').replace(/^\.\/?/, '').replace(/\/+$/, '')))].sort();
}

/** The package a repo-relative path belongs to: the one with the deepest folder holding it. */
export function packageOf(workspace: Workspace, path: string): TestPackage | null {
  let best: TestPackage | null = null;
  for (const pkg of workspace.packages) {
    const inside = pkg.dir === '' || path === pkg.dir || path.startsWith(`${pkg.dir}/`);
    if (inside && (best === null || pkg.dir.length > best.dir.length)) best = pkg;
  }
  return best;
}

/**
 * The packages whose tests a change to `paths` calls for: each path's package. A path outside
 * every package (a root config file) in a workspace calls for them all.
 */
export function packagesTouched(workspace: Workspace, paths: readonly string[]): TestPackage[] {
  const touched = new Set<TestPackage>();
  for (const path of paths) {
    const pkg = packageOf(workspace, path);
    if (pkg === null) return [...workspace.packages];
    touched.add(pkg);
  }
  return workspace.packages.filter((p) => touched.has(p));
}

/**
 * A command that runs only `files` (relative to the package folder) with the package's framework,
 * for the mutation check; null when the framework has no such form (the package command is used).
 */
export function focusedCommand(pkg: TestPackage, files: readonly string[], root: string): string | null {
  const q = (s: string): string => (/^[\w./@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const list = files.map(q).join(' ');
  const local = (bin: string): string => {
    // The package's own install, else the workspace root's (hoisted), else npx.
    const from = join(root, pkg.dir);
    for (const base of [from, root]) {
      if (existsSync(join(base, 'node_modules', '.bin', bin))) return relative(from, join(base, 'node_modules', '.bin', bin)).split(sep).join('/');
    }
    return `npx --no-install ${bin}`;
  };
  switch (pkg.framework) {
    case 'vitest':
      return `${local('vitest')} run ${list}`;
    case 'jest':
      return `${local('jest')} ${list}`;
    case 'mocha':
      return `${local('mocha')} ${list}`;
    case 'node:test':
      return `node --test ${list}`;
    case 'pytest':
      return pkg.command === 'uv run pytest' ? `uv run pytest ${list}` : `${pkg.command ?? 'pytest'} ${list}`;
    case 'go test': {
      const dirs = [...new Set(files.map((f) => `./${posix.dirname(f)}`.replace(/\/\.$/, '')))];
      return `go test ${dirs.map(q).join(' ')}`;
    }
    case 'exunit':
      return `mix test ${list}`;
    default:
      return null;
  }
}

/** Whether a repository is a workspace of several packages (not a `single` or `none` layout). */
export function isWorkspace(workspace: Workspace): boolean {
  return workspace.kind !== 'single' && workspace.kind !== 'none' && workspace.packages.length > 0;
}

/** One command of a {@link TestSelection}: a package's (run in its folder) or the root's. */
export interface PackageTestRun {
  /** Repo-relative folder the command runs in, `''` for the root. */
  dir: string;
  /** The package's name, `root` for the root command. */
  name: string;
  /** The package's own command, as its manifest gives it. */
  command: string;
}

/** What tests a change calls for in a workspace: the commands and the one shell line running them all. */
export interface TestSelection {
  runs: PackageTestRun[];
  /** One `/bin/sh` line from the repository root: every run, each in its folder; exits non-zero when any failed. */
  command: string;
}

/** What to test: every package (`all`), or the packages of these repo-relative files or folders. */
export type TestScope = { all: true } | { paths: readonly string[] };

const shellQuote = (s: string): string => (/^[\w./@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The shell line that runs `runs` from the repository root, each in its folder, all of them even when one fails. */
export function selectionCommand(runs: readonly PackageTestRun[]): string {
  const one = (run: PackageTestRun): string => (run.dir === '' ? run.command : `cd ${shellQuote(run.dir)} && ${run.command}`);
  if (runs.length === 1) return one(runs[0] as PackageTestRun);
  // Every package runs, so the model sees all the failures at once; the exit says whether any failed.
  return `s=0; ${runs.map((r) => `(${one(r)}) || s=1`).join('; ')}; exit $s`;
}

/**
 * The test commands a change calls for in a workspace (DESIGN §6 "Tests"): each touched file's
 * package command, run in its folder. A file outside every package (or in one whose manifest names
 * no test command) calls for `rootCommand` when there is one, else for every package. A folder
 * path holding packages calls for those. `all`, or no path at all, is every package (the root
 * command only when no package has one). Null when nothing has a command.
 */
export function selectTests(workspace: Workspace, rootCommand: string | null, scope: TestScope): TestSelection | null {
  const tested = workspace.packages.filter((p): p is TestPackage & { command: string } => p.command !== null);
  const root: PackageTestRun | null = rootCommand === null ? null : { dir: '', name: 'root', command: rootCommand };
  const everything = (): PackageTestRun[] => (tested.length > 0 ? tested.map((p) => ({ dir: p.dir, name: p.name, command: p.command })) : root ? [root] : []);
  const paths = 'all' in scope ? [] : scope.paths.map((p) => p.replace(/^\.\//, '').replace(/\/+$/, '')).filter((p) => p !== '' && p !== '.');
  let runs: PackageTestRun[];
  if (paths.length === 0) {
    runs = everything();
  } else {
    const chosen = new Set<TestPackage>();
    let outside = false;
    for (const path of paths) {
      const pkg = packageOf(workspace, path);
      const below = pkg === null || pkg.dir === '' ? tested.filter((p) => p.dir !== '' && p.dir.startsWith(`${path}/`)) : [];
      if (below.length > 0) for (const p of below) chosen.add(p);
      else if (pkg !== null && pkg.command !== null) chosen.add(pkg);
      else outside = true;
    }
    const picked = tested.filter((p) => chosen.has(p)).map((p) => ({ dir: p.dir, name: p.name, command: p.command }));
    if (outside && root === null) runs = everything();
    else runs = outside && root ? [root, ...picked.filter((r) => !(r.dir === '' && r.command === root.command))] : picked;
  }
  return runs.length === 0 ? null : { runs, command: selectionCommand(runs) };
}
