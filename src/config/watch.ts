import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

export interface ConfigWatcher {
  close(): void;
}

/**
 * Calls `onChange` when either config file is written. Watches the folders rather than the files,
 * because editors save by renaming a new file over the old one, which ends a watch on the file itself.
 */
export function watchConfig(files: Array<string | null>, onChange: (file: string) => void, debounceMs = 100): ConfigWatcher {
  const watchers: FSWatcher[] = [];
  const timers = new Map<string, NodeJS.Timeout>();
  for (const file of files) {
    if (!file) continue;
    const name = basename(file);
    try {
      const w = watch(dirname(file), { persistent: false }, (_event, changed) => {
        if (changed !== null && changed.toString() !== name) return;
        clearTimeout(timers.get(file));
        timers.set(
          file,
          setTimeout(() => onChange(file), debounceMs),
        );
      });
      w.on('error', () => undefined);
      watchers.push(w);
    } catch {
      // The folder does not exist yet (no user config): nothing to watch until it is created.
    }
  }
  return {
    close() {
      for (const w of watchers) w.close();
      for (const t of timers.values()) clearTimeout(t);
    },
  };
}
