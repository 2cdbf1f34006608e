import { randomBytes } from 'node:crypto';

const REQUEST_ID = /^req_[0-9a-f]{12}$/;

/**
 * A correlation id for one model request: `req_` and 12 hex digits. It goes into every log line
 * of that request (`request`), the audit log, and the `Assist-Request` trailer of the commit the
 * request produced, so one id follows a request from prompt to commit.
 */
export function newRequestId(random: Buffer = randomBytes(6)): string {
  return `req_${random.toString('hex').slice(0, 12).padStart(12, '0')}`;
}

export function isRequestId(value: string): boolean {
  return REQUEST_ID.test(value);
}
