import { lstat, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isExcludedPath } from './git-files.js';
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
export async function prepareChangedParsers(root: string, raw: string, stampFile: string): Promise<LanguageId[]> {
  const changed: Array<[path: string, lang: LanguageId]> = [];
  for (let at = 0; at < raw.length && changed.length < MIN_FILES_FOR_WORKERS; ) {
    let end = raw.indexOf('\0', at);
    if (end === -1) end = raw.length;
    // `C` modified (with the index entry's fields before a tab), `?` untracked (the path alone).
    const tag = raw.charCodeAt(at);
    if (tag === 67 || tag === 63) {
      const path = tag === 63 ? raw.slice(at + 2, end) : raw.slice(raw.indexOf('\t', at) + 1, end);
      const lang = languageForPath(path);
      if (lang && !isExcludedPath(path)) changed.push([path, lang.id]);
    }
    at = end + 1;
  }
  if (changed.length === 0 || changed.length >= MIN_FILES_FOR_WORKERS) return [];
  // Read only when the listing shows a change: a clean tree's warm run stats nothing more.
  const since = await stat(stampFile).then((s) => s.mtimeMs, () => undefined);
  if (since === undefined) return [];
  const times = await Promise.all(changed.map(([path]) => lstat(join(root, path)).then((s) => (s.isFile() ? s.mtimeMs : 0), () => 0)));
  const langs = new Set<LanguageId>();
  changed.forEach(([, lang], k) => {
    if (times[k]! > since) langs.add(lang);
  });
  for (const lang of langs) threadExtractor().prepare(lang);
  return [...langs];
}
