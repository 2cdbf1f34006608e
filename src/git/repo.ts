import { readdirSync, readFileSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { AssistError } from '../errors.js';
import { resolveRepoPaths, type RepoPaths } from './repo-paths.js';
import { runGit, type GitResult } from './exec.js';
import { updateLooseRef, type LooseRefRepo } from './loose-ref.js';
import { takePrefetched } from './prefetch.js';
import { ObjectStore, serializeCommit, identLine, type ObjectFormat } from './objects.js';

/** What HEAD points at in this worktree. */
export interface HeadState {
  /** Full ref name (`refs/heads/main`), or null when HEAD is detached. */
  ref: string | null;
  /** Commit id, or null on an unborn branch. */
  oid: string | null;
}

/** One ref change of an atomic `update-ref --stdin` transaction; `old` undefined: no check, null: must not exist. */
export interface RefUpdate {
  ref: string;
  /** New value; null deletes the ref. */
  value: string | null;
  old?: string | null;
  /** Update HEAD itself rather than what it points to. */
  noDeref?: boolean;
}

const PER_WORKTREE = /^(HEAD|refs\/worktree\/|refs\/bisect\/|refs\/rewritten\/)/;

/**
 * One repository as assist sees it: its paths, its config (read once with `git var -l`), the
 * user's identity, the object store, and refs read in-process (loose files, then packed-refs).
 */
export class Repo {
  private constructor(
    readonly paths: RepoPaths,
    readonly env: NodeJS.ProcessEnv,
    private config: Map<string, string[]>,
    readonly ident: string,
    readonly objects: ObjectStore,
  ) {}

  static async open(cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Repo> {
    // Both answer from any directory of the work tree: ask them at once.
    const [paths, { config, ident }] = await Promise.all([resolveRepoPaths(cwd, env), readVars(cwd, env)]);
    // Refs are read from files in this process (loose and packed); a reftable keeps none there.
    if (config.get('extensions.refstorage')?.at(-1)?.toLowerCase() === 'reftable') {
      throw new AssistError('git.reftable-unsupported', 'this repository keeps its refs in a reftable, which assist does not read yet', {
        hint: 'use a clone with the files backend (`git clone --ref-format=files`), or convert this one with `git refs migrate --ref-format=files`',
      });
    }
    const format: ObjectFormat = config.get('extensions.objectformat')?.[0] === 'sha256' ? 'sha256' : 'sha1';
    return new Repo(paths, env, config, ident, new ObjectStore(paths.commonDir, format, paths.root, env));
  }

  get root(): string {
    return this.paths.root;
  }

  get zeroOid(): string {
    return '0'.repeat(this.objects.format === 'sha1' ? 40 : 64);
  }

  git(args: readonly string[], options: { input?: string | Buffer; okCodes?: readonly number[]; extraEnv?: Record<string, string> } = {}): Promise<GitResult> {
    return runGit(args, { cwd: this.paths.root, env: this.env, ...options });
  }

  async gitText(args: readonly string[], options: { input?: string | Buffer; okCodes?: readonly number[]; extraEnv?: Record<string, string> } = {}): Promise<string> {
    return (await this.git(args, options)).stdout.toString('utf8');
  }

  /** Last value of a config key (keys as git prints them: section and name lower case). */
  configGet(key: string): string | undefined {
    const values = this.config.get(key);
    return values?.[values.length - 1];
  }

  configAll(key: string): string[] {
    return this.config.get(key) ?? [];
  }

  configEntries(): IterableIterator<[string, string[]]> {
    return this.config.entries();
  }

  async reloadConfig(): Promise<void> {
    this.config = (await readVars(this.paths.root, this.env)).config;
  }

  async setConfig(key: string, value: string): Promise<void> {
    await this.git(['config', key, value]);
    const lower = lowerKey(key);
    this.config.set(lower, [value]);
  }

  async unsetConfigSection(section: string): Promise<void> {
    await this.git(['config', '--remove-section', section], { okCodes: [0, 128] });
    const prefix = `${lowerKey(`${section}.x`).slice(0, -1)}`;
    for (const key of [...this.config.keys()]) if (key.startsWith(prefix)) this.config.delete(key);
  }

  head(): HeadState {
    const text = readFileSync(join(this.paths.gitDir, 'HEAD'), 'utf8').trim();
    if (text.startsWith('ref: ')) {
      const ref = text.slice(5).trim();
      return { ref, oid: this.readRef(ref) };
    }
    return { ref: null, oid: text };
  }

  /** The commit id a ref points at, or null; follows symbolic refs. */
  readRef(ref: string, depth = 0): string | null {
    if (depth > 5) return null;
    const dir = PER_WORKTREE.test(ref) ? this.paths.gitDir : this.paths.commonDir;
    let text: string | undefined;
    try {
      text = readFileSync(join(dir, ref), 'utf8').trim();
    } catch {
      text = undefined;
    }
    if (text !== undefined) {
      if (text.startsWith('ref: ')) return this.readRef(text.slice(5).trim(), depth + 1);
      if (/^[0-9a-f]{40,64}$/.test(text)) return text;
    }
    return this.packedRefs().get(ref) ?? null;
  }

  /** Refs under a prefix (`refs/assist/log/`), loose and packed, name -> id. */
  async listRefs(prefix: string): Promise<Map<string, string>> {
    const out = await this.gitText(['for-each-ref', '--format=%(objectname) %(refname)', prefix]);
    const refs = new Map<string, string>();
    for (const line of out.split('\n')) {
      const space = line.indexOf(' ');
      if (space > 0) refs.set(line.slice(space + 1), line.slice(0, space));
    }
    return refs;
  }

  /**
   * The ids of the refs under `prefix` (loose and packed; symbolic refs are skipped, their
   * targets are listed), read without starting git.
   */
  refIdsUnder(prefix: string): Set<string> {
    return new Set(this.refsUnder(prefix).values());
  }

  /** {@link refIdsUnder} by name: ref name -> id, read without starting git. */
  refsUnder(prefix: string): Map<string, string> {
    const refs = new Map<string, string>();
    const loose = new Set<string>();
    const walk = (dir: string, name: string): void => {
      let entries: Dirent[];
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (e.isDirectory()) {
          walk(join(dir, e.name), `${name}${e.name}/`);
          continue;
        }
        loose.add(`${name}${e.name}`);
        let text = '';
        try {
          text = readFileSync(join(dir, e.name), 'utf8').trim();
        } catch {
          continue;
        }
        if (/^[0-9a-f]{40,64}$/.test(text)) refs.set(`${name}${e.name}`, text);
      }
    };
    walk(join(this.paths.commonDir, prefix), prefix);
    for (const [ref, id] of this.packedRefs()) if (ref.startsWith(prefix) && !loose.has(ref)) refs.set(ref, id);
    return refs;
  }

  private packedRefs(): Map<string, string> {
    const refs = new Map<string, string>();
    let text = '';
    try {
      text = readFileSync(join(this.paths.commonDir, 'packed-refs'), 'utf8');
    } catch {
      return refs;
    }
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#') || line.startsWith('^')) continue;
      const space = line.indexOf(' ');
      refs.set(line.slice(space + 1), line.slice(0, space));
    }
    return refs;
  }

  /**
   * Applies ref changes in one atomic transaction, each checked against its expected old value
   * (compare-and-swap). Throws `git.ref-moved` when any ref is not what the caller expected.
   */
  async updateRefs(updates: readonly RefUpdate[], reflog = 'assist'): Promise<void> {
    if (updates.length === 0) return;
    // One of assist's own refs (a chain append, once per tool step): no git process when the files backend allows it.
    const [only] = updates;
    if (updates.length === 1 && only && only.value !== null && only.old !== undefined && !only.noDeref) {
      const outcome = await updateLooseRef(this.looseRefs, only.ref, only.value, only.old);
      if (outcome.kind === 'done') return;
      if (outcome.kind === 'moved') {
        throw new AssistError('git.ref-moved', `a ref changed under assist: cannot lock ref '${only.ref}': is at ${outcome.found ?? 'nothing'} but expected ${only.old ?? 'nothing'}`, {
          hint: 'another process changed the branch; check `git log` and try again',
          data: { stderr: '' },
        });
      }
    }
    const lines = ['start'];
    for (const u of updates) {
      const old = u.old === undefined ? '' : ` ${u.old ?? this.zeroOid}`;
      const opt = u.noDeref ? 'option no-deref\n' : '';
      lines.push(u.value === null ? `${opt}delete ${u.ref}${old}` : `${opt}update ${u.ref} ${u.value}${old}`);
    }
    lines.push('prepare', 'commit', '');
    const result = await this.git(['update-ref', '-m', reflog, '--stdin'], { input: lines.join('\n'), okCodes: [0, 1, 128] });
    if (result.code !== 0) {
      throw new AssistError('git.ref-moved', `a ref changed under assist: ${result.stderr.trim().split('\n')[0] ?? ''}`, {
        hint: 'another process changed the branch; check `git log` and try again',
        data: { stderr: result.stderr },
      });
    }
  }

  private get looseRefs(): LooseRefRepo {
    return { refsDir: this.paths.commonDir, root: this.paths.root, config: (key) => this.configGet(key), packed: (ref) => this.packedRefs().get(ref) ?? null };
  }

  /** A commit object written in-process with the user's identity. */
  writeCommit(tree: string, parents: readonly (string | null)[], message: string, when = new Date()): string {
    const who = this.ident;
    return this.objects.write(
      'commit',
      serializeCommit({ tree, parents: parents.filter((p): p is string => p !== null), author: identLine(who, when), committer: identLine(who, when), message }),
    );
  }

  close(): void {
    this.objects.close();
  }
}

function lowerKey(key: string): string {
  const first = key.indexOf('.');
  const last = key.lastIndexOf('.');
  if (first === last) return key.toLowerCase();
  return `${key.slice(0, first).toLowerCase()}${key.slice(first, last)}${key.slice(last).toLowerCase()}`;
}

/** The repository's config and identity, in one process; `bin/assist.js` starts the same for a turn. */
export const VAR_ARGS: readonly string[] = ['var', '-l'];

/** `git var -l` in `root`: started by the entry point when it could be (git/prefetch.ts), else now. */
async function varList(root: string, env: NodeJS.ProcessEnv): Promise<string> {
  const prefetched = takePrefetched(root, VAR_ARGS, env);
  if (prefetched) {
    const r = await prefetched;
    // execFile's error carries git's exit code; anything else (git not started) asks again below.
    const code = r.error === null ? 0 : (r.error as { code?: unknown }).code;
    if (code === 0 || code === 128) return r.stdout;
  }
  return (await runGit(VAR_ARGS, { cwd: root, env, okCodes: [0, 128] })).stdout.toString('utf8');
}

async function readVars(root: string, env: NodeJS.ProcessEnv): Promise<{ config: Map<string, string[]>; ident: string }> {
  const config = new Map<string, string[]>();
  let ident = '';
  for (const line of (await varList(root, env)).split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (key === 'GIT_COMMITTER_IDENT') {
      ident = value.replace(/ \d+ [+-]\d{4}$/, '');
      continue;
    }
    if (key.startsWith('GIT_')) continue;
    const list = config.get(key) ?? [];
    list.push(value);
    config.set(key, list);
  }
  if (!/<.*>/.test(ident)) ident = 'assist <assist@localhost>';
  return { config, ident };
}
