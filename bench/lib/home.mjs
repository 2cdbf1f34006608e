// A benchmark's own HOME: a git identity, no background gc or maintenance in the middle of a
// timed run, and the environment of the person running it left out (their assist settings, a
// GIT_DIR that would point git elsewhere, and what `drop` names).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const GITCONFIG = '[user]\n\tname = Bench\n\temail = bench@example.com\n[maintenance]\n\tauto = false\n[gc]\n\tauto = 0\n';

/** `home` (created, with its .gitconfig) under `work`, and the environment the benchmark's processes run with. */
export function benchHome(work, drop = () => false) {
  const home = join(work, 'home');
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, '.gitconfig'), GITCONFIG);
  const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: join(home, '.gitconfig'), NO_COLOR: '1' };
  for (const key of Object.keys(env)) if (key.startsWith('ASSIST_') || key.startsWith('GIT_DIR') || drop(key)) delete env[key];
  return { home, env };
}
