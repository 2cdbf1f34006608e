// The retrieval benchmark's query set and its plain BM25 baselines (docs/search.md "Retrieval
// benchmark"), shared by bench.mjs and variants.mjs so both measure the same thing.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const gitIn = (repo, env) => (...a) => execFileSync('git', a, { cwd: repo, env, encoding: 'utf8', maxBuffer: 1 << 30 });

const SKIP_TYPES = /^(chore|ci|docs|release|build|revert|style)(\(|!|:)/i;

/** A commit subject as a request: the conventional prefix and PR numbers removed. */
export function cleanSubject(subject) {
  return subject
    .replace(/^[\w-]+(\([^)]*\))?!?:\s*/, '')
    .replace(/\s*\((?:fix(?:es)?|close[sd]?|resolve[sd]?)?\s*#\d+(?:,\s*#\d+)*\)/gi, '')
    .replace(/\s*#\d+\s*$/, '')
    .trim();
}

/**
 * The last `count` non-merge commits before `head` whose type is not chore/ci/docs/release/build/
 * revert/style, with a subject of two words or more, that modified or deleted 1-20 files; and the
 * base (the parent of the oldest), where the index is built.
 */
export function candidateCommits(git, head, count) {
  const log = git('log', '--first-parent', '--no-merges', '--format=%H%x09%s', '-n', String(count * 8), head)
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const tab = line.indexOf('\t');
      return { commit: line.slice(0, tab), subject: line.slice(tab + 1) };
    });
  const candidates = [];
  for (const c of log) {
    if (SKIP_TYPES.test(c.subject) || /^Merge /.test(c.subject)) continue;
    const query = cleanSubject(c.subject);
    if (query.split(/\s+/).length < 2) continue;
    const changed = git('diff-tree', '--no-commit-id', '-r', '--name-status', '--no-renames', `${c.commit}^`, c.commit)
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t'))
      .filter(([status]) => status === 'M' || status === 'D')
      .map(([, path]) => path);
    if (changed.length === 0 || changed.length > 20) continue;
    candidates.push({ ...c, query, changed });
    if (candidates.length === count) break;
  }
  const base = git('rev-parse', `${candidates[candidates.length - 1].commit}^`).trim();
  return { candidates, base };
}

/** Checks out `base` detached, media files left out (a partial clone may lack them; code search never needs them). */
export function checkoutBase(git, base) {
  git('sparse-checkout', 'set', '--no-cone', '/*', '!*.png', '!*.jpg', '!*.jpeg', '!*.gif', '!*.webm', '!*.mp4', '!*.ico', '!*.woff', '!*.woff2', '!*.ttf');
  git('checkout', '-q', '--detach', '-f', base);
  git('clean', '-qfdx', '-e', '!.assist*');
}

/** The queries whose answer (changed files) holds files of the listing; the answer cut to those. */
export function queriesOf(candidates, listing) {
  const covered = new Set(listing.files.map((f) => f.path));
  return candidates.map((c) => ({ ...c, answer: c.changed.filter((p) => covered.has(p)) })).filter((c) => c.answer.length > 0);
}

/** The share of `answer` among the first `k` distinct files of `files`. */
export function recallAt(files, answer, k = 10) {
  const top = [];
  for (const f of files) {
    if (!top.includes(f)) top.push(f);
    if (top.length === k) break;
  }
  return answer.filter((a) => top.includes(a)).length / answer.length;
}
export const mean = (xs) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
export const pct = (x) => `${(100 * x).toFixed(1)}%`;

/** The tokenizer: identifiers split at camelCase/snake_case/kebab/digits, lower-cased. */
export const plainSplit = (text) => {
  const out = [];
  for (const m of text.matchAll(/[A-Za-z0-9_$]+/g)) for (const p of m[0].match(/[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+/g) ?? []) if (p.length > 1) out.push(p.toLowerCase());
  return out;
};

/** A plain BM25 over whole files (their text and path tokens), k1 1.2, b 0.75: query → files, best first. */
export function buildBm25(repo, listing, tokenizer) {
  const docs = listing.files.map((f) => {
    let text = '';
    try {
      const st = statSync(join(repo, f.path));
      if (st.size <= 1 << 20) text = readFileSync(join(repo, f.path), 'utf8');
    } catch {
      // unreadable: empty
    }
    const tf = new Map();
    for (const t of [...tokenizer(text), ...tokenizer(f.path.replace(/\.[^./]+$/, '').replace(/[/.]/g, ' '))]) tf.set(t, (tf.get(t) ?? 0) + 1);
    let len = 0;
    for (const v of tf.values()) len += v;
    return { path: f.path, tf, len };
  });
  const df = new Map();
  for (const d of docs) for (const t of d.tf.keys()) df.set(t, (df.get(t) ?? 0) + 1);
  const avg = mean(docs.map((d) => d.len));
  const N = docs.length;
  return (query) => {
    const terms = [...new Set(tokenizer(query))];
    const scored = docs.map((d) => {
      let s = 0;
      for (const t of terms) {
        const f = d.tf.get(t);
        if (!f) continue;
        const n = df.get(t);
        const idf = Math.log(1 + (N - n + 0.5) / (n + 0.5));
        s += (idf * f * 2.2) / (f + 1.2 * (0.25 + (0.75 * d.len) / avg));
      }
      return { path: d.path, s };
    });
    return scored.filter((x) => x.s > 0).sort((a, b) => b.s - a.s).map((x) => x.path);
  };
}
