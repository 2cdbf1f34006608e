import type { Writable } from 'node:stream';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** A one-line spinner on a terminal; does nothing when `enabled` is false (pipes, logs, --json). */
export interface Spinner {
  start(label: string): void;
  stop(): void;
}

export function createSpinner(out: Writable, enabled: boolean): Spinner {
  let timer: NodeJS.Timeout | undefined;
  let frame = 0;
  let label = '';
  const draw = (): void => {
    out.write(`\r${FRAMES[frame % FRAMES.length]} ${label}\x1b[K`);
    frame++;
  };
  return {
    start(text: string): void {
      if (!enabled) return;
      label = text;
      if (timer) return;
      draw();
      timer = setInterval(draw, 80);
      // A spinner must never keep the process alive.
      timer.unref();
    },
    stop(): void {
      if (!timer) return;
      clearInterval(timer);
      timer = undefined;
      out.write('\r\x1b[K');
    },
  };
}
