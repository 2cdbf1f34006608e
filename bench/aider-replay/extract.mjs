// Extract replay cases from public repositories that commit Aider's `.aider.chat.history.md`:
// each commit Aider made, with the assistant reply that produced it.
//
//   node bench/aider-replay/extract.mjs [--out FILE] GIT_DIR...
//   node bench/aider-replay/extract.mjs [--out FILE] --mirrors DIR      (every clone under DIR)
//
// A commit is Aider's when the history logs it (`> Commit <hash> <subject>` after the reply) or,
// for histories whose hashes were rewritten, when its author or committer carries Aider's
// `(aider)` mark and its subject is the one logged. The corpus (the cloned repositories and the
// cases file) stays outside the project; only these scripts are kept.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const HISTORY = '.aider.chat.history.md';
export const DEFAULT_CASES = join(tmpdir(), 'assist-aider-replay', 'cases.jsonl');

const git = (gitDir, args, opts = {}) =>
  execFileSync('git', ['--git-dir', gitDir, ...args], { maxBuffer: 1 << 30, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], ...opts });

/** Every distinct version of the history file, longest first, dropping versions that are a prefix of a kept one. */
function historyVersions(gitDir) {
  let log;
  try {
    log = git(gitDir, ['log', '--all', '--format=%H', '--', HISTORY]).split('\n').filter(Boolean);
  } catch {
    return [];
  }
  const blobs = new Map();
  for (const c of log) {
    try {
      const id = git(gitDir, ['rev-parse', `${c}:${HISTORY}`]).trim();
      if (!blobs.has(id)) blobs.set(id, git(gitDir, ['cat-file', 'blob', id]));
    } catch {
      // deleted in this commit
    }
  }
  const texts = [...blobs.values()].sort((a, b) => b.length - a.length);
  const kept = [];
  for (const t of texts) if (!kept.some((k) => k.startsWith(t))) kept.push(t);
  return kept;
}

const FAILURE_START = /^>\s*# \d+ SEARCH\/REPLACE blocks? failed to match!/;
// The last line of a multi-line message Aider writes unquoted after its first `> ` line.
const REPORT_END = /(?:docstrings, etc|failed to match\.|^\^\^\^ .*) {2}$/;

/**
 * Split a chat history into events: `user` (#### lines), `tool` (Aider's `> ` output, with the
 * unquoted continuation lines newer Aider versions write for multi-line errors) and
 * `assistant` (everything else: the model's replies, written as they came). Replies may hold
 * `>` lines (JSX, quotes) and `####` headings of their own: newer Aider ends its own lines with
 * two spaces, so inside a reply only such lines end it; with older Aider, only after a blank line.
 */
export function parseHistory(raw) {
  const lines = raw.replace(/\r\n/g, '\n').split('\n');
  const userLines = lines.filter((l) => l.startsWith('#### '));
  const strict = userLines.length > 0 && userLines.filter((l) => / {2}$/.test(l)).length >= userLines.length / 2;
  const events = [];
  let assistant = null;
  const inReply = () => assistant !== null && assistant.some((l) => l.trim() !== '');
  const endsReply = (i) => {
    if (!inReply()) return true;
    if (strict) return / {2}$/.test(lines[i]) || FAILURE_START.test(lines[i]);
    return (lines[i - 1] ?? '').trim() === '';
  };
  const flush = () => {
    if (inReply()) events.push({ kind: 'assistant', text: assistant.join('\n').trim() });
    assistant = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('# aider chat started at')) {
      flush();
      events.push({ kind: 'session', text: line });
    } else if (line.startsWith('#### ') && endsReply(i)) {
      flush();
      events.push({ kind: 'user', text: line.slice(5) });
    } else if ((line === '>' || line.startsWith('> ')) && endsReply(i)) {
      flush();
      const body = [line.replace(/^> ?/, '')];
      // Newer Aider quotes only the first line of a multi-line message.
      const next = lines[i + 1];
      if (!/ {2}$/.test(line) && next !== undefined && !next.startsWith('>') && !next.startsWith('#### ')) {
        let end = -1;
        for (let j = i + 1; j < lines.length && !lines[j].startsWith('#### ') && !lines[j].startsWith('> '); j++) {
          if (REPORT_END.test(lines[j])) {
            end = j;
            break;
          }
        }
        if (end > 0) {
          body.push(...lines.slice(i + 1, end + 1));
          i = end;
        }
      }
      events.push({ kind: 'tool', text: body.join('\n') });
    } else {
      (assistant ??= []).push(line);
    }
  }
  flush();
  return events;
}

/** The blocks Aider reported as failed to match, from a failure report: path and SEARCH text. */
export function failedBlocks(report) {
  const lines = report.split('\n').map((l) => l.replace(/^> ?/, ''));
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^## SearchReplaceNoExactMatch: This SEARCH block failed to exactly match lines in (.+?)\s*$/.exec(lines[i]);
    if (!m || !/^<{5,9} SEARCH/.test(lines[i + 1] ?? '')) continue;
    const search = [];
    let j = i + 2;
    while (j < lines.length && !/^={5,9}\s*$/.test(lines[j])) search.push(lines[j++]);
    out.push({ path: m[1], search: search.map((l) => `${l}\n`).join('') });
    i = j;
  }
  return out;
}

/**
 * The replies that led to commits: for each assistant reply, the tool output after it (up to
 * the next reply or user message) gives the files Aider says it edited, the blocks it reported
 * failed, and the commits it logged. A commit right after `Committing ... before applying
 * edits` holds the person's own changes and is skipped.
 */
export function repliesWithCommits(events) {
  const out = [];
  let reply = null;
  let group = null;
  let header = { version: '', format: '', model: '' };
  const close = () => {
    if (reply && group && group.commits.length > 0) out.push({ reply: reply.text, ...group, ...header });
    group = null;
  };
  for (const e of events) {
    if (e.kind === 'session') {
      close();
      reply = null;
      header = { version: '', format: '', model: '' };
    } else if (e.kind === 'user') {
      close();
      reply = null;
    } else if (e.kind === 'assistant') {
      close();
      reply = e;
      group = { applied: [], failed: [], skipped: [], commits: [] };
    } else if (e.kind === 'tool') {
      const t = e.text;
      const v = /^Aider v(\S+)/.exec(t);
      if (v) header.version = v[1];
      const f = /^(?:Main model|Model|Models): (\S+) with (\S+) edit format/.exec(t);
      if (f) header = { ...header, model: f[1], format: f[2] };
      const ef = /^Editor model: (\S+) with (\S+) edit format/.exec(t);
      if (ef) header = { ...header, model: ef[1], format: `${header.format}+${ef[2]}` };
      if (!group) continue;
      const applied = /^Applied edit to (.+?)\s*$/.exec(t);
      if (applied) group.applied.push(applied[1]);
      // The person declined to create or edit that file.
      const skipped = /^Skipping edits to (.+?)\s*$/.exec(t);
      if (skipped) group.skipped.push(skipped[1]);
      if (FAILURE_START.test(`> ${t}`)) group.failed.push(...failedBlocks(t));
      const c = /^Commit ([0-9a-f]{7,40}) (.*?)\s*$/.exec(t);
      if (c) group.commits.push({ hash: c[1], subject: c[2], dirty: group.lastTool !== undefined && /^Committing .* before applying edits/.test(group.lastTool) });
      group.lastTool = t;
    }
  }
  close();
  return out;
}

function resolveCommit(gitDir, hash, subject, aiderCommits) {
  try {
    return git(gitDir, ['rev-parse', '--verify', '--quiet', `${hash}^{commit}`]).trim();
  } catch {
    // History rewritten (rebase, squash): an Aider-marked commit with the logged subject, if only one.
    const same = aiderCommits.filter((c) => c.subject === subject);
    return same.length === 1 ? same[0].hash : undefined;
  }
}

function aiderMarked(gitDir) {
  const log = git(gitDir, ['log', '--all', '--format=%H%x00%an%x00%cn%x00%s']).split('\n').filter(Boolean);
  return log
    .map((l) => l.split('\0'))
    .filter(([, an, cn, s]) => /\(aider\)/i.test(an) || /\(aider\)/i.test(cn) || /^aider: /.test(s))
    .map(([hash, , , subject]) => ({ hash, subject: subject.replace(/^aider: /, '') }));
}

export function extract(gitDirs) {
  const cases = [];
  const seen = new Set();
  const stats = [];
  for (const gitDir of gitDirs) {
    const repo = gitDir.replace(/\/(?:repo|\.git)\/?$/, '').replace(/\.git$/, '').split('/').pop();
    const versions = historyVersions(gitDir);
    const marked = aiderMarked(gitDir);
    let logged = 0;
    let found = 0;
    for (const text of versions) {
      for (const r of repliesWithCommits(parseHistory(text))) {
        for (const c of r.commits) {
          if (c.dirty) continue;
          logged++;
          const full = resolveCommit(gitDir, c.hash, c.subject, marked);
          if (full === undefined || seen.has(full)) continue;
          seen.add(full);
          found++;
          cases.push({ repo, gitDir, commit: full, subject: c.subject, aider: r.version, model: r.model, format: r.format, applied: r.applied, failed: r.failed, skipped: r.skipped, reply: r.reply });
        }
      }
    }
    stats.push({ repo, histories: versions.length, logged, found, marked: marked.length });
  }
  return { cases, stats };
}

/** The git directories under `dir`: `NAME/.git` (a clone), `NAME` itself (a bare clone) or `NAME/repo`. */
function gitDirsUnder(dir) {
  return readdirSync(dir)
    .map((name) => [join(dir, name, 'repo'), join(dir, name, '.git'), join(dir, name)].find((p) => existsSync(join(p, 'HEAD')) && existsSync(join(p, 'objects'))))
    .filter(Boolean)
    .sort();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  let out = DEFAULT_CASES;
  const dirs = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--out') out = args[++i];
    else if (args[i] === '--mirrors') dirs.push(...gitDirsUnder(args[++i]));
    else dirs.push(args[i]);
  }
  if (dirs.length === 0) {
    console.error('usage: extract.mjs [--out FILE] (--mirrors DIR | GIT_DIR...)');
    process.exit(2);
  }
  const { cases, stats } = extract(dirs);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, cases.map((c) => JSON.stringify(c)).join('\n') + '\n');
  for (const s of stats) console.log(`${s.repo}: ${s.histories} history version(s), ${s.logged} logged commits, ${s.found} found in the repository, ${s.marked} marked (aider)`);
  console.log(`${cases.length} cases -> ${out}`);
}
