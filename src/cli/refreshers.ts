export { hookCoalescing } from '../hooks/index.js';
import { refresherRegistry, runRefresher, type RefresherOptions, type RefresherRegistry, type RefreshOutcome } from '../hooks/index.js';

// Which caches `assist hook` keeps fresh is decided here, above hooks/, summaries/ and context/:
// hooks/ runs whatever is registered and knows none of them, so the folders that own a cache can
// use hooks/ (summaries reads the queue of changed files) without an import cycle. This module is
// also the entry of the bundle's hooks.js, which bin/assist.js runs for `assist hook` without the CLI.

/**
 * Registers the refreshers assist ships, each loaded only when the refresher runs (the context
 * engine pulls in tree-sitter). Returns the names added; a name already registered is left alone.
 */
export async function registerBuiltinRefreshers(registry: RefresherRegistry = refresherRegistry): Promise<string[]> {
  const added: string[] = [];
  // Summaries first: a changed file's summary is fresh without waiting for the map build below.
  if (!registry.has('summaries')) {
    const { summariesRefresher } = await import('../summaries/index.js');
    registry.register('summaries', summariesRefresher(process.env));
    added.push('summaries');
  }
  if (!registry.has('tags')) {
    const { buildRepoMap, languageForPath } = await import('../context/index.js');
    // A default map build parses exactly the blobs the tags cache lacks (and leaves the default
    // map ready), on one worker, only when a source file changed.
    registry.register('tags', async (paths, changed) => {
      if (!changed.some((path) => languageForPath(path) !== undefined)) return;
      await buildRepoMap({ cwd: paths.root, maxWorkers: 1 });
    });
    added.push('tags');
  }
  // The lexical search index after the tags: the files it chunks have their tags cached by then.
  if (!registry.has('search')) {
    const { refreshSearchIndex, refreshVectorsInBackground } = await import('../context/index.js');
    registry.register('search', async (paths, changed) => {
      const stats = await refreshSearchIndex(paths, changed);
      // Vectors (context.embeddings) after the lexical index they follow, only when a source file changed.
      if (stats) await refreshVectorsInBackground(paths, changed);
    });
    added.push('search');
  }
  return added;
}

/** `assist hook <name>`: the background refresher with the built-in refreshers. Never throws, never prints. */
export function runHookRefresher(hook: string, options: Omit<RefresherOptions, 'loadRefreshers'>): Promise<RefreshOutcome | null> {
  return runRefresher(hook, { ...options, loadRefreshers: registerBuiltinRefreshers });
}
