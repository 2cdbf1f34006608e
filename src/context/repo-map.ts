import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { resolveRepoPaths, type RepoPaths } from '../git/repo-paths.js';
import { markPhase } from '../obs/phases.js';
import { listingFingerprint, listRaw, listSourceFiles, readAssistIgnoreText, type FileListing } from './git-files.js';
import { prepareChangedParsers } from './changed-parsers.js';
import { languageSpec, languageVersion, packName, sameLanguageVersions, type LanguageId } from './languages.js';
import { parseFiles, startParseWorkers, type StartedWorkers } from './parse-pool.js';
import { rankGraph, type RankedDef } from './rank.js';
import { reuseRanking } from './rank-reuse.js';
import { matchSnapshot, readRanks, readSnapshot, startingRanks, updateSnapshot, writeRanks, writeSnapshot, type RankSnapshot, type StoredRanks } from './rank-snapshot.js';
import { fitToBudget, type MapDefinition } from './render.js';
import { upkeepTagsCache, type UpkeepReport } from './cache-upkeep.js';
import { TagsCache, type CachedTags, type EntryLocation } from './tags-cache.js';
import { decodeTags, UNREADABLE } from './tags-line.js';
import { retrievalWeights } from './search.js';
import { planRequestVectors, startRequestVectors, tableStamp, type RequestVectors, type RequestVectorUse, type VectorPlan } from './request-vectors.js';
import { SectionCountStore } from './section-counts.js';
import { lazyTokenCounter, type TokenCounter } from './tokens.js';
import type { CachedDef } from './types.js';
import { writeFileAtomic } from '../util/atomic-write.js';

export const DEFAULT_MAP_TOKENS = 2048;
export const DEFAULT_MAX_FILE_BYTES = 1 << 20;

/** Options of `buildRepoMap`. */
export interface RepoMapOptions {
  /** Any directory inside the work tree. */
  cwd: string;
  /** Token budget of the rendered map (o200k_base tokens), never exceeded. */
  tokens?: number;
  /** Files to personalise the ranking to (chat files, `--focus`), relative to `cwd` or absolute. */
  focusFiles?: readonly string[];
  /** Files not to show (already in the chat), relative to `cwd` or absolute. */
  excludeFiles?: readonly string[];
  /** Text of the request: its identifiers and paths personalise the ranking, and so do the files the lexical search finds for it. */
  query?: string;
  /** Personalise by the lexical search's files for `query` (default true). */
  retrieval?: boolean;
  /**
   * `context.embeddings`: the retrieval fuses the stored vectors too, with the query embedded
   * (`vectors.text`, else `query`); never a file. Without stored vectors, or when the embedding
   * fails, the retrieval is lexical and `stats.vectors.notice` says why.
   */
  vectors?: RequestVectors;
  /** Larger files are not parsed. */
  maxFileBytes?: number;
  /** Upper bound of parse workers (default: cores; 0: parse on this thread). */
  maxWorkers?: number;
  /** Progress of a build that parses files. */
  onProgress?: (done: number, total: number) => void;
  env?: NodeJS.ProcessEnv;
  /** The repository's paths, when the caller has them already (`resolveRepoPaths(cwd)`): one git process less. */
  paths?: RepoPaths;
  /** Override of the worker script (tests run from sources, where no compiled worker exists). */
  workerUrl?: URL;
  /**
   * The listing made already this turn, with the root and the shared assist dir (a session's turn
   * snapshot): then the map neither finds the repository nor lists its files again.
   */
  listed?: Promise<{ files: FileListing; root: string; sharedAssistDir: string }>;
}

/** Counters and per-phase milliseconds of one build. */
export interface RepoMapStats {
  /** Source files the map covers. */
  files: number;
  /** Files whose tags were made in this build (content shared by several files is parsed once). */
  parsed: number;
  cacheHits: number;
  /** Files whose ids came from `git hash-object`. */
  hashed: number;
  /** Files git lists that the map leaves out (other languages, vendored, generated, ignored). */
  excluded: number;
  /** Covered files whose content was not parsed (binary, too large, minified). */
  skipped: number;
  workers: number;
  /** True when the whole result came from the result cache (nothing changed since the same request). */
  reused: boolean;
  /** True when the last ranking was carried over: the files that changed moved no link (rank-reuse.ts). */
  rankReused?: boolean;
  /** True when the last rendering was kept: the ranking's head and its files' contents were those it was made from. */
  renderReused?: boolean;
  /** True when the stored result was found by git's output alone, without building the listing (`files`, `excluded` are the stored counts). */
  listingSkipped?: boolean;
  /** `list` is git's listing and its filtering; `hash` the ids of modified and untracked files, within the listing's time. */
  ms: { list: number; hash: number; cache: number; parse: number; rank: number; render: number; total: number };
  /** Present when the build compacted or deleted tags packs after the map was made (outside `ms.total`). */
  upkeep?: UpkeepReport;
  /** With `vectors` asked for and stored: whether the retrieval used them (a reused map: it was made with them). */
  vectors?: RequestVectorUse;
}

/** The rendered map. */
export interface RepoMap {
  text: string;
  /** Exact o200k_base token count of `text`; ≤ the budget. */
  tokens: number;
  /** Files shown, in map order. */
  files: string[];
  /** Definitions shown, best first. */
  definitions: MapDefinition[];
  stats: RepoMapStats;
}

function toRepoPath(root: string, cwd: string, file: string): string {
  const abs = isAbsolute(file) ? file : resolve(cwd, file);
  return relative(root, abs).split(sep).join('/');
}

// 2: the retrieval lifts files for a query (issue 26), so a stored result of 1 is not the same map.
const RESULT_VERSION = 2;

// The git index size from which a cold build starts its parse workers before the listing.
const PRESTART_INDEX_BYTES = 16 * 1024;

function indexBytes(gitDir: string): number {
  try {
    return statSync(join(gitDir, 'index')).size;
  } catch {
    return 0;
  }
}

/**
 * Builds the repository map: lists the source files with their blob ids, takes their tags
 * from the cache or parses them (in worker threads), ranks the definitions and renders the
 * best ones within the token budget.
 */
export async function buildRepoMap(options: RepoMapOptions): Promise<RepoMap> {
  const early: { started?: StartedWorkers } = {};
  try {
    return await build(options, early);
  } finally {
    // Workers started ahead for a parse that never ran (an error, nothing to parse); a parse
    // consumed and terminated them already.
    await early.started?.close();
  }
}

async function build(options: RepoMapOptions, early: { started?: StartedWorkers }): Promise<RepoMap> {
  const t0 = performance.now();
  markPhase('map.start', t0);
  const budget = Math.max(0, Math.floor(options.tokens ?? DEFAULT_MAP_TOKENS));
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  let listing: FileListing;
  let paths: { root: string; sharedAssistDir: string };
  let stored: StoredBuild | undefined;
  let requestKey: string;
  let fastKey: string | undefined;
  let focusFiles: string[];
  let excludeFiles: Set<string>;
  // With vectors the result depends on the model, the weight, the stored table and the text
  // embedded: all in the key, so a lexical and a vector map are never taken for each other.
  const wantsVectors = options.vectors !== undefined && options.query !== undefined && options.query.trim() !== '' && options.retrieval !== false;
  let plan: VectorPlan | undefined;
  const keyOfRequest = (root: string, vectors: VectorPlan | undefined): string => {
    focusFiles = (options.focusFiles ?? []).map((f) => toRepoPath(root, options.cwd, f));
    excludeFiles = new Set((options.excludeFiles ?? []).map((f) => toRepoPath(root, options.cwd, f)));
    const vectorPart = vectors ? [['vectors', vectors.model, vectors.weight, vectors.stamp, options.vectors?.text ?? options.query ?? '']] : [];
    return createHash('sha1')
      .update(JSON.stringify([RESULT_VERSION, budget, maxFileBytes, focusFiles, [...excludeFiles], options.query ?? '', options.retrieval !== false, ...vectorPart]))
      .digest('hex');
  };
  const planOf = (sharedAssistDir: string): Promise<VectorPlan | undefined> => (wantsVectors ? planRequestVectors(sharedAssistDir, options.vectors!) : Promise.resolve(undefined));
  let fingerprint: string | undefined;
  let snapshotRead: Promise<RankingInputs | undefined> | undefined;
  if (options.listed) {
    ({ files: listing, ...paths } = await options.listed);
    [stored, plan] = await Promise.all([readResult(join(paths.sharedAssistDir, 'map-result.json')), planOf(paths.sharedAssistDir)]);
    requestKey = keyOfRequest(paths.root, plan);
  } else {
    const resolving = options.paths ? Promise.resolve(options.paths) : resolveRepoPaths(options.cwd, options.env);
    const raw = listRaw(options.cwd, options.env);
    // When `cwd` is not in a work tree, the error of finding the root is the one to report.
    raw.catch(() => undefined);
    const repoPaths = await resolving;
    paths = repoPaths;
    // Nothing stored for this repository (no map, no tags): every file will be parsed, so the
    // parse workers start booting now, beside git's listing and the cache reads (~50-100 ms
    // before the pool would have started them). Not for a small repository (an index under
    // 16 KB, ~150 entries), which may have too few files for workers at all.
    if (options.maxWorkers !== 0 && !existsSync(join(paths.sharedAssistDir, 'map-result.json')) && !existsSync(join(paths.sharedAssistDir, 'tags')) && indexBytes(repoPaths.gitDir) >= PRESTART_INDEX_BYTES) {
      early.started = startParseWorkers({ maxFileBytes }, { ...(options.maxWorkers === undefined ? {} : { maxWorkers: options.maxWorkers }), ...(options.workerUrl === undefined ? {} : { workerUrl: options.workerUrl }) });
    }
    const [rawText, ignoreText, read, planned] = await Promise.all([raw, readAssistIgnoreText(paths.root), readResult(join(paths.sharedAssistDir, 'map-result.json')), planOf(paths.sharedAssistDir)]);
    stored = read;
    plan = planned;
    requestKey = keyOfRequest(paths.root, plan);
    // Nothing in the work tree to hash: git's output alone decides the listing, so the stored
    // result of the same output is found without filtering thousands of entries.
    fingerprint = listingFingerprint(rawText, ignoreText);
    fastKey = fingerprint === undefined ? undefined : createHash('sha1').update(requestKey).update(fingerprint).digest('hex');
    if (fastKey !== undefined && stored?.fastKey === fastKey && stored.listing && sameLanguageVersions(stored.listing.languages, languageVersion)) {
      const now = performance.now();
      const { files, excluded } = stored.listing;
      return {
        ...stored.result,
        stats: { files, hashed: 0, excluded, parsed: 0, cacheHits: files, skipped: stored.result.skipped, workers: 0, reused: true, listingSkipped: true, ms: { list: now - t0, hash: 0, cache: 0, parse: 0, rank: 0, render: 0, total: now - t0 }, ...madeWith(plan) },
      };
    }
    // A source file changed since the last map: its grammar loads beside the listing's parse and
    // hashing, and the ranking's snapshot is read while git hashes the file (a dirty tree mapped
    // since, most likely the same map again, reads nothing ahead).
    if (fingerprint === undefined) {
      const shared = paths.sharedAssistDir;
      snapshotRead = prepareChangedParsers(paths.root, rawText, join(shared, 'map-result.json')).then(
        (changed) => (changed.length > 0 ? readRankingInputs(shared).catch(() => undefined) : undefined),
        () => undefined,
      );
    }
    listing = await listSourceFiles(options.cwd, options.env, Promise.resolve(paths.root), Promise.resolve(rawText), { text: ignoreText });
  }
  const tList = performance.now();
  markPhase('map.listed', tList);

  // The same request over the same contents gives the same map: reuse it without the tokenizer.
  const listingText = listing.files.map((f) => `${f.path}\0${f.blob}\0${languageVersion(languageSpec(f.lang))}`).join('\n');
  const resultKeyOf = (request: string): string => createHash('sha1').update(request).update(listingText).digest('hex');
  const listingRecordOf = (fast: string | undefined): FreshContext['listingRecord'] => (fast === undefined ? undefined : { fastKey: fast, listing: { files: listing.files.length, excluded: listing.excluded, languages: languagesOf(listing) } });
  const resultKey = resultKeyOf(requestKey);
  const resultPath = join(paths.sharedAssistDir, 'map-result.json');
  const previous = stored?.key === resultKey ? stored.result : undefined;
  const listingRecord = listingRecordOf(fastKey);
  if (previous && stored && listingRecord && stored.fastKey !== fastKey) {
    // Found by the listing this time (the last build had files to hash): the next run finds it by git's output.
    await writeResult(resultPath, { ...stored, ...listingRecord }).catch(() => undefined);
  }
  const baseStats = { files: listing.files.length, hashed: listing.hashed, excluded: listing.excluded };
  if (previous) {
    const now = performance.now();
    return {
      ...previous,
      stats: {
        ...baseStats,
        parsed: 0,
        cacheHits: listing.files.length,
        skipped: previous.skipped,
        workers: 0,
        reused: true,
        ms: { list: tList - t0 - listing.hashMs, hash: listing.hashMs, cache: now - tList, parse: 0, rank: 0, render: 0, total: now - t0 },
        ...madeWith(plan),
      },
    };
  }
  // The keys the result is stored under when the vectors that took part differ from the plan
  // (an embedding that failed: a lexical map; a table rewritten by this build: its new stamp).
  const rekey = (vectors: VectorPlan | undefined): Pick<FreshContext, 'resultKey' | 'requestKey' | 'listingRecord'> => {
    const request = keyOfRequest(paths.root, vectors);
    const fast = fingerprint === undefined ? undefined : createHash('sha1').update(request).update(fingerprint).digest('hex');
    return { requestKey: request, resultKey: resultKeyOf(request), listingRecord: listingRecordOf(fast) };
  };
  // The tokenizer loads on the first section never counted (one table read, src/context/o200k.ts):
  // the same request over unchanged sections never loads it.
  const count = lazyTokenCounter();
  // How many definitions fitted last time, for the same budget: where the fitting search starts.
  const fitHint = stored?.budget === budget ? stored.result.definitions.length : undefined;
  const lastRender = stored && stored.request === requestKey && stored.budget === budget && stored.head !== undefined ? stored : undefined;
  return buildFresh(options, paths.root, paths.sharedAssistDir, listing, { budget, maxFileBytes, focusFiles: focusFiles!, excludeFiles: excludeFiles!, resultPath, resultKey, requestKey, listingRecord, t0, tList, count, fitHint, started: early.started, plan, lastRender, snapshotRead, rekey });
}

interface FreshContext {
  budget: number;
  maxFileBytes: number;
  focusFiles: string[];
  excludeFiles: Set<string>;
  resultPath: string;
  resultKey: string;
  requestKey: string;
  /** Where a run with the same git output finds this result without a listing (absent when files were hashed). */
  listingRecord: Pick<StoredBuild, 'fastKey' | 'listing'> | undefined;
  t0: number;
  tList: number;
  count: TokenCounter;
  fitHint: number | undefined;
  /** Parse workers started before the listing (nothing was stored), for the parse to use. */
  started: StartedWorkers | undefined;
  /** The vectors the retrieval is to use (the request's keys include them). */
  plan: VectorPlan | undefined;
  /** The last build's stored result, when it was made for this request with this budget: its rendering may hold. */
  lastRender: Pick<StoredBuild, 'head' | 'result'> | undefined;
  /** The ranking's snapshot and ranks, when their read started during the listing. */
  snapshotRead: Promise<RankingInputs | undefined> | undefined;
  rekey: (vectors: VectorPlan | undefined) => Pick<FreshContext, 'resultKey' | 'requestKey' | 'listingRecord'>;
}

async function buildFresh(options: RepoMapOptions, root: string, sharedAssistDir: string, listing: FileListing, ctx: FreshContext): Promise<RepoMap> {
  const { budget, maxFileBytes, focusFiles, excludeFiles, resultPath, t0, tList } = ctx;
  const baseStats = { files: listing.files.length, hashed: listing.hashed, excluded: listing.excluded };
  // The query's embedding goes out now, beside the cache reads, the parse and the snapshot.
  const queryVectors = ctx.plan && options.vectors ? startRequestVectors(sharedAssistDir, options.vectors, options.query ?? '', Promise.resolve(ctx.plan)) : undefined;

  const cache = new TagsCache(sharedAssistDir);
  const packOf = (lang: LanguageId): string => packName(languageSpec(lang));
  const packs = listing.files.map((f) => packOf(f.lang));
  const paths = listing.files.map((f) => f.path);
  const keys = listing.files.map((f, i) => `${packs[i]}:${f.blob}`);
  const snapshotPath = join(sharedAssistDir, 'map-snapshot.bin');
  const ranksPath = join(sharedAssistDir, 'map-ranks.bin');
  const [base, storedRanks] = (await ctx.snapshotRead) ?? (await readRankingInputs(sharedAssistDir));
  const from = matchSnapshot(base, paths, keys, maxFileBytes);

  // Only files the snapshot does not hold are looked up in the tags cache (or parsed).
  const tags = new Map<number, CachedTags>();
  const lookups: number[] = [];
  for (let i = 0; i < from.length; i++) if (from[i] === -1) lookups.push(i);
  await loadEntries(cache, lookups.map((i) => [packs[i]!, listing.files[i]!.blob]));
  const missing: number[] = [];
  for (const i of lookups) {
    const hit = cache.get(packs[i]!, listing.files[i]!.blob);
    // An entry holds for the current size limit only if it would be parsed (or skipped) the same way.
    if (hit && (hit.skipped === 'too-large') === hit.bytes > maxFileBytes) tags.set(i, hit);
    else missing.push(i);
  }
  const tCache = performance.now();
  markPhase('map.cached', tCache);

  // Workers started ahead for a parse that turned out unneeded (the cache held every file) stop now, not after the ranking.
  if (missing.length === 0) await ctx.started?.close();
  let workers = 0;
  let written = new Map<string, number>();
  if (missing.length > 0) {
    // Files with the same content (copies, vendored twins) are parsed once: the first of each
    // stands for the rest (playwright has 33 such files, 2 MB of its 23.7).
    const firstOf = new Map<string, number>();
    const unique: number[] = [];
    for (const i of missing) {
      if (firstOf.has(keys[i]!)) continue;
      firstOf.set(keys[i]!, unique.length);
      unique.push(i);
    }
    const outcome = await parseFiles(
      unique.map((i) => ({ lang: listing.files[i]!.lang, absPath: join(root, listing.files[i]!.path) })),
      {
        limits: { maxFileBytes },
        ...(options.maxWorkers === undefined ? {} : { maxWorkers: options.maxWorkers }),
        ...(options.workerUrl === undefined ? {} : { workerUrl: options.workerUrl }),
        ...(ctx.started === undefined ? {} : { started: ctx.started }),
        ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      },
    );
    workers = outcome.workers;
    const views = outcome.lines.map((line) => decodeTags(line) ?? UNREADABLE);
    unique.forEach((fileIndex, k) => {
      // Unreadable files are not a property of the blob: do not cache them.
      if (views[k]!.skipped !== 'unreadable') cache.putLine(packs[fileIndex]!, listing.files[fileIndex]!.blob, outcome.lines[k]!);
    });
    for (const fileIndex of missing) tags.set(fileIndex, views[firstOf.get(keys[fileIndex]!)!]!);
    written = await cache.flush();
  }
  const tParse = performance.now();
  markPhase('map.parsed', tParse);

  // An unreadable file must be read again next time: it gets a key no listing has.
  const storedKeys = keys.map((k, i) => (tags.get(i)?.skipped === 'unreadable' ? '' : k));
  const { snapshot, changed, sameIds } = updateSnapshot(base, from, paths, storedKeys, maxFileBytes, (i) => {
    const t = tags.get(i)!;
    return { defNames: t.defNames, refs: t.refs, skipped: t.skipped !== undefined, where: cache.locate(packs[i]!, listing.files[i]!.blob) };
  });
  const snapshotWrite = changed ? writeSnapshot(snapshotPath, snapshot).catch(() => undefined) : undefined;
  // The files the request is about, by the lexical index (and the stored vectors), brought up to
  // date from the tags just parsed (a failing index leaves the map as the graph alone makes it).
  const retrieval =
    options.query !== undefined && options.query.trim() !== '' && options.retrieval !== false
      ? await retrievalWeights({
          cwd: options.cwd,
          query: options.query,
          maxFileBytes,
          listing: { files: listing, root, sharedAssistDir },
          map: { snapshot, tagsCache: cache },
          ...(options.env ? { env: options.env } : {}),
          ...(options.maxWorkers === undefined ? {} : { maxWorkers: options.maxWorkers }),
          ...(options.workerUrl ? { workerUrl: options.workerUrl } : {}),
          ...(queryVectors ? { vectors: queryVectors } : {}),
        }).catch(() => undefined)
      : undefined;
  const graph = snapshot.graph;
  let skipped = 0;
  for (const s of snapshot.skipped) skipped += s;
  // More than `budget` definitions never fit (each costs a token); hidden files' may be cut.
  let hidden = 0;
  if (excludeFiles.size > 0) {
    graph.paths.forEach((path, i) => {
      if (excludeFiles.has(path)) hidden += graph.defStart[i + 1]! - graph.defStart[i]!;
    });
  }
  // A few files changed without moving any link between files (rank-reuse.ts): the last
  // ranking holds, and only their definitions are scored. Else PageRank, from the last ranks.
  const plain = options.query === undefined || options.query.trim() === '';
  const focus = new Set(focusFiles.map((f) => graph.paths.indexOf(f)).filter((i) => i !== -1));
  const reused = plain && sameIds ? reuseRanking(base, snapshot, from, storedRanks, { key: ctx.requestKey, focus, limit: budget + hidden }) : undefined;
  const start = reused ? undefined : startingRanks(storedRanks, base, from, ctx.requestKey);
  const weights = retrieval?.weights;
  const lifted = weights && weights.length === graph.paths.length ? { personalWeights: weights, fileBonus: weights } : {};
  const { ranked, fileRanks, scores } =
    reused ?? rankGraph(graph, { focusFiles, limit: budget + hidden, ...(options.query === undefined ? {} : { query: options.query }), ...(start ? { start } : {}), ...lifted });
  // Scores are kept for a request without query, the only one `reuseRanking` takes.
  const ranksWrite = writeRanks(ranksPath, { request: ctx.requestKey, gen: snapshot.gen, ranks: fileRanks, ...(plain ? { scores } : {}) }).catch(() => undefined);
  const visible = excludeFiles.size === 0 ? ranked : ranked.filter((r) => !excludeFiles.has(r.file));
  const tRank = performance.now();
  markPhase('map.ranked', tRank);

  // Render details come from the tags cache, only for the files that can be shown.
  const indexOf = new Map<string, number>(listing.files.map((f, i) => [f.path, i]));
  // The last rendering holds when its inputs do (`renderHead`): no pack read, no token count.
  // Not with vectors, whose keys are settled after the render; not for an empty last map.
  const keyOfFile = (file: string): string => keys[indexOf.get(file)!]!;
  const shownBefore = ctx.plan ? 0 : (ctx.lastRender?.result.definitions.length ?? 0);
  const head = shownBefore > 0 ? renderHead(visible, shownBefore, budget, keyOfFile) : undefined;
  const kept = head !== undefined && head === ctx.lastRender?.head ? ctx.lastRender.result : undefined;
  let countsSaved: Promise<unknown> | undefined;
  const rendered = kept ?? (await renderFresh());
  const tRender = performance.now();
  markPhase('map.rendered', tRender);
  const result = { text: rendered.text, tokens: rendered.tokens, files: rendered.files, definitions: rendered.definitions };
  // The head of the ranking this rendering was made from, for the next build to compare.
  const storedHead = kept ? head : ctx.plan || result.definitions.length === 0 ? undefined : renderHead(visible, result.definitions.length, budget, keyOfFile);

  async function renderFresh(): Promise<{ text: string; tokens: number; files: string[]; definitions: MapDefinition[] }> {
    const shownFiles = [...new Set(visible.slice(0, budget).map((r) => r.file))];
    // Where the snapshot knows an entry's place, one read each; elsewhere a pass over the pack.
    const byPlace = new Map<string, [string, EntryLocation][]>();
    const unplaced: [string, string][] = [];
    for (const f of shownFiles) {
      const i = indexOf.get(f)!;
      if (tags.has(i)) continue;
      const entry: [string, string] = [packs[i]!, listing.files[i]!.blob];
      const length = snapshot.entryLength[i]!;
      if (length === 0) unplaced.push(entry);
      else {
        let list = byPlace.get(entry[0]);
        if (!list) byPlace.set(entry[0], (list = []));
        list.push([entry[1], [snapshot.entryAt[i]!, length]]);
      }
    }
    for (const [pack, wanted] of byPlace) for (const blob of cache.loadAt(pack, wanted)) unplaced.push([pack, blob]);
    await loadEntries(cache, unplaced);
    const defsOf = (file: string): readonly CachedDef[] => {
      const i = indexOf.get(file);
      if (i === undefined) return [];
      let t = tags.get(i);
      if (!t) {
        t = cache.get(packs[i]!, listing.files[i]!.blob);
        if (t) tags.set(i, t);
      }
      return t?.defs() ?? [];
    };
    const known = await new SectionCountStore(join(sharedAssistDir, 'map-token-counts.json')).load();
    const fitted = await fitToBudget(visible, defsOf, budget, ctx.count, known, ctx.fitHint);
    countsSaved = known.save().catch(() => undefined);
    return fitted;
  }
  let storeKeys: Pick<FreshContext, 'resultKey' | 'requestKey' | 'listingRecord'> = ctx;
  if (ctx.plan) {
    const used = retrieval?.vectors?.used === true;
    const stamp = used ? await tableStamp(sharedAssistDir, ctx.plan.model) : undefined;
    if (!used) storeKeys = ctx.rekey(undefined);
    else if (stamp !== ctx.plan.stamp) storeKeys = ctx.rekey({ ...ctx.plan, stamp: stamp! });
  }
  await Promise.all([writeResult(resultPath, { key: storeKeys.resultKey, request: storeKeys.requestKey, budget, ...storeKeys.listingRecord, ...(storedHead === undefined ? {} : { head: storedHead }), result: { ...result, skipped } }).catch(() => undefined), snapshotWrite, ranksWrite, countsSaved]);
  markPhase('map.stored');
  // Upkeep of the cache never fails a map: at worst the cache stays as large as it was.
  const upkeep = await upkeepTagsCache(cache, snapshot, written, snapshotPath).catch(() => undefined);
  return {
    ...result,
    stats: {
      ...baseStats,
      parsed: missing.length,
      cacheHits: listing.files.length - missing.length,
      skipped,
      workers,
      reused: false,
      ...(reused ? { rankReused: true } : {}),
      ...(kept ? { renderReused: true } : {}),
      ms: { list: tList - t0 - listing.hashMs, hash: listing.hashMs, cache: tCache - tList, parse: tParse - tCache, rank: tRank - tParse, render: tRender - tRank, total: tRender - t0 },
      ...(upkeep && (upkeep.compacted.length > 0 || upkeep.deleted.length > 0) ? { upkeep } : {}),
      ...(retrieval?.vectors ? { vectors: retrieval.vectors } : {}),
    },
  };
}

type RankingInputs = [RankSnapshot | undefined, StoredRanks | undefined];

/** The last build's ranking snapshot and ranks (each undefined when missing or unreadable). */
function readRankingInputs(sharedAssistDir: string): Promise<RankingInputs> {
  return Promise.all([readSnapshot(join(sharedAssistDir, 'map-snapshot.bin')), readRanks(join(sharedAssistDir, 'map-ranks.bin')).catch(() => undefined)]);
}

/** A reused result's vectors: the key it was found by says they took part. */
function madeWith(plan: VectorPlan | undefined): { vectors?: RequestVectorUse } {
  return plan ? { vectors: { used: true, model: plan.model, weight: plan.weight, source: plan.source } } : {};
}

/** Loads the cache entries of some blobs: whole packs when many are needed (a cold build). */
async function loadEntries(cache: TagsCache, wanted: readonly (readonly [pack: string, blob: string])[]): Promise<void> {
  const byPack = new Map<string, string[]>();
  for (const [pack, blob] of wanted) {
    let list = byPack.get(pack);
    if (!list) byPack.set(pack, (list = []));
    list.push(blob);
  }
  await Promise.all([...byPack].map(([pack, blobs]) => (blobs.length > 64 ? cache.load(pack) : cache.loadSome(pack, blobs))));
}

type StoredResult = Omit<RepoMap, 'stats'> & { skipped: number };

/** What the last build stored: its key, its budget and its result. */
interface StoredBuild {
  key: string;
  /** The key of the request alone (budget, size limit, focus, hidden files, query). */
  request?: string;
  budget?: number;
  /** The key of the request with the fingerprint of git's listing (git-files.ts `listingFingerprint`). */
  fastKey?: string;
  /** Of the ranking the result was rendered from: `renderHead` of its first shown + 1 definitions. */
  head?: string;
  /** The listing's counts and each language's grammar and query version, for a result found by `fastKey`. */
  listing?: { files: number; excluded: number; languages: Record<string, string> };
  result: StoredResult;
}

/**
 * What a rendering of `ranked` within `budget` depends on when the last one showed `shown`
 * definitions: the first `shown` + 1 ranked definitions (file, index, name, score), the content of
 * their files (`keyOf`: pack and blob id; the file's other definitions are its scopes), the budget
 * and whether the fitting could look further (`shown` under min(ranked, budget)). With the same
 * head, `fitToBudget` from the hint `shown` renders the same `shown` definitions (they fitted)
 * and then finds that the next one does not fit (as last time, whose search ended on that failed
 * probe) or that there is none to try, so its result is the last one.
 */
function renderHead(ranked: readonly RankedDef[], shown: number, budget: number, keyOf: (file: string) => string): string {
  const hash = createHash('sha1').update(`${budget}\0${shown}\0${shown < Math.min(ranked.length, budget) ? 'more' : 'bound'}`);
  const keysOf = new Map<string, string>();
  for (const r of ranked.slice(0, shown + 1)) {
    let key = keysOf.get(r.file);
    if (key === undefined) keysOf.set(r.file, (key = keyOf(r.file)));
    hash.update(`\n${r.file}\0${key}\0${r.index}\0${r.name}\0${r.score}`);
  }
  return hash.digest('hex');
}

function languagesOf(listing: FileListing): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of listing.files) out[f.lang] ??= languageVersion(languageSpec(f.lang));
  return out;
}

async function readResult(path: string): Promise<StoredBuild | undefined> {
  try {
    const stored = JSON.parse(await readFile(path, 'utf8')) as StoredBuild;
    return typeof stored.key === 'string' && Array.isArray(stored.result?.definitions) ? stored : undefined;
  } catch {
    return undefined;
  }
}

async function writeResult(path: string, build: StoredBuild): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFileAtomic(path, JSON.stringify(build), { fsync: false });
}
