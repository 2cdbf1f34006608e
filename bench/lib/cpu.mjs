// CPU time (user + system) of a command and every process it waited for (its git children too),
// from /usr/bin/time: on a loaded machine it moves far less than the wall time.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

export const cpuAvailable = existsSync('/usr/bin/time');

/** Runs `file args` under /usr/bin/time; resolves to its CPU ms (null without /usr/bin/time) and exit status. */
export function cpuOf(file, args, options, out) {
  return new Promise((resolve) => {
    const [cmd, argv] = cpuAvailable ? ['/usr/bin/time', ['-f', '%U %S', '-o', out, file, ...args]] : [file, args];
    execFile(cmd, argv, { ...options, encoding: 'utf8', maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      let cpu = null;
      if (cpuAvailable) {
        try {
          const [user, sys] = readFileSync(out, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
          cpu = (user + sys) * 1000;
        } catch {
          cpu = null;
        }
        rmSync(out, { force: true });
      }
      resolve({ cpu, status: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}
