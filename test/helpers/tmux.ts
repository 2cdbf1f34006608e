import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** A program running in a real terminal (a detached tmux session), driven by keys and read from the screen. */
export interface Terminal {
  name: string;
  /** Types text (literally) without pressing Enter. */
  type(text: string): void;
  /** Presses keys by tmux name: 'Enter', 'C-c', 'C-d', 'y'. */
  press(...keys: string[]): void;
  /** The visible screen plus scrollback, as plain text. */
  screen(): string;
  /** Waits until the screen matches, polling; throws with the screen on timeout. */
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
  /** Whether the program has exited (the pane is dead). */
  exited(): boolean;
  kill(): void;
}

/** Starts `argv` in a new tmux session of the given size, with `env` and `cwd`. */
export function startTerminal(argv: string[], options: { cwd: string; env: NodeJS.ProcessEnv; width?: number; height?: number }): Terminal {
  const name = `assist-test-${randomBytes(4).toString('hex')}`;
  const socket = ['-L', name];
  const envArgs = Object.entries(options.env)
    .filter(([, v]) => v !== undefined)
    .flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  execFileSync('tmux', [
    ...socket, '-f', '/dev/null', 'new-session', '-d', '-s', name,
    '-x', String(options.width ?? 160), '-y', String(options.height ?? 50),
    '-c', options.cwd, ...envArgs,
    ...argv,
  ]);
  execFileSync('tmux', [...socket, 'set-option', '-t', name, 'remain-on-exit', 'on']);
  execFileSync('tmux', [...socket, 'set-option', '-t', name, 'history-limit', '5000']);
  const tmux = (...args: string[]): string => execFileSync('tmux', [...socket, ...args], { encoding: 'utf8' });
  const terminal: Terminal = {
    name,
    type(text) {
      tmux('send-keys', '-t', name, '-l', text);
    },
    press(...keys) {
      tmux('send-keys', '-t', name, ...keys);
    },
    screen() {
      return tmux('capture-pane', '-p', '-J', '-S', '-5000', '-t', name);
    },
    async waitFor(pattern, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const text = terminal.screen();
        if (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text)) return text;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(pattern)}; screen:\n${text}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    exited() {
      return tmux('display-message', '-p', '-t', name, '#{pane_dead}').trim() === '1';
    },
    kill() {
      spawnSync('tmux', [...socket, 'kill-server']);
    },
  };
  return terminal;
}
