import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo } from '../helpers/git-repo.js';
import { runCli, projectRoot } from '../helpers/run-cli.js';

const version = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;

/** Every command path of DESIGN.md §3. */
const COMMANDS = [
  'chat', 'run', 'undo', 'redo', 'checkpoint create', 'checkpoint list', 'checkpoint restore', 'session list', 'session show',
  'session finish', 'log', 'map', 'hooks install', 'hooks uninstall', 'hooks status', 'hook', 'summaries refresh', 'summaries show',
  'summaries status', 'pr', 'config get', 'config set', 'config list', 'config schema', 'completion', 'trust', 'doctor', 'search', 'stats context',
];

describe('the CLI surface', () => {
  it('--version prints the package version', async () => {
    using repo = disposable(tempRepo());
    const r = await runCli(['--version'], { cwd: repo.dir, env: repo.env });
    expect(r).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('--help lists every command of the design, without colour when piped', async () => {
    using repo = disposable(tempRepo());
    const r = await runCli(['--help'], { cwd: repo.dir, env: { ...repo.env, NO_COLOR: '' } });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('\u001b[');
    for (const command of COMMANDS) expect(r.stdout).toContain(`assist ${command}`);
  });

  it.each(COMMANDS)('`assist %s --help` documents the command with an example', async (command) => {
    using repo = disposable(tempRepo());
    const r = await runCli([...command.split(' '), '--help'], { cwd: repo.dir, env: repo.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage');
    expect(r.stdout).toContain('Examples');
    expect(r.stdout).toContain(`$ assist ${command}`);
  });

  it('a bad flag is a usage error (exit 2): what is wrong, then the usage', async () => {
    using repo = disposable(tempRepo());
    const r = await runCli(['undo', '--bogus'], { cwd: repo.dir, env: repo.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: unknown option --bogus\nhint: usage: assist undo /);
  });

  // Clipanion's own block ("Unknown Syntax Error", numbered and repeated usages, `#0` for a value) said in assist's two lines.
  it.each([
    [['search'], 'error: an argument is missing\nhint: usage: assist search [--k VALUE] [--path VALUE] [--json] <QUERY> ...\n'],
    [['search', '--kk', '3', 'x'], 'error: unknown option --kk\nhint: usage: assist search [--k VALUE] [--path VALUE] [--json] <QUERY> ...\n'],
    [['search', 'a b', '--k'], 'error: --k needs a value\nhint: usage: assist search [--k VALUE] [--path VALUE] [--json] <QUERY> ...\n'],
    [['mcp', 'l st'], 'error: no command matches: assist mcp "l st"\nhint: usage, one of:\n  assist mcp list [--json]\n  assist mcp login <NAME>\n  assist mcp logout <NAME>\n'],
    [['config', 'get', 'a', 'b'], "error: unexpected argument 'b'\nhint: usage: assist config get [--json] <KEY>\n"],
  ])('assist %j: exit 2, the error and the usage in two lines', async (args, expected) => {
    using repo = disposable(tempRepo());
    const r = await runCli(args, { cwd: repo.dir, env: repo.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(expected);
  });

  it('`assist run` without its message: the usage once, no clipanion block', async () => {
    using repo = disposable(tempRepo());
    const r = await runCli(['run'], { cwd: repo.dir, env: repo.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: no command matches: assist run\nhint: usage: assist run <-m,--message VALUE> /);
    expect(r.stderr).not.toMatch(/#0|Unknown Syntax Error|While running/);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(2);
  });

  it('undo and redo answer alike on their fast start-up path and through the full command line', async () => {
    using repo = disposable(tempRepo({ files: { 'a.txt': 'a\n' } }));
    // --log-file is not taken by the fast path: the same command line then goes through clipanion.
    for (const args of [['undo'], ['undo', '2', '--force'], ['redo']]) {
      const fast = await runCli(args, { cwd: repo.dir, env: repo.env });
      const full = await runCli([...args, '--log-file', join(repo.dir, '.git', 'x.log')], { cwd: repo.dir, env: repo.env });
      expect(fast.code).toBe(3);
      expect(fast.stderr).toBe(
        args[0] === 'undo'
          ? 'error: nothing to undo: HEAD (main) is not on an assist session branch\nhint: a session gets its branch at its first edit, and undo takes back only its edits; `assist session list` shows the sessions\n'
          : 'error: HEAD is not on an assist session\nhint: start one with `assist chat`, or switch to a session branch (`assist session list`)\n',
      );
      expect(full).toEqual(fast);
    }
    const zero = await runCli(['undo', '0'], { cwd: repo.dir, env: repo.env });
    expect(zero.code).toBe(2);
    expect(zero.stderr).toBe('error: N must be a positive whole number, got "0"\nhint: example: assist undo 2\n');
  });

  it('undo and redo write their log when a flag or a config file asks for one', async () => {
    using repo = disposable(tempRepo({ files: { 'a.txt': 'a\n' } }));
    const { openStore } = await import('../../src/git/index.js');
    const store = await openStore({ cwd: repo.dir, env: repo.env, command: 'test' });
    await store.startSession();
    const edit = await store.applyBatch(undefined, { files: [{ path: 'a.txt', content: 'b\n' }], summary: 'b', model: 't/m', request: 'r1' });
    store.close();
    const events = (file: string): { event: string; command?: string; commits?: unknown; to?: unknown }[] =>
      readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { event: string });

    const flagged = join(repo.home, 'flag.log');
    const undo = await runCli(['undo', '--log-file', flagged], { cwd: repo.dir, env: repo.env });
    expect(undo.code, undo.stderr).toBe(0);
    expect(events(flagged).map((e) => e.event)).toEqual(['command.start', 'git.undo', 'command.end']);
    expect(events(flagged)[1]).toMatchObject({ commits: [edit.commit], to: repo.git('rev-parse', 'HEAD') });

    // Set in the user's config file only: the fast path leaves the command to the full one, which reads it.
    const configured = join(repo.home, 'config.log');
    mkdirSync(join(repo.home, '.config', 'assist'), { recursive: true });
    writeFileSync(join(repo.home, '.config', 'assist', 'config.toml'), `[log]\nfile = ${JSON.stringify(configured)}\n`);
    const redo = await runCli(['redo'], { cwd: repo.dir, env: repo.env });
    expect(redo.code, redo.stderr).toBe(0);
    expect(events(configured).map((e) => e.event)).toEqual(['command.start', 'git.redo', 'command.end']);
    expect(events(configured)[1]).toMatchObject({ commits: 1, to: edit.commit });
  });

  it('a lone word close to a command is a usage error with a suggestion, never a request', async () => {
    using repo = disposable(tempRepo());
    const r = await runCli(['chta'], { cwd: repo.dir, env: { ...repo.env, ASSIST_MODEL: 'openai/gpt-4.1', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: unknown command 'chta'\nhint: did you mean `assist chat`?\n");
  });

  it('empty stdin with no message is a usage error', async () => {
    using repo = disposable(tempRepo());
    const r = await runCli([], { cwd: repo.dir, env: repo.env, input: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('standard input was empty');
  });

  it('an engine error is one line with a hint, exit 1, no stack trace', async () => {
    using repo = disposable(tempRepo({ files: { 'a.txt': 'a\n' } }));
    const r = await runCli(['checkpoint', 'list'], { cwd: repo.dir, env: repo.env });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('error: HEAD is not on an assist session\nhint: start one with `assist chat`, or switch to a session branch (`assist session list`)\n');
  });

  it('outside a repository, repo commands say so in one line', async () => {
    using repo = disposable(tempRepo({ noInit: true }));
    const r = await runCli(['trust'], { cwd: repo.dir, env: repo.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not a git repository');
    expect(r.stderr).toContain('git init');
  });
});

describe('assist config through the CLI', () => {
  it('list --show-origin names the file and line, env, flag or default of each value', async () => {
    using repo = disposable(tempRepo({ files: { 'a.txt': 'a\n' } }));
    const userDir = join(repo.home, '.config', 'assist');
    mkdirSync(userDir, { recursive: true });
    writeFileSync(join(userDir, 'config.toml'), '# mine\nmodel = "anthropic/claude-sonnet-4-5"\n[git]\ncheckpoints_kept = 4\n');
    writeFileSync(join(repo.dir, '.assist.toml'), '[context]\nmap_tokens = 999\n');
    mkdirSync(join(repo.dir, 'sub'));
    const r = await runCli(['config', 'list', '--show-origin', '--log-file', '/tmp/x.log'], {
      cwd: join(repo.dir, 'sub'),
      env: { ...repo.env, ASSIST_SESSION__MAX_REFLECTIONS: '7' },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toContain(`file:${join(userDir, 'config.toml')}:2\tmodel=anthropic/claude-sonnet-4-5`);
    expect(lines).toContain(`file:${join(userDir, 'config.toml')}:4\tgit.checkpoints_kept=4`);
    expect(lines).toContain(`file:${join(repo.dir, '.assist.toml')}:2\tcontext.map_tokens=999`);
    expect(lines).toContain('env:ASSIST_SESSION__MAX_REFLECTIONS\tsession.max_reflections=7');
    expect(lines).toContain('flag:--log-file\tlog.file=/tmp/x.log');
    expect(lines).toContain('default\tcontext.strategy=hybrid');
  });

  it('set writes the project file by default and the user file with --global, keeping comments', async () => {
    using repo = disposable(tempRepo({ files: { 'a.txt': 'a\n' } }));
    writeFileSync(join(repo.dir, '.assist.toml'), '# team settings\n[context]\nmap_tokens = 1024 # small\n');
    let r = await runCli(['config', 'set', 'context.map_tokens', '4096'], { cwd: repo.dir, env: repo.env });
    expect(r.code).toBe(0);
    expect(readFileSync(join(repo.dir, '.assist.toml'), 'utf8')).toBe('# team settings\n[context]\nmap_tokens = 4096 # small\n');
    r = await runCli(['config', 'set', 'model', 'openai/gpt-4.1', '--global'], { cwd: repo.dir, env: repo.env });
    expect(r.code).toBe(0);
    expect(readFileSync(join(repo.home, '.config', 'assist', 'config.toml'), 'utf8')).toBe('model = "openai/gpt-4.1"\n');
    r = await runCli(['config', 'get', 'model'], { cwd: repo.dir, env: repo.env });
    expect(r.stdout).toBe('openai/gpt-4.1\n');
    // Nothing of assist's (temp files) is left in the work tree.
    expect(repo.git('status', '--porcelain')).toBe('?? .assist.toml');
  });

  it('a broken config file is one line naming file and line, exit 1', async () => {
    using repo = disposable(tempRepo({ files: { 'a.txt': 'a\n' } }));
    writeFileSync(join(repo.dir, '.assist.toml'), '[context]\nmap_tokens = "big"\n');
    const r = await runCli(['config', 'list'], { cwd: repo.dir, env: repo.env });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(`error: ${join(repo.dir, '.assist.toml')}:2: context.map_tokens must be an integer, got "big"`);
  });

  it('trust makes gated project keys apply; a changed file needs trusting again', async () => {
    using repo = disposable(tempRepo({ files: { 'a.txt': 'a\n' } }));
    writeFileSync(join(repo.dir, '.assist.toml'), '[test]\ncmd = "make check"\n');
    let r = await runCli(['config', 'get', 'test.cmd'], { cwd: repo.dir, env: repo.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ignoring test.cmd from .assist.toml until you trust it');
    r = await runCli(['trust'], { cwd: repo.dir, env: repo.env });
    expect(r.code).toBe(0);
    r = await runCli(['config', 'get', 'test.cmd'], { cwd: repo.dir, env: repo.env });
    expect(r).toMatchObject({ code: 0, stdout: 'make check\n', stderr: '' });
    writeFileSync(join(repo.dir, '.assist.toml'), '[test]\ncmd = "make evil"\n');
    r = await runCli(['config', 'get', 'test.cmd'], { cwd: repo.dir, env: repo.env });
    expect(r.code).toBe(1);
  });
});

describe('assist doctor', () => {
  it('reports git, the repository, keys by name only, and a fix for each problem', async () => {
    using repo = disposable(tempRepo({ files: { 'a.txt': 'a\n' } }));
    const r = await runCli(['doctor'], { cwd: repo.dir, env: { ...repo.env, OPENAI_API_KEY: 'sk-canary-doctor-123' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok {4}git \d+\.\d+/m);
    expect(r.stdout).toContain(`repository ${repo.dir}`);
    expect(r.stdout).toContain('openai: OPENAI_API_KEY is set');
    expect(r.stdout).toContain('anthropic: ANTHROPIC_API_KEY is not set');
    expect(r.stdout).toContain('google: GEMINI_API_KEY is not set');
    expect(r.stdout).toContain('model openai/gpt-4.1 (OPENAI_API_KEY is set)');
    expect(r.stdout).toMatch(/13 tree-sitter grammars load/);
    expect(r.stdout + r.stderr).not.toContain('sk-canary-doctor-123');
  });

  it('fails with the fix when the config is broken', async () => {
    using repo = disposable(tempRepo({ files: { 'a.txt': 'a\n' } }));
    writeFileSync(join(repo.dir, '.assist.toml'), 'mdoel = "x"\n');
    const r = await runCli(['doctor'], { cwd: repo.dir, env: repo.env });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("FAIL  " + join(repo.dir, '.assist.toml') + ":1: unknown key 'mdoel'");
    expect(r.stdout).toContain("fix: did you mean 'model'?");
  });
});

describe('--json for scripts', () => {
  it('--version --json: version, node, git and the grammars the map loads', async () => {
    using repo = disposable(tempRepo());
    const r = await runCli(['--version', '--json'], { cwd: repo.dir, env: repo.env });
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout) as { version: string; node: string; git: string; grammars: Array<{ language: string; package: string; version: string; file: string }> };
    expect(info.version).toBe(version);
    expect(info.node).toBe(process.versions.node);
    expect(info.git).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.grammars).toHaveLength(13);
    const ts = info.grammars.find((g) => g.language === 'typescript');
    expect(ts).toMatchObject({ package: 'tree-sitter-typescript', file: join(projectRoot, 'dist', 'grammars', 'tree-sitter-typescript.wasm') });
    for (const g of info.grammars) expect(existsSync(g.file), g.file).toBe(true);
  });

  it('doctor --json: {ok, checks} with stable ids, and exit 1 when a check fails', async () => {
    using repo = disposable(tempRepo({ files: { 'a.txt': 'a\n' } }));
    let r = await runCli(['doctor', '--json'], { cwd: repo.dir, env: { ...repo.env, OPENAI_API_KEY: 'sk-canary-doctor-json' } });
    expect(r.code, r.stderr).toBe(0);
    let report = JSON.parse(r.stdout) as { ok: boolean; checks: Array<{ id: string; level: string; what: string; fix?: string }> };
    expect(report.ok).toBe(true);
    const byId = new Map(report.checks.map((c) => [c.id, c]));
    expect(byId.get('git')?.level).toBe('ok');
    expect(byId.get('repository')?.what).toBe(`repository ${repo.dir}`);
    expect(byId.get('key.openai')).toMatchObject({ level: 'ok', what: 'openai: OPENAI_API_KEY is set' });
    expect(byId.get('model')).toMatchObject({ level: 'ok', what: 'model openai/gpt-4.1 (OPENAI_API_KEY is set)' });
    expect(byId.get('grammars')?.what).toMatch(/^13 tree-sitter grammars load/);
    expect(r.stdout).not.toContain('sk-canary-doctor-json');
    writeFileSync(join(repo.dir, '.assist.toml'), 'mdoel = "x"\n');
    r = await runCli(['doctor', '--json'], { cwd: repo.dir, env: repo.env });
    expect(r.code).toBe(1);
    report = JSON.parse(r.stdout) as typeof report;
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.id === 'config')).toMatchObject({ level: 'fail', fix: "did you mean 'model'?" });
  });

  it('config list --json: every value by key; with --show-origin, where each came from', async () => {
    using repo = disposable(tempRepo({ files: { 'a.txt': 'a\n' } }));
    writeFileSync(join(repo.dir, '.assist.toml'), '# tuned\n[context]\nmap_tokens = 4096\n');
    const env = { ...repo.env, ASSIST_FALLBACK: 'openai/gpt-4.1,google/gemini-2.5-pro' };
    let r = await runCli(['config', 'list', '--json'], { cwd: repo.dir, env });
    expect(r.code, r.stderr).toBe(0);
    const values = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(values['context.map_tokens']).toBe(4096);
    expect(values['context.strategy']).toBe('hybrid');
    expect(values.fallback).toEqual(['openai/gpt-4.1', 'google/gemini-2.5-pro']);
    expect(values['git.session_branch']).toBe(true);
    r = await runCli(['config', 'list', '--json', '--show-origin'], { cwd: repo.dir, env });
    const origins = JSON.parse(r.stdout) as Record<string, { value: unknown; origin: Record<string, unknown> }>;
    expect(origins['context.map_tokens']).toEqual({ value: 4096, origin: { kind: 'file', scope: 'project', file: join(repo.dir, '.assist.toml'), line: 3 } });
    expect(origins.fallback?.origin).toEqual({ kind: 'env', name: 'ASSIST_FALLBACK' });
    expect(origins['context.strategy']?.origin).toEqual({ kind: 'default' });
  });

  it('config get KEY --json prints the value as JSON', async () => {
    using repo = disposable(tempRepo({ files: { 'a.txt': 'a\n' } }));
    const env = { ...repo.env, ASSIST_FALLBACK: 'openai/gpt-4.1' };
    const get = async (key: string) => (await runCli(['config', 'get', key, '--json'], { cwd: repo.dir, env })).stdout;
    expect(await get('context.strategy')).toBe('"hybrid"\n');
    expect(await get('context.map_tokens')).toBe('2048\n');
    expect(await get('fallback')).toBe('["openai/gpt-4.1"]\n');
    expect(await get('test.auto')).toBe('false\n');
    const unset = await runCli(['config', 'get', 'model', '--json'], { cwd: repo.dir, env });
    expect(unset).toMatchObject({ code: 1, stdout: '' });
  });

  it('config schema prints the schema the package ships', async () => {
    using repo = disposable(tempRepo());
    const r = await runCli(['config', 'schema'], { cwd: repo.dir, env: repo.env });
    expect(r.code, r.stderr).toBe(0);
    const schema = JSON.parse(r.stdout) as { properties: Record<string, { properties?: Record<string, unknown> }> };
    expect(schema).toEqual(JSON.parse(readFileSync(join(projectRoot, 'dist', 'assist.schema.json'), 'utf8')));
    expect(schema.properties.context?.properties?.map_tokens).toMatchObject({ type: 'integer', minimum: 0, default: 2048 });
    expect(schema.properties.test?.properties?.cmd).toMatchObject({ 'x-needs-trust': true });
  });
});

function disposable<T extends { cleanup(): void }>(value: T): T & Disposable {
  return Object.assign(value, { [Symbol.dispose]: () => value.cleanup() });
}
