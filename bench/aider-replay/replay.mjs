// Replay Aider's SEARCH/REPLACE replies with assist's edit engine: for each case from extract.mjs,
// apply the reply's blocks to the files as they were in the commit's parent and compare with
// the files Aider committed.
//
//   npm run build && node bench/aider-replay/replay.mjs [--cases FILE] [--show CATEGORY|all]
//
// Prints the count of cases and matches, the mismatches by category, and the cases left out
// with the reason (Aider's own quirks, and commits that are not what the reply made).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { applyEdits, parseEditBlocks, resolveBlocks } from '../../dist/edits/index.js';
import { aiderBlocks, aiderReplace } from './aider.mjs';
import { DEFAULT_CASES } from './extract.mjs';

const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const args = process.argv.slice(2);
const argOf = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const casesFile = argOf('--cases', DEFAULT_CASES);
const show = argOf('--show', '');

const git = (gitDir, a) => execFileSync('git', ['--git-dir', gitDir, ...a], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
const gitText = (gitDir, a) => git(gitDir, a).toString('utf8');

function blob(gitDir, rev, path) {
  try {
    return git(gitDir, ['cat-file', 'blob', `${rev}:${path}`]);
  } catch {
    return null;
  }
}

const normalize = (p) => p.trim().replace(/\\/g, '/').replace(/^(\.\/)+/, '');
const squash = (text) => text.split('\n').map((l) => l.trimEnd()).join('\n').trim();
const lf = (s) => (s === null ? null : s.replace(/\r\n/g, '\n'));
/** Whether `text` (a Buffer or null) holds the lines of `search`, ignoring line endings and indentation. */
function includesLines(buf, search) {
  if (buf === null || search.trim() === '') return false;
  const norm = (t) => t.replace(/\r\n/g, '\n').split('\n').map((l) => l.trim()).join('\n');
  return norm(buf.toString('utf8')).includes(norm(search).trim());
}

/** Replay one case: `{ kind: 'skip' | 'exclude' | 'match' | 'mismatch', category, detail }`. */
function replay(c) {
  let parent;
  try {
    parent = gitText(c.gitDir, ['rev-parse', '--verify', '--quiet', `${c.commit}^`]).trim();
  } catch {
    parent = EMPTY_TREE;
  }
  const changed = gitText(c.gitDir, ['diff-tree', '-r', '--no-renames', '--name-only', '--no-commit-id', parent, c.commit])
    .split('\n')
    .filter((p) => p !== '' && !p.startsWith('.aider'));
  const tracked = parent === EMPTY_TREE ? [] : gitText(c.gitDir, ['ls-tree', '-r', '-z', '--name-only', parent]).split('\0').filter(Boolean);
  const parsed = parseEditBlocks(c.reply, { knownPaths: new Set(tracked) });
  if (parsed.blocks.length === 0) return { kind: 'skip', category: 'no SEARCH/REPLACE block in the reply (another edit format)' };
  // Blocks Aider reported as failed to match were never applied: they are not part of the commit.
  const failedByAider = new Set(c.failed.map((f) => `${normalize(f.path)}\0${squash(f.search)}`));
  // Nor were blocks for files the person declined to create or edit.
  const declined = new Set((c.skipped ?? []).map(normalize));
  const blocks = parsed.blocks.filter((b) => !failedByAider.has(`${normalize(b.path)}\0${squash(b.search)}`) && !declined.has(normalize(b.path)));
  if (blocks.length === 0) return { kind: 'skip', category: 'every block failed in Aider too, or was declined' };
  const resolved = resolveBlocks(blocks, { chatFiles: [], trackedFiles: tracked });
  const blockFiles = new Set([...resolved.blocks.map((b) => b.file), ...resolved.failed.map((f) => normalize(f.block.path))]);
  const commitFiles = new Set(changed);
  const onlyCommit = [...commitFiles].filter((f) => !blockFiles.has(f));
  if (onlyCommit.length > 0) {
    // A file changed that no block names: Aider's fallback (a block applied to another file in the chat) or the person's edits.
    const cat = resolved.blocks.some((b) => onlyCommit.some((f) => includesLines(blob(c.gitDir, parent, f), b.search)))
      ? 'Aider applied a block to another file than the one it names'
      : 'the commit changes files no block names';
    return { kind: cat.startsWith('Aider') ? 'mismatch' : 'exclude', category: cat, detail: `commit only: ${onlyCommit.join(', ')}` };
  }
  // Files the blocks name but the commit does not change must come out unchanged.
  const files = [...blockFiles];
  const before = new Map();
  for (const f of files) before.set(f, blob(c.gitDir, parent, f));
  const r = applyEdits(resolved.blocks, before);
  for (const a of r.applied) rules.set(a.rule, (rules.get(a.rule) ?? 0) + 1);
  dividers += resolved.blocks.filter((b) => b.alternatives !== undefined).length;
  if (failedByAider.size > 0) {
    // What assist does, in the reply's order, with the blocks Aider could not apply (not part of
    // the figure: no commit shows what they should have done).
    const all = resolveBlocks(parsed.blocks, { chatFiles: [], trackedFiles: tracked });
    const theirs = new Set(parsed.blocks.filter((b) => failedByAider.has(`${normalize(b.path)}\0${squash(b.search)}`)).map((b) => b.index));
    const alone = applyEdits(all.blocks, new Map(all.blocks.map((b) => [b.file, blob(c.gitDir, parent, b.file)])));
    const tally = (key) => aiderMisses.set(key, (aiderMisses.get(key) ?? 0) + 1);
    for (const a of alone.applied) if (theirs.has(a.block.index)) tally(`applied (${a.rule})`);
    for (const f of [...all.failed, ...alone.failed]) if (theirs.has(f.block.index)) tally(`failed (${f.reason})`);
  }
  const want = new Map();
  for (const f of files) want.set(f, commitFiles.has(f) ? blob(c.gitDir, c.commit, f) : before.get(f));
  const got = new Map();
  for (const f of files) {
    const out = r.files.get(f);
    got.set(f, out !== undefined ? Buffer.from(out, 'utf8') : before.get(f));
  }
  const equal = (a, b) => (a === null || b === null ? a === b : a.equals(b));
  const same = files.every((f) => equal(got.get(f), want.get(f)));
  const failures = [...resolved.failed, ...r.failed];
  if (same && failures.length === 0) return { kind: 'match' };

  // What Aider's own rules give (its own reading of the reply), to tell the engine's differences
  // from a commit the reply did not make.
  const emulated = new Map([...before].map(([f, b]) => [f, b === null ? null : b.toString('utf8')]));
  let aiderFailed = 0;
  for (const b of aiderBlocks(c.reply)) {
    const written = normalize(b.path);
    if (failedByAider.has(`${written}\0${squash(b.search)}`) || declined.has(written)) continue;
    const file = files.find((f) => f === written) ?? files.find((f) => f.endsWith(`/${written}`) || written.endsWith(`/${f}`));
    const next = file === undefined ? undefined : aiderReplace(emulated.get(file) ?? null, b.search, b.replace);
    if (next === undefined) aiderFailed++;
    else emulated.set(file, next);
  }
  const text = (buf) => (buf === null ? null : buf.toString('utf8'));
  const aiderReproduces = aiderFailed === 0 && files.every((f) => lf(emulated.get(f)) === lf(text(want.get(f))));
  const detail = files.filter((f) => !equal(got.get(f), want.get(f))).join(', ');

  if (failures.length > 0) {
    const reasons = [...new Set(failures.map((f) => f.reason))].join('+');
    if (!aiderReproduces) return { kind: 'exclude', category: `not reproducible: assist ${reasons}, and Aider's rules do not give the commit either`, detail, failures };
    return { kind: 'mismatch', category: `assist refused a block Aider applied (${reasons})`, detail, failures };
  }
  const all = (pred) => files.every((f) => equal(got.get(f), want.get(f)) || pred(text(got.get(f)), text(want.get(f))));
  if (all((g, w) => lf(g) === lf(w))) return { kind: 'mismatch', category: 'line endings differ', detail };
  if (all((g, w) => g !== null && w !== null && !g.endsWith('\n') && `${lf(g)}\n` === lf(w))) return { kind: 'mismatch', category: 'final newline differs', detail };
  if (!aiderReproduces) return { kind: 'exclude', category: "not reproducible: neither assist nor Aider's rules give the commit", detail };
  const gluedAppend = resolved.blocks.some((b) => b.search.trim() === '' && before.get(b.file) && before.get(b.file).length > 0 && !before.get(b.file).toString('utf8').endsWith('\n'));
  if (gluedAppend) return { kind: 'mismatch', category: 'append to a file without a final newline', detail };
  return { kind: 'mismatch', category: 'content differs', detail };
}

/**
 * Mismatches judged to be Aider's own behaviour, not a fault of the replay: each with the
 * reason. A case in one of these categories is left out of the figure and listed.
 */
const AIDER_QUIRKS = {
  'line endings differ': 'Aider reads files with universal newlines and writes them back with one ending; assist keeps each line\'s own',
  'final newline differs': 'Aider adds a final newline to every file it edits; assist keeps a missing one missing',
  'Aider applied a block to another file than the one it names':
    'when a SEARCH is not in the file a block names, Aider tries every other file in the chat; assist edits only the file named (or resolved from the name)',
  'append to a file without a final newline':
    'Aider glues the appended text to the unterminated last line (`};import ...`); assist starts it on a new line and keeps the file unterminated',
};

const rules = new Map();
const aiderMisses = new Map();
let dividers = 0;
const cases = readFileSync(casesFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const results = cases.map((c) => ({ c, r: replay(c) }));
const count = (pred) => results.filter(pred).length;
const by = (kind) => {
  const m = new Map();
  for (const { c, r } of results.filter((x) => x.r.kind === kind)) {
    const list = m.get(r.category) ?? [];
    list.push({ c, r });
    m.set(r.category, list);
  }
  return [...m].sort((a, b) => b[1].length - a[1].length);
};
const label = (c) => `${c.repo}@${c.commit.slice(0, 7)} ${c.subject}`;

const replayed = results.filter((x) => x.r.kind === 'match' || x.r.kind === 'mismatch');
const quirks = replayed.filter((x) => x.r.kind === 'mismatch' && AIDER_QUIRKS[x.r.category] !== undefined);
const judged = replayed.length - quirks.length;
const matches = count((x) => x.r.kind === 'match');
console.log(`${cases.length} commits from ${new Set(cases.map((c) => c.repo)).size} repositories`);
console.log(`skipped (not a SEARCH/REPLACE edit): ${count((x) => x.r.kind === 'skip')}`);
for (const [cat, list] of by('skip')) console.log(`  ${list.length}  ${cat}`);
console.log(`left out (the commit is not what the reply made from the parent): ${count((x) => x.r.kind === 'exclude')}`);
for (const [cat, list] of by('exclude')) console.log(`  ${list.length}  ${cat}`);
console.log(`cases: ${replayed.length}; Aider's quirks left out: ${quirks.length}`);
for (const [cat, list] of by('mismatch').filter(([cat]) => AIDER_QUIRKS[cat] !== undefined)) console.log(`  ${list.length}  ${cat}: ${AIDER_QUIRKS[cat]}`);
console.log(`matches: ${matches} of ${judged} (${((100 * matches) / Math.max(1, judged)).toFixed(1)}%)`);
const real = by('mismatch').filter(([cat]) => AIDER_QUIRKS[cat] === undefined);
console.log(`mismatches: ${real.reduce((n, [, l]) => n + l.length, 0)}`);
for (const [cat, list] of real) {
  console.log(`  ${list.length}  ${cat}`);
  for (const { c, r } of list) console.log(`      ${label(c)}: ${r.detail}${r.failures ? ` — ${r.failures.map((f) => f.message.split('\n')[0]).join(' | ')}` : ''}`);
}
if (show !== '') {
  for (const { c, r } of results) {
    if (r.kind === 'match' || (show !== 'all' && !r.category.includes(show))) continue;
    console.log(`\n=== ${r.kind}: ${r.category}\n${label(c)} (${c.gitDir})\n${r.detail ?? ''}`);
  }
}
console.log(`rules that applied the blocks: ${[...rules].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}; blocks with a second divider: ${dividers}`);
console.log(`blocks Aider reported failed (left out above), as assist takes them: ${[...aiderMisses].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`);
const perRepo = new Map();
for (const { c } of replayed) perRepo.set(c.repo, (perRepo.get(c.repo) ?? 0) + 1);
console.log(`cases by repository: ${[...perRepo].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}`);
const models = new Map();
for (const { c } of replayed) models.set(c.model || '?', (models.get(c.model || '?') ?? 0) + 1);
console.log(`cases by model: ${[...models].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}`);
