// A small process that starts the CLI runs of one test worker (test/helpers/run-cli.ts). A fork
// copies the page tables of the process that forks, and every page that process writes afterwards
// faults again (copy-on-write); a test worker that has run many files holds hundreds of MB, and on
// this project's machine a page fault costs ~11 µs (docs/testing.md "Sixteenth session"). Forked
// from here, a run costs the worker an IPC message instead.
'use strict';
const { spawn } = require('node:child_process');

process.on('message', (m) => {
  let child;
  try {
    child = spawn(m.file, m.args, { cwd: m.cwd, env: m.env, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (error) {
    process.send({ id: m.id, error: String((error && error.message) || error) });
    return;
  }
  let stdout = '';
  let stderr = '';
  let failed;
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), m.timeoutMs);
  child.on('error', (error) => (failed = String((error && error.message) || error)));
  child.on('close', (code, signal) => {
    clearTimeout(timer);
    process.send(failed !== undefined && code === null && signal === null ? { id: m.id, error: failed } : { id: m.id, code, signal, stdout, stderr });
  });
  // A child that exits before reading its input closes the pipe: not an error of the run.
  child.stdin.on('error', () => undefined);
  child.stdin.end(m.input);
});
// The worker is gone: so is this process (its runs' children are the worker's tests' to end).
process.on('disconnect', () => process.exit(0));
