import { spawn } from 'node:child_process';
import { isEnvFileName } from './git-names.js';

/**
 * Asks git, in one `git check-ignore --stdin -z`, which of the repo-relative `rels` it
 * ignores. Tracked files are never ignored (git's own rule). Rejects when git fails.
 */
export function listIgnored(root: string, rels: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Set<string>> {
  if (rels.length === 0) return Promise.resolve(new Set());
  return new Promise((resolvePromise, reject) => {
    const child = spawn('git', ['check-ignore', '--stdin', '-z'], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      // 0: some are ignored, 1: none is; anything else is a fatal error.
      if (code !== 0 && code !== 1) {
        const first = Buffer.concat(err).toString('utf8').trim().split('\n')[0] ?? '';
        reject(new Error(`git check-ignore exited ${String(code)}: ${first}`));
        return;
      }
      const text = Buffer.concat(out).toString('utf8');
      resolvePromise(new Set(text.split('\0').filter((p) => p.length > 0)));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(rels.join('\0') + '\0');
  });
}

/**
 * The paths among `rels` known not to be ignored without asking git: files tracked in the index as
 * it is now (git's exclude rules never apply to those), from a listing the caller already made.
 * Only what is certain; every other path is asked of `git check-ignore`.
 */
export type NotIgnoredLookup = (rels: readonly string[]) => Promise<ReadonlySet<string>>;

/** Why a file must be neither sent to a model nor written by one. */
export interface SensitiveFile {
  code: 'sandbox.env-file' | 'sandbox.ignored' | 'sandbox.ignore-check-failed';
  reason: string;
}

/** Options of {@link checkSensitive}. */
export interface SensitivityOptions {
  /** Repo-relative paths the person added to the chat by name: always allowed. */
  addedByName?: ReadonlySet<string>;
  env?: NodeJS.ProcessEnv;
  /** Paths known not to be ignored (tracked): not asked of git. */
  knownNotIgnored?: NotIgnoredLookup;
}

/**
 * The sensitivity rule of DESIGN.md §7 for a batch of repo-relative posix paths (real paths,
 * as `resolveInside` returns them): `.env*` files and files git ignores, unless the person
 * added them by name. Returns only the sensitive ones. One git process for the whole batch.
 */
export async function checkSensitive(root: string, rels: readonly string[], options: SensitivityOptions = {}): Promise<Map<string, SensitiveFile>> {
  const result = new Map<string, SensitiveFile>();
  const named = options.addedByName ?? new Set<string>();
  const toAsk: string[] = [];
  const known = options.knownNotIgnored ? await options.knownNotIgnored(rels) : new Set<string>();
  for (const rel of rels) {
    if (named.has(rel)) continue;
    if (isEnvFileName(rel.slice(rel.lastIndexOf('/') + 1))) {
      result.set(rel, { code: 'sandbox.env-file', reason: '.env files may hold secrets; add the file to the chat by name to use it' });
    } else if (!known.has(rel)) {
      toAsk.push(rel);
    }
  }
  if (toAsk.length === 0) return result;
  let ignored: Set<string>;
  try {
    ignored = await listIgnored(root, toAsk, options.env);
  } catch {
    // One bad path (inside a submodule, beyond a symlink) fails the batch: ask one by one and
    // treat a path git cannot judge as sensitive.
    ignored = new Set();
    for (const rel of toAsk) {
      try {
        for (const hit of await listIgnored(root, [rel], options.env)) ignored.add(hit);
      } catch {
        result.set(rel, { code: 'sandbox.ignore-check-failed', reason: 'git could not tell whether the path is ignored' });
      }
    }
  }
  for (const rel of ignored) {
    result.set(rel, { code: 'sandbox.ignored', reason: 'git ignores this file; add it to the chat by name to use it' });
  }
  return result;
}
