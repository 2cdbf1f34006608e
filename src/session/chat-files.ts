import { stat } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { AssistError, ExitCode } from '../errors.js';
import type { SessionCore } from './core.js';

/** Adds files (relative to cwd) to the chat; they are sent whole with every request. */
export async function addFiles(core: SessionCore, paths: readonly string[]): Promise<string[]> {
  const { resolveInside } = await import('../sandbox/index.js');
  const added: string[] = [];
  for (const path of paths) {
    const rel = toRepoPath(core, path);
    const result = await resolveInside(core.root, rel, {
      mode: 'read',
      readPaths: core.config.sandbox.readPaths,
      addedByName: new Set([rel]),
      env: core.options.env,
    });
    if (!result.ok) throw new AssistError('session.add-denied', `cannot add ${path}: ${result.reason}`, { exitCode: ExitCode.refused });
    if (!result.exists) throw new AssistError('session.add-missing', `cannot add ${path}: no such file`, { hint: 'check the path (relative to the current directory)', exitCode: ExitCode.usage });
    // A file sent whole with every request must fit the budget (DESIGN §5 context.max_file_bytes).
    const size = (await stat(result.abs)).size;
    if (size > core.config.context.maxFileBytes) {
      throw new AssistError('session.add-too-large', `cannot add ${path}: ${size} bytes, over context.max_file_bytes (${core.config.context.maxFileBytes})`, {
        hint: 'the model can read parts of it with read_file; or raise context.max_file_bytes',
        exitCode: ExitCode.refused,
      });
    }
    core.chatFiles.add(result.rel);
    added.push(result.rel);
  }
  return added;
}

/** Drops files (relative to cwd) from the chat; none named drops them all. */
export function dropFiles(core: SessionCore, paths: readonly string[]): string[] {
  const dropped: string[] = [];
  for (const path of paths) {
    const rel = toRepoPath(core, path);
    if (core.chatFiles.delete(rel)) dropped.push(rel);
  }
  if (paths.length === 0) {
    dropped.push(...core.chatFiles);
    core.chatFiles.clear();
  }
  return dropped;
}

function toRepoPath(core: SessionCore, path: string): string {
  const abs = resolve(core.options.cwd, path);
  return relative(core.root, abs).split(sep).join('/');
}

/**
 * Tracked files a reply names: a whole repo-relative path, or a file name (with an extension) that
 * only one tracked file has. Aider's rule, in short.
 */
export function mentionedFiles(reply: string, tracked: readonly string[]): string[] {
  const words = new Set(reply.match(/[\w./@+-]+/g)?.map((w) => w.replace(/^[./]+(?=\w)/, (m) => (m === './' ? '' : m)).replace(/[.,:;]+$/, '')) ?? []);
  if (words.size === 0) return [];
  const byName = new Map<string, string[]>();
  for (const file of tracked) {
    const name = file.slice(file.lastIndexOf('/') + 1);
    if (!name.includes('.')) continue;
    const list = byName.get(name);
    if (list) list.push(file);
    else byName.set(name, [file]);
  }
  const found: string[] = [];
  const trackedSet = new Set(tracked);
  for (const word of words) {
    if (trackedSet.has(word)) found.push(word);
    else {
      const same = byName.get(word);
      if (same?.length === 1) found.push(same[0]!);
    }
  }
  return [...new Set(found)];
}
