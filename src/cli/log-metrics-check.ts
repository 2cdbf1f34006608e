import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PROJECT_FILE_NAME, userConfigFile } from '../config/paths.js';
import type { MainIO } from './main.js';

const LOG_OR_METRICS_KEY = /^\s*(?:\[\s*(?:log|metrics)\s*\]|(?:log|metrics)\s*[.=])/m;

/**
 * Whether the config may set a log or metrics file for this command: then `main()` runs it, which
 * reads the config and opens them. Looks without parsing: the environment, and whether the user's
 * config file or the project's (at the nearest directory holding `.git`) mentions either section.
 */
export function mayHaveLogOrMetrics(io: Pick<MainIO, 'cwd' | 'env'>): boolean {
  if (io.env.ASSIST_LOG__FILE || io.env.ASSIST_METRICS__FILE) return true;
  const files = [userConfigFile(io.env)];
  for (let dir = io.cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) {
      files.push(join(dir, PROJECT_FILE_NAME));
      break;
    }
    if (dirname(dir) === dir) break;
  }
  for (const file of files) {
    try {
      if (LOG_OR_METRICS_KEY.test(readFileSync(file, 'utf8'))) return true;
    } catch {
      // No such file: nothing set there.
    }
  }
  return false;
}
