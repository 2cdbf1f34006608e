import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync, deflateSync } from 'node:zlib';
import { AssistError } from '../errors.js';
import { writeFileAtomicSync } from '../util/atomic-write.js';

export type ObjectFormat = 'sha1' | 'sha256';
export type ObjectType = 'blob' | 'tree' | 'commit' | 'tag';

/** One entry of a tree object. Mode as git writes it: 100644, 100755, 120000, 160000, 40000. */
export interface TreeEntry {
  mode: string;
  name: string;
  oid: string;
}

export function hashObject(format: ObjectFormat, type: ObjectType, body: Buffer): string {
  return createHash(format).update(`${type} ${body.length}\0`).update(body).digest('hex');
}

export function parseTree(body: Buffer, format: ObjectFormat): TreeEntry[] {
  const size = format === 'sha1' ? 20 : 32;
  const entries: TreeEntry[] = [];
  let i = 0;
  while (i < body.length) {
    const space = body.indexOf(0x20, i);
    const nul = body.indexOf(0, space);
    if (space < 0 || nul < 0) throw new Error('corrupt tree object');
    entries.push({
      mode: body.toString('latin1', i, space),
      name: body.toString('utf8', space + 1, nul),
      oid: body.toString('hex', nul + 1, nul + 1 + size),
    });
    i = nul + 1 + size;
  }
  return entries;
}

/** Git orders tree entries by name, comparing a tree's name as if it ended in '/'. */
function sortKey(entry: TreeEntry): Buffer {
  return Buffer.from(entry.mode === '40000' ? `${entry.name}/` : entry.name, 'utf8');
}

export function serializeTree(entries: readonly TreeEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => Buffer.compare(sortKey(a), sortKey(b)));
  return Buffer.concat(sorted.map((e) => Buffer.concat([Buffer.from(`${e.mode} ${e.name}\0`, 'utf8'), Buffer.from(e.oid, 'hex')])));
}

/** Author or committer line value: `Name <email> <epoch> <+zzzz>`. */
export function identLine(nameEmail: string, when: Date = new Date()): string {
  const offset = -when.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  const tz = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
  return `${nameEmail} ${Math.floor(when.getTime() / 1000)} ${tz}`;
}

export interface CommitFields {
  tree: string;
  parents: readonly string[];
  author: string;
  committer: string;
  message: string;
}

export function serializeCommit(c: CommitFields): Buffer {
  const lines = [`tree ${c.tree}`, ...c.parents.map((p) => `parent ${p}`), `author ${c.author}`, `committer ${c.committer}`, ''];
  const message = c.message.endsWith('\n') ? c.message : `${c.message}\n`;
  return Buffer.from(`${lines.join('\n')}\n${message}`, 'utf8');
}

export interface ParsedCommit {
  tree: string;
  parents: string[];
  message: string;
}

export function parseCommit(body: Buffer): ParsedCommit {
  const text = body.toString('utf8');
  const end = text.indexOf('\n\n');
  const header = end < 0 ? text : text.slice(0, end);
  const parents: string[] = [];
  let tree = '';
  for (const line of header.split('\n')) {
    if (line.startsWith('tree ')) tree = line.slice(5);
    else if (line.startsWith('parent ')) parents.push(line.slice(7));
  }
  return { tree, parents, message: end < 0 ? '' : text.slice(end + 2) };
}

interface Pending {
  resolve: (value: { type: string; body: Buffer } | null) => void;
  reject: (error: Error) => void;
}

/**
 * The object database of one repository: loose objects are read and written in-process (zlib),
 * anything packed is read through one `git cat-file --batch` started on first need.
 */
export class ObjectStore {
  private batch: ChildProcessWithoutNullStreams | undefined;
  private queue: Pending[] = [];
  private buffered: Buffer = Buffer.alloc(0);
  private readonly objectsDir: string;

  constructor(
    readonly commonDir: string,
    readonly format: ObjectFormat,
    private readonly cwd: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.objectsDir = join(commonDir, 'objects');
  }

  get emptyTree(): string {
    return hashObject(this.format, 'tree', Buffer.alloc(0));
  }

  /** Writes an object as a loose file unless it exists; returns its id. */
  write(type: ObjectType, body: Buffer): string {
    const oid = hashObject(this.format, type, body);
    const dir = join(this.objectsDir, oid.slice(0, 2));
    const file = join(dir, oid.slice(2));
    if (existsSync(file)) return oid;
    mkdirSync(dir, { recursive: true });
    try {
      // No fsync, as git itself by default (core.fsync): objects are rewritten from the journal's files.
      writeFileAtomicSync(file, deflateSync(Buffer.concat([Buffer.from(`${type} ${body.length}\0`), body]), { level: 1 }), { mode: 0o444, fsync: false });
    } catch (error) {
      if (!existsSync(file)) throw error;
    }
    return oid;
  }

  /** Reads an object; null when it does not exist. */
  async read(oid: string): Promise<{ type: string; body: Buffer } | null> {
    if (/^[0-9a-f]+$/.test(oid) && oid.length >= 40) {
      const file = join(this.objectsDir, oid.slice(0, 2), oid.slice(2));
      let raw: Buffer | undefined;
      try {
        raw = readFileSync(file);
      } catch {
        raw = undefined;
      }
      if (raw) {
        const data = inflateSync(raw);
        const nul = data.indexOf(0);
        const [type = ''] = data.toString('latin1', 0, nul).split(' ');
        return { type, body: data.subarray(nul + 1) };
      }
    }
    return this.readBatch(oid);
  }

  async readCommit(oid: string): Promise<ParsedCommit> {
    const obj = await this.read(oid);
    if (!obj || obj.type !== 'commit') throw new AssistError('git.bad-object', `not a commit: ${oid}`);
    return parseCommit(obj.body);
  }

  async readTree(oid: string): Promise<TreeEntry[]> {
    const obj = await this.read(oid);
    if (!obj || obj.type !== 'tree') throw new AssistError('git.bad-object', `not a tree: ${oid}`);
    return parseTree(obj.body, this.format);
  }

  /** The entry at `path` inside tree `root`, or null. */
  async entryAt(root: string | null, path: string): Promise<TreeEntry | null> {
    if (root === null) return null;
    const parts = path.split('/');
    let tree = root;
    for (let i = 0; i < parts.length; i++) {
      const entry = (await this.readTree(tree)).find((e) => e.name === parts[i]);
      if (!entry) return null;
      if (i === parts.length - 1) return entry;
      if (entry.mode !== '40000') return null;
      tree = entry.oid;
    }
    return null;
  }

  /**
   * A new tree: `root` (null: empty) with `changes` applied (path -> entry, or null to delete).
   * Only the trees on changed paths are read and written.
   */
  async updateTree(root: string | null, changes: ReadonlyMap<string, { mode: string; oid: string } | null>): Promise<string> {
    const result = await this.updateTreeRec(root, [...changes].map(([path, entry]) => ({ parts: path.split('/'), entry })));
    return result ?? this.write('tree', Buffer.alloc(0));
  }

  private async updateTreeRec(root: string | null, changes: { parts: string[]; entry: { mode: string; oid: string } | null }[]): Promise<string | null> {
    const entries = new Map<string, TreeEntry>();
    if (root !== null) for (const e of await this.readTree(root)) entries.set(e.name, e);
    const sub = new Map<string, { parts: string[]; entry: { mode: string; oid: string } | null }[]>();
    for (const change of changes) {
      const [head = '', ...rest] = change.parts;
      if (rest.length === 0) {
        if (change.entry) entries.set(head, { name: head, ...change.entry });
        else entries.delete(head);
      } else {
        const list = sub.get(head) ?? [];
        list.push({ parts: rest, entry: change.entry });
        sub.set(head, list);
      }
    }
    for (const [name, list] of sub) {
      const existing = entries.get(name);
      if (existing?.mode === '160000') throw new AssistError('git.path-in-submodule', `${name} is a submodule: assist does not write inside it`);
      const oid = await this.updateTreeRec(existing?.mode === '40000' ? existing.oid : null, list);
      if (oid === null) entries.delete(name);
      else entries.set(name, { mode: '40000', name, oid });
    }
    if (entries.size === 0) return null;
    return this.write('tree', serializeTree([...entries.values()]));
  }

  private readBatch(name: string): Promise<{ type: string; body: Buffer } | null> {
    if (!this.batch) {
      const child = spawn('git', ['cat-file', '--batch'], { cwd: this.cwd, env: this.env, stdio: ['pipe', 'pipe', 'pipe'] });
      child.stdout.on('data', (d: Buffer) => {
        this.buffered = this.buffered.length ? Buffer.concat([this.buffered, d]) : d;
        this.drain();
      });
      child.on('error', (error) => this.failAll(error));
      child.on('close', () => this.failAll(new Error('git cat-file exited')));
      child.stdin.on('error', () => undefined);
      this.batch = child;
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject });
      this.batch?.stdin.write(`${name}\n`);
    });
  }

  private drain(): void {
    for (;;) {
      const pending = this.queue[0];
      if (!pending) return;
      const nl = this.buffered.indexOf(0x0a);
      if (nl < 0) return;
      const header = this.buffered.toString('utf8', 0, nl);
      if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
        this.buffered = this.buffered.subarray(nl + 1);
        this.queue.shift();
        pending.resolve(null);
        continue;
      }
      const [, type = '', sizeText = '0'] = header.split(' ');
      const size = Number(sizeText);
      if (this.buffered.length < nl + 1 + size + 1) return;
      const body = Buffer.from(this.buffered.subarray(nl + 1, nl + 1 + size));
      this.buffered = this.buffered.subarray(nl + 1 + size + 1);
      this.queue.shift();
      pending.resolve({ type, body });
    }
  }

  private failAll(error: Error): void {
    const queue = this.queue;
    this.queue = [];
    this.batch = undefined;
    for (const p of queue) p.reject(error);
  }

  /** Ends the helper process, if one was started. */
  close(): void {
    const child = this.batch;
    this.batch = undefined;
    child?.stdin.end();
  }
}
