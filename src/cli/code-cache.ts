// The loader of the one-file CLIs (dist/bundle/main.cjs, and context.cjs for `map` and `search`)
// with a V8 code cache; scripts/bundle.mjs
// builds this module alone, as CommonJS, to dist/bundle/main-loader.cjs, which bin/assist.js
// requires for the commands typed between turns. Node 20 keeps no compiled code of ES modules
// between runs (module.enableCompileCache is Node 22+), and compiling the CLI's chunks was ~17% of
// a warm turn's main thread (docs/benchmarks.md "Eleventh session"); a vm.Script takes cached data.
// Imports nothing of assist's own: the one-file carries all of it, and a second copy of a module
// would be a second copy of its state.
import { closeSync, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, constants as fsConstants } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';

/**
 * Set by scripts/bundle.mjs: the one-files' content hashes, the files of their ES vendor entries,
 * and the left-out packages built as one CommonJS file each (file name and content hash, by specifier).
 */
declare const __ASSIST_ONE_FILE_HASHES__: Record<OneFileName, string>;
declare const __ASSIST_VENDOR_FILES__: Record<string, string>;
declare const __ASSIST_VENDOR_SCRIPTS__: Record<string, [file: string, hash: string]>;

/**
 * What happened to the code cache in this process: `off` (ASSIST_CODE_CACHE=0), `unsafe` (the
 * folder or the file is not this user's alone: not read, not written), `missing` (no cache yet),
 * `accepted`, `rejected` (V8 refused it: another build of V8, other flags, a damaged file).
 */
export type CacheState = 'off' | 'unsafe' | 'missing' | 'accepted' | 'rejected';

/**
 * The one-file CLIs: `main` (src/cli/one-file.ts), the whole command line, and `context`
 * (src/cli/one-file-context.ts), the fast paths of `map` and `search` alone.
 */
export type OneFileName = 'main' | 'context';

/** What a one-file exports: `main()`; the context one-file's hands back null for a command line it does not take. */
export interface OneFileCli {
  main(io: unknown, command: string): Promise<number | null>;
}

/**
 * The folder of the cache: ASSIST_CODE_CACHE_DIR (the tests point every CLI run of a suite at one
 * folder), else `$XDG_CACHE_HOME/assist`, else `~/.cache/assist`; relative paths are ignored, as
 * the XDG spec says. Null when there is no home to put it in.
 */
export function codeCacheDir(env: NodeJS.ProcessEnv, home: string = homedir()): string | null {
  const own = env['ASSIST_CODE_CACHE_DIR'];
  if (own && isAbsolute(own)) return own;
  const xdg = env['XDG_CACHE_HOME'];
  if (xdg && isAbsolute(xdg)) return join(xdg, 'assist');
  return home && isAbsolute(home) ? join(home, '.cache', 'assist') : null;
}

/**
 * Whether `dir` may be trusted: a real directory (not a link), owned by this user, that no group
 * or other user can write to. A cache is code V8 runs as it is: one planted by someone else must
 * never be read. 'absent' when it does not exist (it is created, 0700, when the cache is written).
 */
export function dirTrust(dir: string, uid: number | undefined = process.getuid?.()): 'ok' | 'absent' | 'unsafe' {
  let stat;
  try {
    stat = lstatSync(dir);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'absent' : 'unsafe';
  }
  if (!stat.isDirectory()) return 'unsafe';
  if (uid !== undefined && stat.uid !== uid) return 'unsafe';
  return (stat.mode & 0o022) === 0 ? 'ok' : 'unsafe';
}

/**
 * The cache file's name: the one-file's hash (taken at build time: no hashing at run time), Node's
 * version (V8's), the architecture, the V8 flags the entry set before loading (V8 rejects a cache
 * made under other flags: keyed by them, a warm turn and a first run do not rewrite each other's
 * every run) and the command. A cache holds the functions its writing run compiled and is never
 * rewritten while V8 accepts it: shared, the first command to write it (`log`, say) would leave
 * every later `run` compiling most of its code again.
 */
export function cacheFileName(hash: string, command: string, flags: string[], name = 'main'): string {
  const safe = (s: string): string => s.replace(/^-+/, '').replace(/[^A-Za-z0-9_.-]/g, '_');
  const tag = flags.map(safe).join('+');
  return `${safe(name)}-${hash}-${process.version}-${process.arch}-${safe(command)}${tag ? `-${tag}` : ''}.bin`;
}

/**
 * A tag for the options Node was started with (its command line, NODE_OPTIONS): V8 rejects a cache
 * made under other V8 flags (`--max-old-space-size`, `--cpu-prof`...), so a user who starts assist
 * both ways gets a file for each instead of a rewrite on every switch. Empty when there are none.
 */
export function nodeOptionsTag(execArgv: readonly string[], nodeOptions: string | undefined): string {
  const text = [...execArgv, nodeOptions ?? ''].join('\0');
  if (text === '' || text === '\0') return '';
  // FNV-1a: a name, not a secret; a collision only costs a rejected cache.
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return `node${(h >>> 0).toString(16).padStart(8, '0')}`;
}

/** Reads the cache file if it is a regular file of this user's that nobody else can write; else undefined. */
function readTrusted(file: string, uid: number | undefined): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
    const stat = fstatSync(fd);
    if (!stat.isFile() || (uid !== undefined && stat.uid !== uid) || (stat.mode & 0o022) !== 0) return undefined;
    const data = Buffer.allocUnsafe(stat.size);
    let read = 0;
    while (read < stat.size) {
      const n = readSync(fd, data, read, stat.size - read, read);
      if (n === 0) break;
      read += n;
    }
    return read === stat.size ? data : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Writes the cache atomically (a temp file of this process, then rename), 0600, in a 0700 folder.
 * `current` are the hashes of this build's files, whose caches the cleanup keeps.
 */
function writeCache(dir: string, file: string, data: Buffer, current: string[]): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Created just now or long ago, it is checked again: mkdir does not change an existing folder.
  if (dirTrust(dir) !== 'ok') return;
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, data, { mode: 0o600, flag: 'wx' });
    renameSync(tmp, file);
  } catch {
    rmSync(tmp, { force: true });
    return;
  }
  // Caches of other builds (an upgrade, another checkout) that nobody wrote for a day go; this
  // build's are kept however old (an accepted cache is never rewritten).
  const dayAgo = Date.now() - 24 * 3600 * 1000;
  const mine = file.slice(dir.length + 1);
  for (const name of readdirSync(dir)) {
    if (!/^(main|context|vendor)-/.test(name) || name === mine || current.some((hash) => name.includes(`-${hash}-`))) continue;
    const path = join(dir, name);
    try {
      if (statSync(path).mtimeMs < dayAgo) rmSync(path, { force: true });
    } catch {
      // another process's cleanup got there first
    }
  }
}

/** Where and under which key the command's caches are read and written (runMain's, for the packages' files too). */
interface CacheKey {
  dir: string | null;
  trust: 'ok' | 'absent' | 'unsafe';
  uid: number | undefined;
  command: string;
  flags: string[];
}

/** A package's CommonJS file run through a vm.Script, and what happened to its cache. */
interface VendorScriptRun {
  name: string;
  file: string;
  state: CacheState;
  script: Script;
}

/**
 * Runs a left-out package's CommonJS file (dist/bundle/vendor-NAME.cjs) as main.cjs is run: a
 * vm.Script with the cached data of this file's hash, command and flags, under the same trust
 * rules. Compiling the SDK from source was most of what its ES entry cost a turn.
 */
function runVendorScript(dir: string, [name, hash]: [string, string], key: CacheKey): { namespace: unknown; run: VendorScriptRun } {
  const filename = join(dir, name);
  const source = readFileSync(filename, 'utf8');
  const file = key.dir === null ? '' : join(key.dir, cacheFileName(hash, key.command, key.flags, name.replace(/\.cjs$/, '')));
  const cachedData = key.trust === 'ok' ? readTrusted(file, key.uid) : undefined;
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename, cachedData });
  const state: CacheState = key.dir === null ? 'off' : key.trust === 'unsafe' ? 'unsafe' : cachedData === undefined ? 'missing' : script.cachedDataRejected ? 'rejected' : 'accepted';
  const mod = { exports: {} as { default?: unknown } };
  (script.runInThisContext() as (...args: unknown[]) => void).call(mod.exports, mod.exports, createRequire(filename), mod, filename, dir);
  // Its exports' default is the package's namespace, as an ES entry's default export (scripts/bundle.mjs).
  return { namespace: mod.exports.default, run: { name, file, state, script } };
}

/**
 * How the one-file reaches the packages left out of it (scripts/bundle.mjs rewrites their imports
 * to calls of this object): `load` runs one, from its CommonJS file beside this one with its code
 * cache (web-tree-sitter's too, since the thirteenth session), or imports its ES entry or the
 * installed package; `preload` loads those a
 * lazily loaded module imports statically, before it is evaluated; `sync` hands a preloaded one
 * to that module's static import; `ran` lists the CommonJS files run, for their caches.
 */
function vendorLoader(dir: string, files: Record<string, string>, scripts: Record<string, [string, string]>, key: CacheKey): { load(spec: string): Promise<unknown>; preload(specs: string[]): Promise<unknown>; sync(spec: string): unknown; ran: VendorScriptRun[] } {
  const loading = new Map<string, Promise<unknown>>();
  const loaded = new Map<string, unknown>();
  const ran: VendorScriptRun[] = [];
  const load = (spec: string): Promise<unknown> => {
    let pending = loading.get(spec);
    if (!pending) {
      const file = files[spec];
      const script = scripts[spec];
      // An ES entry's default export is the package's namespace (see scripts/bundle.mjs).
      pending = script
        ? new Promise((resolve) => {
            const { namespace, run } = runVendorScript(dir, script, key);
            ran.push(run);
            resolve(namespace);
          })
        : file
          ? import(pathToFileURL(join(dir, file)).href).then((ns: { default: unknown }) => ns.default)
          : import(spec);
      pending = pending.then((ns) => {
        loaded.set(spec, ns);
        return ns;
      });
      loading.set(spec, pending);
    }
    return pending;
  };
  return {
    load,
    ran,
    preload: (specs) => Promise.all(specs.map(load)),
    sync: (spec) => {
      if (!loaded.has(spec)) throw new Error(`${spec} was used before it was loaded (scripts/bundle.mjs preloads it)`);
      return loaded.get(spec);
    },
  };
}

/** The hook a module calls before it changes a V8 flag (see runMain; a global: the one file imports nothing of this module). */
const BEFORE_V8_FLAGS = Symbol.for('assist.beforeV8Flags');

/**
 * Loads dist/bundle/NAME.cjs (`oneFile`: main.cjs by default) through a vm.Script with cached
 * data, runs `main(io, command)`, and writes the cache after the command when there was none or V8
 * rejected it (so the functions the command compiled are in it). `command` names the cache (one per
 * command and one-file: see cacheFileName); `flags` are the V8 flags the entry set (part of the key
 * too). Null when the context one-file does not take the command line. A cache that
 * cannot be read or written only costs speed: never an error, never output (ASSIST_CODE_CACHE_DEBUG=1
 * prints its state on stderr, for the tests and the benchmarks).
 */
export async function runMain(io: { env: NodeJS.ProcessEnv }, command: string, flags: string[] = [], oneFile: OneFileName = 'main'): Promise<number | null> {
  const env = io.env;
  const filename = join(__dirname, `${oneFile}.cjs`);
  const hash = __ASSIST_ONE_FILE_HASHES__[oneFile];
  // The build leaves only ASCII in this file (scripts/bundle.mjs), where latin1 reads the same
  // string as utf8 without its decoding: ~4 of ~16 ms of CPU for the 1 MB (docs/repo-map.md
  // "Fourteenth session ... the CLI's fixed start"). The packages' files are not ASCII-only: they keep utf8.
  const source = readFileSync(filename, 'latin1');
  const uid = process.getuid?.();
  const dir = env['ASSIST_CODE_CACHE'] === '0' ? null : codeCacheDir(env);
  const trust = dir === null ? 'unsafe' : dirTrust(dir, uid);
  const started = nodeOptionsTag(process.execArgv, env['NODE_OPTIONS']);
  const keyFlags = started ? [...flags, started] : flags;
  const file = dir === null ? '' : join(dir, cacheFileName(hash, command, keyFlags, oneFile));
  const cachedData = trust === 'ok' ? readTrusted(file, uid) : undefined;
  // The parameters of Node's own CommonJS wrapper, and the packages' loader.
  const wrapped = `(function (exports, require, module, __filename, __dirname, __assistVendor) {${source}\n})`;
  const script = new Script(wrapped, { filename, cachedData });
  const state: CacheState = dir === null ? 'off' : trust === 'unsafe' ? 'unsafe' : cachedData === undefined ? 'missing' : script.cachedDataRejected ? 'rejected' : 'accepted';
  const mod = { exports: {} as OneFileCli };
  const vendor = vendorLoader(__dirname, __ASSIST_VENDOR_FILES__, __ASSIST_VENDOR_SCRIPTS__, { dir, trust, uid, command, flags: keyFlags });
  (script.runInThisContext() as (...args: unknown[]) => void).call(mod.exports, mod.exports, createRequire(filename), mod, filename, __dirname, vendor);
  const current = [...Object.values(__ASSIST_ONE_FILE_HASHES__), ...Object.values(__ASSIST_VENDOR_SCRIPTS__).map(([, hash]) => hash)];
  const written = new Set<string>();
  // Each written when there was none or V8 rejected it, with what the command compiled by then.
  const writePending = (): void => {
    for (const run of [{ state, file, script }, ...vendor.ran]) {
      if ((run.state !== 'missing' && run.state !== 'rejected') || written.has(run.file)) continue;
      written.add(run.file);
      try {
        writeCache(dir as string, run.file, run.script.createCachedData(), current);
      } catch {
        // a cache that cannot be written only costs speed
      }
    }
  };
  // V8 keys cached data by its flags. A command that changes one (the tree-sitter loader's
  // baseline compile, src/context/extractor.ts, calls this first) has its caches written just
  // before: made after, they would carry the changed flags and be refused by the next run, which
  // starts without them, and so on for every run that parses a changed file.
  let flagsChanged = false;
  (globalThis as Record<symbol, unknown>)[BEFORE_V8_FLAGS] = (): void => {
    if (!flagsChanged) writePending();
    flagsChanged = true;
  };
  const code = await mod.exports.main(io, command);
  // A command line the context one-file did not take ran nothing worth keeping: its cache waits
  // for a run that does (an accepted cache is never rewritten).
  if (!flagsChanged && code !== null) writePending();
  if (env['ASSIST_CODE_CACHE_DEBUG'] === '1') {
    process.stderr.write(`assist code cache: ${state}${file ? ` ${file}` : ''}\n`);
    for (const r of vendor.ran) process.stderr.write(`assist code cache (${r.name}): ${r.state}${r.file ? ` ${r.file}` : ''}\n`);
  }
  return code;
}
