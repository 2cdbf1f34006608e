import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Tests spawn real git and the built CLI: give them room on a 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // vitest's default is a worker fewer than the cores: one on 2 cores, where a test file spends
    // much of its time waiting on the git and CLI processes it spawns, so the second core idles.
    // Two workers there (docs/testing.md "Workers"); larger machines keep vitest's default.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
