import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { CommandResult } from '../sandbox/index.js';
import type { TestScope, Workspace } from '../testing/workspaces.js';

/** The test command of a repository and where it came from. */
export interface TestCommand {
  cmd: string;
  /** `config test.cmd`, `package.json scripts.test`, `Makefile`, `mix.exs`, `pyproject.toml`, `go.mod`, `Cargo.toml`, ... */
  source: string;
}

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

// What `npm init` writes when there are no tests.
const NPM_PLACEHOLDER = /no test specified/i;

async function fromPackageJson(root: string): Promise<TestCommand | null> {
  const text = await readText(join(root, 'package.json'));
  if (text === null) return null;
  let pkg: unknown;
  try {
    pkg = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof pkg !== 'object' || pkg === null) return null;
  const { scripts, packageManager } = pkg as { scripts?: unknown; packageManager?: unknown };
  const test = typeof scripts === 'object' && scripts !== null ? (scripts as Record<string, unknown>)['test'] : undefined;
  if (typeof test !== 'string' || test.trim() === '' || NPM_PLACEHOLDER.test(test)) return null;
  const declared = typeof packageManager === 'string' ? /^(npm|pnpm|yarn|bun)@/.exec(packageManager)?.[1] : undefined;
  const manager =
    declared ??
    (existsSync(join(root, 'pnpm-lock.yaml'))
      ? 'pnpm'
      : existsSync(join(root, 'yarn.lock'))
        ? 'yarn'
        : existsSync(join(root, 'bun.lockb')) || existsSync(join(root, 'bun.lock'))
          ? 'bun'
          : 'npm');
  // `bun test` is bun's own runner, not the script.
  const cmd = manager === 'bun' ? 'bun run test' : `${manager} test`;
  return { cmd, source: 'package.json scripts.test' };
}

/** True when a makefile declares a rule for `test` (not a variable, not only `.PHONY`). */
export function makefileHasTestTarget(text: string): boolean {
  for (const line of text.split('\n')) {
    if (line.startsWith('\t') || line.startsWith('#')) continue;
    const rule = /^([^:=#]+?)\s*::?(?!=)/.exec(line);
    if (rule === null || rule[1] === undefined) continue;
    const targets = rule[1].trim().split(/\s+/);
    if (targets.includes('.PHONY')) continue;
    if (targets.includes('test')) return true;
  }
  return false;
}

async function fromMakefile(root: string): Promise<TestCommand | null> {
  // GNU make's own search order.
  for (const name of ['GNUmakefile', 'makefile', 'Makefile']) {
    const text = await readText(join(root, name));
    if (text === null) continue;
    return makefileHasTestTarget(text) ? { cmd: 'make test', source: `${name} test target` } : null;
  }
  return null;
}

function onPath(program: string, env: NodeJS.ProcessEnv): boolean {
  for (const dir of (env['PATH'] ?? '').split(delimiter)) if (dir !== '' && existsSync(join(dir, program))) return true;
  return false;
}

async function fromPython(root: string, env: NodeJS.ProcessEnv): Promise<TestCommand | null> {
  const pyproject = await readText(join(root, 'pyproject.toml'));
  const setupCfg = await readText(join(root, 'setup.cfg'));
  const configuresPytest =
    (pyproject !== null &&
      (/^\s*\[tool\.pytest(\.ini_options)?\]/m.test(pyproject) ||
        // A dependency list entry ("pytest>=8", 'pytest') or a poetry table key (pytest = "^8").
        /["']pytest(?:[\s<>=!~;[\]"']|$)/m.test(pyproject) ||
        /^\s*pytest\s*=/m.test(pyproject))) ||
    existsSync(join(root, 'pytest.ini')) ||
    (setupCfg !== null && /^\s*\[tool:pytest\]/m.test(setupCfg));
  if (configuresPytest) return { cmd: 'pytest', source: pyproject !== null ? 'pyproject.toml' : existsSync(join(root, 'pytest.ini')) ? 'pytest.ini' : 'setup.cfg' };
  if (pyproject === null) return null;
  // Debian and Ubuntu ship `python3` without `python` unless python-is-python3 is installed.
  const python = !onPath('python', env) && onPath('python3', env) ? 'python3' : 'python';
  return { cmd: `${python} -m pytest`, source: 'pyproject.toml' };
}

/**
 * The repository's test command (DESIGN.md §5 `test.cmd`): `configured` when set (the caller
 * passes the trusted `test.cmd`), else the first of package.json `scripts.test` (npm's "no test
 * specified" placeholder skipped; pnpm, yarn or bun when `packageManager` or their lockfile says
 * so), a makefile `test` target, mix.exs, pyproject.toml (or pytest.ini, setup.cfg
 * `[tool:pytest]`), go.mod, Cargo.toml, all at the work tree root. Null when none applies.
 */
export async function detectTestCommand(root: string, configured?: string, env: NodeJS.ProcessEnv = process.env): Promise<TestCommand | null> {
  if (configured !== undefined && configured.trim() !== '') return { cmd: configured, source: 'config test.cmd' };
  const js = await fromPackageJson(root);
  if (js) return js;
  const make = await fromMakefile(root);
  if (make) return make;
  if (existsSync(join(root, 'mix.exs'))) return { cmd: 'mix test', source: 'mix.exs' };
  const python = await fromPython(root, env);
  if (python) return python;
  if (existsSync(join(root, 'go.mod'))) return { cmd: 'go test ./...', source: 'go.mod' };
  if (existsSync(join(root, 'Cargo.toml'))) return { cmd: 'cargo test', source: 'Cargo.toml' };
  return null;
}

/** What the test commands are chosen from: the workspace's packages and the root's command, detected once. */
export interface TestSetup {
  workspace: Workspace;
  /** {@link detectTestCommand} at the root: the whole command of a repository that is not a workspace. */
  rootCommand: string | null;
}

/** Detects the {@link TestSetup} of the work tree at `root` (config `test.cmd` left aside). */
export async function detectTestSetup(root: string, env: NodeJS.ProcessEnv = process.env): Promise<TestSetup> {
  const { detectWorkspace } = await import('../testing/index.js');
  const [workspace, rootCommand] = await Promise.all([detectWorkspace(root, env), detectTestCommand(root, undefined, env)]);
  return { workspace, rootCommand: rootCommand?.cmd ?? null };
}

/** The command to run for a change, and the packages it tests (empty outside a workspace). */
export interface ChosenTests {
  cmd: string;
  /** The packages' folders (`''`: the root command); empty when the repository is not a workspace or `test.cmd` is set. */
  packages: string[];
}

/**
 * The tests a change calls for (DESIGN §6 "Tests"): a configured `test.cmd` always (the person's
 * word); in a workspace, the commands of the packages `scope` touches (see `selectTests`); else
 * the repository's one command, as before workspaces were known. Null when there is none.
 */
export async function chooseTests(root: string, configured: string | undefined, scope: TestScope, env: NodeJS.ProcessEnv = process.env, setup?: TestSetup): Promise<ChosenTests | null> {
  if (configured !== undefined && configured.trim() !== '') return { cmd: configured, packages: [] };
  const found = setup ?? (await detectTestSetup(root, env));
  const { isWorkspace, selectTests } = await import('../testing/index.js');
  if (!isWorkspace(found.workspace)) return found.rootCommand === null ? null : { cmd: found.rootCommand, packages: [] };
  const selection = selectTests(found.workspace, found.rootCommand, scope);
  return selection === null ? null : { cmd: selection.command, packages: selection.runs.map((r) => r.dir) };
}

// Lines that start or mark a failure in the common runners: vitest/jest (FAIL, ×, ✕), mocha ("1) "),
// node:test and TAP ("not ok"), pytest (FAILED, "E   ", Traceback), go (--- FAIL, panic:),
// cargo (panicked, error[E...]), ExUnit ("1) test"), make (Error N), and plain assertion errors.
const FAILURE =
  /(\bFAIL(?:ED|URE|URES)?\b|\bERROR\b|\b\w*Error\b:|\bnot ok\b|^\s*[×✕✗✘]|^\s*\d+\) |^E {2,}|Traceback \(most recent|--- FAIL|\bpanic(?:ked)?\b|error\[E\d+\]|\bassert(?:ion)?\w* failed\b|make: \*\*\*)/;
// A summary line that mentions failures without being one ("0 failed", "failures: 0").
const NOT_A_FAILURE = /\b0 (?:failed|failures?|errors?)\b|\bfailures?: 0\b/i;

// A line that reports a passing test: it ends the context of a failure and is dropped from the summary.
const PASSING = /^\s*(?:[✓✔√]|PASS\b|ok\b|--- PASS|=== RUN|test .* \.\.\. ok$|\.+$)/;

// Escape sequences are what this matches.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;
const MAX_LINE = 400;

/** Removes colours and cursor movement, keeps what a progress bar drew last on each line. */
export function cleanTerminalOutput(text: string): string {
  return text
    .replace(ANSI, '')
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((line) => {
      const cr = line.lastIndexOf('\r', line.length - 2);
      const visible = cr === -1 ? line.replace(/\r$/, '') : line.slice(cr + 1).replace(/\r$/, '');
      return visible.length > MAX_LINE ? `${visible.slice(0, MAX_LINE)}…` : visible;
    })
    .join('\n');
}

export interface TrimOptions {
  /** Upper bound of the result in characters. Default 8,000 (about 2,000 tokens). */
  maxChars?: number;
  /** Lines kept from the end (the runner's summary). Default 20. */
  tailLines?: number;
  /** Lines of context kept after each failure marker. Default 12. */
  contextLines?: number;
}

/**
 * What a model needs from a test run, within `maxChars`: colours and progress redraws removed,
 * then, when it is too long, the failures first (each marker line with one line before and
 * `contextLines` after, in order, as many as fit) and the last `tailLines` lines (the summary),
 * with the omitted stretches marked. Output that fits is returned whole (cleaned).
 */
export function trimTestOutput(output: string, options: TrimOptions = {}): string {
  const maxChars = Math.max(200, options.maxChars ?? 8000);
  const text = cleanTerminalOutput(output).replace(/\n+$/, '');
  if (text.length <= maxChars) return text;

  const lines = text.split('\n');
  const tailCount = Math.min(options.tailLines ?? 20, lines.length);
  let tailStart = lines.length - tailCount;
  // The summary may not take more than a quarter of the room.
  while (tailStart < lines.length - 1 && lines.slice(tailStart).join('\n').length > maxChars / 4) tailStart++;
  const tailLines = lines.slice(tailStart);
  const summaryLines = tailLines.filter((line) => !PASSING.test(line));
  let tail = (summaryLines.length > 0 ? summaryLines : tailLines.slice(-5)).join('\n');
  if (tail.length > maxChars / 4) tail = tail.slice(tail.length - Math.floor(maxChars / 4));

  const context = options.contextLines ?? 12;
  const windows: Array<[number, number]> = [];
  for (let i = 0; i < tailStart; i++) {
    const line = lines[i] ?? '';
    if (!FAILURE.test(line) || NOT_A_FAILURE.test(line)) continue;
    const start = i > 0 && !PASSING.test(lines[i - 1] ?? '') ? i - 1 : i;
    let end = i + 1;
    while (end < Math.min(tailStart, i + context + 1) && !PASSING.test(lines[end] ?? '')) end++;
    const last = windows[windows.length - 1];
    if (last !== undefined && start <= last[1]) last[1] = Math.max(last[1], end);
    else windows.push([start, end]);
  }

  const header = `[test output trimmed from ${lines.length} lines: ${windows.length > 0 ? 'failures first, then' : 'the start and'} the end]`;
  let budget = maxChars - tail.length - header.length - 64;
  const parts: string[] = [header];
  let shownUpTo = 0;
  const take = (start: number, end: number): boolean => {
    if (start > shownUpTo) parts.push(`[… ${start - shownUpTo} lines …]`);
    for (let i = start; i < end; i++) {
      const line = lines[i] ?? '';
      if (line.length + 1 > budget) {
        parts.push('[… more failures cut …]');
        shownUpTo = tailStart;
        return false;
      }
      parts.push(line);
      budget -= line.length + 1;
      shownUpTo = i + 1;
    }
    return true;
  };
  if (windows.length > 0) {
    for (const [start, end] of windows) if (!take(start, end)) break;
  } else {
    take(0, Math.min(tailStart, 15));
  }
  if (tailStart > shownUpTo) parts.push(`[… ${tailStart - shownUpTo} lines …]`);
  parts.push(tail);
  return parts.join('\n');
}

/**
 * The message that tells a model (and a person) how a test run went: the command, how it
 * ended, whether it was sandboxed, and the trimmed output of both streams.
 */
export function testReport(result: CommandResult, options: TrimOptions = {}): { passed: boolean; text: string } {
  const passed = result.code === 0 && !result.timedOut && !result.aborted;
  const ending = result.timedOut
    ? `timed out after ${(result.durationMs / 1000).toFixed(1)} s`
    : result.aborted
      ? 'was stopped'
      : result.code !== null
        ? `exited with ${result.code}`
        : `was killed by ${result.signal ?? 'a signal'}`;
  const streams = [result.stdout.trim(), result.stderr.trim() === '' ? '' : `[stderr]\n${result.stderr.trim()}`].filter((s) => s !== '').join('\n');
  const body = trimTestOutput(streams, options);
  const head = `\`${result.command}\` ${passed ? 'passed' : ending} in ${(result.durationMs / 1000).toFixed(1)} s${result.sandboxed ? '' : ' (not sandboxed)'}`;
  return { passed, text: body === '' ? head : `${head}\n${body}` };
}
