import { readFile } from 'node:fs/promises';
import { TagExtractor, toFileTags, type Extracted } from './extractor.js';
import { languageForPath, packName, type LanguageId } from './languages.js';
import { TagsCache } from './tags-cache.js';
import type { FileTags, Tag } from './types.js';

let extractor: TagExtractor | undefined;
// A cold refresh of a large repository outlines thousands of files: their tags go to the cache
// in slices rather than all held until the end.
const FLUSH_EVERY = 512;

/**
 * Definitions and references of one file, with lines and signatures. `content` defaults to
 * the file at `absPath`; `file` is the path reported in the tags. Unknown languages, binary,
 * minified and too-large files give no tags.
 */
export async function extractTags(file: string, options: { content?: string | Buffer; absPath?: string; maxFileBytes?: number } = {}): Promise<Tag[]> {
  const lang = languageForPath(file);
  if (!lang) return [];
  const content =
    options.content === undefined ? await readFile(options.absPath ?? file) : Buffer.isBuffer(options.content) ? options.content : Buffer.from(options.content);
  return tagList(file, await extract(lang.id, content, options.maxFileBytes));
}

function extract(lang: LanguageId, content: Buffer, maxFileBytes = 1 << 20): Promise<Extracted> {
  extractor ??= new TagExtractor({ baseline: true });
  return extractor.extractBuffer(lang, content, { maxFileBytes });
}

function tagList(file: string, result: Extracted): Tag[] {
  const tags: Tag[] = result.defs.map((def, i) => ({
    file,
    name: def.name,
    kind: 'def',
    line: result.nameLines[i]!,
    defKind: def.kind,
    signature: def.signature,
  }));
  for (const ref of result.refs) tags.push({ file, name: ref.name, kind: 'ref', line: ref.line, defKind: ref.kind });
  return tags;
}

interface ParsedBlob {
  pack: string;
  blob: string;
  tags: FileTags;
}

/**
 * `extractTags` for a caller that goes through the contents of a listing by blob id (the
 * summaries' outlines), which also keeps each content's tags for the repo map's tags cache under
 * `sharedAssistDir`: the hooks run the summaries before the map, and the map then finds those
 * contents parsed. `flush` writes what the cache lacks.
 */
export class CachingTagExtractor {
  readonly #cache: TagsCache;
  readonly #parsed: ParsedBlob[] = [];

  constructor(sharedAssistDir: string) {
    this.#cache = new TagsCache(sharedAssistDir);
  }

  /** The tags of `content`, the blob `blob` at `file`, as `extractTags` gives them. */
  async extract(file: string, blob: string, content: Buffer, maxFileBytes?: number): Promise<Tag[]> {
    const lang = languageForPath(file);
    if (!lang) return [];
    const result = await extract(lang.id, content, maxFileBytes);
    this.#parsed.push({ pack: packName(lang), blob, tags: toFileTags(result) });
    // The cache only saves a later parse: failing to write it fails nothing.
    if (this.#parsed.length >= FLUSH_EVERY) await this.flush().catch(() => undefined);
    return tagList(file, result);
  }

  /** Adds to the tags cache the contents parsed so far that it does not hold yet. */
  async flush(): Promise<void> {
    const byPack = new Map<string, ParsedBlob[]>();
    for (const entry of this.#parsed.splice(0)) {
      let list = byPack.get(entry.pack);
      if (!list) byPack.set(entry.pack, (list = []));
      list.push(entry);
    }
    for (const [pack, entries] of byPack) {
      await this.#cache.loadSome(pack, entries.map((e) => e.blob));
      const seen = new Set<string>();
      for (const { blob, tags } of entries) {
        if (seen.has(blob) || this.#cache.get(pack, blob)) continue;
        seen.add(blob);
        this.#cache.put(pack, blob, tags);
      }
    }
    await this.#cache.flush();
  }
}
