import { lstat, readFile, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { userConfigDir } from '../config/paths.js';
import { resolveInside } from '../sandbox/index.js';
import { formatBytes } from './instructions-report.js';

/** What the instruction files may add to a request, in all (DESIGN §6 "Instructions"). */
export const INSTRUCTIONS_LIMIT_BYTES = 32 * 1024;

/** The names read in a folder, the first one present winning: one file per folder. */
export const INSTRUCTION_FILE_NAMES = ['AGENTS.md', 'CLAUDE.md', 'GEMINI.md', 'CONVENTIONS.md'] as const;

/** Imports within imports deeper than this are refused (a chain that long is a mistake). */
const MAX_IMPORT_DEPTH = 5;

/** One instruction file found: the text it adds (its imports expanded) and where it came from. */
export interface InstructionFile {
  /** Repo-relative path, or `~/...`-style path of the person's own file. */
  path: string;
  /** `repository`: a folder from the root down to the current directory; `user`: `$XDG_CONFIG_HOME/assist/AGENTS.md`. */
  source: 'repository' | 'user';
  /** Bytes (UTF-8) of the text it adds, imports included. */
  bytes: number;
  /** Files it imported (with `@path` lines), in the order they were read, paths as `path` spells them. */
  imports: string[];
  /** The file's text with its imports expanded. */
  text: string;
}

/** The instruction files of one directory of a repository, fitted to the limit. */
export interface Instructions {
  /** Files sent, in the order they appear in the request (the person's own, then root down to the current directory). */
  files: InstructionFile[];
  /** Files not sent because the limit was reached (the nearest win), in the order they would have appeared. */
  leftOut: InstructionFile[];
  /** Imports refused or not found, one line each (`src/AGENTS.md: @../x.md refused: ...`). */
  notes: string[];
  /** Bytes of the files sent. */
  bytes: number;
  /** What goes into the system prompt; '' when there is nothing to send. */
  text: string;
}

/** Where to look. */
export interface InstructionOptions {
  /** The work tree root. */
  root: string;
  /** The current directory (inside the work tree; outside it, only the root is read). */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Default {@link INSTRUCTIONS_LIMIT_BYTES}. */
  limitBytes?: number;
}

/**
 * Reads the instruction files for `cwd` (DESIGN §6 "Instructions"): the person's own
 * (`$XDG_CONFIG_HOME/assist/AGENTS.md`), then one file per folder from the repository root down
 * to `cwd` (`AGENTS.md`, else `CLAUDE.md`, `GEMINI.md`, `CONVENTIONS.md`), each with its `@path`
 * lines replaced by the file they name. Later files win where they disagree. Over the limit, the
 * nearest files are kept and the others are named in the text, not sent.
 */
export async function loadInstructions(options: InstructionOptions): Promise<Instructions> {
  const limit = options.limitBytes ?? INSTRUCTIONS_LIMIT_BYTES;
  const root = await realpath(options.root);
  const cwd = await realpath(options.cwd).catch(() => root);
  const notes: string[] = [];
  const found: InstructionFile[] = [];

  const userDir = userConfigDir(options.env);
  const userRoot = await realpath(userDir).catch(() => null);
  if (userRoot !== null) {
    const own = await readTop(userRoot, 'AGENTS.md', 'user', displayUserPath(userDir, options.env), options.env, notes);
    if (own) found.push(own);
  }

  const rel = relative(root, cwd);
  const inside = rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  const parts = inside && rel !== '' ? rel.split(sep) : [];
  for (let depth = 0; depth <= parts.length; depth++) {
    const folder = parts.slice(0, depth).join('/');
    for (const name of INSTRUCTION_FILE_NAMES) {
      const path = folder === '' ? name : `${folder}/${name}`;
      // Whatever is there claims the folder, a link out of the repository too (it is refused below).
      const present = await lstat(join(root, path)).then(
        () => true,
        () => false,
      );
      if (!present) continue;
      const file = await readTop(root, path, 'repository', path, options.env, notes);
      if (file) found.push(file);
      break;
    }
  }

  // The nearest win: fill the budget from the last file back.
  const keep = new Set<InstructionFile>();
  let used = 0;
  for (let i = found.length - 1; i >= 0; i--) {
    const file = found[i]!;
    if (used + file.bytes > limit) continue;
    used += file.bytes;
    keep.add(file);
  }
  const files = found.filter((f) => keep.has(f));
  const leftOut = found.filter((f) => !keep.has(f));
  return { files, leftOut, notes, bytes: used, text: renderInstructions(files, leftOut, limit) };
}

function renderInstructions(files: readonly InstructionFile[], leftOut: readonly InstructionFile[], limit: number): string {
  if (files.length === 0 && leftOut.length === 0) return '';
  const parts = [
    '# Instructions',
    'The person and the repository ask you to follow these. Where two disagree, the later one wins: files nearer the current directory come later.',
  ];
  for (const file of files) parts.push(`## ${file.source === 'user' ? `${file.path} (the person's own)` : file.path}\n\n${file.text.trimEnd()}`);
  if (leftOut.length > 0) {
    const names = leftOut.map((f) => `${f.path} (${formatBytes(f.bytes)})`).join(', ');
    parts.push(`Left out to keep the instructions within ${formatBytes(limit)} (the nearest were kept): ${names}. Read them with read_file if the task needs them.`);
  }
  return parts.join('\n\n');
}

function displayUserPath(dir: string, env: NodeJS.ProcessEnv): string {
  const home = env.HOME;
  const path = join(dir, 'AGENTS.md');
  return home && path.startsWith(`${home}/`) ? `~/${path.slice(home.length + 1)}` : path;
}

/** Reads one top-level file (checked like every path assist reads) and expands its imports. */
async function readTop(base: string, rel: string, source: InstructionFile['source'], display: string, env: NodeJS.ProcessEnv, notes: string[]): Promise<InstructionFile | null> {
  const check = await resolveInside(base, rel, { mode: 'read', checkIgnored: false, env });
  if (!check.ok) {
    notes.push(`${display}: not read: ${refusalReason(scopeOf(source), rel, check.code, check.reason)}`);
    return null;
  }
  if (!check.exists) return null;
  const imports: string[] = [];
  const text = await expand(check.abs, display, { base, scope: scopeOf(source), env, notes, imports, stack: [check.abs], depth: 0, display: (abs) => displayOf(base, abs, source, display) });
  if (text.trim() === '') return null;
  return { path: display, source, bytes: Buffer.byteLength(text), imports, text };
}

/** What an import may not leave: the person's own file imports from its folder only. */
function scopeOf(source: InstructionFile['source']): string {
  return source === 'user' ? 'its folder' : 'the repository';
}

function displayOf(base: string, abs: string, source: InstructionFile['source'], top: string): string {
  const rel = relative(base, abs).split(sep).join('/');
  return source === 'user' ? join(dirname(top), rel) : rel;
}

interface ExpandState {
  base: string;
  /** Names `base` in refusals. */
  scope: string;
  env: NodeJS.ProcessEnv;
  notes: string[];
  imports: string[];
  /** Real paths of the files being expanded, outermost first: an import of one of them is a cycle. */
  stack: string[];
  depth: number;
  display(abs: string): string;
}

const IMPORT_LINE = /^\s*@(\S+)\s*$/;

/**
 * A file's text with each `@path` line (outside code fences) replaced by the text of the file it
 * names, relative to the importing file, inside `base` only; refusals stay in the text as a
 * bracketed note, so the model knows something was meant to be there.
 */
async function expand(abs: string, display: string, state: ExpandState): Promise<string> {
  const raw = await readFile(abs, 'utf8');
  const out: string[] = [];
  let fence: string | null = null;
  for (const line of raw.split('\n')) {
    const opener = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (opener !== undefined) {
      if (fence === null) fence = opener;
      else if (opener.startsWith(fence)) fence = null;
      out.push(line);
      continue;
    }
    const m = fence === null ? IMPORT_LINE.exec(line) : null;
    if (!m) {
      out.push(line);
      continue;
    }
    const target = m[1]!;
    const refused = (why: string): void => {
      state.notes.push(`${display}: @${target} refused: ${why}`);
      out.push(`[@${target}: not imported: ${why}]`);
    };
    const lexical = target.startsWith('~/') ? join(state.env.HOME ?? '', target.slice(2)) : resolve(dirname(abs), target);
    const rel = relative(state.base, lexical).split(sep).join('/');
    const check = await resolveInside(state.base, rel === '' ? '.' : rel, { mode: 'read', checkIgnored: false, env: state.env });
    if (!check.ok) {
      refused(refusalReason(state.scope, rel, check.code, check.reason));
      continue;
    }
    if (!check.exists) {
      // Not a file: maybe a mention (`@alice`) on a line of its own. Kept as written.
      state.notes.push(`${display}: @${target}: no such file (the line is kept as written)`);
      out.push(line);
      continue;
    }
    if (state.stack.includes(check.abs)) {
      refused(`it would import itself (${[...state.stack, check.abs].map(state.display).join(' -> ')})`);
      continue;
    }
    if (state.depth + 1 > MAX_IMPORT_DEPTH) {
      refused(`imports nest deeper than ${MAX_IMPORT_DEPTH}`);
      continue;
    }
    const name = state.display(check.abs);
    state.imports.push(name);
    const text = await expand(check.abs, name, { ...state, stack: [...state.stack, check.abs], depth: state.depth + 1 });
    out.push(text.endsWith('\n') ? text.slice(0, -1) : text);
  }
  return out.join('\n');
}

/** Says why a path was refused in words about instructions rather than the sandbox's. */
function refusalReason(scope: string, rel: string, code: string, reason: string): string {
  if (code === 'sandbox.outside-read-paths' || code === 'sandbox.traversal' || code === 'sandbox.absolute') {
    const lexicalInside = rel !== '..' && !rel.startsWith('../') && !isAbsolute(rel);
    return lexicalInside ? `a symbolic link on the path leads outside ${scope}` : `the path leaves ${scope}`;
  }
  return reason;
}
