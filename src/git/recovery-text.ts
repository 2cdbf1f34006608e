import type { RecoveryReport } from './store-types.js';

/**
 * One line saying what was done with a batch, undo, redo, restore or finish a crash left
 * behind, for whichever command found it (the session at start, `undo`, `checkpoint create`, ...).
 */
export function describeRecovery(report: Pick<RecoveryReport, 'action' | 'files' | 'leftAlone' | 'op' | 'commit'>): string {
  if (report.action === 'committed-by-you') {
    return `the pending batch was committed by you as ${report.commit?.slice(0, 10) ?? 'a commit'}${report.files.length > 0 ? ` (${report.files.join(', ')})` : ''}: nothing to retry or drop`;
  }
  const what = report.op ? `an interrupted ${report.op}` : 'an interrupted edit batch';
  const done =
    report.action === 'finished'
      ? report.op
        ? 'was completed'
        : 'was finished and committed'
      : report.action === 'rolled-back'
        ? 'was rolled back'
        : report.action === 'abandoned'
          ? 'was abandoned (HEAD was moved by hand since); its files are left as they are'
          : 'is pending';
  const files = report.files.length > 0 ? `: ${report.files.join(', ')}` : '';
  const alone = report.leftAlone.length > 0 ? `; left ${report.leftAlone.join(', ')} alone (changed since)` : '';
  return `${what} ${done}${files}${alone}`;
}
