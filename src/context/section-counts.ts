import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SectionCounts } from './render.js';
import { writeFileAtomic } from '../util/atomic-write.js';

const VERSION = 1;
const KEEP = 4096;

function keyOf(section: string): string {
  return createHash('sha1').update(section).digest('base64url').slice(0, 22);
}

/**
 * Exact o200k_base counts of map sections by a hash of their text, kept in
 * `<sharedAssistDir>/map-token-counts.json` (the last 4,096 used), so that a map whose
 * sections were all counted before is fitted without loading the tokenizer.
 */
export class SectionCountStore implements SectionCounts {
  #counts = new Map<string, number>();
  #dirty = false;

  constructor(readonly path: string) {}

  /** Reads the stored counts; a missing or corrupt file starts empty. */
  async load(): Promise<this> {
    try {
      const stored = JSON.parse(await readFile(this.path, 'utf8')) as { v: number; counts: [string, number][] };
      if (stored.v === VERSION) for (const [k, n] of stored.counts) if (typeof k === 'string' && Number.isInteger(n)) this.#counts.set(k, n);
    } catch {
      // nothing stored yet
    }
    return this;
  }

  get(section: string): number | undefined {
    const key = keyOf(section);
    const n = this.#counts.get(key);
    if (n !== undefined) {
      // Most recently used last, so the oldest are dropped first.
      this.#counts.delete(key);
      this.#counts.set(key, n);
    }
    return n;
  }

  set(section: string, tokens: number): void {
    this.#counts.set(keyOf(section), tokens);
    this.#dirty = true;
  }

  /** Writes the counts if some were added (temp file + rename). */
  async save(): Promise<void> {
    if (!this.#dirty) return;
    const counts = [...this.#counts].slice(-KEEP);
    await mkdir(dirname(this.path), { recursive: true });
    await writeFileAtomic(this.path, JSON.stringify({ v: VERSION, counts }), { fsync: false });
    this.#dirty = false;
  }
}
