import type { Reporter, TestModule } from 'vitest/node';
import { collectFaultTotals, formatFaultReport } from '../faults/report-core.js';

/** `npm run test:security`: hostile replies tried, contained, and anything that got out (must be 0). */
export default class SecurityReportReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const totals = collectFaultTotals(testModules, ['security', 'secrets']);
    process.stdout.write(
      formatFaultReport(
        'Security suite',
        totals,
        { security: 'hostile model replies', secrets: 'secrets canary (every artefact grepped)' },
        { survived: 'contained', lost: 'escaped (files changed outside, canary hits)' },
      ),
    );
  }
}
