import { execFileSync, type ExecFileSyncOptions } from 'node:child_process';
import { cpSync, mkdtempSync, mkdirSync, rmSync, writeFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

/** Where the CLI runs of the tests keep the one-file CLI's code cache (keyed by the build's hash). */
export const TEST_CODE_CACHE_DIR = join(tmpdir(), `assist-test-code-cache-${process.getuid?.() ?? 'user'}`);

/**
 * An environment isolated from the developer's own git and assist config:
 * its own HOME, XDG_CONFIG_HOME and global gitconfig, no system config.
 */
export function isolatedEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('GIT_') || key.startsWith('ASSIST_')) continue;
    if (/(_API_KEY|_TOKEN|_BASE_URL)$/.test(key) || key === 'OLLAMA_HOST') continue;
    env[key] = value;
  }
  const globalConfig = join(home, '.gitconfig');
  return {
    ...env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    GIT_CONFIG_GLOBAL: globalConfig,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_DATE: '',
    GIT_TERMINAL_PROMPT: '0',
    NO_COLOR: '1',
    // The one-file CLI's code cache (src/cli/code-cache.ts): one folder for every run of the suite,
    // not one per HOME, or each test's first CLI run would compile and write a cache of its own.
    ASSIST_CODE_CACHE_DIR: TEST_CODE_CACHE_DIR,
    ...extra,
  };
}

export interface TempRepo {
  /** Work tree root (realpath, so comparisons with git's output hold). */
  dir: string;
  /** HOME for this repo's processes; holds the isolated .gitconfig. */
  home: string;
  env: NodeJS.ProcessEnv;
  git(...args: string[]): string;
  write(path: string, content: string): void;
  commitAll(message: string): string;
  [Symbol.asyncDispose](): Promise<void>;
  cleanup(): void;
}

export interface TempRepoOptions {
  /** Create an initial commit with these files. */
  files?: Record<string, string>;
  /** Skip `git init` (an empty directory). */
  bare?: boolean;
  noInit?: boolean;
  branch?: string;
}

const GITCONFIG = '[user]\n\tname = Test User\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n[maintenance]\n\tauto = false\n[gc]\n\tauto = 0\n';

/** A new temp dir holding an isolated `home/` (with the test gitconfig) and an empty `repo/`. */
function tempBase(): { base: string; home: string; dir: string } {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'assist-test-')));
  const home = join(base, 'home');
  const dir = join(base, 'repo');
  mkdirSync(home, { recursive: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(home, '.gitconfig'), GITCONFIG);
  return { base, home, dir };
}

let initTemplate: string | undefined;

/**
 * The `.git` of one `git init -b main`, made once per test process and copied into each new
 * repository: the same bytes as a fresh init (git copies its templates into every new `.git`), for
 * about half the CPU and no process (a copy ~20 ms against ~35 ms for the init, measured on the
 * suite's loaded 2-core machine, and a suite makes thousands of repositories).
 */
function initFromTemplate(dir: string): void {
  if (initTemplate === undefined) {
    const made = tempBase();
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: made.dir, env: isolatedEnv(made.home), stdio: 'ignore' });
    process.once('exit', () => rmSync(made.base, { recursive: true, force: true }));
    initTemplate = join(made.dir, '.git');
  }
  cpSync(initTemplate, join(dir, '.git'), { recursive: true });
}

/** A real git repository in a temp dir. Use with `await using repo = tempRepo()`. */
export function tempRepo(options: TempRepoOptions = {}): TempRepo {
  const { base, home, dir } = tempBase();
  const repo = repoAt(base, home, dir);
  if (options.noInit) {
    // An empty directory.
  } else if (options.bare || (options.branch ?? 'main') !== 'main') {
    repo.git(...(options.bare ? ['init', '-q', '--bare', '-b', options.branch ?? 'main'] : ['init', '-q', '-b', options.branch ?? 'main']));
  } else {
    initFromTemplate(dir);
  }
  if (options.files) {
    for (const [path, content] of Object.entries(options.files)) repo.write(path, content);
    repo.commitAll('initial');
  }
  return repo;
}

/**
 * A copy of `from`'s whole temp dir (its home, the repository and anything beside them) made by
 * `cp -a`, so symlinks, hard links within it, FIFOs and modes come across as they are: a fixture
 * built once per file and copied for each test. The copied index still holds the original files'
 * inode and change time, which git would take for changes (`diff-index` does not refresh it):
 * `update-index --refresh` records the copies' own, as a fresh build would have.
 */
export function copyTempRepo(from: TempRepo): TempRepo {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'assist-test-')));
  const fromBase = dirname(from.dir);
  execFileSync('cp', ['-a', `${fromBase}/.`, base], { stdio: 'ignore' });
  const repo = repoAt(base, join(base, relative(fromBase, from.home)), join(base, relative(fromBase, from.dir)));
  repo.git('update-index', '-q', '--refresh');
  return repo;
}

function repoAt(base: string, home: string, dir: string): TempRepo {
  const env = isolatedEnv(home);
  const run = (args: string[], opts: ExecFileSyncOptions = {}): string =>
    execFileSync('git', args, { cwd: dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts }) as string;
  const repo: TempRepo = {
    dir,
    home,
    env,
    git: (...args) => run(args).replace(/\n$/, ''),
    write(path, content) {
      const full = join(dir, path);
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, content);
    },
    commitAll(message) {
      run(['add', '-A']);
      run(['commit', '-q', '--no-verify', '-m', message]);
      return run(['rev-parse', 'HEAD']).trim();
    },
    cleanup() {
      rmSync(base, { recursive: true, force: true });
    },
    async [Symbol.asyncDispose]() {
      rmSync(base, { recursive: true, force: true });
    },
  };
  return repo;
}
