// The package as a user gets it: `npm pack`, then `npm install -g <tarball>` in an empty folder
// with no .npmrc (the repository's has legacy-peer-deps and ignore-scripts; users do not get it),
// an empty npm cache and a temporary prefix, from the real registry. Then the installed `assist`
// must start, find its grammars and map a small TypeScript repository.
// Needs the npm registry: skipped (with the reason) when it cannot be reached, unless CI is set.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempRepo } from '../helpers/git-repo.js';
import { projectRoot } from '../helpers/run-cli.js';
import { reply, startFakeLlm } from '../fake-llm/index.js';

const REGISTRY = (process.env.npm_config_registry || 'https://registry.npmjs.org/').replace(/\/?$/, '/');
const MAX_INSTALLED_BYTES = 60 * 1024 * 1024;
const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { name: string; version: string };

async function registryProblem(): Promise<string | null> {
  try {
    const response = await fetch(`${REGISTRY}-/ping`, { signal: AbortSignal.timeout(10_000) });
    return response.ok ? null : `the npm registry ${REGISTRY} answered ${response.status}`;
  } catch (error) {
    return `the npm registry ${REGISTRY} is unreachable (${(error as Error).message})`;
  }
}

const problem = await registryProblem();
if (problem && process.env.CI) throw new Error(`${problem}: the install test needs it in CI`);

interface Installed {
  work: string;
  prefix: string;
  bin: string;
  packageDir: string;
  env: NodeJS.ProcessEnv;
  install: SpawnSyncReturns<string>;
  seconds: number;
  bytes: number;
  packages: string[];
}

/** An environment with no npm settings from the parent (`npm test` exports the repository's .npmrc as npm_config_*). */
function npmEnv(work: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key) && key !== 'NODE_OPTIONS') env[key] = value;
  writeFileSync(join(work, 'npmrc'), '');
  writeFileSync(join(work, 'global-npmrc'), '');
  return {
    ...env,
    HOME: join(work, 'home'),
    npm_config_userconfig: join(work, 'npmrc'),
    npm_config_globalconfig: join(work, 'global-npmrc'),
    npm_config_cache: join(work, 'cache'),
    npm_config_registry: REGISTRY,
    // npm's own "new version available" notice says nothing about the package.
    npm_config_update_notifier: 'false',
    PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
  };
}

function walk(dir: string, visit: (path: string, isDir: boolean) => void): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    visit(path, entry.isDirectory());
    if (entry.isDirectory()) walk(path, visit);
  }
}

let installed: Installed | undefined;

beforeAll(() => {
  if (problem) return;
  const work = realpathSync(mkdtempSync(join(tmpdir(), 'assist-install-')));
  for (const d of ['home', 'empty', 'prefix', 'cache', 'tarball']) mkdirSync(join(work, d), { recursive: true });
  const env = npmEnv(work);
  // --ignore-scripts: the test run has just built dist/ (test/global-setup.ts); `prepack` would
  // rebuild it under the other test files.
  const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', join(work, 'tarball')], { cwd: projectRoot, env, encoding: 'utf8' });
  if (pack.status !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
  const tarball = join(work, 'tarball', (JSON.parse(pack.stdout) as Array<{ filename: string }>)[0]?.filename ?? '');
  const prefix = join(work, 'prefix');
  const started = performance.now();
  const install = spawnSync('npm', ['install', '--global', '--prefix', prefix, '--foreground-scripts', tarball], { cwd: join(work, 'empty'), env, encoding: 'utf8' });
  const seconds = (performance.now() - started) / 1000;
  let bytes = 0;
  const packages: string[] = [];
  walk(prefix, (path, isDir) => {
    if (!isDir) {
      bytes += lstatSync(path).size;
      if (path.endsWith('/package.json') && dirname(dirname(path)).endsWith('node_modules')) packages.push(path);
      if (path.endsWith('/package.json') && /\/node_modules\/@[^/]+\/[^/]+\/package\.json$/.test(path)) packages.push(path);
    }
  });
  const packageDir = join(prefix, 'lib', 'node_modules', pkg.name);
  installed = { work, prefix, bin: join(prefix, 'bin', 'assist'), packageDir, env, install, seconds, bytes, packages };
}, 180_000);

afterAll(() => {
  if (installed) rmSync(installed.work, { recursive: true, force: true });
});

function assist(args: string[], cwd: string, env: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  // Started as a user's shell would: through the bin link and its `#!/usr/bin/env node` line.
  return spawnSync((installed as Installed).bin, args, { cwd, env: { ...env, PATH: (installed as Installed).env.PATH }, encoding: 'utf8' });
}

describe('npm install -g of the packed tarball, as a user gets it', () => {
  it('installs with no warning and no install script, in under 60 MB', async (ctx) => {
    if (problem || !installed) return ctx.skip(problem ?? 'not installed');
    const { install, bytes, packages, seconds } = installed;
    expect(install.status, install.stderr).toBe(0);
    const output = `${install.stdout}\n${install.stderr}`;
    const warnings = output.split('\n').filter((l) => /\bwarn|ERESOLVE|deprecated|gyp/i.test(l));
    expect(warnings).toEqual([]);
    // --foreground-scripts prints a `> name@version install` header for every script npm runs.
    expect(output).not.toMatch(/^> \S+@\S+ (preinstall|install|postinstall)/m);
    for (const file of packages) {
      const meta = JSON.parse(readFileSync(file, 'utf8')) as { name: string; scripts?: Record<string, string> };
      const scripts = Object.keys(meta.scripts ?? {}).filter((s) => ['preinstall', 'install', 'postinstall'].includes(s));
      expect(scripts, meta.name).toEqual([]);
      expect(existsSync(join(dirname(file), 'binding.gyp')), `${meta.name} has a binding.gyp (npm would build it)`).toBe(false);
    }
    expect(bytes).toBeLessThan(MAX_INSTALLED_BYTES);
    const names = packages.map((f) => (JSON.parse(readFileSync(f, 'utf8')) as { name: string }).name).sort();
    const figures = `installed ${(bytes / 1024 / 1024).toFixed(1)} MB, ${names.length} packages (${names.join(', ')}), npm install -g took ${seconds.toFixed(1)} s, warnings: none`;
    console.info(`install test: ${figures}`);
    await ctx.annotate(figures);
  });

  it('the installed assist starts, and --version --json names its grammars in the package', (ctx) => {
    if (problem || !installed) return ctx.skip(problem ?? 'not installed');
    using repo = disposable(tempRepo());
    const plain = assist(['--version'], repo.dir, repo.env);
    expect(plain.stdout).toBe(`${pkg.version}\n`);
    const json = assist(['--version', '--json'], repo.dir, repo.env);
    expect(json.status, json.stderr).toBe(0);
    const info = JSON.parse(json.stdout) as { version: string; node: string; git: string | null; grammars: Array<{ language: string; file: string }> };
    expect(info.version).toBe(pkg.version);
    expect(info.git).toMatch(/^\d+\.\d+/);
    expect(info.grammars.length).toBeGreaterThanOrEqual(13);
    for (const g of info.grammars) expect(g.file.startsWith(join(installed.packageDir, 'dist', 'grammars'))).toBe(true);
  });

  it('assist doctor finds the grammars', (ctx) => {
    if (problem || !installed) return ctx.skip(problem ?? 'not installed');
    using repo = disposable(tempRepo({ files: { 'a.txt': 'a\n' } }));
    const r = assist(['doctor', '--json'], repo.dir, repo.env);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { ok: boolean; checks: Array<{ id: string; level: string; what: string }> };
    expect(report.ok).toBe(true);
    const grammars = report.checks.find((c) => c.id === 'grammars');
    expect(grammars?.level).toBe('ok');
    expect(grammars?.what).toContain(join(installed.packageDir, 'dist', 'grammars'));
  });

  it('assist map maps a small TypeScript repository', (ctx) => {
    if (problem || !installed) return ctx.skip(problem ?? 'not installed');
    using repo = disposable(
      tempRepo({
        files: {
          'src/cart.ts': 'export interface Item {\n  price: number;\n}\n\nexport function cartTotal(items: Item[]): number {\n  return items.reduce((sum, i) => sum + i.price, 0);\n}\n',
          'src/checkout.ts': "import { cartTotal, type Item } from './cart.js';\n\nexport class Checkout {\n  pay(items: Item[]): string {\n    return `paid ${cartTotal(items)}`;\n  }\n}\n",
        },
      }),
    );
    const r = assist(['map', '--json'], repo.dir, repo.env);
    expect(r.status, r.stderr).toBe(0);
    const map = JSON.parse(r.stdout) as { files: string[]; definitions: Array<{ file: string; name: string; kind: string }> };
    expect(map.files.sort()).toEqual(['src/cart.ts', 'src/checkout.ts']);
    expect(map.definitions.map((d) => d.name)).toEqual(expect.arrayContaining(['cartTotal', 'Checkout', 'Item']));
  });

  it("a turn runs from the one-file CLI, its SDK from the package's CommonJS file, their code caches in ~/.cache/assist", async (ctx) => {
    if (problem || !installed) return ctx.skip(problem ?? 'not installed');
    await using server = await startFakeLlm();
    server.defaultReply = reply.text('Nothing to change.');
    using repo = disposable(tempRepo({ files: { 'a.txt': 'one\n' } }));
    // The cache where a user's goes (the tests' shared folder left aside).
    const { ASSIST_CODE_CACHE_DIR: _shared, ...base } = repo.env;
    const env = { ...base, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CODE_CACHE_DEBUG: '1', PATH: installed.env.PATH };
    const turn = (): Promise<{ code: number | null; stderr: string }> =>
      new Promise((resolve, reject) => {
        const child = spawn(installed!.bin, ['run', '-m', 'what is in a.txt?'], { cwd: repo.dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stderr }));
      });
    const states: string[] = [];
    const sdkStates: string[] = [];
    // A first turn, then two warm ones (a cache of their own: other V8 flags).
    for (let i = 0; i < 3; i++) {
      const r = await turn();
      expect(r.code, r.stderr).toBe(5);
      const match = /^assist code cache: (\S+) (\S+)$/m.exec(r.stderr);
      expect(match?.[2]?.startsWith(join(repo.home, '.cache', 'assist', 'main-')), r.stderr).toBe(true);
      states.push(match?.[1] ?? '');
      const sdk = /^assist code cache \(vendor-openai\.cjs\): (\S+) (\S+)$/m.exec(r.stderr);
      expect(sdk?.[2]?.startsWith(join(repo.home, '.cache', 'assist', 'vendor-openai-')), r.stderr).toBe(true);
      sdkStates.push(sdk?.[1] ?? '');
    }
    expect(states).toEqual(['missing', 'missing', 'accepted']);
    expect(sdkStates).toEqual(['missing', 'missing', 'accepted']);
    expect(server.requests.length).toBe(3);
  });

  it('ships the config schema and the completion scripts', (ctx) => {
    if (problem || !installed) return ctx.skip(problem ?? 'not installed');
    using repo = disposable(tempRepo());
    const schema = assist(['config', 'schema'], repo.dir, repo.env);
    expect(schema.status, schema.stderr).toBe(0);
    expect(JSON.parse(schema.stdout)).toEqual(JSON.parse(readFileSync(join(installed.packageDir, 'dist', 'assist.schema.json'), 'utf8')));
    const bash = assist(['completion', 'bash'], repo.dir, repo.env);
    expect(bash.status, bash.stderr).toBe(0);
    expect(bash.stdout).toContain('complete -F _assist assist');
  });
});

function disposable<T extends { cleanup(): void }>(value: T): T & Disposable {
  return Object.assign(value, { [Symbol.dispose]: () => value.cleanup() });
}
