import { deriveAfterTags } from './derive.js';
import { fileDiff, type FileDiff } from './hunks.js';
import { isDocPath, isTestPath, risksOf, type RiskOptions } from './risks.js';
import { exportListNames, familyOf, headOf, isExported, parseSignature, shortForm, shownHead, type Family } from './signature.js';
import { GROUP_ORDER, type BreakingChange, type DefinitionChange, type FileReview, type ReferenceSite, type Review, type ReviewChange, type ReviewDef, type ReviewGroup, type ReviewTags, type TagsLookup } from './types.js';

/** Options of {@link reviewBatch}. */
export interface ReviewOptions extends RiskOptions {
  /** Files named in a breaking line before "+N more"; default 5. */
  maxNamedFiles?: number;
}

const CONTAINERS = new Set(['class', 'interface', 'struct', 'impl', 'enum', 'module', 'trait']);

interface Keyed {
  key: string;
  index: number;
  def: ReviewDef;
}

/** Definitions keyed by their qualified name (`Cart.total`; `#2` for a second of the same name), locals left out. */
function keyed(defs: readonly ReviewDef[]): Map<string, Keyed> {
  const out = new Map<string, Keyed>();
  const qualified: (string | null)[] = [];
  defs.forEach((def, index) => {
    const parent = def.scope >= 0 ? defs[def.scope] : undefined;
    const parentName = def.scope >= 0 ? qualified[def.scope] : '';
    if (parent && (!CONTAINERS.has(parent.kind) || parentName === null || parentName === undefined)) {
      qualified.push(null); // inside a function body: not part of the file's surface
      return;
    }
    const base = parentName ? `${parentName}.${def.name}` : def.name;
    qualified.push(base);
    let key = base;
    for (let n = 2; out.has(key); n++) key = `${base}#${n}`;
    out.set(key, { key, index, def });
  });
  return out;
}

function bodyText(text: string, def: ReviewDef, lines: string[] | undefined): string {
  const all = lines ?? text.split('\n');
  return all.slice(def.line - 1, def.endLine).join('\n').replace(/\s+/g, ' ').trim();
}

/** Parameters added at the end, each optional or defaulted: callers written for the old form still work. */
function compatibleExtension(before: ReviewDef, after: ReviewDef): boolean {
  const b = parseSignature(before.signature, before.name);
  const a = parseSignature(after.signature, after.name);
  if (b.params === undefined || a.params === undefined) return false;
  const strip = (s: string): string => s.replace(/\s+/g, '');
  const bp = strip(b.params);
  const ap = strip(a.params);
  if (!ap.startsWith(bp) || ap === bp) return false;
  const headB = b.head.slice(b.head.indexOf(b.params) + b.params.length);
  const headA = a.head.slice(a.head.indexOf(a.params) + a.params.length);
  if (strip(headB) !== strip(headA)) return false;
  const extra = ap.slice(bp.length).replace(/^,/, '');
  return extra.split(',').every((p) => /\?:|=|^\.\.\./.test(p));
}

interface FileWork {
  change: ReviewChange;
  diff: FileDiff;
  family: Family;
  before: ReviewTags | undefined;
  after: ReviewTags | undefined;
  definitions: DefinitionChange[];
  /** Exported definitions whose users must be looked up: removed or re-signatured. */
  watched: Array<{ def: DefinitionChange; simple: string }>;
}

function compareDefs(work: FileWork): void {
  const { change, family } = work;
  const beforeDefs = work.before?.defs ?? [];
  const afterDefs = work.after?.defs ?? [];
  const b = keyed(beforeDefs);
  const a = keyed(afterDefs);
  const exportsBefore = family === 'ecma' && change.before !== null ? exportListNames(change.before) : new Set<string>();
  const exportsAfter = family === 'ecma' && change.after !== null ? exportListNames(change.after) : new Set<string>();
  const linesBefore = change.before?.split('\n');
  const linesAfter = change.after?.split('\n');
  for (const [key, was] of b) {
    const exported = isExported(beforeDefs, was.index, family, exportsBefore);
    const now = a.get(key);
    if (!now) {
      const def: DefinitionChange = { name: key, kind: was.def.kind, change: 'removed', exported, before: shortForm(was.def, family) };
      work.definitions.push(def);
      if (exported) work.watched.push({ def, simple: was.def.name });
      continue;
    }
    const nowExported = isExported(afterDefs, now.index, family, exportsAfter);
    const headChanged = headOf(was.def) !== headOf(now.def) || exported !== nowExported;
    const bodyChanged = !CONTAINERS.has(was.def.kind) && bodyText(change.before ?? '', was.def, linesBefore) !== bodyText(change.after ?? '', now.def, linesAfter);
    if (!headChanged && !bodyChanged) continue;
    let before = shortForm(was.def, family);
    let after = shortForm(now.def, family);
    if (headChanged && before === after) {
      before = shownHead(was.def);
      after = shownHead(now.def);
      if (exported !== nowExported) after = `${after} (${nowExported ? 'now exported' : 'no longer exported'})`;
    }
    // An export that stays compatible (optional parameters added) is a change, not a break.
    const signatureChanged = headChanged && (exported !== nowExported || !compatibleExtension(was.def, now.def));
    const def: DefinitionChange = { name: key, kind: now.def.kind, change: 'changed', exported: exported || nowExported, signatureChanged, before, after };
    work.definitions.push(def);
    if (exported && signatureChanged) work.watched.push({ def, simple: was.def.name });
  }
  for (const [key, now] of a) {
    if (b.has(key)) continue;
    work.definitions.push({ name: key, kind: now.def.kind, change: 'added', exported: isExported(afterDefs, now.index, family, exportsAfter), after: shortForm(now.def, family) });
  }
}

function filesText(files: readonly string[], max: number): string {
  const shown = files.slice(0, max).join(', ');
  return files.length > max ? `${shown}, +${files.length - max} more` : shown;
}

/**
 * Reviews a batch of file changes: per file, the definitions added, removed or changed (from the
 * repo map's tags), which removed or re-signatured exports other files use (breaking), the risk
 * tags, the diff's whitespace-only hunks; files ordered breaking, behaviour, tests, docs. Reads
 * nothing itself: tags and references come from `lookup`.
 */
export async function reviewBatch(changes: readonly ReviewChange[], lookup: TagsLookup, options: ReviewOptions = {}): Promise<Review> {
  const t0 = performance.now();
  const maxNamed = options.maxNamedFiles ?? 5;
  // The old contents first (the map's cache has them), then the new ones: derived from the old
  // tags when the edit stays inside function bodies, else parsed.
  const befores = await Promise.all(changes.map((change) => (change.before === null ? undefined : lookup.tags(change.path, change.before))));
  const work: FileWork[] = await Promise.all(
    changes.map(async (change, i) => {
      const before = befores[i];
      const diff = fileDiff(change.before, change.after);
      const family = familyOf(change.path);
      let after: ReviewTags | undefined;
      if (change.after !== null) {
        const derived = before && change.before !== null && diff.blocks ? deriveAfterTags(before, change.before, diff.blocks, family) : undefined;
        after = derived ?? (await lookup.tags(change.path, change.after, true));
      }
      const w: FileWork = { change, diff, family, before, after, definitions: [], watched: [] };
      compareDefs(w);
      return w;
    }),
  );

  const names = [...new Set(work.flatMap((w) => w.watched.map((x) => x.simple)))];
  const sites = names.length > 0 ? lookup.references(names) : new Map<string, readonly ReferenceSite[]>();
  const inBatch = new Map(work.map((w) => [w.change.path, w]));
  const files: FileReview[] = work.map((w) => {
    const breaking: BreakingChange[] = [];
    for (const { def, simple } of w.watched) {
      if (!sites) continue;
      // Files of this batch count as they will be after it, from their new tags.
      const users = new Map<string, number>();
      for (const site of sites.get(simple) ?? []) if (!inBatch.has(site.file)) users.set(site.file, site.count);
      for (const other of work) {
        if (other === w || other.after === undefined) continue;
        const n = other.after.refs[simple] ?? 0;
        const definesIt = other.after.defs.some((d) => d.name === simple);
        if (n > 0 && !definesIt) users.set(other.change.path, n);
      }
      const ordered = [...users].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
      def.references = ordered.map(([file, count]) => ({ file, count }));
      if (ordered.length === 0) continue;
      const usedIn = ordered.map(([file]) => file);
      const references = ordered.reduce((n, [, c]) => n + c, 0);
      const updatedInBatch = usedIn.filter((f) => inBatch.has(f));
      const change: BreakingChange['change'] = def.change === 'removed' ? 'removed' : 'signature';
      const what = change === 'removed' ? `${def.before ?? def.name} removed` : `${def.before ?? def.name} → ${def.after ?? def.name}`;
      const also = updatedInBatch.length > 0 ? `; ${updatedInBatch.length === usedIn.length ? 'all' : updatedInBatch.length} changed in this batch` : '';
      breaking.push({
        file: w.change.path,
        name: def.name,
        change,
        before: def.before ?? def.name,
        after: change === 'removed' ? null : (def.after ?? def.name),
        usedIn,
        references,
        updatedInBatch,
        text: `${what} — used in ${usedIn.length} ${usedIn.length === 1 ? 'file' : 'files'} (${filesText(usedIn, maxNamed)})${also}`,
      });
    }
    const counts = w.diff.counts;
    const lines = { added: counts.added, removed: counts.removed };
    const status: FileReview['status'] = w.change.before === null ? 'new' : w.change.after === null ? 'deleted' : 'modified';
    const formattingOnly = status === 'modified' && counts.hunks > 0 && counts.whitespaceHunks === counts.hunks;
    let group: ReviewGroup;
    if (breaking.length > 0) group = 'breaking';
    else if (isTestPath(w.change.path)) group = 'tests';
    else if (isDocPath(w.change.path) || formattingOnly) group = 'docs';
    else group = 'behaviour';
    const review: FileReview = {
      file: w.change.path,
      status,
      group,
      lines,
      definitions: w.definitions,
      breaking,
      risks: risksOf(w.change, lines, options),
      hunks: counts.hunks,
      whitespaceHunks: counts.whitespaceHunks,
      formattingOnly,
    };
    if (!sites && w.watched.length > 0) review.referencesUnknown = true;
    return review;
  });
  files.sort((x, y) => GROUP_ORDER.indexOf(x.group) - GROUP_ORDER.indexOf(y.group));
  const groups = GROUP_ORDER.map((group) => ({ group, files: files.filter((f) => f.group === group).map((f) => f.file) })).filter((g) => g.files.length > 0);
  return { files, breaking: files.flatMap((f) => f.breaking), groups, ms: performance.now() - t0 };
}
