import { usageError } from '../errors.js';
import type { LoadedConfig } from '../config/index.js';
import type { UpkeepReport } from '../context/index.js';
import type { RepoPaths } from '../git/repo-paths.js';
import type * as Workspaces from '../testing/workspaces.js';
import type { TestPackage, Workspace } from '../testing/workspaces.js';
import type { Reporter } from '../ui/reporter.js';

/** The flags of `assist map`, as typed. */
export interface MapFlags {
  tokens: string | undefined;
  focus: readonly string[];
  query: string | undefined;
  json: boolean;
  stats: boolean;
}

/** Where `assist map` runs: the command (`MapCommand`) or the entry point's fast path (`map-fast.ts`). */
export interface MapIO {
  cwd: string;
  env: NodeJS.ProcessEnv;
  reporter: Reporter;
  /** The repository around `cwd`. */
  repo(): Promise<RepoPaths>;
  /** The config for that repository, its warnings printed. */
  config(repo: RepoPaths): Promise<LoadedConfig>;
}

/** `assist map`: builds the repo map and prints it, its JSON or its stats. Returns the exit code. */
export async function mapAction(io: MapIO, flags: MapFlags): Promise<number> {
  let tokens: number | undefined;
  if (flags.tokens !== undefined) {
    tokens = Number(flags.tokens);
    if (!/^\d+$/.test(flags.tokens.trim()) || !Number.isSafeInteger(tokens)) {
      throw usageError('map.bad-tokens', `--tokens must be a whole number, not '${flags.tokens}'`, 'for example `assist map --tokens 1024`');
    }
  }
  const repo = await io.repo();
  // A focus that names nothing would silently rank as if it were not given (issue 24 item 17).
  const { existsSync } = await import('node:fs');
  const { resolve } = await import('node:path');
  const missing = flags.focus.filter((f) => !existsSync(resolve(io.cwd, f)));
  if (missing.length > 0) {
    throw usageError('map.focus-missing', `--focus ${missing.join(', ')}: no such file`, 'paths are relative to the current directory, as in git');
  }
  const loaded = await io.config(repo);
  const { buildRepoMap, vectorSetup } = await import('../context/index.js');
  // context.embeddings: a query is retrieved with the stored vectors too (its own embedding only,
  // never a file's); without an embeddings model the map is lexical and says so in one line.
  const vectors =
    flags.query !== undefined && flags.query.trim() !== '' && loaded.config.context.embeddings
      ? await vectorSetup(loaded.config, io.env, repo, 'map').catch((error: unknown) => {
          io.reporter.warn(`${error instanceof Error ? error.message : String(error)}; the map is lexical only`);
          return undefined;
        })
      : undefined;

  // A progress line on stderr, only on a terminal and only once a cold build has run for a second.
  const reporter = io.reporter;
  const started = Date.now();
  let progressShown = false;
  const onProgress = (done: number, total: number): void => {
    if (!reporter.stderrIsTTY || Date.now() - started < 1000) return;
    progressShown = true;
    reporter.stderr.write(`\rtagging files ${done}/${total}`);
  };

  // `--json` adds the workspace's packages: found beside the map (its file reads overlap the map's
  // waits on git), placed once the map's files are known.
  const workspace = flags.json ? import('../testing/workspaces.js').then(async (m) => ({ m, ws: await m.detectWorkspace(repo.root, io.env) })) : undefined;
  workspace?.catch(() => undefined);
  const map = await buildRepoMap({
    cwd: io.cwd,
    env: io.env,
    paths: repo,
    tokens: tokens ?? loaded.config.context.mapTokens,
    maxFileBytes: loaded.config.context.maxFileBytes,
    focusFiles: flags.focus,
    ...(flags.query === undefined ? {} : { query: flags.query }),
    ...(vectors ? { vectors: { embedder: vectors.embedder, audit: vectors.audit, ...(vectors.weight !== undefined ? { weight: vectors.weight } : {}) } } : {}),
    onProgress,
  });
  if (progressShown) reporter.stderr.write('\r\x1b[K');
  if (map.stats.vectors?.notice !== undefined) reporter.warn(`${map.stats.vectors.notice}; the map is lexical only`);

  if (flags.json) {
    reporter.json({ tokens: map.tokens, files: map.files, definitions: map.definitions, ...packageBoundaries(await workspace!, map.files), ...(flags.stats ? { stats: map.stats } : {}) });
  } else if (map.text !== '') {
    reporter.print(map.text);
  }
  if (flags.stats && !flags.json) {
    const s = map.stats;
    const ms = (n: number): string => `${Math.round(n)} ms`;
    reporter.info(
      [
        `files ${s.files} (excluded ${s.excluded}, skipped ${s.skipped}), parsed ${s.parsed} with ${s.workers} workers, cache hits ${s.cacheHits}, hashed ${s.hashed}${s.reused ? ', map reused' : ''}${s.rankReused ? ', ranking carried over' : ''}${s.vectors?.used ? `, vectors of ${s.vectors.model} at weight ${s.vectors.weight}` : ''}`,
        `tokens ${map.tokens}, files shown ${map.files.length}, definitions shown ${map.definitions.length}`,
        `list ${ms(s.ms.list)}, hash ${ms(s.ms.hash)}, cache ${ms(s.ms.cache)}, parse ${ms(s.ms.parse)}, rank ${ms(s.ms.rank)}, render ${ms(s.ms.render)}, total ${ms(s.ms.total)}`,
        ...(s.upkeep ? [upkeepLine(s.upkeep)] : []),
      ].join('\n'),
    );
  }
  return 0;
}

/**
 * In a workspace, the package boundaries for `map --json` (issue 27): each package's folder, name,
 * test command and the map's files inside it. Nothing for a repository that is not one.
 */
function packageBoundaries(
  { m, ws }: { m: typeof Workspaces; ws: Workspace },
  files: readonly string[],
): { workspace?: string; packages?: Array<{ dir: string; name: string; command: string | null; files: string[] }> } {
  if (!m.isWorkspace(ws)) return {};
  // Each file's package once (a file per package per package was ~9 ms at 3,000 files).
  const inside = new Map<TestPackage, string[]>(ws.packages.map((pkg) => [pkg, []]));
  for (const f of files) {
    const pkg = m.packageOf(ws, f);
    if (pkg !== null) inside.get(pkg)!.push(f);
  }
  return {
    workspace: ws.kind,
    packages: ws.packages.map((pkg) => ({ dir: pkg.dir, name: pkg.name, command: pkg.command, files: inside.get(pkg)! })),
  };
}

function upkeepLine(upkeep: UpkeepReport): string {
  const kb = (n: number): string => `${Math.round(n / 1024)} KB`;
  const parts = upkeep.compacted.map((c) => `compacted ${c.pack} ${kb(c.before)} -> ${kb(c.after)}`);
  if (upkeep.deleted.length > 0) parts.push(`deleted ${upkeep.deleted.join(', ')}`);
  return `tags cache: ${parts.join('; ')} (${Math.round(upkeep.ms)} ms, after the map)`;
}
