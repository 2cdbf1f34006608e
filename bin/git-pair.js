// Two git commands started with one process start, for the entry point's prefetch (bin/assist.js).
// CommonJS and tiny for the same reason as assist.js: it runs before the CLI has loaded.
'use strict';
const { existsSync } = require('node:fs');

/** A word for the shell: the argument as it is, inside single quotes. */
const quote = (arg) => `'${String(arg).replace(/'/g, `'\\''`)}'`;

/**
 * The shell's script. The first command runs in the background with its output on fds 3 and 4, the
 * second in the foreground with its output on fds 6 and 7; each reports its exit code on fd 5 as
 * soon as it ends ("a CODE", "b CODE"), and every process closes the fds it does not write to, so
 * each command's pipes end when that command does: the first (`rev-parse`, which the CLI needs
 * first) is not held back by the second (`ls-files`, which takes longer).
 */
function script(first, second) {
  return [
    `{ git ${first.map(quote).join(' ')} >&3 2>&4 3>&- 4>&-; echo "a $?" >&5; } 6>&- 7>&- &`,
    'exec 3>&- 4>&-',
    `git ${second.map(quote).join(' ')} >&6 2>&7 6>&- 7>&- 5>&-`,
    'echo "b $?" >&5',
    'exec 6>&- 7>&-',
    'wait',
  ].join('\n');
}

/**
 * Starts `git <first>` and `git <second>` in `cwd` under `env` and resolves each to what
 * `execFile` would give its callback ({ error, stdout, stderr }), each as soon as its own command
 * ends. Where there is a POSIX shell, both run from one `/bin/sh`, side by side: the calling thread
 * pays one process start instead of two (a fork and exec it waits for: ~4 ms of a map's, a
 * search's or a turn's start on 2 cores, docs/repo-map.md "Sixteenth session"). A shell that fails
 * to start, to report a command's code or to find git: that command is run again on its own, so
 * the answer is always what `execFile` gives.
 */
function gitPair(cwd, env, first, second) {
  const { execFile, spawn } = require('node:child_process');
  const alone = (args) =>
    new Promise((resolve) => {
      execFile('git', args, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 30 }, (error, stdout, stderr) => resolve({ error, stdout, stderr }));
    });
  if (process.platform === 'win32' || !existsSync('/bin/sh')) return [alone(first), alone(second)];
  let child;
  try {
    child = spawn('/bin/sh', ['-c', script(first, second)], { cwd, env, stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe'] });
  } catch {
    return [alone(first), alone(second)];
  }
  // Each command's output fds and the tag of its exit-code line (see `script`).
  const sides = [
    { args: first, out: 3, err: 4, tag: 'a', done: false },
    { args: second, out: 6, err: 7, tag: 'b', done: false },
  ];
  const text = {};
  const ended = {};
  const codes = {};
  const results = sides.map((side) => new Promise((resolve) => (side.resolve = resolve)));
  // A command is answered once both its fds ended and its code came; at the shell's end (`final`)
  // whatever is still unanswered runs alone: no code (the shell ended without one), or the shell
  // found no git to run (126, 127).
  const settle = (final) => {
    for (const side of sides) {
      const code = ended[side.out] && ended[side.err] ? codes[side.tag] : undefined;
      if (side.done || (code === undefined && !final)) continue;
      side.done = true;
      if (code === undefined || code === '126' || code === '127') alone(side.args).then(side.resolve);
      else {
        const stderr = text[side.err] ?? '';
        side.resolve({
          error: code === '0' ? null : Object.assign(new Error(`Command failed: git ${side.args.join(' ')}\n${stderr}`), { code: Number(code) }),
          stdout: text[side.out] ?? '',
          stderr,
        });
      }
    }
  };
  for (let fd = 3; fd <= 7; fd++) {
    const stream = child.stdio[fd];
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      text[fd] = (text[fd] ?? '') + chunk;
      if (fd !== 5) return;
      for (const [, tag, code] of text[5].matchAll(/^([ab]) (\d+)$/gm)) codes[tag] = code;
      settle(false);
    });
    stream.on('end', () => {
      ended[fd] = true;
      settle(false);
    });
  }
  child.on('error', () => settle(true));
  child.on('close', () => settle(true));
  return results;
}

module.exports = { gitPair };
