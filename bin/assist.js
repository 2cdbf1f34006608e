#!/usr/bin/env node
// The installed entry point. Kept tiny: `--version` answers without loading the CLI at all.
import { readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  process.stdout.write(`${version}\n`);
} else {
  const { main } = await import('../dist/cli/main.js');
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
