import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomic-write.js';

/** What a server speaks, as found once and remembered (DESIGN.md §4 "MCP"). */
export interface RememberedEra {
  era: 'modern' | 'legacy';
  /** The negotiated protocol revision (`2026-07-28`, `2025-11-25`, ...). */
  version?: string;
  /** A modern server's `server/discover` result: connecting with it costs no round trip. */
  discover?: unknown;
  /** When it was found (ISO time). */
  at: string;
}

/**
 * A legacy verdict is re-checked after this long: an upgraded server keeps answering `initialize`,
 * so an old legacy verdict would otherwise hold forever (the SDK's advice for cached verdicts).
 */
export const LEGACY_VERDICT_MS = 7 * 24 * 3600 * 1000;

type Store = Record<string, RememberedEra>;

let writes: Promise<unknown> = Promise.resolve();

/** Remembered eras by entry hash, in one JSON file of the state folder. */
export class EraStore {
  constructor(private readonly dir: string) {}

  private get file(): string {
    return join(this.dir, 'eras.json');
  }

  private async read(): Promise<Store> {
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8')) as unknown;
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Store) : {};
    } catch {
      return {};
    }
  }

  /** The remembered era of an entry, unless it is a legacy verdict too old to trust. */
  async get(hash: string, now = Date.now()): Promise<RememberedEra | undefined> {
    const found = (await this.read())[hash];
    if (!found || (found.era !== 'modern' && found.era !== 'legacy')) return undefined;
    if (found.era === 'legacy' && !(now - Date.parse(found.at) < LEGACY_VERDICT_MS)) return undefined;
    return found;
  }

  /** Servers start in parallel: their writes are queued so that none is lost. */
  set(hash: string, era: RememberedEra | null): Promise<void> {
    const next = writes.then(() => this.write(hash, era));
    writes = next.catch(() => undefined);
    return next;
  }

  private async write(hash: string, era: RememberedEra | null): Promise<void> {
    const store = await this.read();
    if (era === null) delete store[hash];
    else store[hash] = era;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.file, `${JSON.stringify(store, null, 2)}\n`, { mode: 0o600 });
  }
}
