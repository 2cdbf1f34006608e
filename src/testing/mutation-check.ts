import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AssistError, ExitCode } from '../errors.js';
import type { Mutant, MutantKind } from './types.js';
import { withScratchWorktree, type ScratchWorktree } from './scratch.js';

/** How one test run ended: what the check needs of a command runner. */
export interface TestRun {
  code: number | null;
  timedOut: boolean;
  aborted: boolean;
  output: string;
  ms: number;
}

/** Runs a test command in a directory of the scratch worktree (sandboxed by the default runner). */
export type TestRunner = (command: string, where: { scratch: ScratchWorktree; cwd: string; timeoutMs: number; signal?: AbortSignal }) => Promise<TestRun>;

export interface MutationCheckOptions {
  /** The person's work tree root and the common git dir. */
  root: string;
  commonDir: string;
  env: NodeJS.ProcessEnv;
  /** Repo-relative path of the file the mutants change. */
  target: string;
  mutants: readonly Mutant[];
  /** The command that runs the new tests (of the package), from `cwd`. */
  command: string;
  /** Repo-relative folder the command runs in (a workspace package); default the root. */
  cwd?: string;
  run: TestRunner;
  signal?: AbortSignal;
  /** Called as each mutant's run ends. */
  onProgress?: (done: number, total: number, result: MutantResult) => void;
}

/** What became of one mutant. `timeout` counts as caught: the tests noticed something. */
export interface MutantResult {
  id: string;
  kind: MutantKind;
  line: number;
  definition: string;
  description: string;
  status: 'caught' | 'survived' | 'timeout';
  ms: number;
}

export interface MutationReport {
  command: string;
  /** The tests against the unchanged code, in the scratch worktree. */
  baseline: { ms: number };
  results: MutantResult[];
  tried: number;
  caught: number;
  survived: number;
  /** caught / tried (1 when nothing was tried). */
  score: number;
  ms: number;
}

/**
 * The mutation check (DESIGN §6 "Tests"): in a scratch worktree that mirrors the person's work
 * tree, the tests run once against the code as it is (they must pass), then once per mutant with
 * the target file changed; a mutant is caught when the tests fail. The person's work tree is only
 * read; the scratch worktree is removed afterwards.
 */
export async function mutationCheck(options: MutationCheckOptions): Promise<MutationReport> {
  const started = performance.now();
  return withScratchWorktree({ root: options.root, commonDir: options.commonDir, env: options.env }, async (scratch) => {
    const cwd = join(scratch.dir, options.cwd ?? '');
    const targetPath = join(scratch.dir, options.target);
    const original = await readFile(targetPath, 'utf8');
    const interrupted = (): AssistError => new AssistError('test.interrupted', 'the mutation check was interrupted; its scratch worktree is removed', { exitCode: ExitCode.interrupted });

    const baseline = await options.run(options.command, { scratch, cwd, timeoutMs: 10 * 60_000, ...(options.signal ? { signal: options.signal } : {}) });
    if (baseline.aborted || options.signal?.aborted) throw interrupted();
    if (baseline.code !== 0) {
      throw new AssistError('test.baseline-failed', `the tests fail on the unchanged code (\`${options.command}\` exited ${baseline.timedOut ? 'by timeout' : String(baseline.code)}), so mutants prove nothing`, {
        data: { output: baseline.output.slice(-4000) },
      });
    }
    // A mutant that loops forever must not hold the check: a few times the clean run, at least 10 s.
    const timeoutMs = Math.max(10_000, baseline.ms * 4);
    const results: MutantResult[] = [];
    try {
      for (const mutant of options.mutants) {
        await writeFile(targetPath, mutant.content);
        const run = await options.run(options.command, { scratch, cwd, timeoutMs, ...(options.signal ? { signal: options.signal } : {}) });
        if (run.aborted || options.signal?.aborted) throw interrupted();
        const status = run.timedOut ? 'timeout' : run.code === 0 ? 'survived' : 'caught';
        const result: MutantResult = { id: mutant.id, kind: mutant.kind, line: mutant.line, definition: mutant.definition, description: mutant.description, status, ms: run.ms };
        results.push(result);
        options.onProgress?.(results.length, options.mutants.length, result);
      }
    } finally {
      await writeFile(targetPath, original);
    }
    return summarise(options.command, baseline.ms, results, performance.now() - started);
  });
}

/** The counts and score of a set of results; mutants the model showed to be equivalent are left out by the caller. */
export function summarise(command: string, baselineMs: number, results: readonly MutantResult[], ms: number): MutationReport {
  const caught = results.filter((r) => r.status !== 'survived').length;
  return {
    command,
    baseline: { ms: Math.round(baselineMs) },
    results: [...results],
    tried: results.length,
    caught,
    survived: results.length - caught,
    score: results.length === 0 ? 1 : caught / results.length,
    ms: Math.round(ms),
  };
}
