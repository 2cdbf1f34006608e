import type { Reporter, TestCase, TestModule } from 'vitest/node';

/** Why a test was skipped: its own `skipReason`, a suite's, or the note of `ctx.skip(note)`. */
export function skipReason(test: TestCase): string {
  const own = test.meta().skipReason;
  if (own) return own;
  for (let parent = test.parent; parent.type === 'suite'; parent = parent.parent) {
    const reason = parent.meta().skipReason;
    if (reason) return reason;
  }
  const result = test.result();
  if (result.state === 'skipped' && result.note) return result.note;
  return test.options.mode === 'todo' ? 'todo' : 'no reason given';
}

/**
 * Prints a plain closing line, `N passed, N failed, N skipped`, after vitest's own summary (so tools
 * reading only the end of a run see the counts), then one line per reason tests were skipped for:
 * `skipped 12: bwrap not found (install bubblewrap)`.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const reasons = new Map<string, number>();
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else {
          skipped++;
          const reason = skipReason(test);
          reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
        }
      }
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) failed++;
    }
    failed += unhandledErrors.length;
    const lines = [`${passed} passed, ${failed} failed, ${skipped} skipped`];
    for (const [reason, count] of [...reasons].sort((a, b) => b[1] - a[1])) lines.push(`skipped ${count}: ${reason}`);
    process.stdout.write(`\n${lines.join('\n')}\n`);
  }
}
