import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { userConfigDir } from './paths.js';
import { writeFileAtomic } from '../util/atomic-write.js';

/**
 * Trusted project files, by repository root: the sha256 of `.assist.toml` as it was when the person
 * ran `assist trust`. Kept beside the user config (not in the repository, which could forge it).
 */
type TrustStore = Record<string, string>;

function trustFile(env: NodeJS.ProcessEnv): string {
  return join(userConfigDir(env), 'trusted.json');
}

export function hashProjectFile(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

async function readStore(env: NodeJS.ProcessEnv): Promise<TrustStore> {
  try {
    const parsed = JSON.parse(await readFile(trustFile(env), 'utf8')) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as TrustStore) : {};
  } catch {
    return {};
  }
}

export async function isProjectFileTrusted(env: NodeJS.ProcessEnv, repoRoot: string, text: string): Promise<boolean> {
  const store = await readStore(env);
  return store[repoRoot] === hashProjectFile(text);
}

/** Records (or with `hash: null`, removes) the trusted hash for a repository. */
export async function setProjectTrust(env: NodeJS.ProcessEnv, repoRoot: string, hash: string | null): Promise<void> {
  const store = await readStore(env);
  if (hash === null) delete store[repoRoot];
  else store[repoRoot] = hash;
  const dir = userConfigDir(env);
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(trustFile(env), JSON.stringify(store, null, 2) + '\n', { mode: 0o600 });
}
