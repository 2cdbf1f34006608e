import { createHash } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomic-write.js';

/**
 * What is kept for one server's OAuth (`assist mcp login NAME`): the registered client, the tokens
 * and where the authorization server is. Written 0600 in a 0700 folder of the user's state folder,
 * never logged. The shapes are the SDK's (`StoredOAuthClientInformation`, `StoredOAuthTokens`,
 * `OAuthDiscoveryState`), kept as JSON.
 */
export interface OAuthRecord {
  server: string;
  /** The server URL the tokens were issued for: a record for another URL is never used. */
  url: string;
  client?: Record<string, unknown> & { client_id: string; redirect_uris?: string[] };
  tokens?: Record<string, unknown> & { access_token: string; refresh_token?: string };
  discovery?: Record<string, unknown>;
  /** When the tokens were saved (ISO time). */
  savedAt?: string;
}

/** The token file of one server entry (name and URL). */
export function oauthFile(stateDir: string, server: string, url: string): string {
  const key = createHash('sha256').update(`${server}\0${url}`).digest('hex').slice(0, 24);
  return join(stateDir, 'oauth', `${key}.json`);
}

export async function readOAuthRecord(stateDir: string, server: string, url: string): Promise<OAuthRecord | null> {
  try {
    const parsed = JSON.parse(await readFile(oauthFile(stateDir, server, url), 'utf8')) as OAuthRecord;
    return parsed && parsed.url === url && parsed.server === server ? parsed : null;
  } catch {
    return null;
  }
}

export async function writeOAuthRecord(stateDir: string, record: OAuthRecord): Promise<void> {
  const file = oauthFile(stateDir, record.server, record.url);
  const dir = join(stateDir, 'oauth');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
}

export async function removeOAuthRecord(stateDir: string, server: string, url: string): Promise<void> {
  await rm(oauthFile(stateDir, server, url), { force: true });
}
