import { languages, packName } from './languages.js';
import { writeSnapshot, type RankSnapshot } from './rank-snapshot.js';
import { COMPACT_RATIO, MIN_COMPACT_BYTES, type TagsCache } from './tags-cache.js';

/** What the upkeep after a build did, for `--stats` and tests. */
export interface UpkeepReport {
  /** Packs rewritten, with their sizes before and after. */
  compacted: { pack: string; before: number; after: number }[];
  /** Pack and temp file names deleted. */
  deleted: string[];
  ms: number;
}

/** The pack name of every language at the running version: the packs a build can read. */
export function currentPacks(): Set<string> {
  return new Set(languages.map(packName));
}

/**
 * Keeps the tags cache from growing without end (docs/repo-map.md, "Cache upkeep"). Runs after a
 * build that appended to packs (`written`: each pack's size after the append). A written pack
 * over {@link MIN_COMPACT_BYTES} holding more than {@link COMPACT_RATIO} times the bytes of the
 * entries the snapshot uses is compacted, and the snapshot is written again with the entries'
 * new places (same `gen`: the ranking inputs did not change). Packs of other language versions
 * nobody wrote to for a week are deleted (looked for once a day).
 */
export async function upkeepTagsCache(cache: TagsCache, snapshot: RankSnapshot, written: ReadonlyMap<string, number>, snapshotPath: string): Promise<UpkeepReport> {
  const t0 = performance.now();
  const report: UpkeepReport = { compacted: [], deleted: [], ms: 0 };
  if (written.size === 0) return report;
  report.deleted = await cache.pruneDead(currentPacks);

  const live = new Map<string, { blobs: Set<string>; bytes: number }>();
  snapshot.keys.forEach((key, i) => {
    const colon = key.indexOf(':');
    if (colon === -1) return; // an unreadable file: in no pack
    const pack = key.slice(0, colon);
    const blob = key.slice(colon + 1);
    let inPack = live.get(pack);
    if (!inPack) live.set(pack, (inPack = { blobs: new Set(), bytes: 0 }));
    if (inPack.blobs.has(blob)) return;
    inPack.blobs.add(blob);
    inPack.bytes += snapshot.entryLength[i]!;
  });

  let moved = false;
  for (const [pack, size] of written) {
    const inPack = live.get(pack);
    if (size < MIN_COMPACT_BYTES || size <= COMPACT_RATIO * (inPack?.bytes ?? 0)) continue;
    const places = await cache.compact(pack, inPack?.blobs ?? new Set());
    if (!places) continue;
    let after = 0;
    for (const [, length] of places.values()) after += length;
    report.compacted.push({ pack, before: size, after });
    const prefix = `${pack}:`;
    snapshot.keys.forEach((key, i) => {
      if (!key.startsWith(prefix)) return;
      const place = places.get(key.slice(prefix.length));
      snapshot.entryAt[i] = place?.[0] ?? 0;
      snapshot.entryLength[i] = place?.[1] ?? 0;
    });
    moved = true;
  }
  if (moved) await writeSnapshot(snapshotPath, snapshot);
  report.ms = performance.now() - t0;
  return report;
}
