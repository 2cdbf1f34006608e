import type { RepoPaths } from '../git/repo-paths.js';

/**
 * Something that brings a cache up to date after files changed (tags, summaries). `changed` holds
 * repository-relative paths whose index entry was added, changed or removed since the last run;
 * a removed path is no longer in the index. It may throw: the refresher logs it and goes on.
 */
export type Refresher = (paths: RepoPaths, changed: string[]) => Promise<void>;

/** The refreshers `assist hook` calls, in registration order. */
export class RefresherRegistry {
  private readonly refreshers = new Map<string, Refresher>();

  /** Adds (or replaces) a refresher under a name; returns a function that removes it. */
  register(name: string, refresher: Refresher): () => void {
    this.refreshers.set(name, refresher);
    return () => {
      if (this.refreshers.get(name) === refresher) this.refreshers.delete(name);
    };
  }

  has(name: string): boolean {
    return this.refreshers.has(name);
  }

  names(): string[] {
    return [...this.refreshers.keys()];
  }

  entries(): [string, Refresher][] {
    return [...this.refreshers.entries()];
  }
}

/** The registry `assist hook` uses; the CLI's `loadRefreshers` (src/cli/refreshers.ts) fills it. */
export const refresherRegistry = new RefresherRegistry();
