import { spawn } from 'node:child_process';
import { isAbsolute, posix, relative } from 'node:path';
import { checkSensitive, printablePath, resolveInside, type PathAllowed, type PathDenial } from '../sandbox/index.js';
import type { ToolContext, ToolOutcome } from './types.js';

/** A result for the model and the status line for the person. */
export function result(ok: boolean, text: string, status: string): ToolOutcome {
  return { kind: 'result', ok, text, status };
}

/** An error result: `text` is one or two sentences telling the model what went wrong and what to do. */
export function failure(text: string, status: string): ToolOutcome {
  return result(false, text, status);
}

/**
 * The git dirs a path must not lead into besides any `.git` component: a linked worktree's own
 * git dir lives elsewhere. A git dir that contains the work tree (an odd but legal layout) is
 * left out, or every path would be refused.
 */
export function extraGitDirs(ctx: ToolContext): string[] {
  return [ctx.gitDir, ctx.commonDir].filter((dir) => {
    const rel = relative(dir, ctx.root);
    return rel.startsWith('..') || isAbsolute(rel);
  });
}

/** Records a denial in the audit log and tells the model why, in one line. */
export async function denied(ctx: ToolContext, verb: string, denial: PathDenial): Promise<ToolOutcome> {
  await ctx.audit.append({ op: 'deny', path: denial.path, result: 'denied', reason: denial.reason, code: denial.code, requestId: ctx.requestId });
  return failure(`Cannot ${verb} ${denial.path}: ${denial.reason}.`, `${verb} ${denial.path}: denied (${denial.code})`);
}

/** The environment for assist's own git processes: the person's, without optional index locks. */
export function gitEnv(ctx: ToolContext): NodeJS.ProcessEnv {
  return { ...ctx.env, GIT_OPTIONAL_LOCKS: '0' };
}

export interface GitOutput {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs git in the work tree and collects its output; rejects only when git cannot be started. */
export function runGit(ctx: ToolContext, args: readonly string[], input?: string): Promise<GitOutput> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('git', args, { cwd: ctx.root, env: gitEnv(ctx), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    const onAbort = (): void => {
      child.kill('SIGKILL');
    };
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 8192) stderr += chunk;
    });
    child.on('error', (error) => {
      ctx.signal?.removeEventListener('abort', onAbort);
      reject(error);
    });
    child.on('close', (code) => {
      ctx.signal?.removeEventListener('abort', onAbort);
      resolvePromise({ code, stdout: Buffer.concat(out), stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

/** git's first error line, without its `fatal: ` / `error: ` prefix. */
export function gitMessage(stderr: string): string {
  const line = stderr.trim().split('\n').find((l) => l.trim() !== '') ?? 'git failed';
  return line.replace(/^(fatal|error): /, '');
}

/**
 * Checks the folder a listing or a search is limited to (`path?` of list_files and search):
 * inside the work tree, not in `.git`, not through a symbolic link that leaves the repository.
 * Returns the repo-relative folder ('' for the root), or the denial. The folder may also name
 * a single file.
 */
export async function resolveScope(ctx: ToolContext, input: string | undefined): Promise<{ ok: true; rel: string } | { ok: false; denial: PathDenial }> {
  const trimmed = (input ?? '').replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  if (trimmed === '' || trimmed === '.') return { ok: true, rel: '' };
  const checked = await resolveInside(ctx.root, trimmed, {
    mode: 'read',
    addedByName: ctx.addedByName,
    checkIgnored: false,
    gitDirs: extraGitDirs(ctx),
    env: ctx.env,
  });
  if (checked.ok) return { ok: true, rel: checked.rel };
  // A directory is what a scope usually is: the policy refuses it for a file read only.
  if (checked.code === 'sandbox.is-directory' && !isAbsolute(trimmed)) {
    const rel = posix.normalize(trimmed).replace(/\/+$/, '');
    return { ok: true, rel: rel === '.' ? '' : rel };
  }
  return { ok: false, denial: checked };
}

/** A path the model may write, after the write policy and the sensitivity rule. */
export async function resolveForWrite(ctx: ToolContext, input: string): Promise<{ ok: true; target: PathAllowed } | { ok: false; denial: PathDenial }> {
  const checked = await resolveInside(ctx.root, input, {
    mode: 'write',
    writePaths: ctx.config.sandbox.writePaths,
    addedByName: ctx.addedByName,
    checkIgnored: false,
    gitDirs: extraGitDirs(ctx),
    env: ctx.env,
  });
  if (!checked.ok) return { ok: false, denial: checked };
  const sensitive = (await checkSensitive(ctx.root, [checked.rel], { addedByName: ctx.addedByName, env: ctx.env, ...(ctx.knownNotIgnored ? { knownNotIgnored: ctx.knownNotIgnored } : {}) })).get(checked.rel);
  if (sensitive !== undefined) return { ok: false, denial: { ok: false, code: sensitive.code, reason: sensitive.reason, path: printablePath(input) } };
  return { ok: true, target: checked };
}

/** A path as it may appear in a status line: one line, not too long. */
export function shortPath(path: string, max = 80): string {
  const p = printablePath(path);
  return p.length > max ? `…${p.slice(p.length - max + 1)}` : p;
}
