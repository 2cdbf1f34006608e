import { campaignReporter } from './report-core.js';

/** `npm run test:faults`: cases tried, cases survived, user changes lost (must be 0). */
export default campaignReporter(
  'Fault campaign',
  { process: 'process: kill -9 at named points, races, disk', provider: 'provider: 429/5xx/529, cut, stalled, garbled' },
  { survived: 'survived', lost: 'user changes lost' },
);
