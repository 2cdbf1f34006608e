import type { Reporter, TestModule } from 'vitest/node';

/** Totals of one group of fault or security cases. */
export interface FaultTotals {
  tried: number;
  survived: number;
  lost: number;
  failedTests: string[];
}

/**
 * Adds up the cases of every test marked with `task.meta.fault` (see test/faults/harness.ts):
 * a passed test counts its `faultSurvived` (default: all its cases); a failed one counts none.
 */
export function collectFaultTotals(testModules: ReadonlyArray<TestModule>, groups: readonly string[]): Map<string, FaultTotals> {
  const totals = new Map<string, FaultTotals>();
  for (const module of testModules) {
    for (const test of module.children.allTests()) {
      const meta = test.meta();
      if (!meta.fault || !groups.includes(meta.fault)) continue;
      const state = test.result().state;
      if (state === 'skipped' || state === 'pending') continue;
      const t = totals.get(meta.fault) ?? { tried: 0, survived: 0, lost: 0, failedTests: [] };
      const cases = meta.faultCases ?? 1;
      t.tried += cases;
      t.survived += state === 'passed' ? (meta.faultSurvived ?? cases) : 0;
      t.lost += meta.faultLost ?? 0;
      if (state !== 'passed') t.failedTests.push(test.fullName);
      totals.set(meta.fault, t);
    }
  }
  return totals;
}

/** The report lines: one per group, then the total. */
export function formatFaultReport(title: string, totals: Map<string, FaultTotals>, labels: Record<string, string>, words: { survived: string; lost: string }): string {
  const lines = [`\n${title}`];
  const sum: FaultTotals = { tried: 0, survived: 0, lost: 0, failedTests: [] };
  for (const [group, t] of totals) {
    lines.push(`  ${(labels[group] ?? group).padEnd(44)} ${String(t.tried).padStart(4)} tried, ${String(t.survived).padStart(4)} ${words.survived}, ${t.lost} ${words.lost}`);
    sum.tried += t.tried;
    sum.survived += t.survived;
    sum.lost += t.lost;
    sum.failedTests.push(...t.failedTests);
  }
  lines.push(`  ${'total'.padEnd(44)} ${String(sum.tried).padStart(4)} tried, ${String(sum.survived).padStart(4)} ${words.survived}, ${sum.lost} ${words.lost}`);
  for (const name of sum.failedTests) lines.push(`  not survived: ${name}`);
  return `${lines.join('\n')}\n`;
}

/**
 * A vitest reporter class that prints one campaign's report at the end of the run: `labels`
 * names the groups (`task.meta.fault` values) it counts, `words` what surviving and losing mean.
 */
export function campaignReporter(title: string, labels: Record<string, string>, words: { survived: string; lost: string }): new () => Reporter {
  return class CampaignReporter implements Reporter {
    onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
      process.stdout.write(formatFaultReport(title, collectFaultTotals(testModules, Object.keys(labels)), labels, words));
    }
  };
}
