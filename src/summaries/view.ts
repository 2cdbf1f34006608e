import { stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Config } from '../config/index.js';
import { AssistError } from '../errors.js';
import { resolveRepoPaths } from '../git/repo-paths.js';
import { listFiles, type ListedFile } from './listing.js';
import { loadRepoConfig, summaryMode } from './refresh.js';
import { buildTree } from './rollup.js';
import { SummaryStore, type RunRecord, type StoredSummary, type SummaryIndex, type SummaryKind } from './store.js';

/** A summary as the session gets it. */
export interface FileSummary {
  text: string;
  /** True when it describes the file's current content (its blob id matches). */
  fresh: boolean;
  /** Blob id of the file's current content. */
  blob: string;
  /** Blob id of the content the summary describes (differs when stale). */
  summaryBlob: string;
  kind: SummaryKind;
  /** `provider/model` for a model summary. */
  model?: string;
  /** True for a directory's roll-up. */
  directory?: boolean;
}

/** Options of {@link summariesFor}. */
export interface SummariesForOptions {
  env?: NodeJS.ProcessEnv;
  /** Loaded for the repository when absent (it decides which kind is preferred). */
  config?: Config;
}

async function isEnvFile(path: string): Promise<boolean> {
  const { isEnvFileName } = await import('../sandbox/index.js');
  return isEnvFileName(path.slice(path.lastIndexOf('/') + 1));
}

function normalise(path: string): string {
  const p = path.split(sep).join('/').replace(/^\.\/+/, '').replace(/\/+$/, '');
  return p === '.' ? '' : p;
}

/** Reads the best summary of each file's current blob, else the newest one of an older blob (stale). */
async function lookup(store: SummaryStore, files: readonly ListedFile[], prefer: SummaryKind, index: () => Promise<SummaryIndex>): Promise<Map<string, FileSummary>> {
  const out = new Map<string, FileSummary>();
  const order: SummaryKind[] = prefer === 'model' ? ['model', 'outline'] : ['outline', 'model'];
  const missing: ListedFile[] = [];
  await Promise.all(
    files.map(async (file) => {
      for (const kind of order) {
        const summary = await store.read(file.blob, kind);
        if (summary) {
          out.set(file.path, toFileSummary(summary, file.blob, true));
          return;
        }
      }
      missing.push(file);
    }),
  );
  if (missing.length === 0) return out;
  const paths = (await index()).paths;
  await Promise.all(
    missing.map(async (file) => {
      const entry = paths[file.path];
      if (!entry) return;
      const summary = await store.read(entry.blob, entry.kind);
      if (summary) out.set(file.path, toFileSummary(summary, file.blob, false));
    }),
  );
  return out;
}

function toFileSummary(summary: StoredSummary, blob: string, fresh: boolean): FileSummary {
  const result: FileSummary = { text: summary.text, fresh, blob, summaryBlob: summary.blob, kind: summary.kind };
  if (summary.model !== undefined) result.model = summary.model;
  return result;
}

/**
 * The summaries of repository-relative `files` (and directories: `''` or `.` is the repository),
 * for representing files outside the chat. Never waits for a refresh: a file whose content changed
 * since its last summary gets that summary with `fresh: false`; a file never summarised (or a
 * `.env*` file) is absent from the map.
 */
export async function summariesFor(root: string, files: readonly string[], options: SummariesForOptions = {}): Promise<Map<string, FileSummary>> {
  const env = options.env ?? process.env;
  const paths = await resolveRepoPaths(root, env);
  const store = new SummaryStore(paths.sharedAssistDir);
  const config = options.config ?? (await loadRepoConfig(paths.root, env));
  const prefer: SummaryKind = summaryMode(config).mode;
  const wanted = files.map((f) => ({ asked: f, path: normalise(f) }));
  // Past a few hundred paths the command line gets long: list everything and pick.
  const asked = wanted.map((w) => w.path || '.');
  const listed = await listFiles(paths.root, env, asked.length > 256 ? undefined : asked);
  const byPath = new Map(listed.map((f) => [f.path, f]));
  const fileAsks = wanted.filter((w) => byPath.has(w.path));
  const dirAsks = wanted.filter((w) => !byPath.has(w.path) && (w.path === '' || listed.some((f) => f.path.startsWith(`${w.path}/`))));
  let indexCache: Promise<SummaryIndex> | undefined;
  const index = (): Promise<SummaryIndex> => (indexCache ??= store.readIndex());

  const targets: ListedFile[] = [];
  for (const w of fileAsks) if (!(await isEnvFile(w.path))) targets.push(byPath.get(w.path)!);
  const found = await lookup(store, targets, prefer, index);
  const result = new Map<string, FileSummary>();
  for (const w of fileAsks) {
    const summary = found.get(w.path);
    if (summary) result.set(w.asked, summary);
  }
  if (dirAsks.length > 0) {
    const dirs = (await store.readDirs()).dirs;
    for (const w of dirAsks) {
      const rollup = await dirSummary(store, listed, w.path, dirs);
      if (rollup) result.set(w.asked, rollup);
    }
  }
  return result;
}

async function dirSummary(store: SummaryStore, listed: readonly ListedFile[], dir: string, dirs: Record<string, { key: string; text: string }>): Promise<FileSummary | undefined> {
  const entry = dirs[dir];
  if (!entry) return undefined;
  const { isEnvFileName } = await import('../sandbox/index.js');
  const under = listed.filter((f) => (dir === '' || f.path.startsWith(`${dir}/`)) && !isEnvFileName(f.path.slice(f.path.lastIndexOf('/') + 1)));
  const kinds = await store.kindsOf(under.map((f) => f.blob));
  // Keys are computed from the root of the tree, so rebase the subtree onto `dir`.
  const tree = buildTree(under.map((f) => ({ path: f.path, blob: f.blob, kind: kinds.get(f.blob)?.has('model') ? 'model' : kinds.get(f.blob)?.has('outline') ? 'outline' : undefined })));
  const key = tree.get(dir)?.key ?? '';
  return { text: entry.text, fresh: key === entry.key, blob: key, summaryBlob: entry.key, kind: 'outline', directory: true };
}

/** What `assist summaries show FILE` prints. */
export interface ShownSummary extends FileSummary {
  /** Repository-relative path (`''` for the repository). */
  path: string;
}

/** The summary of one file or directory given relative to `cwd`; throws an AssistError when there is none. */
export async function showSummary(cwd: string, file: string, env: NodeJS.ProcessEnv, config?: Config): Promise<ShownSummary> {
  const paths = await resolveRepoPaths(cwd, env);
  const abs = isAbsolute(file) ? file : resolve(cwd, file);
  const rel = relative(paths.root, abs);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw new AssistError('summaries.outside-repo', `${file} is outside the repository`, { exitCode: 2, hint: `give a path inside ${paths.root}` });
  }
  const path = normalise(rel);
  if (await isEnvFile(path)) {
    throw new AssistError('summaries.sensitive', `${file} is a .env file: it is never summarised`, { hint: '.env files may hold secrets' });
  }
  const found = await summariesFor(paths.root, [path], { env, ...(config === undefined ? {} : { config }) });
  const summary = found.get(path);
  if (summary) return { ...summary, path };
  const isDir = await stat(abs).then((s) => s.isDirectory(), () => false);
  const tracked = isDir || (await listFiles(paths.root, env, [path])).some((f) => f.path === path);
  if (!tracked) {
    throw new AssistError('summaries.not-tracked', `${file} is not a tracked file`, { hint: 'summaries cover the files git tracks: `git ls-files`' });
  }
  throw new AssistError('summaries.none', `${file} has no summary yet`, { hint: 'run `assist summaries refresh`' });
}

/** A file that is not fresh, for `status`. */
export interface NotFresh {
  path: string;
  state: 'stale' | 'pending' | 'failed';
}

/** What `assist summaries status` reports. */
export interface SummariesStatus {
  mode: 'outline' | 'model';
  model: string | undefined;
  /** Files the summaries cover (tracked regular files, `.env*` left out). */
  files: number;
  /** The summary of the configured kind matches the file's current content. */
  fresh: number;
  /** Not fresh, but a summary of older content exists (used, marked stale). */
  stale: number;
  /** Not fresh, and no summary of this kind was ever written for the path (new files, or not yet reached). */
  pending: number;
  /** Of the not-fresh files: those whose last model call failed (retried next refresh). */
  failed: number;
  /** Changes recorded by the hooks and not yet handled (`refresh-state.json`). */
  queue: number;
  /** Directory roll-ups whose children have not changed since they were written, of all directories. */
  dirs: { total: number; fresh: number };
  last: RunRecord | null;
  /** The first 50 files that are not fresh. */
  notFresh: NotFresh[];
}

/** Counts fresh, stale and pending summaries against the work tree's current contents. */
export async function summariesStatus(cwd: string, env: NodeJS.ProcessEnv, config?: Config): Promise<SummariesStatus> {
  const paths = await resolveRepoPaths(cwd, env);
  const store = new SummaryStore(paths.sharedAssistDir);
  const cfg = config ?? (await loadRepoConfig(paths.root, env));
  const { mode, model } = summaryMode(cfg);
  const wanted: SummaryKind = mode;
  const { isEnvFileName } = await import('../sandbox/index.js');
  const [listed, have, index, dirIndex] = await Promise.all([listFiles(paths.root, env), store.list(), store.readIndex(), store.readDirs()]);
  const files = listed.filter((f) => !isEnvFileName(f.path.slice(f.path.lastIndexOf('/') + 1)));
  let fresh = 0;
  let stale = 0;
  let pending = 0;
  let failed = 0;
  const notFresh: NotFresh[] = [];
  for (const file of files) {
    if (have.get(file.blob)?.has(wanted)) {
      fresh++;
      continue;
    }
    const failure = index.failures[file.path];
    const entry = index.paths[file.path];
    const older = entry && entry.blob !== file.blob && have.get(entry.blob)?.has(wanted);
    if (older) stale++;
    else pending++;
    const state = failure?.blob === file.blob ? 'failed' : older ? 'stale' : 'pending';
    if (state === 'failed') failed++;
    if (notFresh.length < 50) notFresh.push({ path: file.path, state });
  }
  const tree = buildTree(files.map((f) => ({ path: f.path, blob: f.blob, kind: have.get(f.blob)?.has('model') ? 'model' : have.get(f.blob)?.has('outline') ? 'outline' : undefined })));
  let dirsFresh = 0;
  for (const node of tree.values()) if (dirIndex.dirs[node.dir]?.key === node.key) dirsFresh++;
  const { readRefreshState } = await import('../hooks/index.js');
  const queue = Object.keys((await readRefreshState(paths)).pending).length;
  return { mode, model, files: files.length, fresh, stale, pending, failed, queue, dirs: { total: tree.size, fresh: dirsFresh }, last: index.last, notFresh };
}
