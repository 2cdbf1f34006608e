#!/usr/bin/env node
// The installed entry point. Kept tiny: `--version` answers without loading the CLI at all.
// CommonJS on purpose (bin/package.json): Node 20 starts a CommonJS entry about 12 ms sooner than
// an ES module one, and every command pays that, the ones typed between turns included.
'use strict';
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

async function start() {
  const argv = process.argv.slice(2);
  // A reader that goes away (`assist log | head`) is not an error: stop quietly, as git does.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  const version = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')).version;

  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
    process.stdout.write(`${version}\n`);
    return;
  }
  // Node 22.8+ keeps the compiled code of the bundle on disk between runs (in the OS temp folder,
  // or NODE_COMPILE_CACHE); Node 20 has no such function and starts as before.
  try {
    require('node:module').enableCompileCache?.();
  } catch {
    // a cache that cannot be opened only costs speed
  }
  if (argv.length === 2 && argv[0] === 'hook' && !argv[1].startsWith('-')) {
    // The background refresher the git hooks start: straight to its engine, without the CLI, and it
    // never fails or prints (the git command that started it must not notice it).
    try {
      // Coalesced and at the lowest priority: under a commit storm it sleeps until the storm ends.
      const { hookCoalescing, runHookRefresher } = await import('../dist/bundle/hooks.js');
      await runHookRefresher(argv[1], { cwd: process.cwd(), env: process.env, coalesce: hookCoalescing(process.env), lowPriority: true });
    } catch {
      // nothing may reach the terminal
    }
    process.exitCode = 0;
    return;
  }
  // A warm `assist map` is mostly waiting on git: its two git processes start now, beside the
  // ~50 ms of loading the command line, and the map takes their output when it asks for exactly
  // the same commands in the same directory (src/git/prefetch.ts; the arguments are
  // REV_PARSE_ARGS and LIST_ARGS there, which a test holds to these).
  // `assist search` lists the same files first, so it starts the same two.
  const command = argv.find((a) => !a.startsWith('-'));
  const isMap = command === 'map';
  const isSearch = command === 'search';
  const asksHelp = argv.includes('--help') || argv.includes('-h');
  const v8Flags = [];
  if (asksHelp) {
    // A help screen runs no git: the processes would only cost it their spawns (a fifth of
    // `run --help`'s CPU, docs/repo-map.md "Fourteenth session ... the CLI's fixed start").
  } else if (isMap || isSearch) prefetchGit(process.cwd(), MAP_GIT_COMMANDS);
  // A line that asks the model (`assist run ...`, `assist "MESSAGE"`) waits on `git rev-parse`
  // before its config, and on `git var -l` (the repository's config and identity, src/git/repo.ts
  // VAR_ARGS) when the session opens its store in the same directory: both start now.
  else if (argv[0] === 'run' || (argv.length === 1 && /\s/.test(argv[0]) && !argv[0].startsWith('-'))) {
    prefetchGit(process.cwd(), RUN_GIT_COMMANDS);
    // A warm turn runs WebAssembly as Liftoff compiled it: V8's background recompile of hot wasm
    // functions with TurboFan (Node's fetch parses HTTP with llhttp in wasm) does not pay for
    // itself in a process of about a second, and a recompile still running when the turn ends
    // holds the exit until it finishes: 0-360 ms after the session closed, under load
    // (docs/benchmarks.md "Tenth session"). Only with the repo map's snapshot in place (at the
    // repository's root; the path of repo-map.ts): a first run parses every source file with
    // tree-sitter in wasm, where TurboFan's code may pay. Set before any wasm is compiled.
    if (existsSync(join(process.cwd(), '.git', 'assist', 'map-snapshot.bin'))) {
      // Node's own modules carry compiled code in the binary, which V8 refuses once a flag has
      // changed: each loaded after this line is compiled from source (undici, Node's fetch, alone
      // 30-40 ms more). So those a turn loads are loaded first (docs/benchmarks.md "Twelfth session").
      // Loading undici starts llhttp's wasm compile; the flag, set in the same tick, still applies
      // to it (checked with --trace-wasm-compilation-times: no TurboFan code in this order).
      for (const name of TURN_BUILTINS) require(name);
      void globalThis.Headers;
      void require('node:fs').ReadStream;
      require('node:v8').setFlagsFromString('--liftoff-only');
      v8Flags.push('--liftoff-only');
      // For the tree-sitter loader (src/context/extractor.ts): the flag is the process's, not to be turned off.
      globalThis[Symbol.for('assist.liftoffOnly')] = true;
    }
  }
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    process.exitCode = 130;
  });
  // stdin is made on first use: Node builds its stream (a socket for a pipe, a file stream that
  // loads fs's streams for a file) when \`process.stdin\` is first read, and \`map\` and \`search\`
  // never read it.
  const io = {
    argv,
    cwd: process.cwd(),
    env: process.env,
    get stdin() {
      return process.stdin;
    },
    stdout: process.stdout,
    stderr: process.stderr,
    version,
  };
  // `undo` and `redo` have a fast path that skips loading the full command line; it hands back
  // null for anything it does not take, and main() answers that. It is one CommonJS file for the
  // same reason as this one: loading it as ES module chunks takes about twice as long.
  let code = null;
  if (argv.includes('undo') || argv.includes('redo')) {
    const { fastMain } = require('../dist/bundle/fast.cjs');
    code = await fastMain(io);
  }
  const oneFile = code === null ? oneFileCommand(argv, command, asksHelp) : null;
  if (oneFile !== null) {
    // The one-file CLI with a V8 code cache (dist/bundle/main-loader.cjs, src/cli/code-cache.ts).
    // `map` and `search` start from a one-file of their own fast paths, a third of the whole one's
    // size; it hands back null for a command line they do not take, which the whole one then runs.
    const { runMain } = require('../dist/bundle/main-loader.cjs');
    if (oneFile === 'map' || oneFile === 'search') code = await runMain(io, oneFile, v8Flags, 'context');
    if (code === null) code = await runMain(io, oneFile, v8Flags);
  } else if (isMap) {
    // `map` and `search` with the cache off or asking for help: their fast paths from the ES
    // module chunks they share with main(), without the command-line parser.
    const { fastMap } = await import('../dist/bundle/map-fast.js');
    code = await fastMap(io);
  } else if (isSearch) {
    const { fastSearch } = await import('../dist/bundle/search-fast.js');
    code = await fastSearch(io);
  }
  if (code === null) {
    const { main } = await import('../dist/bundle/main.js');
    code = await main(io);
  }
  process.exitCode = interrupted ? 130 : code;
}

/**
 * The commands that start from the one-file CLI with its code cache, by the name of their cache:
 * those where it measurably helps (docs/benchmarks.md "Eleventh session" and, for `map` and
 * `search`, "Twelfth session"; bench/code-cache.mjs).
 * The others, and every help screen, keep the ES chunks, which load only the files they need and
 * write no cache.
 */
function oneFileCommand(argv, command, asksHelp) {
  if (process.env.ASSIST_CODE_CACHE === '0') return null;
  if (asksHelp) return null;
  // `assist "MESSAGE"` is a turn, as `run` is: the same code, the same cache.
  if (argv.length === 1 && /\s/.test(argv[0]) && !argv[0].startsWith('-')) return 'run';
  if (command === 'run' || command === 'chat' || command === 'log' || command === 'map' || command === 'search') return command;
  if (command === 'config' && argv[argv.indexOf('config') + 1] === 'list') return 'config-list';
  return null;
}

const MAP_GIT_COMMANDS = [
  ['rev-parse', '--path-format=absolute', '--show-toplevel', '--git-dir', '--git-common-dir', '--path-format=relative', '--show-prefix'],
  ['ls-files', '-z', '-s', '-t', '-m', '-d', '-o', '--exclude-standard', '--full-name', '--', ':/'],
];

const RUN_GIT_COMMANDS = [MAP_GIT_COMMANDS[0], ['var', '-l']];

// Node's modules a warm turn loads (its SDK's fetch: undici, http, http2, tls, zlib, web streams;
// the session's crypto, worker_threads, readline...), loaded before the turn's V8 flag is set
// (above). test/integration/turn-v8-flags.test.ts fails when a turn loads one after it.
const TURN_BUILTINS = ['node:fs/promises', 'node:readline', 'node:os', 'node:vm', 'node:tty', 'node:crypto', 'node:worker_threads', 'node:zlib', 'node:timers/promises', 'node:perf_hooks', 'node:assert', 'node:http', 'node:tls', 'node:http2', 'node:util/types'];

// Both commands from one process start (bin/git-pair.js): every list here has two.
function prefetchGit(cwd, commands) {
  const env = { ...process.env, GIT_OPTIONAL_LOCKS: '0' };
  const results = require('./git-pair.js').gitPair(cwd, env, commands[0], commands[1]);
  globalThis[Symbol.for('assist.gitPrefetch')] = commands.map((args, i) => ({ cwd, args, result: results[i] }));
}

start().catch((error) => {
  // main() reports its own errors; this is only for a broken install (a missing dist/, say).
  process.stderr.write(`error: unexpected: ${String(error && error.message ? error.message : error).split('\n')[0]}\nhint: run \`npm run build\` in the assist checkout, or reinstall assist\n`);
  process.exitCode = 1;
});
