/**
 * FNV-1a (32-bit) over bytes `from..to` of `bytes`: the hash of the open-addressing tables kept in
 * files (the search snapshot's term table, the o200k token table). A table written with it is
 * read with it, so it must not change without the files' versions.
 */
export function fnv1a(bytes: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}
