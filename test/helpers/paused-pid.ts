import { existsSync, readFileSync, watch } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Waits until a process paused for a test has announced its pid in `file` (ASSIST_PAUSE_FILE) and
 * returns it. Only a whole positive pid is accepted: a test that sent a signal to pid 0 would hit
 * its own process group, which on CI is the whole run.
 */
export function pausedPid(file: string, timeoutMs = 15_000): Promise<number> {
  const read = (): number | null => {
    if (!existsSync(file)) return null;
    const text = readFileSync(file, 'utf8');
    return /^[1-9]\d*\n$/.test(text) ? Number(text) : null;
  };
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const pid = read();
      if (pid === null) return;
      stop();
      resolve(pid);
    };
    // Woken by the directory's change events, with a slow re-check as a safety net.
    const watcher = watch(dirname(file), check);
    const poll = setInterval(check, 250);
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no pid was announced in ${file} within ${timeoutMs} ms`));
    }, timeoutMs);
    const stop = (): void => {
      clearInterval(poll);
      clearTimeout(timer);
      watcher.close();
    };
    check();
  });
}
