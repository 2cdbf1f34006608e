import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { resolveRepoPaths, type RepoPaths } from '../git/repo-paths.js';
import type { Provider } from '../llm/index.js';
import { listFiles, type ListedFile } from './listing.js';
import { acquireRefreshLock } from './lock.js';
import { reservationFor, summariseWithModel, type ModelJob } from './model.js';
import { firstLine, looksBinary, outlineOther, outlineSource } from './outline.js';
import { buildTree, updateRollups, type RollupFile } from './rollup.js';
import { SummaryStore, type RunRecord, type StoredSummary, type SummaryIndex, type SummaryKind } from './store.js';

/** Options of {@link refreshSummaries}. */
export interface RefreshOptions {
  /** Any directory inside the work tree. */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Loaded for the repository when absent. */
  config?: Config;
  /** Rewrite every summary, not only those of new blob ids. */
  all?: boolean;
  /** What started the refresh, for `status` (`command`, `hook post-commit`). */
  trigger?: string;
  /** Paths that just changed: their model summaries are written first. */
  changed?: readonly string[];
  /** How long to wait for another refresh of the repository to finish (default 60 s). */
  lockWaitMs?: number;
  /** The model client; by default one is made from the config (tests pass none: they use a fake server). */
  provider?: Provider;
  /** Model calls in flight at once (default 4). */
  concurrency?: number;
  signal?: AbortSignal;
}

/** What one refresh did. */
export interface RefreshReport {
  /** Files the summaries cover (tracked regular files, `.env*` files left out). */
  files: number;
  /** Files that already had their summary. */
  upToDate: number;
  /** Outlines written. */
  outlines: number;
  /** Model summaries written. */
  models: number;
  /** Model calls that failed (the files stay pending and are tried again next run). */
  failed: { path: string; error: string }[];
  /** Files left pending because the run's token budget was spent. */
  overBudget: number;
  /** Files left pending because the provider kept failing in this run. */
  notSent: number;
  /** Sensitive files (ignored, `.env*`) never summarised or sent. */
  skipped: string[];
  /** Tokens the model calls used, as the servers reported them. */
  tokens: number;
  /** Directory roll-ups rewritten. */
  dirsRebuilt: number;
  mode: 'outline' | 'model';
  model: string | undefined;
  /** One-line notes for the person (use_model without weak_model, ...). */
  warnings: string[];
  ms: number;
}

// Sent to the model per file at most; longer files are cut (with a note saying so).
const MAX_CHARS = 24_000;
const MAX_OUTPUT_TOKENS = 300;
const DEFAULT_CONCURRENCY = 4;

function bestKind(kinds: Set<SummaryKind> | undefined): SummaryKind | undefined {
  return kinds?.has('model') ? 'model' : kinds?.has('outline') ? 'outline' : undefined;
}

/** Loads the config of the repository at `root` (its project file, the user's, env). */
export async function loadRepoConfig(root: string, env: NodeJS.ProcessEnv): Promise<Config> {
  const { loadConfig } = await import('../config/index.js');
  return (await loadConfig({ env, repoRoot: root })).config;
}

/** Whether model summaries are wanted: `summaries.use_model` and a `weak_model` to write them. */
export function summaryMode(config: Config): { mode: 'outline' | 'model'; model: string | undefined } {
  return config.summaries.useModel && config.weakModel ? { mode: 'model', model: config.weakModel } : { mode: 'outline', model: undefined };
}

/**
 * Brings the summaries of the repository around `cwd` up to date: every tracked file whose current
 * content (blob id) has no summary gets an outline from its tags and, when `summaries.use_model` is
 * set, a model summary within `summaries.max_tokens_per_run`; then the directory roll-ups whose
 * children changed are rewritten, and the files it handled leave `refresh-state.json`'s queue.
 * One refresh at a time per repository.
 */
export async function refreshSummaries(options: RefreshOptions): Promise<RefreshReport> {
  const t0 = performance.now();
  const paths = await resolveRepoPaths(options.cwd, options.env);
  const config = options.config ?? (await loadRepoConfig(paths.root, options.env));
  const store = new SummaryStore(paths.sharedAssistDir);
  const release = await acquireRefreshLock(store.lockPath, options.lockWaitMs ?? 60_000);
  try {
    return await refreshLocked(paths, config, store, options, t0);
  } finally {
    await release();
  }
}

async function refreshLocked(paths: RepoPaths, config: Config, store: SummaryStore, options: RefreshOptions, t0: number): Promise<RefreshReport> {
  const startedAt = new Date().toISOString();
  const { mode, model } = summaryMode(config);
  const warnings: string[] = [];
  if (config.summaries.useModel && !config.weakModel) warnings.push('summaries.use_model is set but weak_model is not: writing outlines');
  const maxBytes = config.context.maxFileBytes;

  const listed = await listFiles(paths.root, options.env);
  const { checkSensitive, isEnvFileName } = await import('../sandbox/index.js');
  const envFiles = new Set(listed.filter((f) => isEnvFileName(f.path.slice(f.path.lastIndexOf('/') + 1))).map((f) => f.path));
  const files = listed.filter((f) => !envFiles.has(f.path));
  const have = options.all ? new Map<string, Set<SummaryKind>>() : await store.list();

  // Model mode: a file that cannot be sent (binary, too large) gets its outline as its model-mode summary.
  const needOutline = files.filter((f) => !have.get(f.blob)?.has('outline'));
  const needModel = mode === 'model' ? files.filter((f) => !have.get(f.blob)?.has('model')) : [];
  const work = [...new Map([...needOutline, ...needModel].map((f) => [f.path, f])).values()];
  // Tracked files are never ignored by git's rule; this also catches what git cannot judge.
  const sensitive = await checkSensitive(paths.root, work.map((f) => f.path), { env: options.env });
  const skipped = [...envFiles, ...sensitive.keys()].sort();

  const written = new Map<string, Set<SummaryKind>>();
  const note = (blob: string, kind: SummaryKind): void => {
    let kinds = written.get(blob);
    if (!kinds) written.set(blob, (kinds = new Set()));
    kinds.add(kind);
  };
  const at = startedAt;
  let outlines = 0;
  const modelCandidates: ListedFile[] = [];
  const needModelPaths = new Set(needModel.map((f) => f.path));
  const needOutlinePaths = new Set(needOutline.map((f) => f.path));
  const context = work.length > 0 ? await import('../context/index.js') : undefined;
  // Parses kept for the repo map's tags cache: the map built after this (the hooks' next refresher) parses none of them again.
  const tagger = context ? new context.CachingTagExtractor(paths.sharedAssistDir) : undefined;
  const doneOutline = new Set<string>();

  for (const file of work) {
    if (sensitive.has(file.path)) continue;
    let content: Buffer;
    try {
      content = await readFile(join(paths.root, file.path));
    } catch {
      continue; // Deleted or replaced since the listing: the next refresh sees it.
    }
    const sendable = content.length <= maxBytes && !looksBinary(content);
    let outline: string | undefined;
    const makeOutline = async (): Promise<string> => {
      if (outline !== undefined) return outline;
      const lang = context!.languageForPath(file.path);
      if (lang && sendable) {
        try {
          const tags = await tagger!.extract(file.path, file.blob, content, maxBytes);
          outline = outlineSource(lang.id, content.toString('utf8'), tags.filter((t) => t.kind === 'def'));
        } catch {
          outline = outlineOther(file.path, content, maxBytes);
        }
      } else {
        outline = outlineOther(file.path, content, maxBytes);
      }
      return outline;
    };
    if (needOutlinePaths.has(file.path) && !doneOutline.has(file.blob)) {
      await store.write({ blob: file.blob, kind: 'outline', path: file.path, text: await makeOutline(), at });
      doneOutline.add(file.blob);
      note(file.blob, 'outline');
      outlines++;
    }
    if (needModelPaths.has(file.path)) {
      if (sendable) modelCandidates.push(file);
      else {
        await store.write({ blob: file.blob, kind: 'model', path: file.path, text: await makeOutline(), at });
        note(file.blob, 'model');
      }
    }
  }
  await tagger?.flush().catch(() => undefined);

  const index = await store.readIndex();
  let models = 0;
  let tokens = 0;
  let overBudget = 0;
  let notSent = 0;
  const failed: { path: string; error: string }[] = [];
  if (mode === 'model' && model && modelCandidates.length > 0) {
    const outcome = await runModel(paths, config, options, model, modelCandidates, index);
    tokens = outcome.tokens;
    for (const result of outcome.results) {
      if (result.status === 'ok') {
        await store.write({ blob: result.blob, kind: 'model', path: result.path, text: result.text, model: result.model, tokens: result.tokens, at });
        note(result.blob, 'model');
        delete index.failures[result.path];
        models++;
      } else if (result.status === 'failed') {
        failed.push({ path: result.path, error: result.error });
        const previous = index.failures[result.path];
        index.failures[result.path] = { blob: result.blob, error: result.error, at, attempts: (previous?.blob === result.blob ? previous.attempts : 0) + 1 };
      } else if (result.reason === 'budget') overBudget++;
      else notSent++;
    }
  }

  // What each file has now, for the path index and the roll-ups.
  const kindsNow = (blob: string): Set<SummaryKind> | undefined => {
    const a = have.get(blob);
    const b = written.get(blob);
    if (!a) return b;
    if (!b) return a;
    return new Set([...a, ...b]);
  };
  const covered = files.filter((f) => !sensitive.has(f.path));
  const listedPaths = new Set(covered.map((f) => f.path));
  for (const file of covered) {
    const kind = bestKind(kindsNow(file.blob));
    if (kind) index.paths[file.path] = { blob: file.blob, kind };
  }
  for (const path of Object.keys(index.failures)) if (!listedPaths.has(path)) delete index.failures[path];

  const tree = buildTree(covered.map((f): RollupFile => ({ path: f.path, blob: f.blob, kind: bestKind(kindsNow(f.blob)) })));
  const previousDirs = options.all ? {} : (await store.readDirs()).dirs;
  const { dirs, rebuilt } = await updateRollups(tree, previousDirs, async (rollupFiles) => {
    const lines = new Map<string, string>();
    await Promise.all(
      rollupFiles.map(async (f) => {
        if (!f.kind) return;
        const summary = await store.read(f.blob, f.kind);
        if (summary) lines.set(f.path, firstLine(summary.text));
      }),
    );
    return lines;
  });
  await store.writeDirs({ version: 1, dirs });

  const upToDate = covered.length - new Set([...needOutline, ...needModel].filter((f) => !sensitive.has(f.path)).map((f) => f.path)).size;
  const ms = performance.now() - t0;
  const run: RunRecord = {
    at: startedAt,
    finishedAt: new Date().toISOString(),
    trigger: options.trigger ?? 'command',
    worktree: paths.root,
    files: covered.length,
    outlines,
    models,
    reused: upToDate,
    failed: failed.length,
    overBudget,
    skipped: skipped.length,
    tokens,
    ms: Math.round(ms),
  };
  index.last = run;
  await store.writeIndex(index);
  await consumeQueue(paths, mode, (blob) => kindsNow(blob), new Set(skipped));

  return { files: covered.length, upToDate, outlines, models, failed, overBudget, notSent, skipped, tokens, dirsRebuilt: rebuilt, mode, model, warnings, ms };
}

async function runModel(
  paths: RepoPaths,
  config: Config,
  options: RefreshOptions,
  model: string,
  candidates: ListedFile[],
  index: SummaryIndex,
): Promise<Awaited<ReturnType<typeof summariseWithModel>>> {
  // Just-changed files first, then files that never failed, then the rest by path.
  const changed = new Set(options.changed ?? []);
  const rank = (f: ListedFile): number => (changed.has(f.path) ? 0 : index.failures[f.path] ? 2 : 1);
  const ordered = [...candidates].sort((a, b) => rank(a) - rank(b) || (a.path < b.path ? -1 : 1));
  // Read only as many files as could fit: a first run on a large repository must not hold every file in memory.
  const budget = config.summaries.maxTokensPerRun;
  const jobs: ModelJob[] = [];
  let planned = 0;
  for (const file of ordered) {
    if (jobs.length >= 2000) break;
    let content: string;
    try {
      content = await readFile(join(paths.root, file.path), 'utf8');
    } catch {
      continue;
    }
    const job = { path: file.path, blob: file.blob, content };
    const cost = reservationFor(job, { maxChars: MAX_CHARS, maxOutputTokens: MAX_OUTPUT_TOKENS });
    if (cost > budget) continue;
    if (planned + cost > budget * 2) break;
    planned += cost;
    jobs.push(job);
  }
  const provider = options.provider ?? (await defaultProvider(config, options.env, paths.root));
  const { createAuditLog } = await import('../sandbox/index.js');
  const audit = createAuditLog(paths.sharedAssistDir, 'summaries', { secrets: [] });
  const outcome = await summariseWithModel(jobs, {
    provider,
    model,
    budget,
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
    maxOutputTokens: MAX_OUTPUT_TOKENS,
    maxChars: MAX_CHARS,
    onSend: async (job) => {
      await audit.append({ op: 'send', path: job.path, result: 'ok', reason: `summary by ${model}` }).catch(() => undefined);
    },
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const sent = new Set(jobs.map((j) => j.path));
  for (const file of ordered) if (!sent.has(file.path)) outcome.results.push({ path: file.path, blob: file.blob, status: 'not-sent', reason: 'budget' });
  return outcome;
}

async function defaultProvider(config: Config, env: NodeJS.ProcessEnv, cwd: string): Promise<Provider> {
  const { createLlmClient } = await import('../llm/index.js');
  // Few attempts: a file whose call fails stays pending and the next refresh tries it again.
  return createLlmClient({ env, llm: config.llm, models: config.models, cwd, retry: { maxAttempts: 2, baseDelayMs: 500, maxDelayMs: 4_000 } });
}

/** Removes from refresh-state.json's queue what now has its summary (or is gone, or is never summarised). */
async function consumeQueue(paths: RepoPaths, mode: 'outline' | 'model', kindsOf: (blob: string) => Set<SummaryKind> | undefined, skipped: Set<string>): Promise<void> {
  const { updateRefreshState, readRefreshState } = await import('../hooks/index.js');
  const wanted: SummaryKind = mode === 'model' ? 'model' : 'outline';
  const done = (path: string, blob: string | null): boolean => blob === null || skipped.has(path) || kindsOf(blob)?.has(wanted) === true;
  const current = await readRefreshState(paths);
  if (!Object.entries(current.pending).some(([path, entry]) => done(path, entry.blob))) return;
  await updateRefreshState(paths, (state) => {
    for (const [path, entry] of Object.entries(state.pending)) if (done(path, entry.blob)) delete state.pending[path];
  });
}

export type { StoredSummary };
