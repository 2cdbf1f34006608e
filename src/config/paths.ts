import { homedir } from 'node:os';
import { join } from 'node:path';

// Where config files are, in a module of its own: the start-up fast path needs these without
// loading the config parser.

/** `$XDG_CONFIG_HOME/assist`, else `~/.config/assist`. */
export function userConfigDir(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg && xdg !== '' ? xdg : join(env.HOME && env.HOME !== '' ? env.HOME : homedir(), '.config');
  return join(base, 'assist');
}

/** `$XDG_CONFIG_HOME/assist/config.toml`, else `~/.config/assist/config.toml`. */
export function userConfigFile(env: NodeJS.ProcessEnv): string {
  return join(userConfigDir(env), 'config.toml');
}

/** The project's config file, at the root of its work tree. */
export const PROJECT_FILE_NAME = '.assist.toml';
