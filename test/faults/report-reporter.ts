import type { Reporter, TestModule } from 'vitest/node';
import { collectFaultTotals, formatFaultReport } from './report-core.js';

/** `npm run test:faults`: cases tried, cases survived, user changes lost (must be 0). */
export default class FaultReportReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const totals = collectFaultTotals(testModules, ['process', 'provider']);
    process.stdout.write(
      formatFaultReport(
        'Fault campaign',
        totals,
        { process: 'process: kill -9 at named points, races, disk', provider: 'provider: 429/5xx/529, cut, stalled, garbled' },
        { survived: 'survived', lost: 'user changes lost' },
      ),
    );
  }
}
