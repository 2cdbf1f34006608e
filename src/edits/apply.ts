import { fileSignals } from './dividers.js';
import { matchEdit, type MatchOutcome } from './match.js';
import { decodeFile, joinDoc, spliceLines, splitDoc, textLines, type TextDoc } from './text.js';
import type {
  AppliedEdit,
  ApplyOptions,
  ApplyResult,
  EditBlock,
  FailedEdit,
  FileInput,
  ResolvedEditBlock,
} from './types.js';

export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;

type FileState =
  | { kind: 'doc'; doc: TextDoc; existed: boolean; changed: boolean }
  | { kind: 'refused'; reason: 'binary' | 'too-large'; message: string };

const LEADING_BOMS = /^\uFEFF+/;
const stripBom = (text: string): string => text.replace(LEADING_BOMS, '');

/**
 * The readings of a block to try, in order: its own, or for a block with several `=======`
 * lines, first the ones the file's own underlines or conflict markers favour.
 */
function readingsOf(block: EditBlock, doc: TextDoc | undefined): Array<Pick<EditBlock, 'search' | 'replace'>> {
  const alts = block.alternatives;
  if (alts === undefined || alts.length === 0) return [block];
  const signals = doc === undefined ? { underlines: false, conflicts: false } : fileSignals(doc.lines.map((l) => l.text));
  const favoured = alts.filter(
    (a) => (a.when === 'file-has-underlines' && signals.underlines) || (a.when === 'file-has-conflict-markers' && signals.conflicts),
  );
  return [...favoured, block, ...alts.filter((a) => !favoured.includes(a))];
}

const fileOf = (block: EditBlock | ResolvedEditBlock): string => ('file' in block ? block.file : block.path);

/**
 * Apply blocks in order to the given contents (a block sees the earlier blocks' changes).
 * Pure: `files` maps each block's file (its resolved `file`, else its `path`) to its
 * contents, or null when it does not exist. Nothing is thrown for a block that does not
 * apply: it comes back in `failed` and the others still apply.
 */
export function applyEdits(
  blocks: ReadonlyArray<EditBlock | ResolvedEditBlock>,
  files: ReadonlyMap<string, FileInput>,
  options: ApplyOptions = {},
): ApplyResult {
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const states = new Map<string, FileState>();
  const applied: AppliedEdit[] = [];
  const failed: FailedEdit[] = [];

  const stateOf = (file: string): FileState | undefined => {
    let st = states.get(file);
    if (st !== undefined) return st;
    const input = files.get(file);
    if (input === undefined || input === null) return undefined;
    const dec = decodeFile(input, maxBytes);
    st = dec.ok
      ? { kind: 'doc', doc: dec.doc, existed: true, changed: false }
      : { kind: 'refused', reason: dec.reason, message: dec.message };
    states.set(file, st);
    return st;
  };

  for (const block of blocks) {
    const file = fileOf(block);
    const st = stateOf(file);

    if (st?.kind === 'refused') {
      failed.push({ block, file, reason: st.reason, message: `${file} cannot be edited: ${st.message}.` });
      continue;
    }
    const readings = readingsOf(block, st?.doc);
    const own = readings[0]!;
    // A BOM a model copied from the top of the file is not text: the file keeps its own (or none).
    if (textLines(stripBom(own.search)).length === 0) {
      const replace = textLines(stripBom(own.replace));
      if (st === undefined) {
        // A new file written with a BOM gets exactly one.
        const doc = splitDoc(own.replace.replace(LEADING_BOMS, '\uFEFF'));
        states.set(file, { kind: 'doc', doc, existed: false, changed: true });
        applied.push({ block, file, rule: 'create', before: { start: 1, end: 0 }, after: { start: 1, end: doc.lines.length } });
      } else {
        const at = st.doc.lines.length;
        spliceLines(st.doc, at, 0, replace);
        st.changed ||= replace.length > 0;
        applied.push({
          block,
          file,
          rule: 'append',
          before: { start: at + 1, end: at },
          after: { start: at + 1, end: at + replace.length },
        });
      }
      continue;
    }
    if (st === undefined) {
      failed.push({
        block,
        file,
        reason: 'file-not-found',
        message: `${file} does not exist, so its SEARCH text cannot be found. To create it, use an empty SEARCH section.`,
      });
      continue;
    }
    let m: Extract<MatchOutcome, { ok: true }> | undefined;
    let miss: Extract<MatchOutcome, { ok: false }> | undefined;
    for (const reading of readings) {
      const search = textLines(stripBom(reading.search));
      if (search.length === 0) continue;
      const tried = matchEdit(st.doc.lines, search, textLines(stripBom(reading.replace)));
      if (tried.ok) {
        m = tried;
        break;
      }
      // The block as the parser read it is what the model is told about.
      if (reading === block || miss === undefined) miss = tried;
    }
    if (m === undefined) {
      failed.push({
        block,
        file,
        reason: miss!.reason,
        message: miss!.message,
        ...(miss!.candidates ? { candidates: miss!.candidates } : {}),
      });
      continue;
    }
    const first = m.splices[0]!;
    const last = m.splices[m.splices.length - 1]!;
    let delta = 0;
    for (const sp of m.splices) delta += sp.texts.length - (sp.end - sp.start);
    for (let k = m.splices.length - 1; k >= 0; k--) {
      const sp = m.splices[k]!;
      spliceLines(st.doc, sp.start, sp.end - sp.start, sp.texts);
    }
    st.changed = true;
    applied.push({
      block,
      file,
      rule: m.rule,
      before: { start: first.start + 1, end: last.end },
      after: { start: first.start + 1, end: last.end + delta },
    });
  }

  const out = new Map<string, string>();
  for (const [file, st] of states) {
    if (st.kind !== 'doc' || !st.changed) continue;
    const text = joinDoc(st.doc);
    const original = files.get(file);
    if (st.existed && typeof original === 'string' && original === text) continue;
    // A reply must not write a file assist would refuse to read back (a 100 MB "file" from a model is an attack or a runaway).
    const size = Buffer.byteLength(text, 'utf8');
    if (size > maxBytes) {
      const mine = applied.filter((a) => a.file === file);
      for (const a of mine) {
        applied.splice(applied.indexOf(a), 1);
        failed.push({ block: a.block, file, reason: 'too-large', message: `${file} would be ${size} bytes after this edit, over the limit of ${maxBytes} (context.max_file_bytes).` });
      }
      continue;
    }
    out.set(file, text);
  }
  return { files: out, applied, failed };
}
