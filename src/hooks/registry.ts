import type { RepoPaths } from '../git/repo-paths.js';

/**
 * Something that brings a cache up to date after files changed (tags, summaries). `changed` holds
 * repository-relative paths whose index entry was added, changed or removed since the last run;
 * a removed path is no longer in the index. It may throw: the refresher logs it and goes on.
 */
export type Refresher = (paths: RepoPaths, changed: string[]) => Promise<void>;

/** The refreshers `assist hook` calls, in registration order. */
export class RefresherRegistry {
  private readonly refreshers = new Map<string, Refresher>();

  /** Adds (or replaces) a refresher under a name; returns a function that removes it. */
  register(name: string, refresher: Refresher): () => void {
    this.refreshers.set(name, refresher);
    return () => {
      if (this.refreshers.get(name) === refresher) this.refreshers.delete(name);
    };
  }

  has(name: string): boolean {
    return this.refreshers.has(name);
  }

  names(): string[] {
    return [...this.refreshers.keys()];
  }

  entries(): [string, Refresher][] {
    return [...this.refreshers.entries()];
  }
}

/** The registry the CLI's `assist hook` uses; other parts of assist register into it. */
export const refresherRegistry = new RefresherRegistry();

/**
 * Registers the refreshers other folders provide, loaded lazily (the context engine pulls in
 * tree-sitter). Looked up by name at run time so this folder builds whether or not they exist yet.
 */
export async function registerBuiltinRefreshers(registry: RefresherRegistry = refresherRegistry): Promise<string[]> {
  const added: string[] = [];
  // Summaries first: a changed file's summary is fresh without waiting for the map build below.
  if (!registry.has('summaries')) {
    const summaries = (await import('../summaries/index.js')) as Record<string, unknown>;
    const make = summaries.summariesRefresher;
    if (typeof make === 'function') {
      registry.register('summaries', (make as (env: NodeJS.ProcessEnv) => Refresher)(process.env));
      added.push('summaries');
    }
  }
  if (!registry.has('tags')) {
    const context = (await import('../context/index.js')) as Record<string, unknown>;
    const refresh = context[TAGS_REFRESH_EXPORT];
    const buildRepoMap = context.buildRepoMap;
    const languageForPath = context.languageForPath;
    if (typeof refresh === 'function') {
      registry.register('tags', async (paths, changed) => {
        await (refresh as (paths: RepoPaths, changed: string[]) => Promise<unknown>)(paths, changed);
      });
      added.push('tags');
    } else if (typeof buildRepoMap === 'function' && typeof languageForPath === 'function') {
      // No dedicated refresh yet: a default map build parses exactly the blobs the tags cache
      // lacks (and leaves the default map ready), on one worker, only when a source file changed.
      registry.register('tags', async (paths, changed) => {
        if (!changed.some((path) => (languageForPath as (p: string) => unknown)(path) !== undefined)) return;
        await (buildRepoMap as (o: { cwd: string; maxWorkers?: number }) => Promise<unknown>)({ cwd: paths.root, maxWorkers: 1 });
      });
      added.push('tags');
    }
  }
  // The lexical search index after the tags: the files it chunks have their tags cached by then.
  if (!registry.has('search')) {
    const context = (await import('../context/index.js')) as Record<string, unknown>;
    const refresh = context[SEARCH_REFRESH_EXPORT];
    if (typeof refresh === 'function') {
      registry.register('search', async (paths, changed) => {
        await (refresh as (paths: RepoPaths, changed: string[]) => Promise<unknown>)(paths, changed);
      });
      added.push('search');
    }
  }
  return added;
}

/** The name src/context/index.ts exports the search index's refresh under: `(paths, changed) => Promise`. */
export const SEARCH_REFRESH_EXPORT = 'refreshSearchIndex';

/** The name src/context/index.ts would export a cache refresh under: `(paths, changed) => Promise`. */
export const TAGS_REFRESH_EXPORT = 'refreshTagsCache';
