import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { probeBwrap, runCommand, type CommandResult } from '../sandbox/index.js';
import { cleanTerminalOutput, detectTestCommand, makefileHasTestTarget, testReport, trimTestOutput } from './test-command.js';

const dirs: string[] = [];
function fixture(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'assist-testcmd-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A PATH holding only the given (empty, executable) programs. */
function pathWith(...programs: string[]): NodeJS.ProcessEnv {
  const bin = fixture({});
  for (const program of programs) {
    writeFileSync(join(bin, program), '#!/bin/sh\n');
    chmodSync(join(bin, program), 0o755);
  }
  return { PATH: bin };
}

const NPM_INIT = JSON.stringify({ name: 'x', scripts: { test: 'echo "Error: no test specified" && exit 1' } });

describe('detectTestCommand', () => {
  const cases: Array<[string, Record<string, string>, { cmd: string; source: string } | null]> = [
    ['npm', { 'package.json': JSON.stringify({ scripts: { test: 'vitest run' } }) }, { cmd: 'npm test', source: 'package.json scripts.test' }],
    ['pnpm by lockfile', { 'package.json': JSON.stringify({ scripts: { test: 'jest' } }), 'pnpm-lock.yaml': '' }, { cmd: 'pnpm test', source: 'package.json scripts.test' }],
    ['yarn by lockfile', { 'package.json': JSON.stringify({ scripts: { test: 'jest' } }), 'yarn.lock': '' }, { cmd: 'yarn test', source: 'package.json scripts.test' }],
    ['bun by lockfile', { 'package.json': JSON.stringify({ scripts: { test: 'bun test' } }), 'bun.lockb': '' }, { cmd: 'bun run test', source: 'package.json scripts.test' }],
    ['packageManager field wins over lockfiles', { 'package.json': JSON.stringify({ packageManager: 'yarn@4.1.0', scripts: { test: 'jest' } }), 'pnpm-lock.yaml': '' }, { cmd: 'yarn test', source: 'package.json scripts.test' }],
    ["npm init's placeholder is no test command", { 'package.json': NPM_INIT }, null],
    ['placeholder falls through to the Makefile', { 'package.json': NPM_INIT, Makefile: 'test:\n\tgo test ./...\n' }, { cmd: 'make test', source: 'Makefile test target' }],
    ['package.json before Makefile', { 'package.json': JSON.stringify({ scripts: { test: 'vitest' } }), Makefile: 'test:\n\techo\n' }, { cmd: 'npm test', source: 'package.json scripts.test' }],
    ['broken package.json is skipped', { 'package.json': '{ nope', 'go.mod': 'module x\n' }, { cmd: 'go test ./...', source: 'go.mod' }],
    ['package.json without scripts', { 'package.json': '{"name":"x"}' }, null],
    ['Makefile test target', { Makefile: 'all: build\n\ntest: build\n\t./run-tests\n' }, { cmd: 'make test', source: 'Makefile test target' }],
    ['lower-case makefile', { makefile: 'check test: build\n\t./t\n' }, { cmd: 'make test', source: 'makefile test target' }],
    ['Makefile without test target, then mix.exs', { Makefile: '.PHONY: test\nbuild:\n\tcc\n', 'mix.exs': 'defmodule X.MixProject do\nend\n' }, { cmd: 'mix test', source: 'mix.exs' }],
    ['mix.exs', { 'mix.exs': 'defmodule X.MixProject do\nend\n' }, { cmd: 'mix test', source: 'mix.exs' }],
    ['pyproject with [tool.pytest.ini_options]', { 'pyproject.toml': '[project]\nname = "x"\n\n[tool.pytest.ini_options]\naddopts = "-q"\n' }, { cmd: 'pytest', source: 'pyproject.toml' }],
    ['pyproject with pytest in dependencies', { 'pyproject.toml': '[project.optional-dependencies]\ndev = ["pytest>=8", "ruff"]\n' }, { cmd: 'pytest', source: 'pyproject.toml' }],
    ['pyproject with poetry dev dependency', { 'pyproject.toml': '[tool.poetry.group.dev.dependencies]\npytest = "^8.0"\n' }, { cmd: 'pytest', source: 'pyproject.toml' }],
    ['pytest.ini', { 'pytest.ini': '[pytest]\n' }, { cmd: 'pytest', source: 'pytest.ini' }],
    ['setup.cfg [tool:pytest]', { 'setup.cfg': '[tool:pytest]\ntestpaths = tests\n' }, { cmd: 'pytest', source: 'setup.cfg' }],
    ['go.mod', { 'go.mod': 'module example.com/x\n\ngo 1.22\n' }, { cmd: 'go test ./...', source: 'go.mod' }],
    ['Cargo.toml', { 'Cargo.toml': '[package]\nname = "x"\n' }, { cmd: 'cargo test', source: 'Cargo.toml' }],
    ['nothing', { 'README.md': '# x\n' }, null],
  ];
  it.each(cases)('%s', async (_name, files, expected) => {
    expect(await detectTestCommand(fixture(files), undefined, pathWith('python'))).toEqual(expected);
  });

  it('test.cmd from config wins over everything', async () => {
    const dir = fixture({ 'package.json': JSON.stringify({ scripts: { test: 'jest' } }) });
    expect(await detectTestCommand(dir, 'npm run test:unit -- --bail')).toEqual({ cmd: 'npm run test:unit -- --bail', source: 'config test.cmd' });
    expect(await detectTestCommand(dir, '  ')).toEqual({ cmd: 'npm test', source: 'package.json scripts.test' });
  });

  it('a plain pyproject.toml uses python -m pytest, or python3 where there is no python', async () => {
    const dir = fixture({ 'pyproject.toml': '[project]\nname = "x"\ndependencies = ["pytest-cov"]\n' });
    expect(await detectTestCommand(dir, undefined, pathWith('python', 'python3'))).toEqual({ cmd: 'python -m pytest', source: 'pyproject.toml' });
    expect(await detectTestCommand(dir, undefined, pathWith('python3'))).toEqual({ cmd: 'python3 -m pytest', source: 'pyproject.toml' });
    expect(await detectTestCommand(dir, undefined, pathWith())).toEqual({ cmd: 'python -m pytest', source: 'pyproject.toml' });
  });

  it('only the work tree root counts', async () => {
    const dir = fixture({});
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'go.mod'), 'module x\n');
    expect(await detectTestCommand(dir)).toBeNull();
  });
});

describe('makefileHasTestTarget', () => {
  it.each([
    ['test:\n\tx\n', true],
    ['test: a b\n', true],
    ['unit test integration: deps\n', true],
    ['test::\n\tx\n', true],
    ['.PHONY: test\n', false],
    ['test := value\n', false],
    ['test ?= value\n', false],
    ['test = value\n', false],
    ['tests:\n\tx\n', false],
    ['# test:\n', false],
    ['build:\n\tmake test:\n', false],
  ])('%j -> %s', (text, expected) => {
    expect(makefileHasTestTarget(text)).toBe(expected);
  });
});

describe('trimTestOutput', () => {
  it('returns short output whole, without colours or progress redraws', () => {
    expect(cleanTerminalOutput('\u001b[32m✓\u001b[39m ok\r\n 10%\r 50%\r100%\n')).toBe('✓ ok\n100%\n');
    expect(trimTestOutput('\u001b[31mFAIL\u001b[0m a.test.ts\n')).toBe('FAIL a.test.ts');
  });

  it('puts failures first and keeps the summary, within the limit', () => {
    const passing = Array.from({ length: 3000 }, (_, i) => ` ✓ suite > passes case ${i} 3ms`);
    const failure = [
      ' FAIL  src/math.test.ts > adds',
      'AssertionError: expected 3 to be 4',
      '- Expected: 4',
      '+ Received: 3',
      ' ❯ src/math.test.ts:7:19',
    ];
    const summary = [' Test Files  1 failed | 40 passed (41)', '      Tests  1 failed | 3000 passed (3001)', '   Duration  3.1s'];
    const output = [...passing.slice(0, 1500), ...failure, ...passing.slice(1500), ...summary].join('\n');
    const trimmed = trimTestOutput(output, { maxChars: 4000 });
    expect(trimmed.length).toBeLessThanOrEqual(4000);
    expect(trimmed).toContain('AssertionError: expected 3 to be 4');
    expect(trimmed).toContain('+ Received: 3');
    expect(trimmed).toContain('Tests  1 failed | 3000 passed (3001)');
    expect(trimmed.indexOf('FAIL  src/math.test.ts')).toBeLessThan(trimmed.indexOf('Duration  3.1s'));
    expect(trimmed.split('\n').filter((l) => l.includes('passes case'))).toEqual([]);
    expect(trimmed.split('\n')[0]).toMatch(/^\[test output trimmed from 3008 lines: failures first/);
  });

  it('go, pytest and cargo failures are found', () => {
    const noise = Array.from({ length: 800 }, (_, i) => `=== RUN   TestThing${i}\n--- PASS: TestThing${i} (0.00s)`).join('\n');
    const go = `${noise}\n--- FAIL: TestParse (0.00s)\n    parse_test.go:12: got 1, want 2\n${noise}\nFAIL\nFAIL\texample.com/x\t0.01s`;
    expect(trimTestOutput(go, { maxChars: 2000 })).toContain('parse_test.go:12: got 1, want 2');
    const py = `${'.'.repeat(300)}\n${noise}\n________ test_add ________\n    def test_add():\n>       assert add(1, 2) == 4\nE       assert 3 == 4\n${noise}\n=== 1 failed, 80 passed in 0.12s ===`;
    const trimmedPy = trimTestOutput(py, { maxChars: 2000 });
    expect(trimmedPy).toContain('E       assert 3 == 4');
    expect(trimmedPy).toContain('1 failed, 80 passed');
    const rust = `${noise}\nthread 'tests::it_works' panicked at src/lib.rs:10:9:\nassertion \`left == right\` failed\n${noise}\ntest result: FAILED. 0 passed; 1 failed`;
    expect(trimTestOutput(rust, { maxChars: 2000 })).toContain("panicked at src/lib.rs:10:9");
  });

  it('without failures, keeps the start and the end; "0 failed" is not a failure', () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `ok line ${i}, 0 failed so far`);
    const trimmed = trimTestOutput(lines.join('\n'), { maxChars: 2000 });
    expect(trimmed.length).toBeLessThanOrEqual(2000);
    expect(trimmed).toContain('ok line 0,');
    expect(trimmed).toContain('ok line 1999,');
    expect(trimmed).toMatch(/\[… \d+ lines …\]/);
    expect(trimmed.split('\n')[0]).toContain('the start and the end');
  });

  it('many failures are cut to the limit, and a huge single line is shortened', () => {
    const failures = Array.from({ length: 500 }, (_, i) => `FAIL test ${i}\n  expected ${'x'.repeat(1000)}`).join('\n');
    const trimmed = trimTestOutput(`${failures}\nTests: 500 failed`, { maxChars: 3000 });
    expect(trimmed.length).toBeLessThanOrEqual(3000);
    expect(trimmed).toContain('FAIL test 0');
    expect(trimmed).toContain('[… more failures cut …]');
    expect(trimmed).toContain('Tests: 500 failed');
  });
});

describe('testReport', () => {
  const result = (extra: Partial<CommandResult>): CommandResult => ({
    command: 'npm test',
    code: 0,
    signal: null,
    stdout: '',
    stderr: '',
    sandboxed: true,
    timedOut: false,
    aborted: false,
    durationMs: 1234,
    droppedEnv: [],
    ...extra,
  });

  it('says how the run ended', () => {
    expect(testReport(result({ stdout: 'all good\n' }))).toEqual({ passed: true, text: '`npm test` passed in 1.2 s\nall good' });
    expect(testReport(result({ code: 1, stderr: 'boom\n', sandboxed: false })).text).toBe('`npm test` exited with 1 in 1.2 s (not sandboxed)\n[stderr]\nboom');
    expect(testReport(result({ code: null, signal: 'SIGTERM', timedOut: true }))).toMatchObject({ passed: false, text: expect.stringContaining('timed out after 1.2 s') });
    expect(testReport(result({ code: null, signal: 'SIGKILL' })).text).toContain('was killed by SIGKILL');
  });

  it('a detected Makefile test run for real, its failure reported to the model', async () => {
    const probe = await probeBwrap();
    const passing = Array.from({ length: 600 }, (_, i) => `\t@echo "ok $(shell echo ${i}) passing test with a long name"`).join('\n');
    await using repo = tempRepo({ files: { Makefile: `test:\n${passing}\n\t@echo "FAIL test_widget: expected 2, got 3"\n\t@echo "1 failed, 600 passed"\n\t@exit 1\n` } });
    const detected = await detectTestCommand(repo.dir);
    expect(detected).toEqual({ cmd: 'make test', source: 'Makefile test target' });
    const run = await runCommand(detected?.cmd ?? '', {
      root: repo.dir,
      gitDir: join(repo.dir, '.git'),
      commonDir: join(repo.dir, '.git'),
      mode: probe.ok ? 'auto' : 'none',
      approved: true,
      env: repo.env,
      timeoutMs: 20_000,
    });
    const report = testReport(run, { maxChars: 2000 });
    expect(report.passed).toBe(false);
    expect(report.text.length).toBeLessThan(2200);
    expect(report.text).toMatch(/^`make test` exited with 2 in [\d.]+ s/);
    expect(report.text).toContain('FAIL test_widget: expected 2, got 3');
    expect(report.text).toContain('1 failed, 600 passed');
  });
});
