import { campaignReporter } from '../faults/report-core.js';

/** `npm run test:security`: hostile replies tried, contained, and anything that got out (must be 0). */
export default campaignReporter(
  'Security suite',
  { security: 'hostile model replies', secrets: 'secrets canary (every artefact grepped)' },
  { survived: 'contained', lost: 'escaped (files changed outside, canary hits)' },
);
