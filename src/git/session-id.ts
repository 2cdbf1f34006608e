import { randomBytes } from 'node:crypto';

const SESSION_ID = /^\d{8}-\d{6}-[0-9a-f]{4}$/;

/** `YYYYMMDD-HHMMSS-xxxx` in UTC: sortable by start time, 4 random hex digits against collisions. */
export function newSessionId(now: Date = new Date(), random: Buffer = randomBytes(2)): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const date = `${p(now.getUTCFullYear(), 4)}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}`;
  const time = `${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${date}-${time}-${random.toString('hex').slice(0, 4).padStart(4, '0')}`;
}

export function isSessionId(value: string): boolean {
  return SESSION_ID.test(value);
}

export function sessionBranchName(id: string): string {
  return `assist/${id}`;
}

export function chainRef(id: string): string {
  return `refs/assist/log/${id}`;
}

export function checkpointRef(id: string, name: string): string {
  return `refs/assist/checkpoints/${id}/${name}`;
}
