/** One file of a proposed batch, as the review reads it. */
export interface ReviewChange {
  /** Repo-relative posix path. */
  path: string;
  /** Content before; null when the batch creates the file. */
  before: string | null;
  /** Content after; null when the batch deletes the file. */
  after: string | null;
  /** Git file modes (`100644`, `100755`, `120000`) when known: a change is a risk. */
  mode?: { before: string | null; after: string | null };
}

/** A definition as the tags give it (the repo map's cached form, without scope resolution). */
export interface ReviewDef {
  name: string;
  kind: string;
  /** 1-based first and last line of the definition node. */
  line: number;
  endLine: number;
  /** Index of the innermost enclosing definition in the same list, or -1. */
  scope: number;
  /** The declaration's first line(s), as written. */
  signature: string;
}

/** The tags of one side of a change. */
export interface ReviewTags {
  defs: readonly ReviewDef[];
  /** Identifier -> references in the file. */
  refs: Readonly<Record<string, number>>;
  /** Set when the content was not parsed (binary, minified, too large). */
  skipped?: string;
}

/** A file that references a name, and how often. */
export interface ReferenceSite {
  file: string;
  count: number;
}

/**
 * Where the review gets tags: the repo map's tag cache (by blob id) for contents it has seen,
 * a parse for the rest, and the map's reference graph for who uses a name.
 */
export interface TagsLookup {
  /**
   * The tags of `text` as the content of `path`; undefined for a language the map does not parse.
   * `fresh`: a content most likely never seen (a proposed one): parse it without searching the cache.
   */
  tags(path: string, text: string, fresh?: boolean): Promise<ReviewTags | undefined> | ReviewTags | undefined;
  /**
   * Files that reference each name, as the repository stood when the map was last built. Files
   * that define a name themselves are left out (their references are most likely to their own).
   * Undefined when no reference graph is known (no repo map built yet).
   */
  references(names: readonly string[]): ReadonlyMap<string, readonly ReferenceSite[]> | undefined;
}

/** How the review groups files, in the order they are shown and asked about. */
export type ReviewGroup = 'breaking' | 'behaviour' | 'tests' | 'docs';

/** The groups in review order. */
export const GROUP_ORDER: readonly ReviewGroup[] = ['breaking', 'behaviour', 'tests', 'docs'];

/** What happened to one definition. */
export interface DefinitionChange {
  /** Qualified by its enclosing definitions: `Cart.total`. */
  name: string;
  kind: string;
  change: 'added' | 'removed' | 'changed';
  /** Visible outside its file by the language's rules (`export`, `pub`, capitalised, no `_`). */
  exported: boolean;
  /** For `changed`: whether the declaration (parameters, return type, visibility) changed. */
  signatureChanged?: boolean;
  /** The short form before and after: `applyDiscount(price, pct)`. */
  before?: string;
  after?: string;
  /** Other files that reference it (exported definitions that were changed or removed). */
  references?: readonly ReferenceSite[];
}

/** A removed or re-signatured export that other files use. */
export interface BreakingChange {
  file: string;
  name: string;
  change: 'removed' | 'signature';
  before: string;
  /** Null when removed. */
  after: string | null;
  /** Files that reference it, by path. */
  usedIn: string[];
  references: number;
  /** Of `usedIn`, those this batch changes too. */
  updatedInBatch: string[];
  /** One line: `applyDiscount(price, pct) → applyDiscount(price, pct, currency) — used in 3 files (...)`. */
  text: string;
}

export type RiskKind =
  | 'protected'
  | 'ci'
  | 'lockfile'
  | 'large-deletion'
  | 'tests-removed'
  | 'tests-weakened'
  | 'new-dependency'
  | 'test-script'
  | 'generated'
  | 'binary'
  | 'permissions';

/** A reason to look twice at a file: a short tag for its header line and a sentence. */
export interface Risk {
  kind: RiskKind;
  /** The tag shown on the file's header line: `lockfile`, `-3 assertions`, `+left-pad`. */
  tag: string;
  reason: string;
}

/** The review of one file. */
export interface FileReview {
  file: string;
  status: 'new' | 'deleted' | 'modified';
  group: ReviewGroup;
  lines: { added: number; removed: number };
  definitions: DefinitionChange[];
  breaking: BreakingChange[];
  risks: Risk[];
  /** Hunks (of a 3-line-context diff) and those that change only whitespace. */
  hunks: number;
  whitespaceHunks: number;
  /** Every hunk changes only whitespace. */
  formattingOnly: boolean;
  /** Set when references could not be looked up (no repo map yet): breaking changes may be missed. */
  referencesUnknown?: boolean;
}

/** The review of a batch: files in review order (breaking, behaviour, tests, docs). */
export interface Review {
  files: FileReview[];
  /** Every breaking change of the batch, in file order. */
  breaking: BreakingChange[];
  /** Non-empty groups in order, with their files. */
  groups: Array<{ group: ReviewGroup; files: string[] }>;
  /** Time the analysis took (tags, references, diffs). */
  ms: number;
}

/** The `--json` form of one file's review (DESIGN §3: `review: [{file, impact, breaking, risks}]`). */
export interface ReviewJson {
  file: string;
  impact: {
    group: ReviewGroup;
    status: FileReview['status'];
    added_lines: number;
    removed_lines: number;
    definitions: { added: string[]; removed: string[]; changed: string[] };
    whitespace_hunks_folded: number;
  };
  breaking: string[];
  risks: Array<{ kind: RiskKind; tag: string; reason: string }>;
}
