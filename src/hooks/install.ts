import { promises as fs } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { AssistError } from '../errors.js';
import type { RepoPaths } from '../git/repo-paths.js';
import {
  HOOK_NAMES,
  findBlocks,
  foreignInterpreter,
  insertBlock,
  lineToAdd,
  recordedPaths,
  removeBlocks,
  renderBlock,
  renderBody,
  replaceBlock,
  shellQuote,
  type HookName,
} from './block.js';
import { defaultEntryPath } from './entry.js';
import { git } from './exec.js';
import { exists, readOrNull, writeAtomic } from './files.js';
import { refresherStatus, type RefresherStatus } from './refresher.js';

/** Where `core.hooksPath` sends git instead of the repository's own hooks folder. */
export interface ManagedElsewhere {
  /** Absolute folder git runs hooks from. */
  hooksPath: string;
  /** The value as configured. */
  configured: string;
  /** `local`, `global`, `system`, `worktree` or `command`, as `git config --show-scope` says. */
  scope: string;
  /** Where it is set, as `git config --show-origin` says (`file:/home/me/.gitconfig`). */
  origin: string;
  /** The folder is inside the work tree (husky's `.husky/_` and the like). */
  insideWorkTree: boolean;
  /** Where a person adds the line: the hooks folder, or its parent for husky (it rewrites `.husky/_`). */
  addTo: string;
}

/** Where the hooks of a repository live and where assist's stand-alone runner goes. */
export interface HooksLocation {
  /** The folder git runs hooks from (`git rev-parse --git-path hooks`, absolute). */
  hooksDir: string;
  /** The repository's own hooks folder, `<common dir>/hooks`. */
  ownHooksDir: string;
  /** Set when `core.hooksPath` points elsewhere: assist then writes nothing there. */
  managedElsewhere: ManagedElsewhere | null;
  /** `<common dir>/assist/hook.sh`: the block as a script, for hooks assist does not manage. */
  runnerPath: string;
}

/** What to record in the hooks: how to start this install of assist. */
export interface HookInstallOptions {
  env?: NodeJS.ProcessEnv;
  /** The node binary to record; defaults to the one running now. */
  nodePath?: string;
  /** The CLI entry to record; defaults to this install's `bin/assist.js`. */
  entryPath?: string;
}

export type HookAction = 'created' | 'added' | 'updated' | 'unchanged' | 'skipped' | 'removed' | 'deleted' | 'absent';

/** What install or uninstall did to one hook file. */
export interface HookReport {
  hook: HookName;
  file: string;
  action: HookAction;
  /** Why a hook was skipped, or what the person should know (not executable, ...). */
  note?: string;
  /** For a hook assist does not manage: the line to add (install) or remove (uninstall). */
  line?: string;
}

export interface HooksChangeReport {
  location: HooksLocation;
  hooks: HookReport[];
}

export type HookState =
  | 'installed'
  | 'outdated'
  | 'not-installed'
  | 'not-executable'
  | 'foreign'
  | 'symlink'
  | 'broken'
  | 'line-present'
  | 'line-missing';

/** One hook, as `assist hooks status` sees it. */
export interface HookStatusEntry {
  hook: HookName;
  file: string;
  state: HookState;
  note?: string;
  line?: string;
}

export interface HooksStatus {
  location: HooksLocation;
  hooks: HookStatusEntry[];
  /** The node and entry recorded in the installed hooks (or runner), and whether they still exist. */
  recorded: { node: string; entry: string; nodeExists: boolean; entryExists: boolean } | null;
  refresher: RefresherStatus;
}

const TEMPLATE_URL = new URL('../../hooks/assist-hook.sh', import.meta.url);

export { defaultEntryPath };

/** Finds the hooks folder git uses here and whether `core.hooksPath` moved it elsewhere. */
export async function locateHooks(paths: RepoPaths, env: NodeJS.ProcessEnv = process.env): Promise<HooksLocation> {
  const ownHooksDir = join(paths.commonDir, 'hooks');
  const runnerPath = join(paths.sharedAssistDir, 'hook.sh');
  const gitPath = await git(['rev-parse', '--path-format=absolute', '--git-path', 'hooks'], paths.root, env);
  if (gitPath.code !== 0) {
    throw new AssistError('hooks.locate-failed', `cannot find the hooks folder: ${gitPath.stderr.trim().split('\n')[0] ?? ''}`, {
      hint: 'check that git works here: `git rev-parse --git-path hooks`',
    });
  }
  const hooksDir = resolve(paths.root, gitPath.stdout.trim());
  const configured = await git(['config', '--show-origin', '--show-scope', '--get', 'core.hooksPath'], paths.root, env);
  let managedElsewhere: ManagedElsewhere | null = null;
  const ownIsLink = (await fs.lstat(ownHooksDir).catch(() => null))?.isSymbolicLink() ?? false;
  if (configured.code !== 0 && ownIsLink) {
    const realHooks = await realOrSelf(ownHooksDir);
    // `.git/hooks` is a symbolic link: into the work tree (tracked hooks) or to a folder shared
    // with other repositories. Either way assist's block does not belong there.
    const rel = relative(await realOrSelf(paths.root), realHooks);
    const insideWorkTree = rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
    managedElsewhere = { hooksPath: realHooks, configured: `${hooksDir} -> ${realHooks}`, scope: 'symlink', origin: '', insideWorkTree, addTo: realHooks };
  } else if (configured.code === 0 && configured.stdout.trim() !== '' && !(await samePath(hooksDir, ownHooksDir))) {
    const [scope = '', origin = '', ...value] = configured.stdout.replace(/\n$/, '').split('\t');
    const rel = relative(await realOrSelf(paths.root), await realOrSelf(hooksDir));
    const insideWorkTree = rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && !rel.startsWith(sep));
    managedElsewhere = {
      hooksPath: hooksDir,
      configured: value.join('\t'),
      scope,
      origin,
      insideWorkTree,
      addTo: insideWorkTree && basename(hooksDir) === '_' ? dirname(hooksDir) : hooksDir,
    };
  }
  return { hooksDir, ownHooksDir, managedElsewhere, runnerPath };
}

/**
 * Installs assist's block in the four hooks (or, when `core.hooksPath` points elsewhere, writes
 * nothing there and reports the line to add). Always (re)writes the stand-alone runner. Running it
 * twice changes nothing.
 */
export async function installHooks(paths: RepoPaths, options: HookInstallOptions = {}): Promise<HooksChangeReport> {
  const env = options.env ?? process.env;
  const location = await locateHooks(paths, env);
  const body = await renderedBody(options);
  await fs.mkdir(paths.sharedAssistDir, { recursive: true });
  await fs.mkdir(paths.worktreeAssistDir, { recursive: true });
  const runner = runnerText(body);
  if ((await readOrNull(location.runnerPath)) !== runner) await writeAtomic(location.runnerPath, runner, 0o755);

  const hooks: HookReport[] = [];
  if (location.managedElsewhere) {
    for (const hook of HOOK_NAMES) {
      const wired = await wiredFile(location.managedElsewhere, location.runnerPath, hook);
      const file = wired ?? join(location.managedElsewhere.addTo, hook);
      const line = lineToAdd(location.runnerPath, hook);
      const why = location.managedElsewhere.scope === 'symlink' ? 'the hooks folder is a symbolic link' : 'core.hooksPath';
      hooks.push({ hook, file, action: wired ? 'unchanged' : 'skipped', note: wired ? 'the line is there' : `${why}: add the line yourself`, line });
    }
    return { location, hooks };
  }

  await fs.mkdir(location.hooksDir, { recursive: true });
  for (const hook of HOOK_NAMES) hooks.push(await installOne(join(location.hooksDir, hook), hook, body, location.runnerPath));
  return { location, hooks };
}

async function installOne(file: string, hook: HookName, body: string, runnerPath: string): Promise<HookReport> {
  const hookBody = body.replace(/^__assist_hook=.*$/m, () => `__assist_hook=${shellQuote(hook)}`);
  const stat = await fs.lstat(file).catch(() => null);
  if (stat === null) {
    await writeAtomic(file, insertBlock('', renderBlock(hookBody, true)), 0o755);
    return { hook, file, action: 'created' };
  }
  if (stat.isSymbolicLink()) {
    return { hook, file, action: 'skipped', note: 'a symbolic link (shared with other repositories?): assist leaves it alone; add the line yourself', line: lineToAdd(runnerPath, hook) };
  }
  if (!stat.isFile()) return { hook, file, action: 'skipped', note: 'not a regular file' };
  const text = await fs.readFile(file, 'utf8');
  const interpreter = foreignInterpreter(text);
  if (interpreter !== null) {
    return { hook, file, action: 'skipped', note: `a ${interpreter} script: assist only adds its block to shell hooks`, line: lineToAdd(runnerPath, hook) };
  }
  const found = findBlocks(text);
  if (found.kind === 'broken') {
    return { hook, file, action: 'skipped', note: `an assist marker without its pair at line ${found.line}: fix or remove it by hand` };
  }
  const mode = stat.mode & 0o7777;
  const note = (mode & 0o111) === 0 ? 'the file is not executable, so git does not run it (assist leaves its mode alone)' : undefined;
  const withNote = (r: HookReport): HookReport => (note ? { ...r, note } : r);
  if (found.kind === 'found') {
    const first = found.spans[0];
    const block = renderBlock(hookBody, first?.createdFile ?? false);
    const next = replaceBlock(text, block) ?? text;
    if (next === text) return withNote({ hook, file, action: 'unchanged' });
    await writeAtomic(file, next, mode);
    return withNote({ hook, file, action: 'updated' });
  }
  await writeAtomic(file, insertBlock(text, renderBlock(hookBody, false)), mode);
  return withNote({ hook, file, action: 'added' });
}

/** Removes exactly assist's block from each hook, the file too when assist created it and nothing else is left; removes the runner. */
export async function uninstallHooks(paths: RepoPaths, options: { env?: NodeJS.ProcessEnv } = {}): Promise<HooksChangeReport> {
  const location = await locateHooks(paths, options.env ?? process.env);
  const hooks: HookReport[] = [];
  // Blocks in the repository's own folder are removed even when core.hooksPath was set after install.
  for (const hook of HOOK_NAMES) {
    const file = join(location.ownHooksDir, hook);
    const report = await uninstallOne(file, hook);
    if (location.managedElsewhere && report.action === 'absent') continue;
    hooks.push(report);
  }
  if (location.managedElsewhere) {
    for (const hook of HOOK_NAMES) {
      const wired = await wiredFile(location.managedElsewhere, location.runnerPath, hook);
      if (wired) {
        hooks.push({ hook, file: wired, action: 'skipped', note: 'core.hooksPath: remove the line yourself (it does nothing once assist is uninstalled)', line: lineToAdd(location.runnerPath, hook) });
      }
    }
  }
  await fs.rm(location.runnerPath, { force: true });
  return { location, hooks };
}

async function uninstallOne(file: string, hook: HookName): Promise<HookReport> {
  const stat = await fs.lstat(file).catch(() => null);
  if (stat === null || !stat.isFile()) return { hook, file, action: 'absent' };
  const text = await fs.readFile(file, 'utf8');
  const found = findBlocks(text);
  if (found.kind === 'broken') return { hook, file, action: 'skipped', note: `an assist marker without its pair at line ${found.line}: fix it by hand` };
  if (found.kind === 'none') return { hook, file, action: 'absent' };
  const removed = removeBlocks(text);
  if (removed.createdFile && removed.onlyShebang) {
    await fs.rm(file, { force: true });
    return { hook, file, action: 'deleted' };
  }
  await writeAtomic(file, removed.text, stat.mode & 0o7777);
  return { hook, file, action: 'removed' };
}

/** What is installed where, whether it would change on reinstall, and how the refresher is doing. */
export async function hooksStatus(paths: RepoPaths, options: HookInstallOptions = {}): Promise<HooksStatus> {
  const env = options.env ?? process.env;
  const location = await locateHooks(paths, env);
  const body = await renderedBody(options);
  const hooks: HookStatusEntry[] = [];
  let recorded: { node: string; entry: string } | null = null;
  for (const hook of HOOK_NAMES) {
    const file = join(location.hooksDir, hook);
    if (location.managedElsewhere) {
      const wired = await wiredFile(location.managedElsewhere, location.runnerPath, hook);
      const line = lineToAdd(location.runnerPath, hook);
      hooks.push({ hook, file: wired ?? join(location.managedElsewhere.addTo, hook), state: wired ? 'line-present' : 'line-missing', line });
      continue;
    }
    const stat = await fs.lstat(file).catch(() => null);
    if (stat === null) {
      hooks.push({ hook, file, state: 'not-installed' });
      continue;
    }
    if (stat.isSymbolicLink()) {
      const text = await readOrNull(file);
      const wired = text !== null && text.includes(location.runnerPath);
      hooks.push({ hook, file, state: wired ? 'line-present' : 'symlink', line: lineToAdd(location.runnerPath, hook) });
      continue;
    }
    if (!stat.isFile()) {
      hooks.push({ hook, file, state: 'not-installed', note: 'not a regular file' });
      continue;
    }
    const text = await fs.readFile(file, 'utf8');
    const found = findBlocks(text);
    if (found.kind === 'broken') {
      hooks.push({ hook, file, state: 'broken', note: `unpaired assist marker at line ${found.line}` });
      continue;
    }
    if (found.kind === 'none') {
      const interpreter = foreignInterpreter(text);
      if (interpreter !== null) hooks.push({ hook, file, state: 'foreign', note: `a ${interpreter} script`, line: lineToAdd(location.runnerPath, hook) });
      else hooks.push({ hook, file, state: text.includes(location.runnerPath) ? 'line-present' : 'not-installed' });
      continue;
    }
    const first = found.spans[0];
    recorded ??= first ? recordedPaths(first.text) : null;
    if ((stat.mode & 0o111) === 0) {
      hooks.push({ hook, file, state: 'not-executable', note: 'git does not run a hook that is not executable' });
      continue;
    }
    const hookBody = body.replace(/^__assist_hook=.*$/m, () => `__assist_hook=${shellQuote(hook)}`);
    const current = first !== undefined && found.spans.length === 1 && first.text === renderBlock(hookBody, first.createdFile);
    hooks.push({ hook, file, state: current ? 'installed' : 'outdated' });
  }
  if (recorded === null) {
    const runner = await readOrNull(location.runnerPath);
    if (runner !== null) recorded = recordedPaths(runner);
  }
  return {
    location,
    hooks,
    recorded: recorded ? { ...recorded, nodeExists: await exists(recorded.node), entryExists: await exists(recorded.entry) } : null,
    refresher: await refresherStatus(paths),
  };
}

async function renderedBody(options: HookInstallOptions): Promise<string> {
  const template = await fs.readFile(TEMPLATE_URL, 'utf8');
  return renderBody(template, {
    node: options.nodePath ?? process.execPath,
    entry: options.entryPath ?? defaultEntryPath(),
    hookExpr: "'post-commit'",
  });
}

function runnerText(body: string): string {
  return [
    '#!/bin/sh',
    '# assist: the hook block as a script, for hooks assist does not manage (core.hooksPath, husky):',
    '# call it as `sh <this file> <hook-name>`. Written by `assist hooks install`.',
    body.replace(/^__assist_hook=.*$/m, () => '__assist_hook=${1:-post-commit}').replace(/\n$/, ''),
    'exit 0',
    '',
  ].join('\n');
}

/** The file (in the hooks folder or where the person adds lines) that calls the runner, if any. */
async function wiredFile(elsewhere: ManagedElsewhere, runnerPath: string, hook: HookName): Promise<string | null> {
  for (const dir of new Set([elsewhere.addTo, elsewhere.hooksPath])) {
    const file = join(dir, hook);
    const text = await readOrNull(file).catch(() => null);
    if (text !== null && text.includes(runnerPath)) return file;
  }
  return null;
}

async function realOrSelf(path: string): Promise<string> {
  try {
    return await fs.realpath(path);
  } catch {
    return resolve(path);
  }
}

async function samePath(a: string, b: string): Promise<boolean> {
  return (await realOrSelf(a)) === (await realOrSelf(b));
}
