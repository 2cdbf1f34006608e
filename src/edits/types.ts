/** One SEARCH/REPLACE block as the model wrote it. */
export interface EditBlock {
  /** 0-based position of the block in the reply (parse errors take indexes too). */
  index: number;
  /** The path as written, decorations stripped; may be inherited from the previous block. */
  path: string;
  /** True when the block had no path of its own and reuses the previous block's. */
  pathInherited: boolean;
  /** The SEARCH text: lines joined by `\n`, each ending in `\n`; `''` when empty. */
  search: string;
  /** The REPLACE text, same shape as `search`. */
  replace: string;
  /** 1-based line of the `<<<<<<< SEARCH` marker in the reply. */
  line: number;
  /**
   * Other readings of a block with more than one `=======` line, for `applyEdits` to choose from
   * with the file in hand (`search`/`replace` above are the parser's choice without it).
   */
  alternatives?: EditReading[];
}

/** One way to read a block that has several `=======` lines. */
export interface EditReading {
  search: string;
  replace: string;
  /**
   * Set when this reading comes first for files that already have `=` heading underlines or
   * merge-conflict markers; unset for readings tried only when the parser's choice does not match.
   */
  when?: 'file-has-underlines' | 'file-has-conflict-markers';
}

/** A block the parser could not read; sent back to the model, never thrown. */
export interface EditParseError {
  /** 0-based position among the reply's blocks. */
  index: number;
  /** `unclear-path`: a line before the block seems to name a file but is no path it can use. */
  code: 'missing-path' | 'unclear-path' | 'missing-divider' | 'missing-replace';
  /** 1-based line of the block's SEARCH marker in the reply. */
  line: number;
  /** What went wrong and what was expected, in words for the model. */
  message: string;
  /** The raw lines of the broken block, for the feedback. */
  text: string;
}

/** What the parser may know about the repository. */
export interface ParseOptions {
  /**
   * Repository-relative paths of the files that exist (tracked and in the chat): a line naming
   * one exactly is that path, spaces, quotes and all.
   */
  knownPaths?: ReadonlySet<string>;
}

export interface ParseResult {
  blocks: EditBlock[];
  errors: EditParseError[];
}

/** How a written path was matched to a file. */
export type PathMatchKind = 'chat' | 'exact' | 'suffix' | 'basename' | 'spelling' | 'literal';

export type PathResolution =
  | {
      ok: true;
      /** Repository-relative path, `/`-separated. */
      file: string;
      by: PathMatchKind;
      /** False only for `literal` paths that are neither tracked nor in the chat. */
      known: boolean;
    }
  | { ok: false; reason: 'not-found' | 'ambiguous'; candidates: string[] };

/** A block whose path has been resolved to a file. */
export interface ResolvedEditBlock extends EditBlock {
  file: string;
  resolvedBy: PathMatchKind;
}

/** Which rule found the SEARCH text; every rule but `exact` must find a unique place. */
export type MatchRule =
  | 'exact'
  | 'whitespace'
  | 'leading-blank'
  | 'elision'
  | 'blank-lines'
  | 'create'
  | 'append';

/** 1-based inclusive line range; an empty range (an insertion) has `end === start - 1`. */
export interface LineRange {
  start: number;
  end: number;
}

export interface AppliedEdit {
  block: EditBlock;
  file: string;
  rule: MatchRule;
  /** Lines replaced, in the file as it was just before this block. */
  before: LineRange;
  /** Lines written, in the file just after this block. */
  after: LineRange;
}

export type FailureReason =
  | 'no-match'
  | 'ambiguous'
  | 'elision-mismatch'
  | 'file-not-found'
  | 'path-ambiguous'
  | 'binary'
  | 'too-large';

export interface FailedEdit {
  block: EditBlock;
  /** The resolved file, or the path as written when it did not resolve. */
  file: string;
  reason: FailureReason;
  /** One or two sentences for the model. */
  message: string;
  /** 1-based first lines of the places a tolerant rule found (for `ambiguous`), or candidate paths. */
  candidates?: number[];
  candidatePaths?: string[];
}

export interface ApplyOptions {
  /** Larger files are refused (DESIGN.md `context.max_file_bytes`); default 1 MiB. */
  maxFileBytes?: number;
}

export interface ApplyResult {
  /** New contents of every file that changed or was created, BOM and line endings kept. */
  files: Map<string, string>;
  applied: AppliedEdit[];
  failed: FailedEdit[];
}

/** File contents as read: text, raw bytes (checked for binary), or null when absent. */
export type FileInput = string | Uint8Array | null;
