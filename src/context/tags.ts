import { readFile } from 'node:fs/promises';
import { TagExtractor } from './extractor.js';
import { languageForPath } from './languages.js';
import type { Tag } from './types.js';

let extractor: TagExtractor | undefined;

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
  extractor ??= new TagExtractor({ baseline: true });
  const result = await extractor.extractBuffer(lang.id, content, { maxFileBytes: options.maxFileBytes ?? 1 << 20 });
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
