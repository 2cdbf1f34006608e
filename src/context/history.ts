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
export const HISTORY_VERSION = 2;
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
  // Paths repeat across commits: each is looked up once.
  const known = new Map<string, boolean>();
  const isSource = (path: string): boolean => {
    let v = known.get(path);
    if (v === undefined) known.set(path, (v = languageForPath(path) !== undefined));
    return v;
  };
  const commits: HistoryCommit[] = [];
  for (const c of logged) {
    const files = new Set<string>();
    for (const change of c.changes) {
      const status = change[0]!;
      if ((status === 'R' || status === 'C') && change.length >= 3) {
        const now = current(change[2]!);
        if (status === 'R') alias.set(change[1]!, now);
        if (isSource(now)) files.add(now);
      } else if (change.length >= 2) {
        const now = current(change[1]!);
        if (isSource(now)) files.add(now);
      }
    }
    if (files.size === 0 || files.size > limits.maxFiles) continue;
    commits.push({ id: c.id, terms: tokenize(c.subject), files: [...files] });
  }
  if (older) for (const c of older.commits) commits.push(alias.size === 0 ? c : { ...c, files: [...new Set(c.files.map(current))] });
  return { head, limits, commits: commits.slice(0, limits.maxCommits) };
}

/**
 * The stored form: a header line, then four sections: the commit ids (one a line, newest first);
 * each commit's subject length in tokens and its files' numbers (JSON arrays of numbers: the
 * lengths, where each commit's run of file numbers starts, the runs); the file paths (where each
 * starts, then one a line); and one line per term with the commits that say it (a JSON array, a
 * commit once per time it says it). The header gives each section's length, so a search finds a
 * term's line with one `indexOf` and parses only what it uses, natively (a loop over the lines in
 * a fresh process took 5-9 ms at 2,000 commits); the ids are read only to extend the index.
 */
export function encodeHistory(h: HistoryData): string {
  const fileAt = new Map<string, number>();
  const postings = new Map<string, number[]>();
  let totalLength = 0;
  const lengths: number[] = [];
  // Each commit's files as a run of one flat list (a list per commit is an array per commit to collect).
  const fileStart: number[] = [0];
  const fileList: number[] = [];
  h.commits.forEach((c, i) => {
    for (const t of c.terms) {
      let list = postings.get(t);
      if (!list) postings.set(t, (list = []));
      list.push(i);
    }
    totalLength += c.terms.length;
    lengths.push(c.terms.length);
    for (const f of c.files) {
      let n = fileAt.get(f);
      if (n === undefined) fileAt.set(f, (n = fileAt.size));
      fileList.push(n);
    }
    fileStart.push(fileList.length);
  });
  // The paths one a line (git quotes a path with a line break; those are left out), with where each starts.
  const pathStart: number[] = [0];
  for (const path of fileAt.keys()) pathStart.push(pathStart[pathStart.length - 1]! + path.length + 1);
  const sections = [
    h.commits.map((c) => `${c.id}\n`).join(''),
    `${JSON.stringify(lengths)}\n${JSON.stringify(fileStart)}\n${JSON.stringify(fileList)}\n`,
    `${JSON.stringify(pathStart)}\n${[...fileAt.keys()].map((f) => `${f}\n`).join('')}`,
    // A leading newline so every term line, the first too, is found as `\nterm\t`.
    `\n${[...postings].map(([t, list]) => `${t}\t${JSON.stringify(list)}\n`).join('')}`,
  ];
  const avg = h.commits.length === 0 ? 0 : totalLength / h.commits.length;
  const header = [MAGIC, HISTORY_VERSION, h.head, h.limits.maxCommits, h.limits.maxFiles, h.commits.length, fileAt.size, ...sections.map((x) => x.length), avg.toFixed(4)].join('\t');
  return `${header}\n${sections.join('')}`;
}

/** A stored history index as read: the text kept whole, each section parsed when first needed. */
export class HistoryIndex {
  readonly head: string;
  readonly limits: HistoryLimits;
  readonly count: number;
  readonly avgLength: number;
  readonly #text: string;
  readonly #fileCount: number;
  /** Where the ids, the commits' lengths and files, the paths and the terms start, and the end. */
  readonly #at: number[];
  #commits?: HistoryCommits | null;
  #paths?: { start: number[]; at: number } | null;

  private constructor(text: string, header: string[], body: number) {
    this.#text = text;
    this.head = header[2]!;
    this.limits = { maxCommits: Number(header[3]), maxFiles: Number(header[4]) };
    this.count = Number(header[5]);
    this.#fileCount = Number(header[6]);
    this.#at = [body];
    for (let k = 7; k < 11; k++) this.#at.push(this.#at[this.#at.length - 1]! + Number(header[k]));
    this.avgLength = Number(header[11]);
  }

  /** The index in `text`, or undefined when it is not one of this version or does not hold together. */
  static parse(text: string): HistoryIndex | undefined {
    const nl = text.indexOf('\n');
    if (nl === -1) return undefined;
    const header = text.slice(0, nl).split('\t');
    if (header.length !== 12 || header[0] !== MAGIC || header[1] !== String(HISTORY_VERSION) || !/^[0-9a-f]{40,64}$/.test(header[2]!)) return undefined;
    if (header.slice(3).some((n) => !/^\d+(\.\d+)?$/.test(n))) return undefined;
    const h = new HistoryIndex(text, header, nl + 1);
    const [ids, commits, paths, terms, end] = h.#at as [number, number, number, number, number];
    // The sections end where the text does, and each ends with a line break where the next starts.
    if (end !== text.length || text[terms] !== '\n' || text[paths - 1] !== '\n' || text[terms - 1] !== '\n' || (h.count > 0 && (text[commits - 1] !== '\n' || !/^[0-9a-f]/.test(text[ids] ?? '')))) return undefined;
    return h;
  }

  /** Each commit's subject length and its files' numbers, newest first; undefined when the section does not parse. */
  commits(): HistoryCommits | undefined {
    if (this.#commits === undefined) {
      this.#commits = null;
      try {
        const [lengths, fileStart, fileList] = this.#text
          .slice(this.#at[1], this.#at[2]! - 1)
          .split('\n')
          .map((line) => JSON.parse(line) as unknown);
        // The counts only: numbers out of range are skipped where they are used (a check of each took a millisecond).
        if (Array.isArray(lengths) && Array.isArray(fileStart) && Array.isArray(fileList) && lengths.length === this.count && fileStart.length === this.count + 1) {
          this.#commits = { lengths: lengths as number[], fileStart: fileStart as number[], fileList: fileList as number[] };
        }
      } catch {
        // damaged: the search goes on without the history (and the next refresh rebuilds it)
      }
    }
    return this.#commits ?? undefined;
  }

  /** The commit ids, newest first. */
  ids(): string[] | undefined {
    const lines = this.#text.slice(this.#at[0], this.#at[1]).split('\n');
    lines.pop();
    return lines.length === this.count && lines.every((id) => /^[0-9a-f]{40,64}$/.test(id)) ? lines : undefined;
  }

  /** Whether the paths' section parses (each path is cut from the text only when asked for). */
  hasPaths(): boolean {
    if (this.#paths === undefined) {
      this.#paths = null;
      const nl = this.#text.indexOf('\n', this.#at[2]);
      try {
        const start: unknown = JSON.parse(this.#text.slice(this.#at[2], nl));
        if (Array.isArray(start) && start.length === this.#fileCount + 1 && nl + 1 + (start[this.#fileCount] as number) === this.#at[3]) this.#paths = { start: start as number[], at: nl + 1 };
      } catch {
        // damaged
      }
    }
    return this.#paths !== null;
  }

  /** The path of file number `f`, or undefined. */
  path(f: number): string | undefined {
    if (!this.hasPaths() || !(f >= 0 && f < this.#fileCount)) return undefined;
    const { start, at } = this.#paths!;
    const a = start[f]!;
    const b = start[f + 1]!;
    return typeof a === 'number' && typeof b === 'number' && b > a ? this.#text.slice(at + a, at + b - 1) : undefined;
  }

  /** How many file paths it holds. */
  get fileCount(): number {
    return this.#fileCount;
  }

  /** The commits (numbers, repeated per time it says the term) whose subject says `term`. */
  postings(term: string): number[] {
    const at = this.#text.indexOf(`\n${term}\t`, this.#at[3]);
    if (at === -1 || at >= this.#at[4]!) return [];
    const start = at + term.length + 2;
    const end = this.#text.indexOf('\n', start);
    if (end === -1) return [];
    try {
      const list: unknown = JSON.parse(this.#text.slice(start, end));
      if (!Array.isArray(list)) return [];
      const out: number[] = [];
      for (let i = 0; i < list.length; i++) {
        const n: unknown = list[i];
        if (typeof n === 'number' && n >= 0 && n < this.count && Number.isInteger(n)) out.push(n);
      }
      return out;
    } catch {
      return [];
    }
  }

  /** Decoded whole (to extend it). Undefined when a section does not parse. */
  data(): HistoryData | undefined {
    const ids = this.ids();
    const commits = this.commits();
    if (!ids || !commits || !this.hasPaths()) return undefined;
    const terms: string[][] = ids.map(() => []);
    for (const line of this.#text.slice(this.#at[3]! + 1, this.#at[4]).split('\n')) {
      if (line === '') continue;
      const tab = line.lastIndexOf('\t');
      const term = line.slice(0, tab);
      for (const c of this.postings(term)) terms[c]!.push(term);
    }
    return { head: this.head, limits: this.limits, commits: ids.map((id, i) => ({ id, terms: terms[i]!, files: commitFiles(commits, i).flatMap((f) => this.path(f) ?? []) })) };
  }
}

/** The sections a ranking reads: per commit its subject length and its run of file numbers. */
export interface HistoryCommits {
  lengths: number[];
  /** Commit `c`'s files are `fileList[fileStart[c]]` up to `fileList[fileStart[c + 1]]`. */
  fileStart: number[];
  fileList: number[];
}

function commitFiles(commits: HistoryCommits, c: number): number[] {
  const a = commits.fileStart[c];
  const b = commits.fileStart[c + 1];
  return typeof a === 'number' && typeof b === 'number' && a <= b ? commits.fileList.slice(a, b) : [];
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
  /** Commits whose subject holds fewer of the request's distinct terms than this are left out (0: none). */
  minTerms?: number;
}

export const DEFAULT_HISTORY_RANK: HistoryRankOptions = { spread: 'log', topCommits: 50, k1: 1.2, b: 0.75, minTerms: 2 };

/** Weight of the history's rank of files in the search's fusion (`SearchTuning.history`); measured in docs/search.md "Twelfth session: history". */
export const DEFAULT_HISTORY_WEIGHT = 0.45;

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
  // Typed arrays and runs, no maps: a search runs this once, in a fresh process, before the JIT.
  const score = new Float64Array(h.count);
  const held = options.minTerms ? new Uint8Array(h.count) : undefined;
  const touched: number[] = [];
  let commits: ReturnType<HistoryIndex['commits']>;
  const k1 = options.k1;
  const avg = Math.max(1, h.avgLength);
  for (const term of terms) {
    const list = h.postings(term);
    if (list.length === 0) continue;
    commits ??= h.commits();
    if (!commits) return [];
    const lengths = commits.lengths;
    // A commit's number repeats once per time its subject says the term, in a run (encodeHistory).
    let df = 0;
    for (let i = 0; i < list.length; i++) if (i === 0 || list[i] !== list[i - 1]) df++;
    const idf = Math.log(1 + (h.count - df + 0.5) / (df + 0.5)) * (light && isRequestWord(term) ? rw : 1);
    for (let i = 0; i < list.length; ) {
      const c = list[i]!;
      let n = 1;
      while (i + n < list.length && list[i + n] === c) n++;
      i += n;
      const norm = k1 * (1 - options.b + (options.b * (lengths[c] ?? avg)) / avg);
      if (score[c] === 0) touched.push(c);
      score[c]! += (idf * n * (k1 + 1)) / (n + norm);
      if (held) held[c]!++;
    }
  }
  if (touched.length === 0 || !commits) return [];
  if (!h.hasPaths()) return [];
  const fileCount = h.fileCount;
  let scored = touched.map((c) => ({ c, v: score[c]! }));
  if (held) {
    const need = Math.min(options.minTerms!, terms.length);
    scored = scored.filter(({ c }) => held[c]! >= need);
  }
  if (options.halfLife) scored = scored.map(({ c, v }) => ({ c, v: v * Math.pow(0.5, c / options.halfLife!) }));
  if (options.minShare) {
    const best = Math.max(...scored.map(({ v }) => v));
    scored = scored.filter(({ v }) => v >= options.minShare! * best);
  }
  if (options.topCommits > 0) scored = scored.sort((a, b) => b.v - a.v || a.c - b.c).slice(0, options.topCommits);
  const byFile = new Float64Array(fileCount);
  const hit: number[] = [];
  const { fileStart, fileList } = commits;
  for (const { c, v } of scored) {
    const a = fileStart[c]!;
    const b = Math.min(fileStart[c + 1]!, fileList.length);
    const n = b - a;
    if (!(n > 0)) continue;
    const share = v / (options.spread === 'count' ? n : options.spread === 'sqrt' ? Math.sqrt(n) : options.spread === 'log' ? 1 + Math.log(n) : 1);
    for (let i = a; i < b; i++) {
      const f = fileList[i]!;
      if (!(f >= 0 && f < fileCount)) continue;
      if (byFile[f] === 0) hit.push(f);
      byFile[f]! += share;
    }
  }
  hit.sort((a, b) => byFile[b]! - byFile[a]! || a - b);
  const out: { file: string; score: number }[] = [];
  for (const f of hit) {
    const file = h.path(f);
    if (file !== undefined) out.push({ file, score: byFile[f]! });
  }
  return out;
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
  const read = readHistory(options.sharedAssistDir);
  // Damage inside a section is found when it is parsed: such a file is rebuilt too.
  const stored = read?.commits() && read.hasPaths() ? read : undefined;
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
