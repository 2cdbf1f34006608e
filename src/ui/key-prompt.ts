import type { Readable, Writable } from 'node:stream';

export interface KeyChoice<T> {
  key: string;
  label: string;
  value: T;
}

/**
 * Asks a question answered by one key, as `git add -p` does. Reads from a TTY in raw mode;
 * Ctrl-C and Ctrl-D answer with `onInterrupt`. Enter takes the first choice when `enterDefault`.
 */
export function askKey<T>(
  io: { stdin: Readable; stdout: Writable },
  question: string,
  choices: readonly KeyChoice<T>[],
  options: { onInterrupt: T; enterDefault?: boolean },
): Promise<T> {
  const stdin = io.stdin as NodeJS.ReadStream;
  const keys = choices.map((c) => c.key).join('/');
  io.stdout.write(`${question} [${keys},?] `);
  return new Promise((resolve) => {
    const wasRaw = stdin.isTTY ? stdin.isRaw : false;
    if (stdin.isTTY) stdin.setRawMode(true);
    stdin.resume();
    const finish = (value: T, echo: string): void => {
      stdin.off('data', onData);
      if (stdin.isTTY) stdin.setRawMode(wasRaw);
      stdin.pause();
      io.stdout.write(`${echo}\n`);
      resolve(value);
    };
    const onData = (data: Buffer | string): void => {
      const text = typeof data === 'string' ? data : data.toString('utf8');
      if (text.includes('\u0003') || text.includes('\u0004')) return finish(options.onInterrupt, '^C');
      // Typed-ahead or pasted text arrives as a burst: "please wait" must not answer with its `a`.
      if ([...text.replace(/[\r\n]+$/, '')].length > 1) {
        io.stdout.write(`\n(ignored ${[...text].length} typed characters: answer with one key)\n${question} [${keys},?] `);
        return;
      }
      for (const ch of text) {
        if (ch === '\u0003' || ch === '\u0004') return finish(options.onInterrupt, '^C');
        if ((ch === '\r' || ch === '\n') && options.enterDefault && choices[0]) return finish(choices[0].value, choices[0].key);
        if (ch === '?') {
          io.stdout.write('\n' + choices.map((c) => `  ${c.key} - ${c.label}`).join('\n') + `\n${question} [${keys},?] `);
          continue;
        }
        const choice = choices.find((c) => c.key === ch.toLowerCase());
        if (choice) return finish(choice.value, choice.key);
      }
    };
    stdin.on('data', onData);
  });
}
