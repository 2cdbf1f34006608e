// Benchmark of the edit engine: speed of parse + apply, and robustness against the ways
// models perturb SEARCH/REPLACE blocks. Run after the build:
//   npx tsc -p tsconfig.build.json && node bench/edits/bench.mjs [--cases N] [--seed S]
// Source files are read in place from node_modules (never copied into the repository).
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative, basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { applyEdits, parseEditBlocks, resolveBlocks } from '../../dist/edits/index.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const args = process.argv.slice(2);
const argOf = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : dflt;
};
const SEED = argOf('--seed', 20240604);
const CASES = argOf('--cases', 600);

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = mulberry32(SEED);
const int = (n) => Math.floor(rand() * n);
const pick = (xs) => xs[int(xs.length)];

function walk(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

const nm = join(ROOT, 'node_modules');
const lineCount = (p) => readFileSync(p, 'utf8').split('\n').length;
const sized = (files, lo, hi) => files.filter((p) => {
  const n = lineCount(p);
  return n >= lo && n <= hi;
});
const languages = {
  ts: sized(
    [...walk(join(nm, '@anthropic-ai/sdk/src')), ...walk(join(nm, 'openai/src'))].filter(
      (p) => p.endsWith('.ts') && !p.endsWith('.d.ts'),
    ),
    150,
    1500,
  ).slice(0, 40),
  js: walk(nm)
    .filter((p) => /tree-sitter-[a-z-]+\/grammar\.js$/.test(p) && !p.includes('/node_modules/tree-sitter-', nm.length + 1)),
  c: walk(nm).filter((p) => p.endsWith('/src/scanner.c') && lineCount(p) > 100 && !p.includes('/node_modules/tree-sitter-typescript/node_modules')),
  go: walk(join(nm, 'flatted')).filter((p) => p.endsWith('.go')),
  py: walk(join(nm, 'flatted')).filter((p) => p.endsWith('.py')),
  php: walk(join(nm, 'flatted')).filter((p) => p.endsWith('.php')),
};
for (const [lang, files] of Object.entries(languages)) if (files.length === 0) delete languages[lang];

const FENCE_LANGS = { ts: 'typescript', js: 'javascript', c: 'c', go: 'go', py: 'python', php: 'php' };
const isBlank = (l) => l.trim() === '';
const indentOf = (l) => /^[ \t]*/.exec(l)[0];

// ---------------------------------------------------------------- rendering a reply

const PATH_STYLES = ['before-fence', 'in-fence', 'bold', 'heading', 'wrapped', 'no-fence', 'info-string', 'basename'];

function renderBlock(path, search, replace, fenceLang, style) {
  const body = ['<<<<<<< SEARCH', ...search, '=======', ...replace, '>>>>>>> REPLACE'];
  const f = '```';
  switch (style) {
    case 'in-fence':
      return [`${f}${fenceLang}`, path, ...body, f];
    case 'bold':
      return [`**${path}**:`, `${f}${fenceLang}`, ...body, f];
    case 'heading':
      return [`### ${path}`, `${f}${fenceLang}`, ...body, f];
    case 'wrapped':
      return [f, path, f, `${f}${fenceLang}`, ...body, f];
    case 'no-fence':
      return [path, ...body];
    case 'info-string':
      return [`${f}${path}`, ...body, f];
    case 'basename':
      return [basename(path), `${f}${fenceLang}`, ...body, f];
    default:
      return [path, `${f}${fenceLang}`, ...body, f];
  }
}

// ---------------------------------------------------------------- part 1: speed

function speed() {
  const files = new Map();
  let total = 0;
  for (const p of [...languages.ts, ...(languages.js ?? [])]) {
    if (total >= 5000) break;
    const lines = readFileSync(p, 'utf8').split('\n').slice(0, 5000 - total);
    total += lines.length;
    files.set(relative(nm, p), lines.join('\n') + '\n');
  }
  const names = [...files.keys()];
  // 1,000 blocks, each a unique, non-overlapping 2-line snippet whose second line gets a suffix.
  const mkBlocks = (drift) => {
    const used = new Map(names.map((nm2) => [nm2, new Set()]));
    const out = [];
    let guard = 0;
    while (out.length < 1000 && guard++ < 200000) {
      const name = pick(names);
      const text = files.get(name);
      const lines = text.split('\n');
      const a = int(lines.length - 3);
      const u = used.get(name);
      if (u.has(a) || u.has(a + 1)) continue;
      const s = lines.slice(a, a + 2);
      if (s.some(isBlank)) continue;
      const joined = s.join('\n') + '\n';
      const at = text.indexOf(joined);
      if (at !== text.lastIndexOf(joined)) continue;
      u.add(a);
      u.add(a + 1);
      const r = [s[0], `${s[1]} // bench ${out.length}`];
      const d = (l) => (drift ? ` ${l}` : l);
      out.push({ name, search: s.map(d), replace: r.map(d) });
    }
    return out;
  };
  const run = (drift) => {
    const blocks = mkBlocks(drift);
    const reply = blocks.map((b) => renderBlock(b.name, b.search, b.replace, 'ts', 'before-fence').join('\n')).join('\n\n');
    const times = [];
    let applied = 0;
    let failed = 0;
    for (let rep = 0; rep < 5; rep++) {
      const t0 = performance.now();
      const parsed = parseEditBlocks(reply);
      const res = applyEdits(parsed.blocks, files);
      times.push(performance.now() - t0);
      applied = res.applied.length;
      failed = res.failed.length + parsed.errors.length;
    }
    // Baseline in the same run: the least a string-replace apply does (indexOf + slice).
    const base = [];
    for (let rep = 0; rep < 5; rep++) {
      const t0 = performance.now();
      const cur = new Map(files);
      for (const b of blocks) {
        const text = cur.get(b.name);
        const s = b.search.join('\n') + '\n';
        const i = text.indexOf(s);
        if (i >= 0) cur.set(b.name, text.slice(0, i) + b.replace.join('\n') + '\n' + text.slice(i + s.length));
      }
      base.push(performance.now() - t0);
    }
    const med = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    return { blocks: blocks.length, applied, failed, ms: med(times), base: med(base) };
  };
  return { lines: total, files: files.size, exact: run(false), drift: run(true) };
}

// ---------------------------------------------------------------- part 2: robustness

const PERTURBATIONS = ['none', 'indent-drift', 'tabs-to-spaces', 'missing-blank', 'elision', 'trailing-spaces', 'leading-blank', 'crlf-file', 'crlf-reply'];

/** Runs of `len` lines (trimmed, none blank) that occur at least twice in the file. */
function duplicateRuns(lines, len) {
  const seen = new Map();
  for (let i = 0; i + len <= lines.length; i++) {
    const w = lines.slice(i, i + len);
    if (w.some(isBlank) || w.join('').trim().length < 12) continue;
    const key = w.join('\n');
    const list = seen.get(key) ?? [];
    list.push(i);
    seen.set(key, list);
  }
  return [...seen.values()].filter((l) => l.length >= 2);
}

/** The intended change of lines [a, b): returns the true REPLACE lines. */
function modify(region, n) {
  const r = [...region];
  const nb = r.map((l, i) => [l, i]).filter(([l]) => !isBlank(l)).map(([, i]) => i);
  const k = pick(nb);
  const kind = int(4);
  const tag = `EDIT_${n}`;
  if (kind === 0) r[k] = `${r[k].trimEnd()} /* ${tag} */`;
  else if (kind === 1) r.splice(k + 1, 0, `${indentOf(r[k])}${tag}();`);
  else if (kind === 2 && nb.length > 2) r.splice(k, 1);
  else r.splice(k, 1, `${indentOf(r[k])}${tag}(${r[k].trim().length});`);
  return { replace: r, touched: k };
}

function makeCase(n, sources) {
  const lang = pick(Object.keys(languages));
  const file = pick(languages[lang]);
  const path = relative(nm, file);
  const original = readFileSync(file, 'utf8').replace(/\r\n/g, '\n');
  let lines = original.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const perturb = pick(PERTURBATIONS);
  const dupMode = rand() < 0.15 ? pick(['exact-first', 'drift-second']) : undefined;

  let a;
  let len;
  if (dupMode) {
    len = 2 + int(2);
    const runs = duplicateRuns(lines, len);
    if (runs.length === 0) return undefined;
    const occ = pick(runs);
    a = dupMode === 'exact-first' ? occ[0] : occ[1];
  } else {
    len = perturb === 'elision' ? 7 + int(5) : 2 + int(7);
    a = int(Math.max(1, lines.length - len));
    if (perturb === 'missing-blank') {
      // A region with an interior blank line.
      const starts = [];
      for (let i = 1; i + 1 < lines.length; i++) if (isBlank(lines[i]) && !isBlank(lines[i - 1]) && !isBlank(lines[i + 1])) starts.push(i);
      if (starts.length === 0) return undefined;
      const blank = pick(starts);
      a = Math.max(0, blank - 1 - int(3));
      len = blank - a + 2 + int(3);
    }
  }
  const region = lines.slice(a, a + len);
  if (region.filter((l) => !isBlank(l)).length < 2) return undefined;
  // Contract: an exact SEARCH found more than once goes to the first place.
  const firstExact = findRun(lines, region);
  if (!dupMode && firstExact !== a) a = firstExact;

  const { replace: trueReplace, touched } = modify(region, n);
  let search = [...region];
  let replace = [...trueReplace];
  const crlfFile = perturb === 'crlf-file';
  let fileText = lines.join('\n') + '\n';
  if (crlfFile) fileText = fileText.replace(/\n/g, '\r\n');
  const expectedLines = [...lines.slice(0, a), ...trueReplace, ...lines.slice(a + len)];
  let expected = expectedLines.join('\n') + '\n';
  if (crlfFile) expected = expected.replace(/\n/g, '\r\n');

  const apply = (fn) => {
    search = search.map(fn);
    replace = replace.map(fn);
  };
  let label = dupMode ? `dup-${dupMode}` : perturb;
  const effective = dupMode === 'drift-second' ? 'indent-drift' : dupMode === 'exact-first' ? 'none' : perturb;
  switch (effective) {
    case 'indent-drift': {
      const d = 1 + int(4);
      if (rand() < 0.5) apply((l) => (isBlank(l) ? l : ' '.repeat(d) + l));
      else {
        const min = Math.min(...search.filter((l) => !isBlank(l)).map((l) => indentOf(l).length));
        if (min === 0) apply((l) => (isBlank(l) ? l : ' '.repeat(d) + l));
        else apply((l) => (isBlank(l) ? l : l.slice(Math.min(min, d))));
      }
      break;
    }
    case 'tabs-to-spaces':
      apply((l) => l.replace(/^\t+/, (t) => '    '.repeat(t.length)).replace(/^ {2,}/, (s) => ' '.repeat(s.length)));
      if (!region.some((l) => l.startsWith('\t'))) apply((l) => (isBlank(l) ? l : `  ${l}`));
      break;
    case 'missing-blank': {
      // The model drops an interior blank line from SEARCH and the same line from REPLACE.
      const bi = search.findIndex((l, i) => i > 0 && i < search.length - 1 && isBlank(l));
      if (bi > 0) {
        search.splice(bi, 1);
        const ri = bi + (touched < bi ? replace.length - region.length : 0);
        if (replace[ri] !== undefined && isBlank(replace[ri])) replace.splice(ri, 1);
      }
      break;
    }
    case 'elision': {
      // Keep two lines each side of a `...`; the change must sit in a kept part.
      const L = search.length;
      const delta = replace.length - L;
      if (L < 7 || (touched >= 2 && touched < L - 2)) {
        label = 'none';
        break;
      }
      const head = touched < 2 ? replace.slice(0, 2 + delta) : replace.slice(0, 2);
      const tail = touched < 2 ? replace.slice(-2) : replace.slice(L - 2);
      search = [...search.slice(0, 2), '...', ...search.slice(-2)];
      replace = [...head, '...', ...tail];
      break;
    }
    case 'trailing-spaces': {
      // The model's copy of some lines gains trailing spaces, in SEARCH and where REPLACE repeats them.
      const spaced = new Set(search.filter((l) => !isBlank(l) && rand() < 0.5));
      apply((l) => (spaced.has(l) ? `${l}  ` : l));
      break;
    }
    case 'leading-blank':
      search.unshift('');
      replace.unshift('');
      break;
    default:
      break;
  }
  const style = pick(PATH_STYLES);
  const fenceLang = rand() < 0.3 ? pick(['sh', 'csharp', 'text', 'diff', '']) : FENCE_LANGS[lang];
  let reply = `Here is the change.\n\n${renderBlock(path, search, replace, fenceLang, style).join('\n')}\n\nDone.\n`;
  if (perturb === 'crlf-reply') reply = reply.replace(/\n/g, '\r\n');
  return {
    n,
    lang,
    path,
    perturb: label,
    style,
    fileText,
    expected,
    target: [a, a + len],
    wantFail: dupMode === 'drift-second',
    reply,
    sources,
  };
}

function findRun(lines, run) {
  outer: for (let i = 0; i + run.length <= lines.length; i++) {
    for (let k = 0; k < run.length; k++) if (lines[i + k] !== run[k]) continue outer;
    return i;
  }
  return -1;
}

function changedSpan(before, after) {
  const b = before.split('\n');
  const a = after.split('\n');
  let top = 0;
  while (top < b.length && top < a.length && b[top] === a[top]) top++;
  let bb = b.length;
  let aa = a.length;
  while (bb > top && aa > top && b[bb - 1] === a[aa - 1]) {
    bb--;
    aa--;
  }
  return [top, bb];
}

function robustness() {
  const tracked = Object.values(languages).flat().map((p) => relative(nm, p));
  const rows = [];
  let attempts = 0;
  while (rows.length < CASES && attempts++ < CASES * 20) {
    const c = makeCase(rows.length, tracked);
    if (c === undefined) continue;
    const parsed = parseEditBlocks(c.reply);
    // Half the time the file is in the chat, as when the person added it.
    const resolved = resolveBlocks(parsed.blocks, { chatFiles: c.n % 2 === 0 ? [c.path] : [], trackedFiles: tracked });
    const res = applyEdits(resolved.blocks, new Map([[c.path, c.fileText]]));
    let outcome;
    const failedBack = parsed.errors.length + resolved.failed.length + res.failed.length > 0;
    if (failedBack) outcome = 'failed';
    else {
      const out = res.files.get(c.path) ?? c.fileText;
      if (out === c.expected) outcome = 'correct';
      else {
        const norm = (s) => s.replace(/\r\n/g, '\n');
        const [top, bottom] = changedSpan(norm(c.fileText), norm(out));
        const [ta, tb] = c.target;
        outcome = bottom >= ta && top <= tb ? 'wrong-content' : 'wrong-place';
      }
    }
    if (c.wantFail && outcome === 'correct') outcome = 'wrong-place';
    // The perturbed SEARCH may be, character for character, the text of another place:
    // the contract applies an exact SEARCH where it is, so that is not the matcher guessing.
    if (outcome === 'wrong-place' && parsed.blocks[0] !== undefined && res.applied[0]?.rule === 'exact') {
      const at = findRun(c.fileText.replace(/\r\n/g, '\n').split('\n'), parsed.blocks[0].search.split('\n').slice(0, -1));
      if (at >= 0 && (at < c.target[0] || at >= c.target[1])) outcome = 'exact-elsewhere';
    }
    rows.push({ ...c, outcome, rule: res.applied[0]?.rule ?? res.failed[0]?.reason ?? parsed.errors[0]?.code ?? resolved.failed[0]?.reason });
  }
  return rows;
}

// ---------------------------------------------------------------- report

const pct = (x, n) => (n === 0 ? '-' : `${((100 * x) / n).toFixed(1)}%`);
const table = (head, rows) => {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => `| ${r.map((c, i) => String(c).padEnd(w[i])).join(' | ')} |`;
  return [line(head), `|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`, ...rows.map(line)].join('\n');
};

const sp = speed();
console.log(`\n## Speed: parse + apply of ${sp.exact.blocks} blocks over ${sp.files} files, ${sp.lines} lines (median of 5)\n`);
console.log(
  table(
    ['1,000 blocks', 'applied', 'total ms', 'µs / block', 'baseline ms (indexOf+slice)', 'ratio'],
    [
      ['exact', sp.exact.applied, sp.exact.ms.toFixed(1), ((1000 * sp.exact.ms) / sp.exact.blocks).toFixed(1), sp.exact.base.toFixed(1), `${(sp.exact.ms / sp.exact.base).toFixed(1)}x`],
      ['1-space drift (tolerant rule)', sp.drift.applied, sp.drift.ms.toFixed(1), ((1000 * sp.drift.ms) / sp.drift.blocks).toFixed(1), sp.drift.base.toFixed(1), `${(sp.drift.ms / sp.drift.base).toFixed(1)}x`],
    ],
  ),
);

const rows = robustness();
const count = (pred) => rows.filter(pred).length;
const n = rows.length;
console.log(`\n## Robustness: ${n} generated edits, seed ${SEED}, languages ${Object.keys(languages).join(', ')}\n`);
console.log(
  table(
    ['cases', 'applied correctly', 'applied to a WRONG place', 'SEARCH was exactly another place', 'right place, other content', 'failed back to the model'],
    [[n, pct(count((r) => r.outcome === 'correct'), n), pct(count((r) => r.outcome === 'wrong-place'), n), pct(count((r) => r.outcome === 'exact-elsewhere'), n), pct(count((r) => r.outcome === 'wrong-content'), n), pct(count((r) => r.outcome === 'failed'), n)]],
  ),
);
const by = (key) => {
  const groups = [...new Set(rows.map((r) => r[key]))].sort();
  return groups.map((g) => {
    const rs = rows.filter((r) => r[key] === g);
    const c = (o) => rs.filter((r) => r.outcome === o).length;
    return [g, rs.length, c('correct'), c('wrong-place'), c('exact-elsewhere'), c('wrong-content'), c('failed')];
  });
};
console.log('\nBy perturbation:\n');
console.log(table(['perturbation', 'cases', 'correct', 'wrong place', 'exactly elsewhere', 'other content', 'failed back'], by('perturb')));
console.log('\nBy language:\n');
console.log(table(['language', 'cases', 'correct', 'wrong place', 'exactly elsewhere', 'other content', 'failed back'], by('lang')));
console.log('\nBy rule or failure:\n');
console.log(table(['rule / reason', 'cases', 'correct', 'wrong place', 'exactly elsewhere', 'other content', 'failed back'], by('rule')));
if (args.includes('--show')) {
  for (const r of rows.filter((x) => x.outcome !== 'correct' && x.outcome !== 'failed')) {
    console.log(`\n--- case ${r.n} ${r.outcome} ${r.perturb} ${r.path} target ${r.target}\n${r.reply}`);
  }
}
const wrong = count((r) => r.outcome === 'wrong-place');
process.exitCode = wrong === 0 ? 0 : 1;
