// Two git commands started with one process start, for the entry point's prefetch (bin/assist.js).
// CommonJS and tiny for the same reason as assist.js: it runs before the CLI has loaded.
'use strict';
const { existsSync } = require('node:fs');

/**
 * Starts `git <first>` and `git <second>` in `cwd` under `env` and resolves each to what
 * `execFile` would give its callback ({ error, stdout, stderr }). Where there is a POSIX shell,
 * both run from one `/bin/sh`, side by side: the calling thread pays one process start instead of
 * two (a fork and exec it waits for: ~4 ms of a map's, a search's or a turn's start on 2 cores,
 * docs/repo-map.md "Sixteenth session"). The first command's output comes back on fds 3 and 4,
 * the exit codes on fd 5. A shell that fails to start, to report both codes or to find git: each
 * command is run again on its own, so the answer is always what `execFile` gives.
 */
function gitPair(cwd, env, first, second) {
  const { execFile, spawn } = require('node:child_process');
  const alone = (args) =>
    new Promise((resolve) => {
      execFile('git', args, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 30 }, (error, stdout, stderr) => resolve({ error, stdout, stderr }));
    });
  if (process.platform === 'win32' || !existsSync('/bin/sh')) return [alone(first), alone(second)];
  const quote = (arg) => `'${String(arg).replace(/'/g, `'\\''`)}'`;
  const script = `git ${first.map(quote).join(' ')} >&3 2>&4 & git ${second.map(quote).join(' ')}; b=$?; wait $!; echo "$? $b" >&5`;
  const both = new Promise((resolve) => {
    let child;
    try {
      child = spawn('/bin/sh', ['-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe'] });
    } catch {
      resolve(undefined);
      return;
    }
    const text = ['', '', '', '', '', ''];
    for (let fd = 1; fd <= 5; fd++) {
      child.stdio[fd].setEncoding('utf8');
      child.stdio[fd].on('data', (chunk) => (text[fd] += chunk));
    }
    child.on('error', () => resolve(undefined));
    child.on('close', () => {
      const codes = /^(\d+) (\d+)\n$/.exec(text[5]);
      // No codes (the shell was killed), or the shell found no git to run (126, 127): each alone,
      // so that what is reported is what execFile reports.
      if (!codes || /^12[67]$/.test(codes[1]) || /^12[67]$/.test(codes[2])) return resolve(undefined);
      const outcome = (args, code, stdout, stderr) => ({
        error: code === '0' ? null : Object.assign(new Error(`Command failed: git ${args.join(' ')}\n${stderr}`), { code: Number(code) }),
        stdout,
        stderr,
      });
      resolve([outcome(first, codes[1], text[3], text[4]), outcome(second, codes[2], text[1], text[2])]);
    });
  });
  return [
    both.then((r) => (r ? r[0] : alone(first))),
    both.then((r) => (r ? r[1] : alone(second))),
  ];
}

module.exports = { gitPair };
