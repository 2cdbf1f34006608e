import { createHash } from 'node:crypto';
import { hashChangedFiles, idFormatOfLength, isAttributesFile, keptLanguage, listingRules, readAssistIgnore, type SourceFile } from './git-files.js';
import { languageForPath, type LanguageId } from './languages.js';
import type { ListingStamp, SearchSnapshot } from './search-snapshot.js';
import { indexInSorted } from '../util/sorted.js';

/**
 * What of git's listing output (git-files.ts `LIST_ARGS`) decides which files an index holds and
 * which of their ids come from the work tree: everything but the modified entries and the untracked
 * files in no language the map parses, as one hash, and the paths whose ids come from the work
 * tree.
 */
export interface ListingShape {
  /** sha1 of the listing rules, `.assistignore` and every record of the output but the modified ones (`C`) and the untracked files in no language the map parses. */
  entries: string;
  /** Paths in a language the map parses that git lists as modified (`C`; a deleted path is one too). */
  modified: string[];
  /** Paths in a language the map parses that git lists as untracked (`?`): their ids come from the work tree whatever the output says. */
  untracked: string[];
  /** Paths git lists as deleted (`R`). */
  deleted: Set<string>;
  /** The `.gitattributes` files listed (what decides whether a file is hashed here or by git). */
  attributeFiles: string[];
  /** The object format of the ids (40 hex digits: SHA-1, 64: SHA-256). */
  format: 'sha1' | 'sha256' | undefined;
}

/** Past this many paths to look at again, the whole listing is made instead (each is a lookup and maybe a hash). */
const MAX_RECHECKED = 64;

/**
 * The shape of `raw`, the output of git-files.ts `LIST_ARGS`; undefined when an entry is unmerged
 * (its id comes from the work tree, and git lists it once per stage: the whole listing decides).
 * One pass over the records; the hash skips the few modified ones.
 */
export function listingShape(raw: string, ignoreText: string | undefined): ListingShape | undefined {
  const hash = createHash('sha1').update(listingRules()).update('\0').update(ignoreText ?? '\u0000none').update('\0');
  const modified: string[] = [];
  const untracked: string[] = [];
  const deleted = new Set<string>();
  const attributeFiles: string[] = [];
  let format: ListingShape['format'];
  let hashedTo = 0;
  for (let at = 0; at < raw.length; ) {
    let end = raw.indexOf('\0', at);
    if (end === -1) end = raw.length;
    const tag = raw.charCodeAt(at);
    if (tag === 77) return undefined; // M: unmerged
    if (tag === 63) {
      // ?: untracked, the path alone. One in no language the map parses is left out of the hash too:
      // a build's or an editor's files coming and going keep the shape.
      const path = raw.slice(at + 2, end);
      if (languageForPath(path) !== undefined) untracked.push(path);
      else {
        hash.update(raw.slice(hashedTo, at));
        hashedTo = end + 1;
      }
      if (isAttributesFile(path)) attributeFiles.push(path);
    } else {
      // `T 100644 <id> 0\t<path>`
      const tab = raw.indexOf('\t', at);
      const path = raw.slice(tab + 1, end);
      if (tag === 67) {
        // C: modified; left out of the hash, so that another change to the work tree keeps the shape.
        if (languageForPath(path) !== undefined) modified.push(path);
        hash.update(raw.slice(hashedTo, at));
        hashedTo = end + 1;
      } else if (tag === 82) deleted.add(path);
      else if (tag === 72 || tag === 83) {
        format ??= idFormatOfLength(tab - at - 11);
        if (isAttributesFile(path)) attributeFiles.push(path);
      }
    }
    at = end + 1;
  }
  hash.update(raw.slice(hashedTo));
  return { entries: hash.digest('hex'), modified, untracked, deleted, attributeFiles, format };
}

/** The stamp's fields of a shape, for the snapshot written from this listing. */
export function shapeStamp(shape: ListingShape): Pick<ListingStamp, 'entries' | 'modified'> {
  return { entries: shape.entries, modified: shape.modified };
}

/** The files of a listing with their tags packs and keys (`<pack>:<id>`), and where each was in the snapshot (-1: its content changed). */
export interface ReusedListing {
  files: SourceFile[];
  packs: string[];
  keys: string[];
  from: Int32Array;
  /** How many ids were hashed from the work tree. */
  hashed: number;
}

/** The id of `path`'s index entry in `raw` (its `H`/`S` record: the path is neither modified nor deleted), when a plain file's. */
function indexIdOf(raw: string, path: string): string | undefined {
  const needle = `\t${path}\0`;
  for (let at = raw.indexOf(needle); at !== -1; at = raw.indexOf(needle, at + 1)) {
    const start = raw.lastIndexOf('\0', at) + 1;
    // A path holding a tab could end in this one: the record's own first tab must be here.
    if (raw.indexOf('\t', start) !== at) continue;
    const tag = raw[start];
    if (tag !== 'H' && tag !== 'S') return undefined;
    const mode = raw.slice(start + 2, start + 8);
    return mode === '100644' || mode === '100755' ? raw.slice(start + 9, at - 2) : undefined;
  }
  return undefined;
}

/**
 * The listing git's output `raw` gives, made from the snapshot it was last written with instead of
 * from every record: when everything but the modified entries is as it was then (same index
 * entries, deleted and untracked paths, `.assistignore` and rules: `stamp.entries`), the files are
 * the snapshot's, and only the paths modified now or then and the untracked ones can have another
 * id than the stored one. Those are looked at again: hashed when modified or untracked now, their
 * index id otherwise. Undefined whenever that cannot say what the whole listing would (a path the
 * listing would now add or drop, one that is no longer a plain file, too many to look at): the
 * caller makes the whole listing.
 */
export async function reuseListing(options: {
  raw: string;
  shape: ListingShape;
  stamp: ListingStamp;
  snapshot: SearchSnapshot;
  root: string;
  ignoreText: string | undefined;
  env?: NodeJS.ProcessEnv;
}): Promise<ReusedListing | undefined> {
  const { raw, shape, stamp, snapshot, root } = options;
  if (stamp.entries !== shape.entries || stamp.modified === undefined) return undefined;
  const paths = snapshot.paths;
  const stored = snapshot.keys;
  if (paths.length !== stored.length) return undefined;
  const now = new Set<string>(shape.modified);
  for (const path of shape.untracked) now.add(path);
  const recheck = new Set<string>(now);
  for (const path of stamp.modified) recheck.add(path);
  if (recheck.size > MAX_RECHECKED) return undefined;

  const keys = stored.slice();
  const from = new Int32Array(paths.length);
  for (let i = 0; i < from.length; i++) from[i] = i;
  const toHash: number[] = [];
  // The snapshot's places of the paths looked at: where a key may have changed.
  const looked: number[] = [];
  let ignored: ((path: string) => boolean) | undefined | null = null;
  for (const path of recheck) {
    const i = indexInSorted(paths, path);
    if (i === -1) {
      if (shape.deleted.has(path)) continue;
      // Not in the snapshot: right only if the listing leaves it out by its name.
      if (ignored === null) ignored = await readAssistIgnore(root, { text: options.ignoreText });
      if (keptLanguage(path, ignored) !== undefined) return undefined;
      continue;
    }
    looked.push(i);
    if (now.has(path)) {
      toHash.push(i);
      continue;
    }
    // Modified then, not now: its index entry's id, as the listing gives it.
    const id = indexIdOf(raw, path);
    if (id === undefined) return undefined;
    const key = stored[i]!;
    keys[i] = `${key.slice(0, key.lastIndexOf(':'))}:${id}`;
  }
  if (toHash.length > 0) {
    const hashed = await hashChangedFiles(
      root,
      toHash.map((i) => paths[i]!),
      shape.format,
      shape.attributeFiles,
      options.env,
    );
    for (const i of toHash) {
      const id = hashed.get(paths[i]!);
      if (id === undefined) return undefined; // no longer a plain file: the listing drops it
      const key = stored[i]!;
      keys[i] = `${key.slice(0, key.lastIndexOf(':'))}:${id}`;
    }
  }
  for (const i of looked) if (keys[i] !== stored[i]) from[i] = -1;

  const langOf = new Map<string, LanguageId>();
  for (const [lang, pack] of Object.entries(stamp.packs)) langOf.set(pack, lang as LanguageId);
  const files: SourceFile[] = new Array<SourceFile>(paths.length);
  const packs: string[] = new Array<string>(paths.length);
  for (let i = 0; i < paths.length; i++) {
    const key = keys[i]!;
    const cut = key.lastIndexOf(':');
    const pack = key.slice(0, cut);
    const lang = langOf.get(pack);
    if (lang === undefined) return undefined;
    packs[i] = pack;
    files[i] = { path: paths[i]!, blob: key.slice(cut + 1), lang };
  }
  return { files, packs, keys, from, hashed: toHash.length };
}
