import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * What may legitimately change inside `.git` when assist runs (decided for the security suite,
 * documented in docs/security.md): new objects, assist's own refs and their reflogs, assist's
 * own directory (audit log, journal, lock), HEAD moving to an `assist/` session branch, the
 * `branch.assist/*` config sections and `notes.rewriteRef`, and index entries of the files the
 * case allows. Everything else in `.git` (hooks, the rest of config, info/, other refs, packed-refs)
 * must stay byte for byte.
 */
const GIT_FREE = [/^objects(\/|$)/, /^refs\/heads\/assist(\/|$)/, /^refs\/assist(\/|$)/, /^refs\/notes(\/assist)?$/, /^logs(\/|$)/, /^assist(\/|$)/];

function sha(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex').slice(0, 20);
}

function describe(full: string): string {
  const st = lstatSync(full);
  if (st.isSymbolicLink()) return `link:${readlinkSync(full)}`;
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return `file:${(st.mode & 0o7777).toString(8)}:${sha(readFileSync(full))}`;
  return `special:${st.mode.toString(8)}:${st.rdev}`;
}

function walk(root: string, dir: string, out: Map<string, string>, skip: (rel: string) => boolean): void {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    const rel = relative(root, full);
    if (skip(rel)) continue;
    const what = describe(full);
    out.set(rel, what);
    if (what === 'dir') walk(root, full, out, skip);
  }
}

function gitList(args: string[], cwd: string, env: NodeJS.ProcessEnv): string {
  return execFileSync('git', args, { cwd, env, encoding: 'utf8' });
}

/**
 * A map of everything under `base` (the repository, its home dir, a sibling directory outside
 * it) that must not change, with `allowed` work tree paths (and the directories leading to them)
 * and assist's own parts of `.git` left out.
 */
export function hashWorld(base: string, repoDir: string, env: NodeJS.ProcessEnv, allowed: readonly string[] = []): Map<string, string> {
  const repoRel = relative(base, repoDir);
  const allowedSet = new Set(allowed);
  const allowedDirs = new Set(allowed.flatMap((p) => p.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'))));
  const out = new Map<string, string>();
  walk(base, base, out, (rel) => {
    if (rel === join(repoRel, '.git')) return true;
    if (rel.startsWith(`${repoRel}/`)) {
      const inRepo = rel.slice(repoRel.length + 1);
      if (allowedSet.has(inRepo) || allowedDirs.has(inRepo)) return true;
    }
    return false;
  });
  const gitDir = join(repoDir, '.git');
  const inGit = new Map<string, string>();
  walk(gitDir, gitDir, inGit, (rel) => GIT_FREE.some((re) => re.test(rel)) || rel === 'config' || rel === 'HEAD' || rel === 'index');
  for (const [k, v] of inGit) out.set(`.git/${k}`, v);
  // Config without assist's own keys; HEAD with a session branch counted as the branch it left; the index minus allowed paths.
  const config = gitList(['config', '--file', join(gitDir, 'config'), '--list'], repoDir, env)
    .split('\n')
    .filter((l) => !/^branch\.assist\//i.test(l) && !/^notes\.rewriteref=/i.test(l))
    .join('\n');
  out.set('.git:config', sha(config));
  const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
  out.set('.git:HEAD', head.startsWith('ref: refs/heads/assist/') ? 'ref: refs/heads/main' : head);
  const index = gitList(['ls-files', '--stage', '-z'], repoDir, env)
    .split('\0')
    .filter((l) => l && !allowedSet.has(l.slice(l.indexOf('\t') + 1)))
    .join('\n');
  out.set('.git:index', sha(index));
  return out;
}

/** Keys whose value differs between two maps (added, removed or changed). */
export function diffWorld(before: Map<string, string>, after: Map<string, string>): string[] {
  const changed: string[] = [];
  for (const [k, v] of before) if (after.get(k) !== v) changed.push(after.has(k) ? `changed ${k}` : `removed ${k}`);
  for (const k of after.keys()) if (!before.has(k)) changed.push(`added ${k}`);
  return changed.sort();
}
