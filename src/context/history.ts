import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import { languageForPath } from './languages.js';
import { tokenize } from './search-tokens.js';
import { isRequestWord } from './bm25.js';

/**
 * The repository's history as a search signal (docs/search.md "History"): the subjects of the
 * last commits reachable from HEAD and the source files each changed, so a request that reads like
 * an earlier commit's subject ranks the files that commit changed (co-change), even when their
 * code holds none of its words. Built by one `git log`, extended by the commits since the stored
 * head, stored beside the search index; a search only reads the stored file.
 */

/** Bump when the stored layout or what is stored changes: a file of another version is rebuilt. */
export const HISTORY_VERSION = 1;
const MAGIC = 'assist-history';

/** What the history index holds. */
export interface HistoryLimits {
  /** Commits kept, newest first (non-merge, reachable from HEAD). */
  maxCommits: number;
  /** Commits that changed more source files than this are left out (refactors, renames of a folder). */
  maxFiles: number;
}

export const DEFAULT_HISTORY_LIMITS: HistoryLimits = { maxCommits: 3000, maxFiles: 30 };

/** One commit of the history index. */
export interface HistoryCommit {
  id: string;
  /** Tokens of its subject (search-tokens.ts), repeats included. */
  terms: string[];
  /** The source files it changed, under their path at the index's head (renames followed). */
  files: string[];
}

/** The history index, decoded. Commits newest first. */
export interface HistoryData {
  /** The commit it was built at. */
  head: string;
  limits: HistoryLimits;
  commits: HistoryCommit[];
}

/** One commit as `git log` gives it. */
export interface LoggedCommit {
  id: string;
  subject: string;
  /** Status letter (M, A, D, R, C, T) and paths: `[status, path]` or `[status, from, to]`. */
  changes: string[][];
}

const RS = '\x1e';
const LOG_FORMAT = `--format=${RS}%H%x09%s`;

/** Parses the output of `git log --format=<RS>%H<TAB>%s --name-status -M`. Quoted (unusual) paths are left out. */
export function parseLog(text: string): LoggedCommit[] {
  const out: LoggedCommit[] = [];
  for (const record of text.split(RS)) {
    if (record === '') continue;
    const lines = record.split('\n');
    const head = lines[0]!;
    const tab = head.indexOf('\t');
    const id = tab === -1 ? head : head.slice(0, tab);
    if (!/^[0-9a-f]{40,64}$/.test(id)) continue;
    const changes: string[][] = [];
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      if (line === '') continue;
      const parts = line.split('\t');
      if (parts.length < 2 || !/^[MADRCTU]/.test(parts[0]!) || parts.some((p, k) => k > 0 && p.startsWith('"'))) continue;
      changes.push([parts[0]!.charAt(0), ...parts.slice(1)]);
    }
    out.push({ id, subject: tab === -1 ? '' : head.slice(tab + 1), changes });
  }
  return out;
}

/**
 * The history index of `logged` (newest first) on top of `older` (the stored index, whose commits
 * are all older than `logged`'s): renames in a commit move the paths of every older commit to
 * the new path (what the file is called at `head`), commits that changed no source file or more
 * than `maxFiles` are left out, and only the newest `maxCommits` are kept.
 */
export function buildHistory(head: string, logged: readonly LoggedCommit[], limits: HistoryLimits, older?: HistoryData): HistoryData {
  // Old path → its path at the head, from the renames seen so far (newest first).
  const alias = new Map<string, string>();
  const current = (path: string): string => alias.get(path) ?? path;
  const commits: HistoryCommit[] = [];
  for (const c of logged) {
    const files = new Set<string>();
    for (const change of c.changes) {
      const status = change[0]!;
      if ((status === 'R' || status === 'C') && change.length >= 3) {
        const now = current(change[2]!);
        if (status === 'R') alias.set(change[1]!, now);
        if (languageForPath(now)) files.add(now);
      } else if (change.length >= 2) {
        const now = current(change[1]!);
        if (languageForPath(now)) files.add(now);
      }
    }
    if (files.size === 0 || files.size > limits.maxFiles) continue;
    commits.push({ id: c.id, terms: tokenize(c.subject), files: [...files] });
  }
  if (older) for (const c of older.commits) commits.push(alias.size === 0 ? c : { ...c, files: [...new Set(c.files.map(current))] });
  return { head, limits, commits: commits.slice(0, limits.maxCommits) };
}

/**
 * The stored form: a header line, then one line per commit (`id`, subject length in tokens, its
 * files' numbers), one per file path, and one per term (the commits that say it, a commit once per
 * time it says it). The header gives where the files and terms start, so a search finds a term's
 * line with one `indexOf` and decodes nothing else it does not need.
 */
export function encodeHistory(h: HistoryData): string {
  const fileAt = new Map<string, number>();
  const postings = new Map<string, number[]>();
  let totalLength = 0;
  const commitLines = h.commits.map((c, i) => {
    for (const t of c.terms) {
      let list = postings.get(t);
      if (!list) postings.set(t, (list = []));
      list.push(i);
    }
    totalLength += c.terms.length;
    const files = c.files.map((f) => {
      let n = fileAt.get(f);
      if (n === undefined) fileAt.set(f, (n = fileAt.size));
      return n;
    });
    return `${c.id}\t${c.terms.length}\t${files.join(',')}\n`;
  });
  const commitsText = commitLines.join('');
  const filesText = [...fileAt.keys()].map((f) => `${f}\n`).join('');
  // A leading newline so every term line, the first too, is found as `\nterm\t`.
  const termsText = `\n${[...postings].map(([t, list]) => `${t}\t${list.join(',')}\n`).join('')}`;
  const avg = h.commits.length === 0 ? 0 : totalLength / h.commits.length;
  const header = [MAGIC, HISTORY_VERSION, h.head, h.limits.maxCommits, h.limits.maxFiles, h.commits.length, fileAt.size, commitsText.length, filesText.length, termsText.length, avg.toFixed(4)].join('\t');
  return `${header}\n${commitsText}${filesText}${termsText}`;
}

/** A stored history index as read: the text kept whole, commits and files decoded when first needed. */
export class HistoryIndex {
  readonly head: string;
  readonly limits: HistoryLimits;
  readonly count: number;
  readonly avgLength: number;
  readonly #text: string;
  readonly #commitsAt: number;
  readonly #filesAt: number;
  readonly #termsAt: number;
  readonly #end: number;
  readonly #fileCount: number;
  #commits?: { id: string; length: number; files: number[] }[];
  #files?: string[];

  private constructor(text: string, header: string[], body: number) {
    this.#text = text;
    this.head = header[2]!;
    this.limits = { maxCommits: Number(header[3]), maxFiles: Number(header[4]) };
    this.count = Number(header[5]);
    this.#fileCount = Number(header[6]);
    this.#commitsAt = body;
    this.#filesAt = body + Number(header[7]);
    this.#termsAt = this.#filesAt + Number(header[8]);
    this.#end = this.#termsAt + Number(header[9]);
    this.avgLength = Number(header[10]);
  }

  /** The index in `text`, or undefined when it is not one of this version or does not hold together. */
  static parse(text: string): HistoryIndex | undefined {
    const nl = text.indexOf('\n');
    if (nl === -1) return undefined;
    const header = text.slice(0, nl).split('\t');
    if (header.length !== 11 || header[0] !== MAGIC || header[1] !== String(HISTORY_VERSION) || !/^[0-9a-f]{40,64}$/.test(header[2]!)) return undefined;
    const numbers = header.slice(3).map(Number);
    if (numbers.some((n) => !Number.isFinite(n) || n < 0)) return undefined;
    const h = new HistoryIndex(text, header, nl + 1);
    // The sections must end where the text does, and each starts where the last ended.
    if (h.#end !== text.length || (h.#termsAt < text.length && text[h.#termsAt] !== '\n')) return undefined;
    if (h.count > 0 && (text[h.#filesAt - 1] !== '\n' || !/^[0-9a-f]/.test(text[h.#commitsAt] ?? ''))) return undefined;
    return h;
  }

  /** The commits, newest first (decoded on first use; undefined when a line does not parse). */
  commits(): { id: string; length: number; files: number[] }[] | undefined {
    if (this.#commits) return this.#commits;
    const lines = this.#text.slice(this.#commitsAt, this.#filesAt).split('\n');
    lines.pop();
    if (lines.length !== this.count) return undefined;
    const out: { id: string; length: number; files: number[] }[] = [];
    for (const line of lines) {
      const [id, length, files] = line.split('\t');
      const numbers = files === undefined || files === '' ? [] : files.split(',').map(Number);
      if (id === undefined || length === undefined || numbers.some((n) => !(n >= 0 && n < this.#fileCount))) return undefined;
      out.push({ id, length: Number(length), files: numbers });
    }
    return (this.#commits = out);
  }

  /** The file paths, by number. */
  files(): string[] | undefined {
    if (this.#files) return this.#files;
    const lines = this.#text.slice(this.#filesAt, this.#termsAt).split('\n');
    lines.pop();
    return lines.length === this.#fileCount ? (this.#files = lines) : undefined;
  }

  /** The commits (numbers, repeated per time it says the term) whose subject says `term`. */
  postings(term: string): number[] {
    const at = this.#text.indexOf(`\n${term}\t`, this.#termsAt);
    if (at === -1 || at >= this.#end) return [];
    const start = at + term.length + 2;
    const end = this.#text.indexOf('\n', start);
    if (end === -1) return [];
    const out: number[] = [];
    for (const part of this.#text.slice(start, end).split(',')) {
      const n = Number(part);
      if (n >= 0 && n < this.count) out.push(n);
    }
    return out;
  }

  /** Decoded whole (to extend it). Undefined when a section does not parse. */
  data(): HistoryData | undefined {
    const commits = this.commits();
    const files = this.files();
    if (!commits || !files) return undefined;
    const terms: string[][] = commits.map(() => []);
    for (const line of this.#text.slice(this.#termsAt + 1, this.#end).split('\n')) {
      if (line === '') continue;
      const tab = line.lastIndexOf('\t');
      const term = line.slice(0, tab);
      for (const part of line.slice(tab + 1).split(',')) terms[Number(part)]?.push(term);
    }
    return { head: this.head, limits: this.limits, commits: commits.map((c, i) => ({ id: c.id, terms: terms[i]!, files: c.files.map((f) => files[f]!) })) };
  }
}

/** How a commit's score is shared among the files it changed. */
export type HistorySpread = 'none' | 'log' | 'sqrt' | 'count';

/** How the history ranks files. */
export interface HistoryRankOptions {
  spread: HistorySpread;
  /** Only the best this many commits count (0: all that match). */
  topCommits: number;
  k1: number;
  b: number;
  /** Commits scoring under this share of the best commit's are left out (0: none). */
  minShare?: number;
  /** A commit `n` commits older than the newest indexed weighs 0.5^(n / halfLife) (0: all alike). */
  halfLife?: number;
  /** Weight of the words that say what to do (`fix`, `add`, ...; bm25.ts) unless the request says nothing else. */
  requestWord?: number;
}

export const DEFAULT_HISTORY_RANK: HistoryRankOptions = { spread: 'log', topCommits: 50, k1: 1.2, b: 0.75 };

/** Weight of the history's rank of files in the search's fusion (`SearchTuning.history`); measured in docs/search.md "Twelfth session: history". */
export const DEFAULT_HISTORY_WEIGHT = 0.5;

/**
 * Files by how well the subjects of the commits that changed them match the request: BM25 over
 * commit subjects (idf over the indexed commits), each commit's score shared among its files
 * (`spread`) and summed per file. Best first; paths as stored (the caller keeps those it lists).
 */
export function historyRanking(h: HistoryIndex, query: string, options: HistoryRankOptions = DEFAULT_HISTORY_RANK): { file: string; score: number }[] {
  if (h.count === 0) return [];
  const terms = [...new Set(tokenize(query))];
  const rw = options.requestWord ?? 1;
  const light = rw !== 1 && terms.some((t) => !isRequestWord(t));
  const score = new Map<number, number>();
  const tf = new Map<number, number>();
  let commits: ReturnType<HistoryIndex['commits']>;
  for (const term of terms) {
    const list = h.postings(term);
    if (list.length === 0) continue;
    commits ??= h.commits();
    if (!commits) return [];
    tf.clear();
    for (const c of list) tf.set(c, (tf.get(c) ?? 0) + 1);
    const df = tf.size;
    const idf = Math.log(1 + (h.count - df + 0.5) / (df + 0.5)) * (light && isRequestWord(term) ? rw : 1);
    for (const [c, n] of tf) {
      const norm = options.k1 * (1 - options.b + (options.b * commits[c]!.length) / Math.max(1, h.avgLength));
      score.set(c, (score.get(c) ?? 0) + (idf * n * (options.k1 + 1)) / (n + norm));
    }
  }
  if (score.size === 0 || !commits) return [];
  const files = h.files();
  if (!files) return [];
  let scored = [...score];
  if (options.halfLife) scored = scored.map(([c, v]) => [c, v * Math.pow(0.5, c / options.halfLife!)]);
  if (options.minShare) {
    const best = Math.max(...scored.map(([, v]) => v));
    scored = scored.filter(([, v]) => v >= options.minShare! * best);
  }
  if (options.topCommits > 0) scored = scored.sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, options.topCommits);
  const byFile = new Map<number, number>();
  for (const [c, s] of scored) {
    const changed = commits[c]!.files;
    const n = changed.length;
    const share = s / (options.spread === 'count' ? n : options.spread === 'sqrt' ? Math.sqrt(n) : options.spread === 'log' ? 1 + Math.log(n) : 1);
    for (const f of changed) byFile.set(f, (byFile.get(f) ?? 0) + share);
  }
  return [...byFile].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([f, s]) => ({ file: files[f]!, score: s }));
}

/** The stored history index under the shared assist dir, beside the search index. */
export function historyPath(sharedAssistDir: string): string {
  return join(sharedAssistDir, 'search', 'history.txt');
}

/** The stored history index, or undefined when there is none or it is damaged or of another version. Never throws. */
export function readHistory(sharedAssistDir: string): HistoryIndex | undefined {
  try {
    return HistoryIndex.parse(readFileSync(historyPath(sharedAssistDir), 'utf8'));
  } catch {
    return undefined;
  }
}

/** What a refresh did. */
export interface HistoryRefresh {
  index?: HistoryIndex;
  /** `fresh`: at HEAD already; `extended`: the commits since the stored head added; `rebuilt`: read again whole (none stored, damaged, another version or other limits, or the stored head is not an ancestor of HEAD); `none`: no commit. */
  outcome: 'fresh' | 'extended' | 'rebuilt' | 'none';
  /** Commits read from git. */
  logged: number;
}

/**
 * Brings the stored history index to HEAD: nothing when it is there already; the commits since the
 * stored head when that head is an ancestor of HEAD; else (history rewritten, nothing stored, a
 * damaged or foreign file) all of it again. Only commits reachable from HEAD are ever indexed.
 * Throws what git throws when it cannot run at all.
 */
export async function refreshHistory(options: { root: string; sharedAssistDir: string; env?: NodeJS.ProcessEnv; limits?: HistoryLimits }): Promise<HistoryRefresh> {
  const limits = options.limits ?? DEFAULT_HISTORY_LIMITS;
  const git = (args: string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile('git', ['-c', 'core.quotePath=false', ...args], { cwd: options.root, env: { ...(options.env ?? process.env), GIT_OPTIONAL_LOCKS: '0' }, encoding: 'utf8', maxBuffer: 1 << 30 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
    });
  const head = (await git(['rev-parse', '--verify', '-q', 'HEAD']).catch(() => '')).trim();
  if (head === '') return { outcome: 'none', logged: 0 };
  const stored = readHistory(options.sharedAssistDir);
  const same = stored !== undefined && stored.limits.maxCommits === limits.maxCommits && stored.limits.maxFiles === limits.maxFiles;
  if (same && stored.head === head) return { index: stored, outcome: 'fresh', logged: 0 };
  let older: HistoryData | undefined;
  if (same) {
    const ancestor = await git(['merge-base', '--is-ancestor', stored.head, head]).then(
      () => true,
      () => false,
    );
    if (ancestor) older = stored.data();
  }
  const range = older ? [`${older.head}..${head}`] : [head];
  const logged = parseLog(await git(['log', '--no-merges', '-M', '--name-status', LOG_FORMAT, '-n', String(limits.maxCommits), ...range, '--']));
  const data = buildHistory(head, logged, limits, older);
  const text = encodeHistory(data);
  await mkdir(join(options.sharedAssistDir, 'search'), { recursive: true });
  // A torn or lost file is rebuilt: no fsync.
  await writeFileAtomic(historyPath(options.sharedAssistDir), text, { fsync: false });
  return { index: HistoryIndex.parse(text)!, outcome: older ? 'extended' : 'rebuilt', logged: logged.length };
}
