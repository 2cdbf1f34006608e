import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, posix, relative, resolve, sep } from 'node:path';
import { AssistError, ExitCode, refusal, usageError } from '../errors.js';
import { execText } from '../util/exec.js';
import type { Mutant, MutantResult, MutationReport, TestPackage } from '../testing/index.js';
// From the module itself: the library's declarations must not reach the grammars' types through testing/index.
import type { TestRunner } from '../testing/mutation-check.js';
import { newRequestId, Session } from './session.js';
import type { SessionOptions, ToolCallRecord, TurnResult } from './types.js';

/** What `generateTests()` takes: a session's options, plus what to test. */
export interface GenerateTestsOptions extends Omit<SessionOptions, 'mode' | 'dryRun' | 'autoTest' | 'files' | 'prefetch'> {
  /** Files or `file:symbol`, relative to `cwd`. */
  targets: readonly string[];
  /** Test the definitions changed on this branch and in the work tree instead. */
  changed?: boolean;
  signal?: AbortSignal;
  /** Runs the tests in the scratch worktree; default: sandboxed, as every command (tests inject their own). */
  runner?: TestRunner;
}

/** One definition under test. */
export interface TestTarget {
  path: string;
  symbol?: string;
  /** The definitions the mutants were made from (`Class.method` for methods). */
  definitions: string[];
  /** The package whose framework and command test it. */
  package: { dir: string; name: string; framework: string | null; command: string };
}

/** One mutant as the report shows it. */
export interface MutantOutcome {
  id: string;
  file: string;
  line: number;
  kind: string;
  change: string;
  definition: string;
  status: 'caught' | 'survived' | 'timeout' | 'equivalent';
  /** The model's reason, for a mutant it showed to be equivalent. */
  reason?: string;
}

/** What `assist test` did (the report and `--json`). */
export interface GenerateTestsResult {
  session: string | null;
  branch: string | null;
  targets: TestTarget[];
  /** Test files written or changed (repo-relative). */
  tests: string[];
  /** The tests passed on the unchanged code in the last round. */
  passed: boolean;
  /** The one commit holding the tests, or null (not committed: see `reason`). */
  commit: string | null;
  committed: boolean;
  /** Why nothing was committed. */
  reason?: string;
  /** Rounds with the model: the first attempt, then fixes and strengthenings. */
  rounds: number;
  mutants: { tried: number; caught: number; survived: number; equivalent: number; score: number; minScore: number; results: MutantOutcome[] };
  /** Files the model changed that are not tests: left out of the commit. */
  dropped: string[];
  ms: number;
  /** Of which the mutation check (all rounds). */
  mutationMs: number;
  usage: TurnResult['usage'];
  model: string;
  steps: number;
  tool_calls: ToolCallRecord[];
}

interface Prepared {
  target: TestTarget;
  content: string;
  mutants: Mutant[];
  pkg: TestPackage;
  nearest: string[];
  suggested: string;
  source: string;
}

/**
 * `assist test` (DESIGN §3, §6 "Tests"): the tool loop writes tests for the targets following
 * the nearest existing tests, they are run against the code and against mutants of the target
 * definitions in a scratch worktree, surviving mutants go back to the model, and the tests are
 * committed as one commit once at least `test.min_mutation_score` of the mutants are caught.
 */
export async function generateTests(options: GenerateTestsOptions): Promise<GenerateTestsResult> {
  const started = performance.now();
  const { targets: inputs, changed, signal, runner, ...rest } = options;
  const config = options.config;
  const testing = await import('../testing/index.js');
  const rootOut = await execText('git', ['rev-parse', '--show-toplevel'], { cwd: options.cwd, env: options.env });
  if (rootOut.code !== 0) throw new AssistError('git.not-a-repository', 'not in a git repository');
  const root = rootOut.stdout.trim();
  const specs = changed ? await changedTargets(root, options.env) : inputs.map((t) => parseTarget(t, options.cwd, root));
  if (specs.length === 0) throw new AssistError('test.nothing-changed', 'no changed definitions to test: this branch and the work tree change no function of a language the mutation check knows', { exitCode: ExitCode.nothingToDo });

  const workspace = await testing.detectWorkspace(root, options.env);
  const files = await listFiles(root, options.env);
  const prepared: Prepared[] = [];
  for (const spec of specs) {
    if (!testing.canMutate(spec.path)) throw usageError('test.language-unsupported', `${spec.path}: assist test knows TypeScript, JavaScript, Python and Go`, 'name a file of one of those languages');
    const content = await readFile(resolve(root, spec.path), 'utf8');
    const set = await testing.mutantsFor(spec.path, content, { ...(spec.symbol ? { symbol: spec.symbol } : {}), max: config.test.mutants });
    // Outside every known package, a configured `test.cmd` tests the repository as a whole.
    const found = testing.packageOf(workspace, spec.path) ?? (config.test.cmd ? { dir: '', name: 'root', manifest: '', command: config.test.cmd, framework: null } : null);
    const command = found?.command ?? config.test.cmd ?? null;
    if (!found || !command) {
      throw new AssistError('test.no-framework', `no test command for ${spec.path}: no package manifest names one`, { hint: 'add a test script to its manifest, or set one: `assist config set test.cmd "npm test"`', exitCode: ExitCode.usage });
    }
    const pkg: TestPackage = { ...found, command };
    const inPackage = files.filter((f) => pkg.dir === '' || f.startsWith(`${pkg.dir}/`));
    const nearest = testing.nearestTests(inPackage, spec.path, 2);
    const lines = content.split('\n');
    const source = set.definitions.map((d) => `${spec.path} lines ${d.startLine}-${d.endLine}:\n${lines.slice(d.startLine - 1, d.endLine).join('\n')}`).join('\n\n');
    prepared.push({
      target: { path: spec.path, ...(spec.symbol ? { symbol: spec.symbol } : {}), definitions: set.definitions.map((d) => d.name), package: { dir: pkg.dir, name: pkg.name, framework: pkg.framework, command } },
      content,
      mutants: set.mutants,
      pkg,
      nearest,
      suggested: testing.suggestTestPath(spec.path, nearest[0]),
      source,
    });
  }

  const approved = await runApproval(options);
  const run = runner ?? testing.sandboxRunner({ mode: config.sandbox.commands, approved, env: options.env });
  const session = await Session.create({ ...rest, mode: 'run', dryRun: false, autoTest: false, command: rest.command ?? 'assist test' });
  const totals: GenerateTestsResult['usage'] = { input_tokens: 0, output_tokens: 0, estimated: false, cost_usd: 0 };
  const toolCalls: ToolCallRecord[] = [];
  let steps = 0;
  let model = session.model;
  const commits: string[] = [];
  const touched = new Set<string>();
  const equivalent = new Map<string, string>();
  let mutationMs = 0;
  let best: { score: number; reports: Array<{ prep: Prepared; report: MutationReport }>; files: Map<string, string> } | null = null;
  let last: Array<{ prep: Prepared; report: MutationReport }> = [];
  let passed = false;
  let rounds = 0;
  let message = await firstMessage(prepared, root);
  const maxRounds = 1 + config.session.maxReflections;
  const absorb = (turn: TurnResult): void => {
    totals.input_tokens += turn.usage.input_tokens;
    totals.output_tokens += turn.usage.output_tokens;
    totals.estimated ||= turn.usage.estimated;
    totals.cost_usd = totals.cost_usd === null || turn.usage.cost_usd === null ? null : totals.cost_usd + turn.usage.cost_usd;
    if (turn.usage.cached_input_tokens) totals.cached_input_tokens = (totals.cached_input_tokens ?? 0) + turn.usage.cached_input_tokens;
    toolCalls.push(...turn.toolCalls);
    steps += turn.steps;
    model = turn.model;
    commits.push(...turn.commits);
    for (const f of turn.files) touched.add(f);
    for (const m of turn.reply.matchAll(/^\s*[-*]?\s*EQUIVALENT\s+(m\d+)\s*[:—-]\s*(.+)$/gim)) equivalent.set((m[1] as string).toLowerCase(), (m[2] as string).trim());
  };
  let sessionId: string | null = null;
  let branch: string | null = null;
  try {
    for (rounds = 1; rounds <= maxRounds; rounds++) {
      const turn = await session.ask(message, signal);
      absorb(turn);
      sessionId = turn.session ?? sessionId;
      branch = turn.branch ?? branch;
      if (turn.refused.some((r) => r.reason === 'needs approval') && turn.commits.length === 0) {
        throw refusal('approval.missing', 'the tests were not written: no terminal to approve them', 'rerun with --yes to apply them');
      }
      const tests = [...touched].filter((f) => testing.isTestFile(f));
      if (tests.length === 0) {
        if (rounds === maxRounds) break;
        message = `No test file was written. Write the tests now, in ${prepared.map((p) => p.suggested).join(', ')}, with edit_file or write_file.`;
        continue;
      }
      // The check runs against what is committed and what is in the work tree, in a scratch worktree.
      const checkStarted = performance.now();
      const reports: Array<{ prep: Prepared; report: MutationReport }> = [];
      let failure: { output: string; command: string } | null = null;
      for (const prep of prepared) {
        const own = tests.filter((t) => testing.packageOf(workspace, t)?.dir === prep.pkg.dir || prep.pkg.dir === '');
        const relTests = (own.length > 0 ? own : tests).map((t) => (prep.pkg.dir === '' ? t : posix.relative(prep.pkg.dir, t)));
        const command = testing.focusedCommand(prep.pkg, relTests, root) ?? prep.target.package.command;
        options.ui?.status?.(`mutation check: ${prep.mutants.length} mutant${prep.mutants.length === 1 ? '' : 's'} of ${prep.target.symbol ?? prep.target.path}, \`${command}\``);
        try {
          const report = await testing.mutationCheck({
            root,
            commonDir: await commonDir(root, options.env),
            env: options.env,
            target: prep.target.path,
            mutants: prep.mutants,
            command,
            cwd: prep.pkg.dir,
            run,
            ...(signal ? { signal } : {}),
          });
          reports.push({ prep, report });
        } catch (error) {
          if (!(error instanceof AssistError) || error.code !== 'test.baseline-failed') throw error;
          failure = { output: String((error.data as { output?: string } | undefined)?.output ?? ''), command };
          break;
        }
      }
      mutationMs += performance.now() - checkStarted;
      if (failure) {
        passed = false;
        options.ui?.status?.(`the tests fail on the unchanged code: asking the model to fix them (${rounds}/${maxRounds - 1})`);
        message = `The tests fail on the code as it is (\`${failure.command}\`):\n\n${tail(failure.output, 6000)}\n\nFix the tests (not the code under test) so they pass, and keep them asserting real behaviour.`;
        continue;
      }
      passed = true;
      last = reports;
      const score = scoreOf(reports, equivalent);
      if (!best || score >= best.score) best = { score, reports, files: await readFiles(root, tests) };
      if (score >= config.test.minMutationScore) break;
      if (rounds === maxRounds) break;
      const survivors = reports.flatMap(({ prep, report }) => report.results.filter((r) => r.status === 'survived' && !equivalent.has(r.id)).map((r) => ({ prep, r })));
      options.ui?.status?.(`${survivors.length} mutant${survivors.length === 1 ? '' : 's'} survived (score ${Math.round(score * 100)}%, needed ${Math.round(config.test.minMutationScore * 100)}%): asking the model for stronger tests`);
      message = survivorsMessage(survivors, reports, tests);
    }
  } finally {
    session.close();
  }

  const tests = [...touched].filter((f) => testing.isTestFile(f)).sort();
  const dropped = [...touched].filter((f) => !testing.isTestFile(f)).sort();
  const results = outcomes(last, equivalent);
  const counted = results.filter((r) => r.status !== 'equivalent');
  const caught = counted.filter((r) => r.status !== 'survived').length;
  const score = counted.length === 0 ? (passed ? 1 : 0) : caught / counted.length;
  const ok = passed && tests.length > 0 && score >= config.test.minMutationScore;
  let commit: string | null = null;
  let reason: string | undefined;
  if (commits.length > 0) {
    // One commit holding only the tests: the steps' commits are undone and the result committed once.
    const final = ok ? await readFiles(root, tests) : (best?.files ?? (await readFiles(root, tests)));
    const singleAlready = ok && commits.length === 1 && dropped.length === 0;
    if (singleAlready) commit = commits[0] as string;
    else {
      const { openStore } = await import('../git/index.js');
      const store = await openStore({ cwd: root, env: options.env, command: 'assist test', checkpointsKept: config.git.checkpointsKept });
      try {
        await store.undo({ count: commits.length });
        const info = store.currentSession();
        if (ok && info) {
          const batch = await store.applyBatch(info.id, {
            summary: commitSummaryFor(prepared),
            body: commitBody(prepared, results, score, config.test.minMutationScore),
            model,
            request: newRequestId(),
            files: tests.map((path) => ({ path, content: final.get(path) ?? null })),
          });
          commit = batch.commit;
        }
      } finally {
        store.close();
      }
      if (!ok) {
        // The best attempt is offered: written, not committed.
        const { writeFile, mkdir } = await import('node:fs/promises');
        for (const [path, content] of final) {
          await mkdir(posix.dirname(resolve(root, path)), { recursive: true });
          await writeFile(resolve(root, path), content);
        }
      }
    }
  }
  if (!ok) {
    reason = !passed
      ? 'the tests did not pass on the unchanged code'
      : tests.length === 0
        ? 'the model wrote no test file'
        : `the tests catch ${caught} of ${counted.length} mutants (${Math.round(score * 100)}%), under test.min_mutation_score (${Math.round(config.test.minMutationScore * 100)}%)`;
  }
  const eqCount = results.filter((r) => r.status === 'equivalent').length;
  return {
    session: sessionId,
    branch,
    targets: prepared.map((p) => p.target),
    tests,
    passed,
    commit,
    committed: commit !== null,
    ...(reason ? { reason } : {}),
    rounds: Math.min(rounds, maxRounds),
    mutants: { tried: results.length, caught, survived: counted.length - caught, equivalent: eqCount, score, minScore: config.test.minMutationScore, results },
    dropped,
    ms: Math.round(performance.now() - started),
    mutationMs: Math.round(mutationMs),
    usage: totals,
    model,
    steps,
    tool_calls: toolCalls,
  };
}

/** A person without bubblewrap says once whether the tests may run unconfined, for every run of the check. */
async function runApproval(options: GenerateTestsOptions): Promise<boolean> {
  const { needsApproval } = await import('../sandbox/index.js');
  const unconfined = await needsApproval(options.config.sandbox.commands);
  if (!unconfined) return false;
  const command = 'the tests, once per mutant, in a scratch worktree';
  if (options.interactive && options.ui?.confirmCommand && (await options.ui.confirmCommand(command, unconfined.warning))) return true;
  throw refusal('sandbox.command-needs-approval', `not running the tests: ${unconfined.reason}`, 'install bubblewrap so tests run confined, or run assist test in a terminal and approve it');
}

function parseTarget(input: string, cwd: string, root: string): { path: string; symbol?: string } {
  const asFile = (candidate: string): string | null => {
    const abs = isAbsolute(candidate) ? candidate : resolve(cwd, candidate);
    const rel = relative(root, abs);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return null;
    return existsSync(abs) && statSync(abs).isFile() ? rel.split(sep).join('/') : null;
  };
  const whole = asFile(input);
  if (whole) return { path: whole };
  const colon = input.lastIndexOf(':');
  if (colon > 0) {
    const path = asFile(input.slice(0, colon));
    const symbol = input.slice(colon + 1);
    if (path && symbol !== '') return { path, symbol };
  }
  throw usageError('test.bad-target', `no such file: ${input.slice(0, colon > 0 ? colon : undefined)}`, 'a TARGET is a file or file:symbol, relative to the current directory');
}

/** The definitions this branch (since its session base or upstream) and the work tree change: `assist test --changed`. */
export async function changedTargets(root: string, env: NodeJS.ProcessEnv): Promise<Array<{ path: string; symbol?: string }>> {
  const testing = await import('../testing/index.js');
  const git = (args: string[]): Promise<string> => execText('git', args, { cwd: root, env }).then((r) => (r.code === 0 ? r.stdout : ''));
  const branch = (await git(['symbolic-ref', '--short', '-q', 'HEAD'])).trim();
  const base = branch ? (await git(['config', '--get', `branch.${branch}.assistBase`])).trim() || (await git(['rev-parse', '-q', '--verify', '@{upstream}'])).trim() : '';
  const since = base ? (await git(['merge-base', base, 'HEAD'])).trim() || 'HEAD' : 'HEAD';
  const diff = await git(['diff', '-U0', '--no-renames', since]);
  const untracked = (await git(['ls-files', '-z', '--others', '--exclude-standard'])).split('\0').filter(Boolean);
  const hunks = new Map<string, Array<[number, number]>>();
  let file: string | null = null;
  for (const line of diff.split('\n')) {
    const header = /^\+\+\+ b\/(.+)$/.exec(line);
    if (header) file = header[1] as string;
    else if (line.startsWith('+++ /dev/null')) file = null;
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (hunk && file) hunks.set(file, [...(hunks.get(file) ?? []), [Number(hunk[1]), Number(hunk[1]) + Math.max(0, Number(hunk[2] ?? 1) - 1)]]);
  }
  for (const f of untracked) hunks.set(f, [[1, Number.MAX_SAFE_INTEGER]]);
  const out: Array<{ path: string; symbol?: string }> = [];
  for (const [path, ranges] of [...hunks].sort(([a], [b]) => a.localeCompare(b))) {
    if (!testing.canMutate(path) || testing.isTestFile(path) || !existsSync(resolve(root, path))) continue;
    const set = await testing.mutantsFor(path, await readFile(resolve(root, path), 'utf8'), { max: 0 });
    for (const d of set.definitions) if (ranges.some(([a, b]) => a <= d.endLine && b >= d.startLine)) out.push({ path, symbol: d.name });
  }
  return out;
}

async function listFiles(root: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const r = await execText('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, env });
  return r.stdout.split('\0').filter(Boolean);
}

async function commonDir(root: string, env: NodeJS.ProcessEnv): Promise<string> {
  return (await execText('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], { cwd: root, env })).stdout.trim();
}

async function readFiles(root: string, paths: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const path of paths) {
    const content = await readFile(resolve(root, path), 'utf8').catch(() => null);
    if (content !== null) out.set(path, content);
  }
  return out;
}

async function firstMessage(prepared: readonly Prepared[], root: string): Promise<string> {
  const parts: string[] = [];
  const names = prepared.map((p) => (p.target.symbol ? `\`${p.target.symbol}\` in ${p.target.path}` : p.target.path));
  parts.push(`Write tests for ${names.join(', ')}: tests that would catch a bug in ${prepared.length === 1 && prepared[0]!.target.symbol ? 'it' : 'them'}.`);
  for (const p of prepared) {
    const where = p.pkg.dir === '' ? 'the repository root' : `${p.pkg.dir} (package ${p.pkg.name})`;
    parts.push(`${p.target.path} is tested with ${p.pkg.framework ?? 'the project test command'} in ${where}; its test command is \`${p.target.package.command}\`.`);
    if (p.nearest.length > 0) {
      parts.push(`Follow the nearest existing test${p.nearest.length === 1 ? '' : 's'} as the pattern (imports, style, layout, helpers): ${p.nearest.join(', ')}. Put the new tests in ${p.suggested}${existsSync(resolve(root, p.suggested)) ? ' (it exists: add to it)' : ''}.`);
      const example = await readFile(resolve(root, p.nearest[0]!), 'utf8').catch(() => null);
      if (example !== null) parts.push(`${p.nearest[0]}:\n\`\`\`\n${example.split('\n').slice(0, 150).join('\n')}\n\`\`\``);
    } else parts.push(`There are no tests yet; put the new tests in ${p.suggested}.`);
    if (p.pkg.propertyLibrary) parts.push(`The project uses ${p.pkg.propertyLibrary} for property-based tests: add properties where they fit.`);
    parts.push(`The code under test:\n\`\`\`\n${p.source}\n\`\`\``);
  }
  parts.push(
    [
      'Rules:',
      '- Change test files only, never the code under test.',
      '- Every test asserts results: the values returned, the errors raised, at the edges too (each comparison and boundary, each branch). A test that only calls the code is not a test.',
      '- Run the tests (run_command with the test command, or run_tests) and fix them until they pass.',
      '- Then answer with a one-line summary. The tests are then checked against small changes to the code (mutants); changes they miss come back to you.',
    ].join('\n'),
  );
  return parts.join('\n\n');
}

function survivorsMessage(survivors: ReadonlyArray<{ prep: Prepared; r: MutantResult }>, reports: ReadonlyArray<{ prep: Prepared; report: MutationReport }>, tests: readonly string[]): string {
  const lines = [`The tests pass, but these changes to the code are caught by no test (the mutation check ran ${reports.reduce((n, x) => n + x.report.tried, 0)} of them):`];
  for (const { prep, r } of survivors) lines.push(`- ${r.id} ${prep.target.path} ${r.description} (in ${r.definition})`);
  lines.push('');
  lines.push(`Strengthen the tests in ${tests.join(', ')} so that each of these changes makes a test fail: assert exact results, boundaries and errors. Change test files only.`);
  lines.push('If a change cannot alter any behaviour (an equivalent mutant), say so in your answer on a line of its own: `EQUIVALENT m3: the reason`.');
  return lines.join('\n');
}

function scoreOf(reports: ReadonlyArray<{ report: MutationReport }>, equivalent: ReadonlyMap<string, string>): number {
  const all = reports.flatMap((x) => x.report.results).filter((r) => !(r.status === 'survived' && equivalent.has(r.id)));
  return all.length === 0 ? 1 : all.filter((r) => r.status !== 'survived').length / all.length;
}

function outcomes(reports: ReadonlyArray<{ prep: Prepared; report: MutationReport }>, equivalent: ReadonlyMap<string, string>): MutantOutcome[] {
  return reports.flatMap(({ prep, report }) =>
    report.results.map((r) => {
      const reason = r.status === 'survived' ? equivalent.get(r.id) : undefined;
      const mutant = prep.mutants.find((m) => m.id === r.id);
      const change = mutant ? (mutant.kind === 'statement' ? `removed \`${mutant.original}\`` : `\`${mutant.original}\` → \`${mutant.replacement}\``) : r.description;
      return { id: r.id, file: prep.target.path, line: r.line, kind: r.kind, change, definition: r.definition, status: reason ? ('equivalent' as const) : r.status, ...(reason ? { reason } : {}) };
    }),
  );
}

function commitSummaryFor(prepared: readonly Prepared[]): string {
  const names = prepared.map((p) => p.target.symbol ?? posix.basename(p.target.path));
  return `Add tests for ${names.slice(0, 3).join(', ')}${names.length > 3 ? ` and ${names.length - 3} more` : ''}`;
}

function commitBody(prepared: readonly Prepared[], results: readonly MutantOutcome[], score: number, min: number): string {
  const counted = results.filter((r) => r.status !== 'equivalent');
  const caught = counted.filter((r) => r.status !== 'survived').length;
  const lines = [`Mutation check: ${caught} of ${counted.length} mutants caught (${Math.round(score * 100)}%, needed ${Math.round(min * 100)}%) of ${prepared.map((p) => p.target.definitions.join(', ')).join('; ')}.`];
  for (const r of results.filter((x) => x.status === 'survived' || x.status === 'equivalent')) lines.push(`- ${r.status}: ${r.file}:${r.line} ${r.change}${r.reason ? ` (${r.reason})` : ''}`);
  return lines.join('\n');
}

function tail(text: string, max: number): string {
  return text.length > max ? `…${text.slice(text.length - max)}` : text;
}
