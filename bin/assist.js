#!/usr/bin/env node
// The installed entry point. Kept tiny: `--version` answers without loading the CLI at all.
import { readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
// A reader that goes away (`assist log | head`) is not an error: stop quietly, as git does.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  process.stdout.write(`${version}\n`);
} else if (argv.length === 2 && argv[0] === 'hook' && !argv[1].startsWith('-')) {
  // The background refresher the git hooks start: straight to its engine, without the CLI, and it
  // never fails or prints (the git command that started it must not notice it).
  try {
    const { runRefresher } = await import('../dist/hooks/index.js');
    await runRefresher(argv[1], { cwd: process.cwd(), env: process.env });
  } catch {
    // nothing may reach the terminal
  }
  process.exitCode = 0;
} else {
  const { main } = await import('../dist/bundle/main.js');
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    process.exitCode = 130;
  });
  const code = await main({
    argv,
    cwd: process.cwd(),
    env: process.env,
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    version,
  });
  process.exitCode = interrupted ? 130 : code;
}
