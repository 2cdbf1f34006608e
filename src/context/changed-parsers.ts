import { lstatSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { peekPrefetched } from '../git/prefetch.js';
import { REV_PARSE_ARGS } from '../git/repo-paths.js';
import { isExcludedPath, LIST_ARGS } from './git-files.js';
import { languageForPath, type LanguageId } from './languages.js';
import { MIN_FILES_FOR_WORKERS, threadExtractor } from './parse-pool.js';

/**
 * Starts loading tree-sitter and the grammar of each source file git lists (`raw`, the output of
 * LIST_ARGS) as modified or untracked whose content changed after the search index or the map
 * was last written (the mtime of `stampFile`: the search snapshot or the map result; its mtime is
 * later), and returns those languages: that file will most likely be parsed, and the load's
 * reads and wasm compiles then run beside the listing's parse and `git hash-object` instead of
 * after them. A file indexed or mapped since (by the hooks' refresher, a search, a map) is older
 * than the index and loads nothing; a misjudged file costs the load, never a result. Not for a
 * build (no index yet) or a change parsed in workers.
 */
/**
 * {@link prepareChangedParsers} as soon as the entry point's prefetched `git rev-parse` and
 * `git ls-files` (`bin/assist.js`) have answered, before the command has loaded its config and
 * its modules: for `assist map` and `assist search`, whose change path waits on the changed file's
 * parser (its load then overlaps the command's start as well as the listing). `stampOf` names the
 * command's own index file under the shared assist dir. Nothing without both prefetches; never
 * fails (the command finds any problem itself, and a parser loaded twice is loaded once).
 * Resolves to the languages it started loading.
 */
export function prepareChangedParsersEarly(cwd: string, env: NodeJS.ProcessEnv, stampOf: (sharedAssistDir: string) => string | readonly string[]): Promise<LanguageId[]> {
  const paths = peekPrefetched(cwd, REV_PARSE_ARGS, env);
  const listing = peekPrefetched(cwd, LIST_ARGS, env);
  if (!paths || !listing) return Promise.resolve([]);
  return Promise.all([paths, listing])
    .then(([p, l]) => {
      const [root = '', , commonDir = ''] = p.stdout.split('\n');
      if (p.error || l.error || root === '' || commonDir === '') return [];
      return prepareChangedParsers(root, l.stdout, stampOf(join(isAbsolute(commonDir) ? commonDir : resolve(cwd, commonDir), 'assist')));
    })
    .catch(() => []);
}

export async function prepareChangedParsers(root: string, raw: string, stampFile: string | readonly string[]): Promise<LanguageId[]> {
  const changed: Array<[path: string, lang: LanguageId]> = [];
  // `C` modified (with the index entry's fields before a tab), `?` untracked (the path alone):
  // found by the string's own search, not by a walk over every entry (~2,300 on vitest, a few ms
  // in a fresh process, and this runs on the command's critical path).
  for (const tag of ['C', '?']) {
    const needle = `\0${tag} `;
    for (let at = raw.startsWith(`${tag} `) ? 0 : raw.indexOf(needle); at !== -1 && changed.length < MIN_FILES_FOR_WORKERS; at = raw.indexOf(needle, at + 1)) {
      const from = raw.charCodeAt(at) === 0 ? at + 1 : at;
      let end = raw.indexOf('\0', from);
      if (end === -1) end = raw.length;
      const path = tag === '?' ? raw.slice(from + 2, end) : raw.slice(raw.indexOf('\t', from) + 1, end);
      const lang = languageForPath(path);
      if (lang && !isExcludedPath(path)) changed.push([path, lang.id]);
    }
  }
  if (changed.length === 0 || changed.length >= MIN_FILES_FOR_WORKERS) return [];
  // Read only when the listing shows a change: a clean tree's warm run stats nothing more.
  // Several files (the search snapshot and its delta): the latest written of those there.
  // Blocking stats (a few, microseconds each): each asynchronous one waited for the command's own
  // listing work on this thread, and the parser's load started ~15 ms later (docs/search.md
  // "Seventeenth session").
  const stamps = (typeof stampFile === 'string' ? [stampFile] : stampFile).map((f) => statSync(f, { throwIfNoEntry: false })?.mtimeMs);
  const written = stamps.filter((t): t is number => t !== undefined);
  if (written.length === 0) return [];
  const since = Math.max(...written);
  const times = changed.map(([path]) => {
    try {
      const s = lstatSync(join(root, path));
      return s.isFile() ? s.mtimeMs : 0;
    } catch {
      return 0;
    }
  });
  const langs = new Set<LanguageId>();
  changed.forEach(([, lang], k) => {
    if (times[k]! > since) langs.add(lang);
  });
  for (const lang of langs) threadExtractor().prepare(lang);
  return [...langs];
}
