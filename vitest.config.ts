import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Tests spawn real git and the built CLI: give them room on a 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // vitest's default (a worker fewer than the cores: one on 2 cores). Two were tried on 2 cores
    // (docs/testing.md "Workers"): quicker, but the saturated cores starve the hooks' refresher,
    // which runs at the lowest CPU priority by design, past the waits of the tests that need it.
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
