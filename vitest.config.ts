import { defineConfig } from 'vitest/config';
import LongestFirstSequencer from './test/helpers/sequencer.js';

const include = ['src/**/*.test.ts', 'test/**/*.test.ts'];

/**
 * Files that run alone, one worker, after all the others (docs/testing.md "Workers"): they wait on
 * the hooks' refresher, which runs at the lowest CPU priority by design and gets almost no CPU
 * while two workers saturate two cores, or they bound a time from above (an abort within 500 ms,
 * a hook within 10 ms of an empty one, a storm's commits closer than the refresher's quiet window,
 * a client's 100–300 ms timeout against the fake server in the worker).
 */
export const ALONE = [
  // The hooks' refresher (nice 19), started by a commit or run by hand.
  'src/hooks/block.test.ts',
  'src/hooks/cli.test.ts',
  'src/hooks/install.test.ts',
  'src/hooks/refresher.test.ts',
  'src/hooks/storm.test.ts',
  'src/context/search.test.ts',
  'test/faults/hook-refresh.test.ts',
  'test/integration/hooks-run.test.ts',
  'test/integration/search-vectors.test.ts',
  'test/integration/summaries.test.ts',
  // Upper bounds on a time, some of them a client's timeout against the fake server in the worker
  // itself: under two saturated cores a request took longer than 300 ms to reach it.
  'src/context/request-vectors.test.ts',
  'src/llm/choose-model.test.ts',
  'src/llm/gemini.test.ts',
  'src/llm/providers.test.ts',
  'src/sandbox/commands/run.test.ts',
  'src/tools/read-file.test.ts',
  'test/fake-llm/fault-table.test.ts',
  'test/fake-llm/faults.test.ts',
  'test/integration/default-model.test.ts',
];

/**
 * Files that need a process of their own (the `shared` project reuses one per worker, below): they
 * change what a module caches for the whole process or replace a module.
 */
export const ISOLATED = [
  // Puts a failing `bwrap` first on PATH; the sandbox caches its probe per process.
  'src/tools/run-command-nobwrap.test.ts',
  // vi.mock of a module others import as it is.
  'src/context/tags-cache-faults.test.ts',
  // Checks that Node's fetch is not loaded before warm(): any earlier file in the process loads it.
  'src/llm/warm.test.ts',
];

export default defineConfig({
  test: {
    // Tests spawn real git and the built CLI: give them room on a 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    sequence: { sequencer: LongestFirstSequencer },
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        // Two workers even on 2 cores (vitest's default there is one): most of a test's time is
        // spent waiting on the CLI, git and the fake server it spawned, not in the worker.
        // One process per worker for all its files, not one per file (isolate: false): a file's
        // start-up (a fork, then evaluating the test helpers, the fake server and the src/ modules
        // they import) cost as much as its tests for most of the 130 unit files.
        test: { name: 'shared', include, exclude: [...ALONE, ...ISOLATED], maxWorkers: 2, isolate: false, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'isolated', include: ISOLATED, maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'alone', include: ALONE, maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
